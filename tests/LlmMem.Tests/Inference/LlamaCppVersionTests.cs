using System.Collections.Immutable;
using LlmMem.DataTypes;
using LlmMem.Formulas;
using LlmMem.Inference;
using LlmMem.Models;

namespace LlmMem.Tests.Inference;

/// <summary>
/// llama.cpp's build numbers and the allocation rules each build follows. The builds are the commit counts of the pull
/// requests' merge commits in ggml-org/llama.cpp (git rev-list --count), cited on each rule of <see cref="LlamaCppVersion"/>.
/// </summary>
public class LlamaCppVersionTests
{
    [Theory]
    [InlineData("b5622", 5622)]
    [InlineData("5622", 5622)]
    [InlineData("build 5622", 5622)]
    [InlineData("Build: 5622", 5622)]
    [InlineData("build = 3673 (8ebe8dde)", 3673)]
    [InlineData("version: 8816", 8816)]
    [InlineData(" B10221 ", 10221)]
    public void TryParse_BuildNumberForms_GiveTheBuild(string text, int build)
    {
        Assert.True(LlamaCppVersion.TryParse(text, out var version, out var error), error);
        Assert.Equal(build, version.Build);
        Assert.Equal($"b{build}", version.ToString());
    }

    [Theory]
    [InlineData("latest")]
    [InlineData("")]
    [InlineData("0.6.4")]
    [InlineData("b")]
    [InlineData("b0")]
    [InlineData("b12345678")]
    [InlineData("b5622x")]
    [InlineData("-5622")]
    public void TryParse_Garbage_NamesTheAcceptedForms(string text)
    {
        Assert.False(LlamaCppVersion.TryParse(text, out _, out var error));
        Assert.Equal($"Unknown llama.cpp version '{text}': give its build number as b5622, 5622 or \"build 5622\".", error);
    }

    /// <summary>The hints of data/groundtruth/llamacpp.jsonl that record a build, and some that do not.</summary>
    [Theory]
    [InlineData("build = 3673 (8ebe8dde), 2024-09", 3673)]
    [InlineData("version: 3617 (a07c32ea), 2024-08", 3617)]
    [InlineData("build: 5622 (97340b4c), 2025-06", 5622)]
    [InlineData("ollama runner, llama.cpp build=3871 commit=f37ceeaa (2024-11)", 3871)]
    [InlineData("LM Studio runtime 1.44.0 (~llama.cpp b6100-b6150, 2025-08; llama_kv_cache_unified_iswa)", 6100)]
    [InlineData("~2025-06 (llama_context + llama_kv_cache_unified prefixes, is_swa_any in print_info)", null)]
    [InlineData("ollama ~0.5.x, 2025-01-10 (llama_new_context_with_model n_seq_max/n_ctx_per_seq)", null)]
    [InlineData("", null)]
    public void FromNote_TakesTheRecordedBuild_OrNone(string hint, int? build)
    {
        Assert.Equal(build, LlamaCppVersion.FromNote(hint)?.Build);
    }

    /// <summary>Each padding era, on both sides of its pull request (PRs #6177, #5021, #7257, #16812, #17046).</summary>
    [Theory]
    [InlineData(2492, false, 1)]
    [InlineData(2493, false, 32)]
    [InlineData(2770, true, 32)]
    [InlineData(2771, false, 256)]
    [InlineData(2870, false, 256)]
    [InlineData(2871, false, 32)]
    [InlineData(2871, true, 256)]
    [InlineData(6867, false, 32)]
    [InlineData(6868, true, 1)]
    [InlineData(6974, true, 1)]
    [InlineData(6975, false, 256)]
    [InlineData(10221, true, 256)]
    public void Padding_FollowsTheBuild(int build, bool flash, long padding)
    {
        Assert.Equal(padding, new LlamaCppVersion(build).Padding(flash));
    }

    [Fact]
    public void Latest_IsTheBuildTheDifferentialTestsRun()
    {
        // LLamaSharp.Backend.Cpu 0.30.0's libggml-base.so carries GGML_COMMIT 815a2a591: commit 10,221 of llama.cpp.
        Assert.Equal(10221, LlamaCppVersion.Latest.Build);
        Assert.True(LlamaCppVersion.Latest is { SlidingWindowCache: true, SwaExtraIsUBatch: true, CachesMlaLatent: true, MlaCachesV: false });
    }

