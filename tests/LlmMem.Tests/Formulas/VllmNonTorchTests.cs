using LlmMem.Formulas;
using LlmMem.Inference;
using LlmMem.Units;

namespace LlmMem.Tests.Formulas;

/// <summary>
/// What vLLM's "non_torch_memory" counts, by version, pinned on real logs: 0.6.4 counts the whole device outside PyTorch's
/// allocations (CUDA context included); 0.6.5+ V0 and V1 from PR #19312 count only what appears after a baseline snapshot.
/// </summary>
public class VllmNonTorchTests
{
    [Theory]
    [InlineData("0.6.3", false)] // before PR #9352/#9516: no separate non-torch figure, the context was outside the peak
    [InlineData("0.6.4", true)] // device used − torch allocated (issue #10517's "Memory profiling results" line)
    [InlineData("0.6.5", false)] // PR #10511: baseline-relative
    [InlineData("0.7.2", false)]
    [InlineData("0.8.5 V0", false)] // V0 kept the baseline-relative memory_profiling
    [InlineData("0.8.5", true)] // V1's gpu_worker.py before PR #19312: total used − torch allocated
    [InlineData("0.9.1", true)]
    [InlineData("0.9.2", false)] // PR #19312: V1 on memory_profiling
    [InlineData("0.31", false)]
    public void CudaContext_IsCountedInNonTorch_OnlyByTheDeviceWideVersions(string version, bool counts)
    {
        Assert.Equal(counts, VllmVersion.Parse(version).NonTorchCountsCudaContext);
    }

    [Fact]
    public void PyTorchLazyContext_IsPr86509sMeasurement_LessItsTensorsSegment()
    {
        // PyTorch PR #86509: total − free = 287,047,680 B after one 6.4 MB tensor, whose 20 MiB segment is not context.
        Assert.Equal(266_076_160, CudaContextFormulas.PyTorchLazyLoading.Bytes);
    }

    [Fact]
    public void NonTorch_Of064_OnOneGpu_IsNearTheLoggedFigure()
    {
        // vLLM 0.6.4, Llama-3.1-8B on an RTX 3090 (issue #10517): "non_torch_memory=0.35GiB" (initial_memory_usage 15.34 GiB
        // − weights 14.99 GiB: the context was there before the profile run). llmem: 253.75 MiB context + 0.15 GiB = 407.75 MiB.
        var term = VllmFormulas.NonTorch(1, countsCudaContext: true);
        Assert.Equal(ByteSize.FromMiB(154) + CudaContextFormulas.PyTorchLazyLoading, term.Bytes);
        Assert.InRange(term.Bytes.Bytes, (long)(0.345 * (1L << 30)), (long)(0.355 * (1L << 30)) + ByteSize.FromMiB(60).Bytes);
        Assert.Contains("CUDA context", term.Label);
    }

    [Fact]
    public void NonTorch_AfterTheBaselineSnapshot_LeavesTheContextOut()
    {
        // vLLM's own log after PR #12126 (H100, one GPU): "non_torch_memory takes 0.16GiB" — no context in it.
        var term = VllmFormulas.NonTorch(1, countsCudaContext: false);
        Assert.Equal(ByteSize.FromMiB(154), term.Bytes);
        Assert.InRange(term.Bytes.Bytes, (long)(0.155 * (1L << 30)) - ByteSize.FromMiB(10).Bytes, (long)(0.165 * (1L << 30)));
        Assert.DoesNotContain("context", term.Label);
    }
}

/// <summary>V0's CUDA graphs: the shared pool plus a per-graph cost for each captured batch size.</summary>
public class VllmCudaGraphTests
{
    [Theory]
    [InlineData(256, 35)] // PR #11349's log: "Capturing CUDA graph shapes: 35/35" at the default 256 sequences
    [InlineData(8, 4)] // 1, 2, 4, 8
    [InlineData(64, 11)]
    public void V0_CapturesOneTwoFour_AndEveryMultipleOfEight(long largest, int count)
    {
        Assert.Equal(count, VllmEstimator.V0CaptureCount(largest));
    }

    [Fact]
    public void V0PerGraph_IsPr11349sLog_LessItsPool_OverItsGraphs()
    {
        // 0.21 GiB for Llama-3.2-1B over 35 graphs, less the 256-token pool (256 × (3 × 8,192 + 3 × 2,048) × 2 B).
        var pool = 256L * (3 * 8_192 + 3 * 2_048) * 2;
        Assert.Equal(((long)(0.21 * (1L << 30)) - pool) / 35, VllmFormulas.V0GraphPerCapture.Bytes);
    }
}
