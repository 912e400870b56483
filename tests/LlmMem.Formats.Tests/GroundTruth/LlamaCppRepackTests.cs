using LlmMem.DataTypes;
using LlmMem.Estimates;
using LlmMem.Formats.Catalog;
using LlmMem.Inference;

namespace LlmMem.Formats.Tests.GroundTruth;

/// <summary>
/// The CPU backend's repacked weights (CPU_REPACK, named CPU_AARCH64 before b5615) against real logs of CPU runs
/// (data/groundtruth/llamacpp.jsonl). The logs record no build number; each test names the build its date implies.
/// </summary>
public class LlamaCppRepackTests
{
    private static DeviceEstimate Host(string model, string fileType, LlamaCppVersion version)
    {
        var spec = ModelCatalog.Load(ModelCatalog.Find(model)!);
        Assert.True(WeightQuantization.TryParse(fileType, out var quant, out _));
        return InferenceEstimator.Estimate(new InferenceRequest(spec, InferenceEngine.LlamaCpp, Quantization: quant, ContextTokens: 4096,
            LlamaCpp: new LlamaCppSettings(GpuLayers: 0, Version: version))).Devices.Single(d => d.Name == "cpu");
    }

    private static Term? Repacked(DeviceEstimate host) =>
        host.Terms.SingleOrDefault(t => t.Id == TermId.Weights && (t.Label.Contains("CPU_REPACK", StringComparison.Ordinal) || t.Label.Contains("CPU_AARCH64", StringComparison.Ordinal)));

    [Fact]
    public void Q4_0_Llama31_8B_MatchesGt026sCpuAarch64Buffer()
    {
        // gt026 (~2025-02, AVX-512 x86, -ngl 0): "CPU_AARCH64 model buffer size = 3744.00 MiB" — the 224 Q4_0 matrices of
        // the 32 layers (7 each); its F16 embeddings and output stay in CPU_Mapped. A February-2025 build: b4700.
        var term = Repacked(Host("meta-llama/Llama-3.1-8B-Instruct", "Q4_0", new LlamaCppVersion(4700)));
        Assert.NotNull(term);
        Assert.Contains("CPU_AARCH64", term.Label);
        Assert.InRange(term.Bytes.Bytes / 1048576.0, 3744.00 - 0.006, 3744.00 + 0.006);
    }

    [Fact]
    public void Q4_K_BeforeItsKernel_StaysMapped_AsGt011Logs()
    {
        // gt011 (~2024-12, CPU only): "tensor 'token_embd.weight' (q4_K) (and 194 others) cannot be used with preferred
        // buffer type CPU_AARCH64" — every tensor stays mapped: x86 Q4_K repacking came with PR #12332 (b4929).
        Assert.Null(Repacked(Host("microsoft/Phi-3-mini-4k-instruct", "Q4_K_M", new LlamaCppVersion(4300))));
        Assert.NotNull(Repacked(Host("microsoft/Phi-3-mini-4k-instruct", "Q4_K_M", LlamaCppVersion.Latest)));
    }

    [Fact]
    public void Q8_0_OnX86_IsNotRepacked_AsGt007Logs()
    {
        // gt007 (~2025-06, x86-64, CPU only): Qwen3-0.6B Q8_0 logs one "CPU_Mapped model buffer size = 604.15 MiB" and no
        // CPU_REPACK line: x86 has no Q8_0 interleave (repack.cpp: NEON only).
        var host = Host("Qwen/Qwen3-0.6B", "Q8_0", new LlamaCppVersion(5600));
        Assert.Null(Repacked(host));
        Assert.InRange(host.Terms.Where(t => t.Id == TermId.Weights).Sum(t => t.Bytes.Bytes) / 1048576.0, 604.15 - 0.006, 604.15 + 0.006);
    }
}
