using System.Collections.Immutable;
using LlmMem.DataTypes;
using LlmMem.Formulas;
using LlmMem.Inference;
using LlmMem.Models;

namespace LlmMem.Tests.Formulas;

/// <summary>
/// The compute buffer's steps on worked examples, computed by hand from the configs (Llama-3.1-8B: hidden 4096, 32 heads,
/// 8 KV heads, head_dim 128, intermediate 14336, vocab 128256; Qwen3-30B-A3B: hidden 2048, 32 heads of 128, 128 experts,
/// 8 used, moe_intermediate 768, vocab 151936), n_ubatch 512 and 4,096 cells. One token-float of the micro-batch is
/// 512 × 4 B = 2,048 B. Against real engines: tests/LlmMem.LlamaCpp.Tests and docs/accuracy.md.
/// </summary>
public class LlamaCppComputeBufferTests
{
    private const long Cells = 4096;
    private const long UBatch = 512;
    private const long PerFloat = UBatch * 4;

    private static ModelShape Shape(long hidden, long vocab, int layers, AttentionShape attention, MlpShape mlp) =>
        new("test", hidden, vocab, 131072, false, NormShape.RmsNorm, new EmbeddingShape(),
            [.. Enumerable.Repeat(new LayerShape(attention, mlp, 2), layers)], 1, [], DataType.Bf16);

    private static readonly ModelShape Llama8B = Shape(4096, 128256, 32, new AttentionShape(AttentionKind.Full, 32, 8, 128, 128), new MlpShape(true, 14336, false));

    [Fact]
    public void Llama8B_NoFlashAttention_TheScoresStepIsThePeak()
    {
        var p = LlamaCppComputeBuffer.Compute(Llama8B, Cells, 32, UBatch, flashAttention: false, holdsOutput: true);
        Assert.Equal(4096L * 512 * 4, p.Mask); // F32 mask: 8 MiB
        Assert.Equal((4096L + 32 * 4096 + 32 * 128) * PerFloat, p.Attention); // residual + scores + Q (= KQV): 272 MiB
        Assert.Equal((4096L + 3 * 14336) * PerFloat, p.FeedForward); // residual + gate + up + product: 92 MiB
        Assert.Equal((128256L + 4096) * PerFloat, p.Output); // 258.5 MiB
        Assert.Equal(280L << 20, p.Peak); // 272 + 8 MiB
    }

    [Fact]
    public void Llama8B_FlashAttention_TheOutputStepIsThePeak_AndWithoutIt_TheFeedForward()
    {
        var p = LlamaCppComputeBuffer.Compute(Llama8B, Cells, 32, UBatch, flashAttention: true, holdsOutput: true);
        Assert.Equal(4096L * 512 * 2, p.Mask); // F16 mask: 4 MiB
        Assert.Equal(3 * 4096L * PerFloat, p.Attention); // residual + Q + output: 24 MiB
        Assert.Equal(271_056_896L, p.Peak); // the logits and hidden state, 258.5 MiB

        // A GPU holding layers but not the output layer: feed-forward 92 MiB + the mask 4 MiB.
        var layersOnly = LlamaCppComputeBuffer.Compute(Llama8B, Cells, 32, UBatch, flashAttention: true, holdsOutput: false);
        Assert.Equal(96L << 20, layersOnly.Peak);

        // Before b5776 (GLU ops) the product ran in place: residual + normed + gate + up = 72 MiB, + 4 MiB mask.
        var old = LlamaCppComputeBuffer.Compute(Llama8B, Cells, 32, UBatch, flashAttention: true, holdsOutput: false,
            version: new LlamaCppVersion(LlamaCppVersion.GluOpsBuild - 1));
        Assert.Equal((2 * 4096L + 2 * 14336) * PerFloat, old.FeedForward);
        Assert.Equal(76L << 20, old.Peak);
    }

    [Fact]
    public void AnOutputOnlyDevice_HoldsTheLogitsAlone()
    {
        var p = LlamaCppComputeBuffer.Compute(Llama8B, 0, 0, UBatch, flashAttention: true, holdsOutput: true);
        Assert.Equal(0, p.Mask);
        Assert.Equal(0, p.FeedForward);
        Assert.Equal(271_056_896L, p.Peak);
    }

    [Fact]
    public void Qwen3Moe_TheDownProjectionsOfTheUsedExpertsDominateTheFeedForward()
    {
        var shape = Shape(2048, 151936, 48, new AttentionShape(AttentionKind.Full, 32, 4, 128, 128),
            new MlpShape(true, 0, false, new MoeShape(128, 8, 768)));
        var p = LlamaCppComputeBuffer.Compute(shape, Cells, 32, UBatch, flashAttention: true, holdsOutput: false);
        // residual 2,048 + router 128 + max(normed 2,048 + 2 × 6,144, 3 × 6,144, product 6,144 + down 8 × 2,048 = 22,528).
        Assert.Equal((2048L + 128 + 22528) * PerFloat, p.FeedForward); // 48.25 MiB
        Assert.Equal(p.FeedForward + p.Mask, p.Peak);
    }

    [Fact]
    public void TheFormulaText_ListsEachStep()
    {
        var term = LlamaCppComputeBuffer.Estimate(Llama8B, Cells, 32, UBatch, flashAttention: false, holdsOutput: true);
        Assert.Equal(280L << 20, term.Bytes.Bytes);
        var text = term.Formula;
        Assert.Contains("attention: (residual + 32 heads × 4,096 cells scores + max(Q, KQV))", text, StringComparison.Ordinal);
        Assert.Contains("feed-forward: (residual + max(normed + gate + up, gate + up + product)", text, StringComparison.Ordinal);
        Assert.Contains("output: (128,256 logits + 4,096 hidden)", text, StringComparison.Ordinal);
    }

    [Fact]
    public void SlidingWindowLayers_AddTheirOwnMask_OnlyBesideFullLayers()
    {
        var full = new AttentionShape(AttentionKind.Full, 16, 8, 256, 256);
        var sliding = full with { Kind = AttentionKind.Sliding, SlidingWindow = 4096 };
        Assert.Equal(4608, LlamaCppComputeBuffer.SlidingMaskCells([(sliding, 4608), (full, 8192), (sliding, 4608)]));
        Assert.Equal(0, LlamaCppComputeBuffer.SlidingMaskCells([(sliding, 4608), (sliding, 4608)])); // one cache, one mask
        Assert.Equal(0, LlamaCppComputeBuffer.SlidingMaskCells([(full, 8192)]));

        // Gemma-2-9B-like (hidden 3584, 16 heads of 256, intermediate 14336) with flash attention: F16 masks of
        // (8,192 + 4,608) cells × 512 tokens × 2 B = 12.5 MiB beside the feed-forward step.
        var shape = Shape(3584, 256000, 42, full, new MlpShape(true, 14336, false));
        var p = LlamaCppComputeBuffer.Compute(shape, 8192, 16, UBatch, flashAttention: true, holdsOutput: false, slidingMaskCells: 4608);
        Assert.Equal(13_107_200L, p.Mask);
        Assert.Equal((3584L + 3 * 14336) * PerFloat + 13_107_200L, p.Peak);
    }
}