    private static readonly AttentionShape Sliding = new(AttentionKind.Sliding, 64, 8, 64, 64, SlidingWindow: 128);

    /// <summary>gpt-oss's sliding layers at n_ctx 131,072, n_ubatch 512, n_batch 2,048 with flash attention, across the builds.</summary>
    [Theory]
    [InlineData(5428, 131072)] // before PR #13194: every layer keeps the full context
    [InlineData(5429, 2304)] // PR #13194: pad(128 + n_batch 2,048, 256)
    [InlineData(5554, 768)] // PR #13833: pad(128 + n_ubatch 512, 256)
    [InlineData(6868, 640)] // PR #16812: not padded
    [InlineData(6975, 768)] // PR #17046: padded to 256 again
    public void Cells_SlidingWindowLayer_FollowTheBuild(int build, long cells)
    {
        Assert.Equal(cells, KvCacheFormulas.Cells(Sliding, 131072, 512, 1, flashAttention: true, swaFull: false, new LlamaCppVersion(build)));
    }

    private static readonly AttentionShape Full = new(AttentionKind.Full, 8, 8, 64, 64);

    /// <summary>
    /// n_ctx 5,000 over 3 sequences with flash attention, default kv_unified, across the builds: cells per stream × streams.
    /// </summary>
    [Theory]
    [InlineData(5912, 5120, 1)] // before PR #14363: one cache, padded to 256
    [InlineData(6070, 5120, 1)] // PR #14363 without LLAMA_SET_ROWS=1: llama.cpp forces a unified cache
    [InlineData(6071, 1792, 3)] // PR #14959: split by default, pad(⌈5,000 / 3⌉ = 1,667, 256) per stream
    [InlineData(6868, 1667, 3)] // PR #16812: not padded, ⌈5,000 / 3⌉
    [InlineData(6925, 1666, 3)] // PR #16736: ⌊5,000 / 3⌋
    [InlineData(6975, 1792, 3)] // PR #17046: pad(⌊pad(5,000, 256) / 3⌋ = 1,706, 256)
    public void Cells_SplitCache_FollowTheBuild(int build, long cells, int streams)
    {
        var version = new LlamaCppVersion(build);
        Assert.Equal(cells, KvCacheFormulas.Cells(Full, 5000, 512, 3, flashAttention: true, swaFull: false, version));
        Assert.Equal(streams, KvCacheFormulas.Streams(3, null, version));
    }

    [Fact]
    public void Cells_KvUnified_KeepsOneBufferForAllSequences()
    {
        Assert.Equal(5120, KvCacheFormulas.Cells(Full, 5000, 512, 3, flashAttention: true, swaFull: false, LlamaCppVersion.Latest, kvUnified: true));
        Assert.Equal(1, KvCacheFormulas.Streams(3, true, LlamaCppVersion.Latest));
        // A sliding-window layer keeps the windows of all sequences in a unified cache, one per stream when split:
        // pad(128 × 3 + 512, 256) = 1,024 against pad(128 + 512, 256) = 768 per stream.
        Assert.Equal(1024, KvCacheFormulas.Cells(Sliding, 8192, 512, 3, flashAttention: true, swaFull: false, LlamaCppVersion.Latest, kvUnified: true));
        Assert.Equal(768, KvCacheFormulas.Cells(Sliding, 8192, 512, 3, flashAttention: true, swaFull: false, LlamaCppVersion.Latest, kvUnified: false));
    }

    [Fact]
    public void Cells_MoreSequencesThanCells_IsRefusedAsLlamaCppDoes()
    {
        var e = Assert.Throws<LlmMem.Estimates.EstimateException>(() =>
            KvCacheFormulas.Cells(Full, 256, 512, 512, flashAttention: true, swaFull: false, LlamaCppVersion.Latest, kvUnified: false));
        Assert.Contains("n_ctx_seq == 0", e.Message);
    }

