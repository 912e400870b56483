using System.Collections.Immutable;
using LlmMem.DataTypes;
using LlmMem.Estimates;
using LlmMem.Models;
using LlmMem.Units;

namespace LlmMem.Formulas;

/// <summary>The KV cache as llama.cpp allocates it.</summary>
public static class KvCacheFormulas
{
    /// <summary>
    /// llama.cpp pads the context (and the sliding-window cell count) to 256 cells with flash attention and 32 without
    /// (src/llama-kv-cache.cpp get_padding, 2024–2025 builds).
    /// </summary>
    public static long Padding(bool flashAttention) => flashAttention ? 256 : 32;

    /// <summary>
    /// Cells a layer keeps: the padded context for full attention; for a sliding-window layer
    /// min(n_ctx, pad(n_swa × n_seq + n_ubatch)) unless --swa-full (src/llama-kv-cache-iswa.cpp).
    /// Example: gpt-oss, n_swa 128, n_ubatch 2048, flash attention: pad(2,176, 256) = 2,304 cells.
    /// </summary>
    public static long Cells(AttentionShape attention, long context, long ubatch, int sequences, bool flashAttention, bool swaFull)
    {
        var pad = Padding(flashAttention);
        var full = Pad(context, pad);
        if (attention.Kind != AttentionKind.Sliding || swaFull || attention.SlidingWindow is not { } window)
        {
            return full;
        }

        return Math.Min(full, Pad(checked(window * sequences + ubatch), pad));
    }

    /// <summary>
    /// Bytes of K and V per cell of one layer: n_head_kv × head_dim elements of the K type, and of the V type, each a
    /// row of whole ggml blocks (src/llama-kv-cache.cpp: n_embd_k_gqa, n_embd_v_gqa). Latent attention caches the
    /// compressed latent once: K = kv_lora_rank + rope dim, V = kv_lora_rank (llama.cpp's MLA path, 2025 builds).
    /// Example: Llama-3-8B layer, f16: 8 × 128 × 2 B × 2 = 4 KiB per cell.
    /// </summary>
    public static (long K, long V) BytesPerCell(AttentionShape attention, DataType k, DataType v)
    {
        var (kElements, vElements) = attention.Latent is { } m
            ? ((long)m.KvRank + m.RopeHeadDim, (long)m.KvRank)
            : ((long)attention.KvHeads * attention.HeadDim, (long)attention.KvHeads * attention.ValueHeadDim);
        return (k.SizeOf(kElements).Bytes, v.SizeOf(vElements).Bytes);
    }

    /// <summary>The whole cache, or the layers <paramref name="includeLayer"/> keeps: Σ over layers of cells × (K + V bytes per cell).</summary>
    public static Term LlamaCpp(ModelShape shape, long context, long ubatch, int sequences, DataType k, DataType v, bool flashAttention, bool swaFull,
        Func<int, bool>? includeLayer = null)
    {
        var groups = shape.Layers
            .Where((_, i) => includeLayer?.Invoke(i) ?? true)
            .Select(l => (Cells: Cells(l.Attention, context, ubatch, sequences, flashAttention, swaFull), PerCell: BytesPerCell(l.Attention, k, v)))
            .GroupBy(x => x)
            .Select(g => (g.Key.Cells, g.Key.PerCell.K, g.Key.PerCell.V, Layers: g.Count()))
            .ToImmutableArray();
        var bytes = groups.Aggregate(ByteSize.Zero, (sum, g) => sum + ByteSize.FromBytes(checked(g.Layers * g.Cells * (g.K + g.V))));
        return new Term(TermId.KvCache, $"KV cache (K {k.Name}, V {v.Name})", bytes,
            "llama.cpp src/llama-kv-cache.cpp: K and V per layer; src/llama-kv-cache-iswa.cpp: sliding-window cells",
            () => groups.Length == 0 ? "no layers here" : string.Join(" + ", groups.Select(g =>
                $"{g.Layers} layers × {FormulaText.Count(g.Cells)} cells × ({FormulaText.Count(g.K)} B K + {FormulaText.Count(g.V)} B V)")));
    }

    private static long Pad(long value, long to) => checked((value + to - 1) / to * to);
}
