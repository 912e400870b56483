using LlmMem.DataTypes;
using LlmMem.Estimates;
using LlmMem.Formats.Catalog;
using LlmMem.Inference;

namespace LlmMem.Formats.Tests.GroundTruth;

/// <summary>
/// Model and KV buffers per device with -ngl, against the buffers llama.cpp logged (data/groundtruth/llamacpp.jsonl).
/// Host buffers (CPU, CPU_Mapped, CUDA_Host) are summed as the host. Not compared: Metal (it maps the whole file
/// as one GPU buffer), RPC servers and CANN devices, tensor overrides (gt008).
/// </summary>
public class LlamaCppPlacementTests
{
    [Fact]
    public void FourGpus_DefaultLayerSplit_MatchesGt028PerDevice()
    {
        // Mistral-7B-Instruct-v0.2 Q5_K_M on 4 equal ROCm GPUs, all 33 layers offloaded, n_ctx 4,096: llama.cpp gave the
        // devices 9, 8, 8 and 7 layers (+ the output layer on the last): KV 144 / 128 / 128 / 112 MiB, model buffers
        // 1,327.12 / 1,168.16 / 1,168.16 / 1,143.62 MiB and 85.94 MiB of token embeddings on the CPU.
        var spec = ModelCatalog.Load(ModelCatalog.Find("mistralai/Mistral-7B-v0.1")!);
        Assert.True(WeightQuantization.TryParse("Q5_K_M", out var quant, out _));
        Assert.True(LlmMem.Hardware.Parallelism.TryCreate(null, null, 4, null, out var four, out _));
        var gpu = new DeviceCapacity("ROCm GPU", LlmMem.Units.ByteSize.FromGiB(24), "test");
        var estimate = InferenceEstimator.Estimate(new InferenceRequest(spec, InferenceEngine.LlamaCpp, Quantization: quant, ContextTokens: 4096,
            Parallelism: four, Capacity: gpu, LlamaCpp: new LlamaCppSettings(FlashAttention: false)));

        double MiB(string device, TermId term) => (estimate.Devices.Single(d => d.Name == device).Find(term)?.Bytes.Bytes ?? 0) / 1048576.0;
        Assert.Equal([144.0, 128.0, 128.0, 112.0], Enumerable.Range(0, 4).Select(g => MiB($"gpu{g}", TermId.KvCache)));
        double[] logged = [1327.12, 1168.16, 1168.16, 1143.62];
        for (var g = 0; g < 4; g++)
        {
            Assert.True(Math.Abs(MiB($"gpu{g}", TermId.Weights) - logged[g]) <= 0.006, $"gpu{g} model {MiB($"gpu{g}", TermId.Weights):F2} vs {logged[g]:F2}");
        }

        Assert.True(Math.Abs(MiB("cpu", TermId.Weights) - 85.94) <= 0.006, $"cpu {MiB("cpu", TermId.Weights):F2}");
    }

    [Theory]
    // phi-4 Q4_K_M, 29 of 41 layers offloaded: CPU 275.62 + CUDA_Host 2,622.81 MiB; CUDA0 5,731.89 MiB; KV CPU 110 / CUDA0 290 MiB at 2,048.
    [InlineData("gt013", "microsoft/phi-4", "Q4_K_M", 29, 2048, false, 275.62 + 2622.81, 5731.89, 110.0, 290.0)]
    // Mistral-7B Q4_K_M fully offloaded to SYCL: CPU_Mapped 70.31 MiB (token embeddings), SYCL0 4,095.05 MiB; KV 128 MiB at 1,024.
    [InlineData("gt029", "mistralai/Mistral-7B-v0.1", "Q4_K_M", 33, 1024, false, 70.31, 4095.05, 0.0, 128.0)]
    // QwQ-32B Q4_K_M, 29 of 65 layers offloaded: CPU 417.66 + 10,379.71 MiB; CUDA0 8,128.64 MiB; q8_0 KV CPU 595 / CUDA0 493 MiB at 8,192.
    [InlineData("gt032", "Qwen/Qwen2.5-32B", "Q4_K_M", 29, 8192, true, 417.66 + 10379.71, 8128.64, 595.0, 493.0)]
    public void Buffers_PerDevice_MatchLlamaCppsLog(string id, string model, string fileType, int ngl, long context, bool q8Cache,
        double hostModelMiB, double gpuModelMiB, double hostKvMiB, double gpuKvMiB)
    {
        var spec = ModelCatalog.Load(ModelCatalog.Find(model)!);
        Assert.True(WeightQuantization.TryParse(fileType, out var quant, out _));
        var cache = q8Cache ? DataType.Q8_0 : null;
        var estimate = InferenceEstimator.Estimate(new InferenceRequest(spec, InferenceEngine.LlamaCpp, Quantization: quant, ContextTokens: context,
            LlamaCpp: new LlamaCppSettings(CacheTypeK: cache, CacheTypeV: cache, GpuLayers: ngl)));

        double MiB(string device, TermId term) =>
            (estimate.Devices.SingleOrDefault(d => d.Name == device)?.Find(term)?.Bytes.Bytes ?? 0) / 1048576.0;

        // Each logged buffer is rounded to 0.01 MiB.
        Assert.True(Math.Abs(MiB("cpu", TermId.Weights) - hostModelMiB) <= 0.011, $"{id} host model {MiB("cpu", TermId.Weights):F2} vs {hostModelMiB:F2}");
        Assert.True(Math.Abs(MiB("gpu0", TermId.Weights) - gpuModelMiB) <= 0.006, $"{id} GPU model {MiB("gpu0", TermId.Weights):F2} vs {gpuModelMiB:F2}");
        Assert.True(Math.Abs(MiB("cpu", TermId.KvCache) - hostKvMiB) <= 0.006, $"{id} host KV {MiB("cpu", TermId.KvCache):F2}");
        Assert.True(Math.Abs(MiB("gpu0", TermId.KvCache) - gpuKvMiB) <= 0.006, $"{id} GPU KV {MiB("gpu0", TermId.KvCache):F2}");
    }
}
