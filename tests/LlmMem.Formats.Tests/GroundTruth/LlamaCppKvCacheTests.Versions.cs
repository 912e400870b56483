using LlmMem.Formats.Validation;
using LlmMem.Formulas;
using LlmMem.Inference;

namespace LlmMem.Formats.Tests.GroundTruth;

/// <summary>
/// Each versioned rule of <see cref="LlamaCppVersion"/> held to a real log whose build lies on one side of the change:
/// the log equals the rule of its side and not the other side's.
/// </summary>
public partial class LlamaCppKvCacheTests
{
    private static double KvMiB(string id, LlamaCppVersion version)
    {
        var c = new LlamaCppCase(Cases.Value[id]);
        var term = KvCacheFormulas.LlamaCpp(LlamaCppValidator.ShapeFromMeta(c), c.ContextLong("n_ctx")!.Value, c.ContextLong("n_ubatch")!.Value,
            (int)(c.ContextLong("n_seq_max") ?? 1), c.CacheType("type_k")!, c.CacheType("type_v")!, c.FlashAttention, c.SwaFull, version);
        return term.Bytes.Bytes / 1048576.0;
    }

    private static double Logged(string id) => LoggedKv(Cases.Value[id].GetProperty("raw_log").GetString()!).MiB;

    [Fact]
    public void SlidingWindowCache_Gt035_WithoutIt_EveryLayerKeepsTheContext()
    {
        // ik_llama.cpp forked from mainline before PR #13194 (b5429) and has no sliding-window cache: Gemma-3-27B keeps
        // 62 × 131,072 cells × 16 × 128 × 2 × 2 B = 63,488 MiB, the rule of b5428. The 52 sliding layers keep
        // pad(1,024 + 2,048) = 3,072 cells in b5429–b5553 and pad(1,024 + 512) = 1,536 from b5554.
        Assert.Equal(63_488.0, Logged("gt035"));
        Assert.Equal(63_488.0, KvMiB("gt035", new LlamaCppVersion(5428)));
        Assert.Equal(11_488.0, KvMiB("gt035", new LlamaCppVersion(5429)));
        Assert.Equal(10_864.0, KvMiB("gt035", new LlamaCppVersion(5554)));
    }

    [Fact]
    public void SlidingWindowExtra_Gt022_IsTheMicroBatch()
    {
        // gpt-oss-20b, ~2025-08 (llama_kv_cache_unified_iswa), n_ubatch 512, n_batch 2,048: 768 sliding cells = pad(128 + 512, 256),
        // PR #13833's rule (b5554 on); b5429–b5553 counted n_batch: pad(128 + 2,048, 256) = 2,304 cells, 36 MiB more.
        Assert.Equal(3_090.0, Logged("gt022"));
        Assert.Equal(3_090.0, KvMiB("gt022", new LlamaCppVersion(5554)));
        Assert.Equal(3_126.0, KvMiB("gt022", new LlamaCppVersion(5553)));
    }

    [Fact]
    public void SlidingWindowPadding_Gt020_Is256()
    {
        // gpt-oss-20b, ~2025-12, n_ubatch 2,048: 2,304 sliding cells = pad(2,176, 256), padded as from PR #17046 (b6975);
        // b6868–b6974 did not pad (PR #16812): 2,176 cells, 3 MiB less.
        Assert.Equal(3_126.0, Logged("gt020"));
        Assert.Equal(3_126.0, KvMiB("gt020", LlamaCppVersion.Latest));
        Assert.Equal(3_123.0, KvMiB("gt020", new LlamaCppVersion(6900)));
    }

    [Fact]
    public void FullSizeSlidingCache_Gt041_FollowsTheRecordedSwaFull()
    {
        // LM Studio (llama.cpp b6100–b6150) keeps llama.h's default swa_full = true: 36 layers × 4,096 cells × 2 KiB = 288 MiB.
        var c = new LlamaCppCase(Cases.Value["gt041"]);
        Assert.True(c.SwaFull);
        Assert.Equal(6100, LlamaCppVersion.FromNote(c.VersionHint)!.Build);
        Assert.Equal(288.0, Logged("gt041"));
        Assert.Equal(288.0, KvMiB("gt041", new LlamaCppVersion(6100)));
    }
    /// <summary>Every case whose log prints the cells of one stream ("n_ctx_seq = N", b6925 on) and whether it split the cache.</summary>
    public static TheoryData<string> CasesPrintingNCtxSeq => [.. Cases.Value
        .Where(c => (c.Value.GetProperty("raw_log").GetString() ?? "").Contains("n_ctx_seq     =", StringComparison.Ordinal))
        .Select(c => c.Key)];

    [Theory]
    [MemberData(nameof(CasesPrintingNCtxSeq))]
    public void CellsPerStream_EqualTheLoggedNCtxSeq(string id)
    {
        // gt017 is llama-server's 4 slots in one unified cache (b6925 on): n_ctx_seq = n_ctx = 8,192; a split cache would
        // print 2,048. The others run one sequence.
        var c = new LlamaCppCase(Cases.Value[id]);
        var logged = long.Parse(System.Text.RegularExpressions.Regex.Match(c.Log, @"n_ctx_seq\s*=\s*(\d+)").Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
        Assert.NotNull(c.KvUnified);
        Assert.Equal(logged, KvCacheFormulas.ContextCellsPerStream(c.ContextLong("n_ctx")!.Value, (int)(c.ContextLong("n_seq_max") ?? 1), c.FlashAttention,
            c.KvUnified, LlamaCppVersion.Latest));
    }
}
