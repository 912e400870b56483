using System.Collections.Immutable;
using LlmMem.DataTypes;
using LlmMem.Estimates;
using LlmMem.Formulas;
using LlmMem.Inference;
using LlmMem.Models;
using LlmMem.Units;

namespace LlmMem.Tests.Formulas;

/// <summary>
/// CPU_REPACK: which host weights llama.cpp's CPU backend copies into its repacked buffer (x86-64, AVX2;
/// ggml/src/ggml-cpu/repack.cpp). The sizes themselves are held to the real llama.cpp in tests/LlmMem.LlamaCpp.Tests.
/// </summary>
public class LlamaCppRepackTests
{
    private static PlacedTensor Matrix(string name, DataType type, params long[] ne) =>
        new(name, type.SizeOf(ne.Aggregate(1L, (p, d) => p * d)), type, [.. ne]);

    [Theory]
    [InlineData("Q4_0", 4281, false)] // before PR #10446 no x86 repacking
    [InlineData("Q4_0", 4282, true)]
    [InlineData("Q4_K", 4928, false)]
    [InlineData("Q4_K", 4929, true)] // PR #12332
    [InlineData("IQ4_NL", 6143, false)]
    [InlineData("IQ4_NL", 6144, true)] // PR #14904
    [InlineData("MXFP4", 8174, false)]
    [InlineData("MXFP4", 8175, true)] // PR #19738
    [InlineData("Q8_0", 10221, false)] // ARM only
    [InlineData("Q6_K", 10221, false)] // ARM only
    public void IsRepacked_FollowsTheTypeAndBuild(string type, int build, bool repacked)
    {
        Assert.True(DataType.TryParse(type, out var dataType, out var error), error);
        var t = Matrix("blk.0.ffn_up.weight", dataType, 4096, 11008);
        Assert.Equal(repacked, LlamaCppRepack.IsRepacked(t, inputLayer: false, new LlamaCppVersion(build)));
    }

    [Theory]
    [InlineData(false, false, 10221, true)] // CPU only: repacked
    [InlineData(true, false, 10221, false)] // a GPU device: its host buffer comes first (PR #12632, b4991)
    [InlineData(true, false, 4935, true)] // before PR #12498 (b4936) the host layers beside a GPU were repacked too
    [InlineData(false, true, 10221, false)] // --no-repack
    [InlineData(false, false, 4281, false)] // before PR #10446 (b4282)
    public void Applies_FollowsOffloadOptionAndBuild(bool offloaded, bool noRepack, int build, bool applies)
    {
        Assert.Equal(applies, LlamaCppRepack.Applies(offloaded, noRepack, new LlamaCppVersion(build)));
    }

    [Fact]
    public void IsRepacked_RowsNotAMultipleOf8_OrTheTokenEmbeddings_StayInTheOrdinaryBuffer()
    {
        Assert.False(LlamaCppRepack.IsRepacked(Matrix("output.weight", DataType.Q4_0, 512, 4100), false, LlamaCppVersion.Latest));
        Assert.False(LlamaCppRepack.IsRepacked(Matrix("token_embd.weight", DataType.Q4_0, 512, 4096), inputLayer: true, LlamaCppVersion.Latest));
        Assert.True(LlamaCppRepack.IsRepacked(Matrix("blk.0.ffn_up_exps.weight", DataType.Q4_0, 512, 256, 8), false, LlamaCppVersion.Latest));
        Assert.False(LlamaCppRepack.IsRepacked(Matrix("blk.0.attn_norm.weight", DataType.Q4_0, 512), false, LlamaCppVersion.Latest));
    }

    private static ModelSpec TinyQ4Model()
    {
        var layer = new LayerShape(new AttentionShape(AttentionKind.Full, 8, 2, 64, 64), new MlpShape(true, 1, false), 2);
        var shape = new ModelShape("llama", 512, 4096, 1536, false, NormShape.RmsNorm, new EmbeddingShape(), ImmutableArray.Create(layer, layer), 1, [], DataType.Fp16);
        return new ModelSpec("tiny", ParameterCount.Of(10_000_000)) { Shape = shape, Breakdown = ParameterFormulas.Count(shape) };
    }

    private static WeightQuantization Q4_0() =>
        WeightQuantization.TryParse("Q4_0", out var q, out var error) ? q : throw new InvalidOperationException(error);

    private static DeviceEstimate Host(LlamaCppSettings settings) =>
        InferenceEstimator.Estimate(new InferenceRequest(TinyQ4Model(), InferenceEngine.LlamaCpp, Quantization: Q4_0(),
            ContextTokens: 2048, LlamaCpp: settings)).Devices.Single(d => d.Name == "cpu");

    [Fact]
    public void Estimate_CpuOnly_SplitsTheHostWeightsIntoMappedAndRepacked_WithTheSameTotal()
    {
        var repacked = Host(new LlamaCppSettings(GpuLayers: 0));
        var kept = Host(new LlamaCppSettings(GpuLayers: 0, NoRepack: true));

        var repack = repacked.Terms.Single(t => t.Label.Contains("CPU_REPACK", StringComparison.Ordinal));
        Assert.Equal(TermId.Weights, repack.Id);
        Assert.True(repack.Bytes > ByteSize.Zero);
        Assert.Contains(repacked.Terms, t => t.Id == TermId.Weights && t.Label.Contains("CPU_Mapped", StringComparison.Ordinal));
        Assert.DoesNotContain(kept.Terms, t => t.Label.Contains("CPU_REPACK", StringComparison.Ordinal));
        long Weights(DeviceEstimate d) => d.Terms.Where(t => t.Id == TermId.Weights).Sum(t => t.Bytes.Bytes);
        Assert.Equal(Weights(kept), Weights(repacked));
    }

    [Fact]
    public void Estimate_WithLayersOffloaded_DoesNotRepack()
    {
        // With a GPU device the CPU's weights go to the GPU's host buffer first (PR #12632, b4991).
        Assert.DoesNotContain(Host(new LlamaCppSettings(GpuLayers: 1)).Terms, t => t.Label.Contains("CPU_REPACK", StringComparison.Ordinal));
    }
}
