using System.Collections.Immutable;
using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using LlmMem.DataTypes;
using LlmMem.Formulas;
using LlmMem.Inference;
using LlmMem.Models;

namespace LlmMem.Formats.Tests.GroundTruth;

/// <summary>
/// The KV cache llama.cpp allocated in every real log of data/groundtruth/llamacpp.jsonl that records its geometry,
/// rebuilt from the case's own `meta` (layers, KV heads, head dims, sliding window) and `context` (n_ctx, n_ubatch,
/// flash attention, cache types, sequences, full-size sliding-window cache), under the rules of the build the case
/// records (its version hint), else the newest. llama.cpp prints MiB with two decimals: "exact" means within 0.005 MiB
/// per printed line.
/// </summary>
/// <remarks>
/// Not compared: gt010 (no KV line: the context failed), gt037 (hybrid recurrent model), gt035 (ik_llama.cpp fork
/// without sliding-window caches).
/// </remarks>
public partial class LlamaCppKvCacheTests
{
    private static readonly Lazy<Dictionary<string, JsonElement>> Cases = new(() =>
        File.ReadLines(Path.Combine(AppContext.BaseDirectory, "groundtruth", "llamacpp.jsonl"))
            .Select(l => JsonDocument.Parse(l).RootElement)
            .ToDictionary(e => e.GetProperty("id").GetString()!));

    [Theory]
    [InlineData("gt001")]
    [InlineData("gt002")]
    [InlineData("gt004")]
    [InlineData("gt007")]
    [InlineData("gt008")]
    [InlineData("gt011")]
    [InlineData("gt013")]
    [InlineData("gt014")] // DeepSeek-V2-Lite from a GGUF without MLA tensors: full per-head K (192) and V (128)
    [InlineData("gt016")] // ik_llama.cpp fork; K/V layout as mainline's per-head cache
    [InlineData("gt017")] // Gemma 2: alternate layers slide; 4 sequences make the window cover the whole context
    [InlineData("gt019")]
    [InlineData("gt020")] // gpt-oss: 12 full layers × 131,072 cells + 12 sliding layers × 2,304 cells
    [InlineData("gt022")] // gpt-oss with n_ubatch 512: 768 sliding cells
    [InlineData("gt023")]
    [InlineData("gt025")]
    [InlineData("gt026")]
    [InlineData("gt028")]
    [InlineData("gt029")]
    [InlineData("gt031")]
    [InlineData("gt032")] // q8_0 K and V
    [InlineData("gt034")]
    [InlineData("gt038")]
    [InlineData("gt040")]
    [InlineData("gt041")] // LM Studio keeps llama.h's default swa_full: sliding layers get 4,096 cells, not pad(128 + 512)
    [InlineData("gt043")] // q8_0 K and V, 5,120 cells
    [InlineData("gt044")]
    public void KvCache_MatchesLlamaCppsLog(string id)
    {
        var c = Cases.Value[id];
        var meta = c.GetProperty("meta");
        var context = c.GetProperty("context");
        var (measured, lines) = LoggedKv(c.GetProperty("raw_log").GetString()!);

        var term = KvCacheFormulas.LlamaCpp(
            Shape(meta),
            context.GetProperty("n_ctx").GetInt64(),
            context.GetProperty("n_ubatch").GetInt64(),
            context.TryGetProperty("n_seq_max", out var seq) && seq.ValueKind == JsonValueKind.Number ? seq.GetInt32() : 1,
            CacheType(context.GetProperty("type_k").GetString()!),
            CacheType(context.GetProperty("type_v").GetString()!),
            FlashAttention(context.GetProperty("flash_attn")),
            swaFull: context.TryGetProperty("swa_full", out var full) && full.ValueKind == JsonValueKind.True,
            Version(c));

        var estimatedMiB = term.Bytes.Bytes / 1048576.0;
        Assert.True(Math.Abs(estimatedMiB - measured) <= 0.005 * lines, $"{id}: estimated {estimatedMiB:F3} MiB, llama.cpp {measured:F2} MiB ({term.Formula})");
    }

    /// <summary>Layers from the case's meta; sliding windows where the architecture has them (llama.cpp src/llama-model.cpp hparams).</summary>
    private static ModelShape Shape(JsonElement meta)
    {
        var arch = meta.GetProperty("arch").GetString()!;
        var layers = meta.GetProperty("n_layer").GetInt32();
        var kvHeads = meta.GetProperty("n_head_kv").GetInt32();
        var dk = meta.GetProperty("n_embd_head_k").GetInt32();
        var dv = meta.GetProperty("n_embd_head_v").GetInt32();
        long? swa = meta.TryGetProperty("n_swa", out var w) && w.ValueKind == JsonValueKind.Number && w.GetInt64() > 0 ? w.GetInt64() : null;
        var built = ImmutableArray.CreateBuilder<LayerShape>(layers);
        for (var i = 0; i < layers; i++)
        {
            // gemma2 and gpt-oss alternate sliding and full layers, sliding first; phi3's window covers every layer.
            var slides = swa is not null && arch switch { "gemma2" or "gpt-oss" => i % 2 == 0, "phi3" => true, _ => false };
            var attention = new AttentionShape(slides ? AttentionKind.Sliding : AttentionKind.Full, kvHeads, kvHeads, dk, dv, slides ? swa : null);
            built.Add(new LayerShape(attention, new MlpShape(true, 1, false), 2));
        }

        return new ModelShape(arch, 1, 1, 0, false, NormShape.RmsNorm, new EmbeddingShape(), built.MoveToImmutable(), 1, [], DataType.Fp16);
    }

    /// <summary>The build a mainline case's version hint records, else the newest (forks count their own builds).</summary>
    private static LlamaCppVersion Version(JsonElement c)
    {
        var hint = c.TryGetProperty("llama_cpp_version_hint", out var h) ? h.GetString() ?? "" : "";
        return hint.Contains("ik_llama", StringComparison.Ordinal) || hint.Contains("fork", StringComparison.Ordinal)
            ? LlamaCppVersion.Latest
            : LlamaCppVersion.FromNote(hint) ?? LlamaCppVersion.Latest;
    }

    /// <summary>The sum of every "size = X MiB" / "KV self size = X MiB" line, and how many there were.</summary>
    private static (double MiB, int Lines) LoggedKv(string log)
    {
        var sizes = KvLine().Matches(log).Select(m => double.Parse(m.Groups["n"].Value, CultureInfo.InvariantCulture)).ToList();
        Assert.NotEmpty(sizes);
        return (sizes.Sum(), sizes.Count);
    }

    private static DataType CacheType(string name) => Assert.Single(LlamaCppSettingsTypes, t => t.Matches(name));

    private static IReadOnlyList<DataType> LlamaCppSettingsTypes => Inference.LlamaCppSettings.CacheTypes;

    private static bool FlashAttention(JsonElement value) =>
        value.ValueKind == JsonValueKind.True || (value.ValueKind == JsonValueKind.String && value.GetString()!.Contains("enabled", StringComparison.Ordinal));

    [GeneratedRegex(@"(?:KV self size|llama_kv_cache(?:_unified)?: size)\s*=\s*(?<n>[0-9.]+) MiB")]
    private static partial Regex KvLine();
}
