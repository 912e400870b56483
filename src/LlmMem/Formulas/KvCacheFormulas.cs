using System.Collections.Immutable;
using LlmMem.DataTypes;
using LlmMem.Estimates;
using LlmMem.Inference;
using LlmMem.Models;
using LlmMem.Units;

namespace LlmMem.Formulas;

/// <summary>The KV cache as llama.cpp allocates it.</summary>
public static class KvCacheFormulas
{
    /// <summary>
    /// The logical batch llama.cpp's tools default to (common/common.h n_batch = 2048): the extra cells of a
    /// sliding-window cache in builds b5429–b5553, which counted n_batch rather than n_ubatch (-b is not modelled).
    /// </summary>
    public const long DefaultLogicalBatch = 2048;

    /// <summary>
    /// Cells a layer keeps: the context padded by the build's rule (<see cref="LlamaCppVersion.Padding"/>); for a
    /// sliding-window layer, from b5429, pad(min(n_ctx, n_swa × n_seq + n_ubatch)) unless --swa-full
    /// (src/llama-kv-cache-iswa.cpp; n_batch instead of n_ubatch before b5554; full size before b5429).
    /// Example: gpt-oss, n_swa 128, n_ubatch 2048, b10221: pad(2,176, 256) = 2,304 cells.
    /// </summary>
    public static long Cells(AttentionShape attention, long context, long ubatch, int sequences, bool flashAttention, bool swaFull, LlamaCppVersion version)
    {
        var pad = version.Padding(flashAttention);
        var full = Pad(context, pad);
        if (attention.Kind != AttentionKind.Sliding || swaFull || !version.SlidingWindowCache || attention.SlidingWindow is not { } window)
        {
            return full;
        }

        var extra = version.SwaExtraIsUBatch ? ubatch : Math.Max(ubatch, Math.Min(context, DefaultLogicalBatch));
        return Pad(Math.Min(full, checked(window * sequences + extra)), pad);
    }

    /// <summary>
    /// Bytes of K and V per cell of one layer: n_head_kv × head_dim elements of the K type, and of the V type, each a
    /// row of whole ggml blocks (src/llama-kv-cache.cpp: n_embd_k_gqa, n_embd_v_gqa). Latent attention, from b5137
    /// (PR #12801), caches the compressed latent once: K = kv_lora_rank + rope dim, V = kv_lora_rank, and from b7832
    /// (PR #19067) no V at all; before b5137, or from a GGUF converted before it, per-head K and V like any other attention.
    /// Example: Llama-3-8B layer, f16: 8 × 128 × 2 B × 2 = 4 KiB per cell.
    /// </summary>
    public static (long K, long V) BytesPerCell(AttentionShape attention, DataType k, DataType v, LlamaCppVersion version)
    {
        var (kElements, vElements) = attention.Latent is { LegacyGguf: false } m && version.CachesMlaLatent
            ? ((long)m.KvRank + m.RopeHeadDim, version.MlaCachesV ? m.KvRank : 0L)
            : ((long)attention.KvHeads * attention.HeadDim, (long)attention.KvHeads * attention.ValueHeadDim);
        return (k.SizeOf(kElements).Bytes, vElements == 0 ? 0 : v.SizeOf(vElements).Bytes);
    }

    /// <summary>The whole cache, or the layers <paramref name="includeLayer"/> keeps: Σ over layers of cells × (K + V bytes per cell).</summary>
    public static Term LlamaCpp(ModelShape shape, long context, long ubatch, int sequences, DataType k, DataType v, bool flashAttention, bool swaFull,
        LlamaCppVersion version, Func<int, bool>? includeLayer = null)
    {
        var groups = shape.Layers
            .Where((_, i) => includeLayer?.Invoke(i) ?? true)
            .Select(l => (Cells: Cells(l.Attention, context, ubatch, sequences, flashAttention, swaFull, version), PerCell: BytesPerCell(l.Attention, k, v, version)))
            .GroupBy(x => x)
            .Select(g => (g.Key.Cells, g.Key.PerCell.K, g.Key.PerCell.V, Layers: g.Count()))
            .ToImmutableArray();
        var bytes = groups.Aggregate(ByteSize.Zero, (sum, g) => sum + ByteSize.FromBytes(checked(g.Layers * g.Cells * (g.K + g.V))));
        return new Term(TermId.KvCache, $"KV cache (K {k.Name}, V {v.Name})", bytes,
            "llama.cpp src/llama-kv-cache.cpp: K and V per layer; src/llama-kv-cache-iswa.cpp: sliding-window cells; the rules of the build (LlamaCppVersion)",
            () => groups.Length == 0 ? "no layers here" : string.Join(" + ", groups.Select(g =>
                $"{g.Layers} layers × {FormulaText.Count(g.Cells)} cells × ({FormulaText.Count(g.K)} B K + {FormulaText.Count(g.V)} B V)"))
                + $"; {Rules(shape, flashAttention, swaFull, version)}");
    }

    /// <summary>The build's rules that shaped the numbers above, for --explain.</summary>
    private static string Rules(ModelShape shape, bool flashAttention, bool swaFull, LlamaCppVersion version)
    {
        var pad = version.Padding(flashAttention);
        var rules = new List<string> { pad == 1 ? $"{version}: cells not padded" : $"{version}: cells padded to {pad}" };
        if (!swaFull && shape.Layers.Any(l => l.Attention.Kind == AttentionKind.Sliding))
        {
            rules.Add(!version.SlidingWindowCache ? "sliding-window layers full size (before b5429)"
                : version.SwaExtraIsUBatch ? "sliding-window layers n_swa × n_seq + n_ubatch"
                : $"sliding-window layers n_swa × n_seq + n_batch ({DefaultLogicalBatch}, b5429–b5553)");
        }

        if (shape.Layers.Any(l => l.Attention.Latent is { LegacyGguf: false }))
        {
            rules.Add(!version.CachesMlaLatent ? "latent attention cached per head (before b5137)"
                : version.MlaCachesV ? "latent cached as K and V (b5137–b7831)"
                : "latent cached as K only (b7832 on)");
        }

        if (shape.Layers.Any(l => l.Attention.Latent is { LegacyGguf: true }))
        {
            rules.Add("latent attention cached per head (a GGUF without key_length_mla)");
        }

        return string.Join(", ", rules);
    }

    private static long Pad(long value, long to) => checked((value + to - 1) / to * to);
}