    /// <summary>DeepSeek-V3's attention (128 heads, K 192 = 128 + 64 rope, V 128, kv_lora_rank 512) per cached token and layer, f16.</summary>
    [Theory]
    [InlineData(5136, 128 * 192 * 2, 128 * 128 * 2)] // before PR #12801: per-head K and V, 80 KiB
    [InlineData(5137, 576 * 2, 512 * 2)] // PR #12801: the latent (512 + 64) as K, 512 as V
    [InlineData(7832, 576 * 2, 0)] // PR #19067: V is a view of K
    public void BytesPerCell_LatentAttention_FollowsTheBuild(int build, long k, long v)
    {
        var mla = new AttentionShape(AttentionKind.Latent, 128, 128, 192, 128, Latent: new LatentAttentionShape(1536, 512, 128, 64, 128));
        Assert.Equal((k, v), KvCacheFormulas.BytesPerCell(mla, DataType.Fp16, DataType.Fp16, new LlamaCppVersion(build)));
    }

    [Fact]
    public void BytesPerCell_LatentAttentionFromALegacyGguf_IsPerHeadInEveryBuild()
    {
        // gt014: DeepSeek-V2-Lite from a GGUF without key_length_mla, late-2025 llama.cpp: K 648 MiB, V 432 MiB for 27 layers ×
        // 4,096 cells, i.e. 16 heads × 192 × 2 B K and 16 × 128 × 2 B V per cell.
        var lite = new AttentionShape(AttentionKind.Latent, 16, 16, 192, 128, Latent: new LatentAttentionShape(null, 512, 128, 64, 128, LegacyGguf: true));
        Assert.Equal((16L * 192 * 2, 16L * 128 * 2), KvCacheFormulas.BytesPerCell(lite, DataType.Fp16, DataType.Fp16, LlamaCppVersion.Latest));
        var layers = Enumerable.Repeat(new LayerShape(lite, new MlpShape(true, 1, false), 2), 27).ToImmutableArray();
        var shape = new ModelShape("deepseek_v2", 2048, 102_400, 0, false, NormShape.RmsNorm, new EmbeddingShape(), layers, 1, [], DataType.Fp16);
        var kv = KvCacheFormulas.LlamaCpp(shape, 4096, 512, 1, DataType.Fp16, DataType.Fp16, flashAttention: true, swaFull: false, LlamaCppVersion.Latest);
        Assert.Equal(1080L << 20, kv.Bytes.Bytes);
    }

    [Fact]
    public void Estimate_ShowsTheVersionInItsSettingsAndTheKvRule()
    {
        var layer = new LayerShape(new AttentionShape(AttentionKind.Full, 8, 8, 64, 64), new MlpShape(true, 1, false), 2);
        var shape = new ModelShape("llama", 512, 4096, 1536, false, NormShape.RmsNorm, new EmbeddingShape(), ImmutableArray.Create(layer, layer), 1, [], DataType.Fp16);
        var model = new ModelSpec("tiny", LlmMem.Units.ParameterCount.Of(10_000_000)) { Shape = shape, Breakdown = ParameterFormulas.Count(shape) };

        var latest = InferenceEstimator.Estimate(new InferenceRequest(model, InferenceEngine.LlamaCpp, ContextTokens: 3000,
            LlamaCpp: new LlamaCppSettings(FlashAttention: false)));
        var old = InferenceEstimator.Estimate(new InferenceRequest(model, InferenceEngine.LlamaCpp, ContextTokens: 3000,
            LlamaCpp: new LlamaCppSettings(FlashAttention: false, Version: LlamaCppVersion.Parse("b5622"))));

        Assert.Contains(latest.Workload.Settings, s => s is { Name: "engine_version", Value: "b10221", IsDefault: true });
        Assert.Contains(old.Workload.Settings, s => s is { Name: "engine_version", Value: "b5622", IsDefault: false });
        var kv = latest.Devices[0].Find(LlmMem.Estimates.TermId.KvCache)!;
        var oldKv = old.Devices[0].Find(LlmMem.Estimates.TermId.KvCache)!;

        // 2 layers × 8 heads × 64 × 2 B × (K + V) = 4 KiB per cell: 3,072 cells (b10221, padded to 256) vs 3,008 (b5622, 32 without flash attention).
        Assert.Equal(3072L * 4096, kv.Bytes.Bytes);
        Assert.Equal(3008L * 4096, oldKv.Bytes.Bytes);
        Assert.Contains("b10221: cells padded to 256", kv.Formula);
        Assert.Contains("b5622: cells padded to 32", oldKv.Formula);
    }
}
