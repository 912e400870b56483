using LlmMem.DataTypes;
using LlmMem.Estimates;
using LlmMem.Inference;
using LlmMem.Models;
using LlmMem.Units;

namespace LlmMem.Formulas;

/// <summary>Hugging Face Transformers' generate(): its KV cache, the prefill's activations and the logits.</summary>
public static class TransformersFormulas
{
    /// <summary>
    /// K and V values one token keeps in one layer. Latent attention (DeepSeek) is cached decompressed, per head:
    /// K = heads × (nope + rope dims), V = heads × v dim (transformers models/deepseek_v3/modeling_deepseek_v3.py).
    /// </summary>
    private static (long K, long V) ValuesPerToken(AttentionShape a) => a.Latent is { } m
        ? ((long)a.Heads * (m.NopeHeadDim + m.RopeHeadDim), (long)a.Heads * m.ValueHeadDim)
        : ((long)a.KvHeads * a.HeadDim, (long)a.KvHeads * a.ValueHeadDim);

    /// <summary>Tokens a layer keeps: the sliding window for sliding layers (cache_utils.py sliding-window layers), else all.</summary>
    private static long Kept(AttentionShape a, long tokens) => a.Kind == AttentionKind.Sliding && a.SlidingWindow is { } w ? Math.Min(w, tokens) : tokens;

    /// <summary>
    /// The KV cache after <paramref name="tokens"/> tokens, for the batch: Σ layers batch × tokens kept × (K + V values) × dtype
    /// (transformers src/transformers/cache_utils.py: DynamicCache and StaticCache hold the same tensors; the static one
    /// from the start). Example: Llama-3.1-8B, 8,192 tokens, bf16: 32 × 8,192 × 2,048 × 2 B = 1 GiB per sequence.
    /// </summary>
    public static Term KvCache(ModelShape shape, long batch, long tokens, DataType dtype, CacheImplementation cache)
    {
        var bytes = ByteSize.Zero;
        foreach (var layer in shape.Layers)
        {
            var (k, v) = ValuesPerToken(layer.Attention);
            bytes += dtype.SizeOf(checked(batch * Kept(layer.Attention, tokens) * (k + v)));
        }

        var first = shape.Layers[0].Attention;
        var (k0, v0) = ValuesPerToken(first);
        return new Term(TermId.KvCache, $"KV cache ({(cache == CacheImplementation.Static ? "StaticCache" : "DynamicCache")}, {dtype.Name})", bytes,
            "transformers cache_utils.py: K and V per layer, batch × tokens × heads × head dim; sliding layers keep their window",
            () => $"{shape.LayerCount} layers × {FormulaText.Count(batch)} × {FormulaText.Count(tokens)} tokens × ({FormulaText.Count(k0)} K + {FormulaText.Count(v0)} V) values × {dtype.BytesPerBlock} B"
                + (shape.Layers.Any(l => l.Attention.Kind == AttentionKind.Sliding) ? " (sliding layers: their window)" : ""));
    }

    /// <summary>
    /// DynamicCache grows with torch.cat: while one layer's K (or V) is extended, the old and the new tensor both live,
    /// so the peak holds one more copy of the largest layer's K or V (transformers cache_utils.py DynamicLayer.update).
    /// </summary>
    public static Term KvGrowth(ModelShape shape, long batch, long tokens, DataType dtype)
    {
        long largest = 0;
        foreach (var layer in shape.Layers)
        {
            var (k, v) = ValuesPerToken(layer.Attention);
            largest = Math.Max(largest, Math.Max(k, v) * Kept(layer.Attention, tokens));
        }

        var bytes = dtype.SizeOf(checked(batch * largest));
        return new Term(TermId.KvCacheGrowth, "KV cache growth (torch.cat copy)", bytes,
            "transformers cache_utils.py DynamicLayer.update: torch.cat keeps the old and the new tensor at once",
            () => $"{FormulaText.Count(batch)} × {FormulaText.Count(largest)} values (the largest layer's K or V) × {dtype.BytesPerBlock} B");
    }

    /// <summary>
    /// The prefill's peak over the prompt: the MLP (<see cref="ForwardPassFormulas.ValuesPerToken"/> per token) or, with
    /// eager attention, one layer's score matrices — batch × heads × tokens², kept in the model dtype, softmaxed in fp32 and
    /// cast back (2 + 4 + 2 B per score, transformers modeling_llama.py eager_attention_forward) plus the 4-D causal
    /// mask (batch × tokens² × dtype) and the K/V heads repeated to every query head (repeat_kv). SDPA and flash attention
    /// never materialise the scores.
    /// </summary>
    public static (ByteSize Bytes, Func<string> Formula, bool Attention) PrefillLayer(ModelShape shape, long batch, long tokens, DataType dtype, AttentionImplementation attention)
    {
        var perToken = ForwardPassFormulas.ValuesPerToken(shape);
        var mlp = dtype.SizeOf(checked(batch * tokens * perToken));
        string MlpText() => $"MLP {FormulaText.Count(batch)} × {FormulaText.Count(tokens)} tokens × {FormulaText.Count(perToken)} values × {dtype.BytesPerBlock} B";
        if (attention != AttentionImplementation.Eager)
        {
            return (mlp, MlpText, false);
        }

        var a = shape.Layers[0].Attention;
        foreach (var layer in shape.Layers)
        {
            a = layer.Attention.Heads > a.Heads ? layer.Attention : a;
        }

        var scores = ByteSize.FromBytes(checked(batch * a.Heads * tokens * tokens * (2 * dtype.BytesPerBlock + 4)))
            + dtype.SizeOf(checked(batch * tokens * tokens))
            + dtype.SizeOf(checked(2 * batch * a.Heads * tokens * a.HeadDim));
        string ScoresText() => $"eager scores {FormulaText.Count(batch)} × {a.Heads} heads × {FormulaText.Count(tokens)}² × ({2 * dtype.BytesPerBlock} + 4) B + mask + repeated K/V";
        return scores > mlp ? (scores, () => $"max({ScoresText()}, {MlpText()})", true) : (mlp, () => $"max({MlpText()}, {ScoresText()})", false);
    }

    /// <summary>
    /// The LM head's output in the prefill: the last position only from Transformers 4.45 (logits_to_keep), every prompt
    /// position before; in the model dtype, then upcast to fp32 (generate's next-token logits; LlamaForCausalLM's
    /// logits.float() before 4.45).
    /// </summary>
    public static (ByteSize Bytes, Func<string> Formula) Logits(ModelShape shape, long batch, long tokens, DataType dtype, bool everyPosition)
    {
        var positions = everyPosition ? tokens : 1;
        var bytes = ByteSize.FromBytes(checked(batch * positions * shape.VocabSize * (dtype.BytesPerBlock + 4)));
        return (bytes, () => $"logits {FormulaText.Count(batch)} × {FormulaText.Count(positions)} position{(positions == 1 ? "" : "s")} × {FormulaText.Count(shape.VocabSize)} vocab × ({dtype.BytesPerBlock} + 4) B");
    }
}
