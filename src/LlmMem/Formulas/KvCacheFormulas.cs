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
    /// Whether the cache is one buffer for all sequences: always before b5913 (PR #14363) and with one sequence; else
    /// as the user says (<c>-kvu</c> / <c>-no-kvu</c>), or the build's default (<see cref="LlamaCppVersion.DefaultKvUnified"/>).
    /// </summary>
    public static bool Unified(int sequences, bool? kvUnified, LlamaCppVersion version) =>
        sequences <= 1 || !version.HasKvStreams || (kvUnified ?? version.DefaultKvUnified);

    /// <summary>Streams the cache is split into: n_seq_max when split, else 1 (src/llama-kv-cache.cpp n_stream).</summary>
    public static int Streams(int sequences, bool? kvUnified, LlamaCppVersion version) =>
        Unified(sequences, kvUnified, version) ? 1 : sequences;

    /// <summary>
    /// Cells of a full-attention layer in one stream (n_ctx_seq): the context padded by the build's rule
    /// (<see cref="LlamaCppVersion.Padding"/>) when unified; split into n_seq streams, each stream's share —
    /// pad(⌈n_ctx / n_seq⌉) before b6925, ⌊n_ctx / n_seq⌋ in b6925–b6974 (PR #16736), pad(⌊pad(n_ctx, 256) / n_seq⌋, 256)
    /// from b6975 (PR #17046) (src/llama-context.cpp cparams.n_ctx_seq; src/llama-model.cpp n_ctx_per_stream before b6925).
    /// Example: n_ctx 5000, 3 sequences, split, b10221: pad(⌊5,120 / 3⌋ = 1,706, 256) = 1,792 cells per stream, 5,376 in all.
    /// </summary>
    public static long ContextCellsPerStream(long context, int sequences, bool flashAttention, bool? kvUnified, LlamaCppVersion version)
    {
        var pad = version.Padding(flashAttention);
        if (Unified(sequences, kvUnified, version))
        {
            return Pad(context, pad);
        }

        var cells = version.Build >= LlamaCppVersion.Pad256Build ? Pad(Pad(context, 256) / sequences, 256)
            : version.StreamCellsRoundDown ? context / sequences
            : Pad((context + sequences - 1) / sequences, pad);
        return cells > 0 ? cells
            : throw new EstimateException($"llama.cpp refuses a context of {context} tokens split over {sequences} sequences (n_ctx_seq == 0): give a larger context, fewer sequences or --kv-unified.");
    }

    /// <summary>
    /// Cells a layer keeps per stream: <see cref="ContextCellsPerStream"/>; for a sliding-window layer, from b5429,
    /// pad(min(n_ctx_seq, n_swa × n_seq + n_ubatch)) unless --swa-full, where n_seq counts 1 for a split cache (each
    /// stream holds one sequence's window) (src/llama-kv-cache-iswa.cpp; n_batch instead of n_ubatch before b5554; full
    /// size before b5429). Example: gpt-oss, n_swa 128, n_ubatch 2048, b10221: pad(2,176, 256) = 2,304 cells.
    /// </summary>
    public static long Cells(AttentionShape attention, long context, long ubatch, int sequences, bool flashAttention, bool swaFull, LlamaCppVersion version,
        bool? kvUnified = null)
    {
        var pad = version.Padding(flashAttention);
        var full = ContextCellsPerStream(context, sequences, flashAttention, kvUnified, version);
        if (attention.Kind != AttentionKind.Sliding || swaFull || !version.SlidingWindowCache || attention.SlidingWindow is not { } window)
        {
            return full;
        }

        var extra = version.SwaExtraIsUBatch ? ubatch : Math.Max(ubatch, Math.Min(context, DefaultLogicalBatch));
        var windows = Unified(sequences, kvUnified, version) ? sequences : 1;
        return Pad(Math.Min(full, checked(window * windows + extra)), pad);
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

    /// <summary>
    /// The whole cache, or the layers <paramref name="includeLayer"/> keeps: Σ over layers of streams × cells per stream ×
    /// (K + V bytes per cell) (src/llama-kv-cache.cpp: K and V tensors of kv_size × n_stream rows).
    /// </summary>
    public static Term LlamaCpp(ModelShape shape, long context, long ubatch, int sequences, DataType k, DataType v, bool flashAttention, bool swaFull,
        LlamaCppVersion version, Func<int, bool>? includeLayer = null, bool? kvUnified = null)
    {
        var streams = Streams(sequences, kvUnified, version);
        var groups = shape.Layers
            .Where((_, i) => includeLayer?.Invoke(i) ?? true)
            .Select(l => (Cells: Cells(l.Attention, context, ubatch, sequences, flashAttention, swaFull, version, kvUnified), PerCell: BytesPerCell(l.Attention, k, v, version)))
            .GroupBy(x => x)
            .Select(g => (g.Key.Cells, g.Key.PerCell.K, g.Key.PerCell.V, Layers: g.Count()))
            .ToImmutableArray();
        var bytes = groups.Aggregate(ByteSize.Zero, (sum, g) => sum + ByteSize.FromBytes(checked(g.Layers * streams * g.Cells * (g.K + g.V))));
        return new Term(TermId.KvCache, $"KV cache (K {k.Name}, V {v.Name})", bytes,
            "llama.cpp src/llama-kv-cache.cpp: K and V per layer; src/llama-kv-cache-iswa.cpp: sliding-window cells; the rules of the build (LlamaCppVersion)",
            () => groups.Length == 0 ? "no layers here" : string.Join(" + ", groups.Select(g =>
                $"{g.Layers} layers × {(streams > 1 ? $"{streams} streams × " : "")}{FormulaText.Count(g.Cells)} cells × ({FormulaText.Count(g.K)} B K + {FormulaText.Count(g.V)} B V)"))
                + $"; {Rules(shape, sequences, flashAttention, swaFull, version, kvUnified)}");
    }

    /// <summary>The build's rules that shaped the numbers above, for --explain.</summary>
    private static string Rules(ModelShape shape, int sequences, bool flashAttention, bool swaFull, LlamaCppVersion version, bool? kvUnified)
    {
        var pad = version.Padding(flashAttention);
        var rules = new List<string> { pad == 1 ? $"{version}: cells not padded" : $"{version}: cells padded to {pad}" };
        if (sequences > 1)
        {
            rules.Add(!version.HasKvStreams ? $"{sequences} sequences share one cache (before b5913)"
                : Unified(sequences, kvUnified, version)
                    ? $"kv_unified: {sequences} sequences share one cache{(kvUnified is null ? " (the default before b6071, PR #14959)" : "")}"
                    : $"kv_unified off: {sequences} streams of n_ctx_seq cells each, padded separately (PR #14363, b5913; the default from b6071"
                        + (version.Build >= LlamaCppVersion.Pad256Build ? "; n_ctx_seq = pad(⌊pad(n_ctx, 256) / n_seq⌋, 256), PR #17046"
                            : version.StreamCellsRoundDown ? "; n_ctx_seq = ⌊n_ctx / n_seq⌋, PR #16736" : "; n_ctx_seq = pad(⌈n_ctx / n_seq⌉)")
                        + ")");
        }

        if (!swaFull && shape.Layers.Any(l => l.Attention.Kind == AttentionKind.Sliding))
        {
            rules.Add(!version.SlidingWindowCache ? "sliding-window layers full size (before b5429)"
                : version.SwaExtraIsUBatch ? (Unified(sequences, kvUnified, version) ? "sliding-window layers n_swa × n_seq + n_ubatch" : "sliding-window layers n_swa + n_ubatch per stream")
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
