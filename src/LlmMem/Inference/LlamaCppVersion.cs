using System.Globalization;
using System.Text.RegularExpressions;

namespace LlmMem.Inference;

/// <summary>
/// Which llama.cpp build's allocation rules apply. llama.cpp numbers its builds by commit count (tag bNNNN, the log's
/// "build = NNNN (hash)"); each rule below names the pull request that changed it and the build it landed in
/// (git rev-list --count of the merge commit in ggml-org/llama.cpp).
/// </summary>
/// <remarks>
/// Not modelled: the logits buffer before PR #6122 (b2540), which held a row per batch token in host memory; the
/// CPU_REPACK rules of ARM (NEON dot product / i8mm: also Q8_0, Q5_K, Q6_K), AVX-512 (Q2_K) and RISC-V CPUs.
/// </remarks>
/// <param name="Build">The build number (commit count).</param>
public sealed partial record LlamaCppVersion(int Build)
{
    /// <summary>
    /// The newest build whose rules llmem models and checks, the default: b10221 (815a2a591, 2026-08), the llama.cpp
    /// of LLamaSharp.Backend.Cpu 0.30.0 that tests/LlmMem.LlamaCpp.Tests run.
    /// </summary>
    public static LlamaCppVersion Latest { get; } = new(10221);

    /// <summary>PR #6177 (b2493, "metal : pad n_ctx by 32"): the context is padded to 32 cells; before, it was used as given.</summary>
    public const int PadsContextBuild = 2493;

    /// <summary>PR #5021 (b2771, flash attention): the context is padded to 256 cells.</summary>
    public const int FlashAttentionPaddingBuild = 2771;

    /// <summary>PR #7257 (b2871, "less KV padding when FA is off"): 256 with flash attention, 32 without (get_padding).</summary>
    public const int LessPaddingWithoutFlashBuild = 2871;

    /// <summary>PR #16812 (b6868, "memory : remove KV cache size padding"): the cache is as large as the context asks.</summary>
    public const int UnpaddedCacheBuild = 6868;

    /// <summary>PR #17046 (b6975, "kv-cache : pad the cache size to 256 for performance"): 256, flash attention or not.</summary>
    public const int Pad256Build = 6975;

    /// <summary>PR #13194 (b5429, "kv-cache : add SWA support"): sliding-window layers get their own, smaller cache.</summary>
    public const int SlidingWindowCacheBuild = 5429;

    /// <summary>PR #13833 (b5554, "use n_swa + n_ubatch cells for SWA cache"): the window's extra cells are n_ubatch, not n_batch.</summary>
    public const int SwaUBatchBuild = 5554;

    /// <summary>PR #12801 (b5137, "DeepSeek V2/V3 MLA implementation"): the compressed latent is cached (GGUFs converted with it).</summary>
    public const int MlaLatentBuild = 5137;

    /// <summary>PR #19067 (b7832, "kv-cache : support V-less cache"): latent attention stores K only; V is a view of K.</summary>
    public const int MlaWithoutVBuild = 7832;

    /// <summary>
    /// PR #14363 (b5913, "llama : add high-throughput mode"): <c>kv_unified</c> — false splits the cache into one stream
    /// per sequence, each of n_ctx / n_seq_max cells padded on its own (src/llama-kv-cache.cpp n_stream; src/llama-model.cpp
    /// n_ctx_per_stream). Before, one cache shared by all sequences.
    /// </summary>
    public const int KvStreamsBuild = 5913;

    /// <summary>
    /// PR #14959 (b6071, "llama : enable LLAMA_SET_ROWS=1 by default"): split streams take effect by default. In
    /// b5913–b6070 src/llama-context.cpp forced a unified cache unless the environment set LLAMA_SET_ROWS=1.
    /// </summary>
    public const int SplitKvDefaultBuild = 6071;

    /// <summary>
    /// PR #16736 (b6925, "server : support unified cache across slots"): llama-server started without -np runs 4 slots
    /// in one unified cache (auto -np from PR #17997, b7433); n_ctx_seq = n_ctx / n_seq_max rounded down, no longer up
    /// (src/llama-context.cpp cparams.n_ctx_seq).
    /// </summary>
    public const int ServerUnifiedBuild = 6925;

    /// <summary>PR #14990 (b6049, "add --no-repack option"): <c>-nr</c> keeps weights out of the CPU's repacked buffer.</summary>
    public const int NoRepackOptionBuild = 6049;

    /// <summary>PR #14158 (b5776, "ggml : implement REGLU/GEGLU/SWIGLU ops"): build_ffn and build_moe_ffn use GLU ops.</summary>
    public const int GluOpsBuild = 5776;

