using LlmMem.Text;
using LlmMem.Units;

namespace LlmMem.Hardware;

/// <summary>
/// The GPUs llmem knows by name. Each memory figure is a reading from a real device (nvidia-smi or the CUDA
/// runtime as logged by an engine), with its source; a GPU without such a reading is not listed.
/// </summary>
public static class GpuCatalog
{
    public static IReadOnlyList<Gpu> All { get; } =
    [
        new("h100-sxm-80gb", "NVIDIA H100 SXM 80GB HBM3", ByteSize.FromMiB(81_559),
            "nvidia-smi total on an H100 80GB HBM3, driver 580 (shared/REFERENCES.md, GPUs as the runtime sees them)",
            ["h100", "h100-80gb", "h100-sxm"]),
        new("h200", "NVIDIA H200 141GB HBM3e", ByteSize.FromMiB(143_771),
            "nvidia-smi total on an H200, driver 580 (shared/REFERENCES.md, GPUs as the runtime sees them)",
            ["h200-141gb", "h200-sxm-141gb"]),
        new("a100-80gb", "NVIDIA A100 80GB", ByteSize.FromMiB(81_920),
            "nvidia-smi total in ground-truth case vllm-llama31-8b-a100-80g-v031-nvsmi (data/groundtruth/vllm.jsonl)",
            ["a100", "a100-sxm-80gb", "a100-sxm4-80gb"]),
        new("rtx-4090", "NVIDIA GeForce RTX 4090 24GB", ByteSize.FromMiB(24_564),
            "nvidia-smi total (shared/REFERENCES.md; ground truth: 'NVIDIA GeForce RTX 4090 x4 (24564 MiB)')",
            ["4090", "rtx4090"]),
        new("v100-16gb", "NVIDIA Tesla V100-SXM2 16GB", ByteSize.FromMiB(16_160),
            "nvidia-smi total in the Transformers docs' perf_train_gpu_one measurements (data/groundtruth/training.jsonl)",
            ["v100", "v100-sxm2-16gb"]),
        new("rtx-pro-6000", "NVIDIA RTX PRO 6000 Blackwell 96GB", ByteSize.FromMiB(97_887),
            "nvidia-smi total of an RTX PRO 6000-class 96GB card in a ground-truth vLLM case (data/groundtruth/vllm.jsonl); another case logs 95.6 GiB",
            ["rtx-pro-6000-96gb", "pro6000"]),
    ];

    public static Gpu? Find(string? text)
    {
        var key = (text ?? "").Trim().ToLowerInvariant().Replace('_', '-').Replace(' ', '-');
        return All.FirstOrDefault(g => g.Slug == key || g.Aliases.Contains(key));
    }

    public static bool TryParse(string? text, out Gpu gpu, out string error)
    {
        var found = Find(text);
        gpu = found ?? All[0];
        error = found is null
            ? NameSuggestion.UnknownMessage("GPU", text ?? "", All.SelectMany(g => g.Aliases.Prepend(g.Slug)).ToArray())
              + " Or give its memory with --gpu-memory, e.g. --gpu-memory 24GiB."
            : "";
        return found is not null;
    }
}