    /// <summary>
    /// Whether the cache is one buffer for all sequences when the user does not say (-kvu / -no-kvu): before b6071
    /// (<see cref="SplitKvDefaultBuild"/>) it was; from b6071 llama-cli, llama-server given -np N and llama.h's defaults split
    /// it (common/common.h kv_unified = false). Only llama-server started without -np unifies it (b6925 on), with 4 slots
    /// (tools/server/server.cpp); LLamaSharp 0.30.0's ModelParams.KVUnified defaults to true.
    /// </summary>
    public bool DefaultKvUnified => Build < SplitKvDefaultBuild;

    /// <summary>The cache can be split into per-sequence streams at all (b5913 on).</summary>
    public bool HasKvStreams => Build >= KvStreamsBuild;

    /// <summary>
    /// How a split cache sizes each stream: pad(⌈n_ctx / n_seq⌉) by the build's padding before b6925; ⌊n_ctx / n_seq⌋ in
    /// b6925–b6974; pad(⌊pad(n_ctx, 256) / n_seq⌋, 256) from b6975 (PR #17046).
    /// </summary>
    public bool StreamCellsRoundDown => Build >= ServerUnifiedBuild;

    /// <summary>
    /// Cells the cache size (the context, and since b5429 a sliding-window cache) is rounded up to: 1 before b2493;
    /// 32 from b2493; 256 from b2771; 256 with flash attention and 32 without from b2871; 1 (no padding) from b6868;
    /// 256 from b6975 (src/llama-context.cpp, src/llama-kv-cache-iswa.cpp).
    /// </summary>
    public long Padding(bool flashAttention) => Build switch
    {
        < PadsContextBuild => 1,
        < FlashAttentionPaddingBuild => 32,
        < LessPaddingWithoutFlashBuild => 256,
        < UnpaddedCacheBuild => flashAttention ? 256 : 32,
        < Pad256Build => 1,
        _ => 256,
    };

    /// <summary>Sliding-window layers keep min(n_ctx, window × n_seq + extra) cells; before b5429 a full-size cache.</summary>
    public bool SlidingWindowCache => Build >= SlidingWindowCacheBuild;

    /// <summary>The extra cells of a sliding-window cache are the micro-batch (b5554 on) or the logical batch (b5429–b5553).</summary>
    public bool SwaExtraIsUBatch => Build >= SwaUBatchBuild;

    /// <summary>DeepSeek's latent attention caches kv_lora_rank + rope dim per token; before b5137, full per-head K and V.</summary>
    public bool CachesMlaLatent => Build >= MlaLatentBuild;

    /// <summary>The latent cache has no separate V (b7832 on); b5137–b7831 stored V = kv_lora_rank beside K.</summary>
    public bool MlaCachesV => Build < MlaWithoutVBuild;

    /// <summary>
    /// The gated feed-forward's activation product is a new tensor (b5776 on: ggml_swiglu_split/geglu_split, GLU ops that
    /// ggml-alloc cannot run in place); before, silu/gelu and the multiply by up ran in place on the gate's output.
    /// </summary>
    public bool FfnProductIsNewTensor => Build >= GluOpsBuild;

    public override string ToString() => $"b{Build.ToString(CultureInfo.InvariantCulture)}";

    /// <summary>"b5622", "5622", "build 5622", "build = 5622 (97340b4c)", "version: 5622" → build 5622.</summary>
    public static LlamaCppVersion Parse(string text) =>
        TryParse(text, out var version, out var error) ? version : throw new FormatException(error);

    public static bool TryParse(string? text, out LlamaCppVersion version, out string error)
    {
        version = null!;
        var match = UserText().Match((text ?? "").Trim());
        if (!match.Success || !int.TryParse(match.Groups["n"].Value, NumberStyles.None, CultureInfo.InvariantCulture, out var build) || build < 1)
        {
            error = $"Unknown llama.cpp version '{text}': give its build number as b5622, 5622 or \"build 5622\".";
            return false;
        }

        version = new LlamaCppVersion(build);
        error = "";
        return true;
    }

    /// <summary>
    /// The build a free-text note records, if it records one: "build = 3673 (8ebe8dde)", "build: 5622", "version: 8816",
    /// "build=3871", "llama.cpp b6100-b6150" (a range: its lower bound). Null when the text names no build.
    /// </summary>
    public static LlamaCppVersion? FromNote(string? note)
    {
        var match = NoteText().Match(note ?? "");
        return match.Success && int.TryParse(match.Groups["n"].Value, NumberStyles.None, CultureInfo.InvariantCulture, out var build) && build > 0
            ? new LlamaCppVersion(build)
            : null;
    }

    [GeneratedRegex(@"^(?:b|build\s*[:=]?\s*|version\s*[:=]?\s*)?(?<n>\d{1,6})(?:\s*\([0-9a-f]{6,40}\))?$", RegexOptions.IgnoreCase)]
    private static partial Regex UserText();

    [GeneratedRegex(@"(?:\b(?:build|version)\s*[:=]?\s*|\bb)(?<n>\d{3,6})\b", RegexOptions.IgnoreCase)]
    private static partial Regex NoteText();
}
