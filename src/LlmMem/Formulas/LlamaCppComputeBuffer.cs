using LlmMem.Estimates;
using LlmMem.Inference;
using LlmMem.Models;
using LlmMem.Units;

namespace LlmMem.Formulas;

/// <summary>
/// The compute buffer llama.cpp's graph allocator reserves on a device for one micro-batch, modelled as the largest set
/// of tensors alive together in the reserve graph.
/// <para>
/// The reserve graph (src/llama-context.cpp, the constructor's pp reservation through graph_reserve) has n_tokens =
/// n_ubatch and n_outputs = min(n_ubatch, n_outputs_max) = n_ubatch by default. ggml-alloc
/// (ggml/src/ggml-alloc.c ggml_gallocr_alloc_graph_impl) allocates the graph inputs first (the KQ mask among them),
/// then every node in graph order, and frees a tensor after its last consumer; an op listed in ggml_op_can_inplace
/// (ADD, MUL, RMS_NORM, SOFT_MAX, ROPE, UNARY …) reuses its input's memory when it is that input's only consumer; tensors
/// flagged as graph outputs (logits, final hidden state) are never freed. The reservation is the high-water mark
/// of that running allocation, so llmem takes, per device, the largest of these phases (all F32 activations of
/// n_ubatch tokens, 4 B each, except the mask):
/// </para>
/// <list type="bullet">
/// <item>attention without flash attention (src/llama-graph.cpp build_attn_mha): residual n_embd + the scores
/// KQ n_kv × n_head (soft_max_ext in place) + the larger of Q (n_head × head_dim, freed once KQ exists) and KQV
/// (n_head × v_head_dim), plus the F32 KQ mask n_kv × n_ubatch;</item>
/// <item>attention with flash attention (build_attn_mha, ggml_flash_attn_ext): residual + Q + the F32 output
/// n_head × v_head_dim, plus the F16 mask (build_attn_inp_kv: F16 when flash attention is on);</item>
/// <item>dense feed-forward (build_ffn, LLM_FFN_PAR): residual + the larger of normed input + up + gate (each n_ff)
/// and up + gate + the SwiGLU/GeGLU product (GLU ops are not in ggml_op_can_inplace, so it is a new tensor); without a
/// gate, residual + normed + up (the activation runs in place); plus the mask, which lives until the last layer.
/// Before b5776 (PR #14158, GLU ops) silu/gelu and the multiply ran in place on the gate: residual + normed + gate + up;</item>
/// <item>mixture of experts (build_moe_ffn): the same with up, gate and product of n_expert_used × n_ff_exp each, the
/// down projections' n_expert_used × n_embd beside the product, and the router logits n_expert; a shared expert keeps
/// the normed input alive (it is consumed after the routed experts);</item>
/// <item>output (llm_graph_context build graph's tail, logits and t_embd flagged as outputs): logits n_vocab + the final
/// hidden state n_embd, on the device that holds the output layer.</item>
/// </list>
/// <para>
/// Not counted: the allocator's fragmentation (a tensor that fits no free block goes past the end, so the real peak can
/// exceed the live sum), small inputs (positions, token ids, output ids), and
/// backend scratch. docs/accuracy.md reports the error per case.
/// </para>
/// </summary>
public static class LlamaCppComputeBuffer
{
    /// <summary>The phases' sizes in bytes, for the largest layer that the device holds.</summary>
    public sealed record Phases(long Mask, long Attention, long FeedForward, long Output)
    {
        /// <summary>The reservation: the largest phase; the mask lives through every layer phase.</summary>
        public long Peak => Math.Max(Math.Max(Attention, FeedForward) + (Attention > 0 || FeedForward > 0 ? Mask : 0), Output);
    }

    /// <param name="shape">The model.</param>
    /// <param name="kvCells">Cells one micro-batch attends (n_kv: one stream's cells with a split cache).</param>
    /// <param name="heads">Query heads of the widest layer on the device (0 when the device holds no layer).</param>
    /// <param name="ubatch">Tokens per micro-batch (n_ubatch).</param>
    /// <param name="flashAttention">Flash attention on.</param>
    /// <param name="holdsOutput">The device holds the output layer.</param>
    /// <param name="layers">The layers the device holds; all of the model's when null, none when <paramref name="heads"/> is 0.</param>
    /// <param name="version">The llama.cpp build (the feed-forward product's allocation changed in b5776); the latest when null.</param>
    /// <param name="slidingMaskCells">Cells of the sliding-window layers' own mask when the device holds both kinds of layer
    /// (src/llama-graph.cpp build_attn_inp_kv_iswa builds a mask for each cache, both graph inputs); 0 otherwise.</param>
    public static Phases Compute(ModelShape shape, long kvCells, int heads, long ubatch, bool flashAttention, bool holdsOutput,
        IReadOnlyList<LayerShape>? layers = null, LlamaCppVersion? version = null, long slidingMaskCells = 0)
    {
        layers = heads == 0 ? [] : layers ?? shape.Layers;
        var product = (version ?? LlamaCppVersion.Latest).FfnProductIsNewTensor;
        var embd = shape.HiddenSize;
        long Bytes(long floatsPerToken) => checked(floatsPerToken * ubatch * 4);

        // build_attn_inp_kq_mask: n_kv × n_tokens, F16 with flash attention, else F32.
        var mask = layers.Count == 0 ? 0 : checked((kvCells + slidingMaskCells) * ubatch * (flashAttention ? 2 : 4));
        long attention = 0, feedForward = 0;
        foreach (var layer in layers)
        {
            var (q, kqv) = AttentionWidths(layer.Attention);
            var scores = flashAttention ? 0 : checked(kvCells * layer.Attention.Heads);
            attention = Math.Max(attention, Bytes(flashAttention ? embd + q + kqv : embd + scores + Math.Max(q, kqv)));
            feedForward = Math.Max(feedForward, Bytes(embd + FeedForwardWidth(layer.Mlp, embd, product)));
        }

        var output = holdsOutput ? Bytes(shape.VocabSize + embd) : 0;
        return new Phases(mask, attention, feedForward, output);
    }

    public static Term Estimate(ModelShape shape, long kvCells, int heads, long ubatch, bool flashAttention, bool holdsOutput,
        IReadOnlyList<LayerShape>? layers = null, LlamaCppVersion? version = null, long slidingMaskCells = 0)
    {
        var p = Compute(shape, kvCells, heads, ubatch, flashAttention, holdsOutput, layers, version, slidingMaskCells);
        var product = (version ?? LlamaCppVersion.Latest).FfnProductIsNewTensor;
        return new Term(TermId.ComputeBuffer, "Compute buffer (largest live set)", ByteSize.FromBytes(p.Peak),
            "llama.cpp ggml-alloc peak: the largest of the attention step (residual, Q, scores or flash output, KQV, KQ mask), the feed-forward step (residual, normed input, gate, up, activation product; MoE: × experts used, router) and the output step (logits, last hidden state); fragmentation not counted",
            () =>
            {
                var tokens = FormulaText.Count(ubatch);
                var parts = new List<string>();
                if (p.Attention > 0)
                {
                    var maskCells = slidingMaskCells > 0
                        ? $"({FormulaText.Count(kvCells)} + {FormulaText.Count(slidingMaskCells)} sliding-window) cells"
                        : $"{FormulaText.Count(kvCells)} cells";
                    var mask = flashAttention
                        ? $"F16 mask {maskCells} × {tokens} tokens × 2 B"
                        : $"F32 mask {maskCells} × {tokens} tokens × 4 B";
                    parts.Add(flashAttention
                        ? $"attention (flash): (residual + Q + output) × {tokens} tokens × 4 B = {ByteSize.FromBytes(p.Attention).Format()}, + {mask}"
                        : $"attention: (residual + {heads} heads × {FormulaText.Count(kvCells)} cells scores + max(Q, KQV)) × {tokens} tokens × 4 B = {ByteSize.FromBytes(p.Attention).Format()}, + {mask}");
                    var ffn = product ? "max(normed + gate + up, gate + up + product)" : "normed + gate + up (product in place before b5776)";
                    parts.Add($"feed-forward: (residual + {ffn}; MoE: × experts used, + router logits, down outputs) × {tokens} tokens × 4 B = {ByteSize.FromBytes(p.FeedForward).Format()}, + mask");
                }

                if (holdsOutput)
                {
                    parts.Add($"output: ({FormulaText.Count(shape.VocabSize)} logits + {FormulaText.Count(shape.HiddenSize)} hidden) × {tokens} tokens × 4 B");
                }

                return $"max({string.Join("; ", parts)})";
            });
    }

    /// <summary>
    /// The sliding-window mask's cells for <see cref="Compute"/>: the largest sliding layer's cells when the layers mix
    /// sliding and full attention (two caches, two masks: build_attn_inp_kv_iswa), else 0 (one mask of the cells passed).
    /// </summary>
    public static long SlidingMaskCells(IEnumerable<(AttentionShape Attention, long Cells)> layers)
    {
        var list = layers.ToList();
        var sliding = list.Where(l => l.Attention.Kind == AttentionKind.Sliding).ToList();
        return sliding.Count > 0 && sliding.Count < list.Count ? sliding.Max(l => l.Cells) : 0;
    }

    /// <summary>
    /// Q's and KQV's widths per token (build_attn_mha). Latent attention (MLA, src/models/deepseek2.cpp) attends in the
    /// latent space: Q is n_head × (kv_lora_rank + rope) after absorbing k_b, KQV n_head × kv_lora_rank before v_b.
    /// </summary>
    private static (long Q, long Kqv) AttentionWidths(AttentionShape a) => a.Latent is { LegacyGguf: false } m
        ? ((long)a.Heads * (m.KvRank + m.RopeHeadDim), (long)a.Heads * m.KvRank)
        : ((long)a.Heads * a.HeadDim, (long)a.Heads * a.ValueHeadDim);

    /// <summary>
    /// The feed-forward step's live floats per token beside the residual (src/llama-graph.cpp build_ffn,
    /// build_moe_ffn): gated, max(normed + gate + up, gate + up + product); ungated, normed + up. MoE: router logits
    /// n_expert, then the same with n_expert_used × n_ff_exp per projection, and the down projections' n_expert_used ×
    /// n_embd beside the product; a shared expert keeps the normed input alive throughout, and its own step holds normed
    /// input + routed output + max(gate + up, gate + up + product − normed).
    /// </summary>
    private static long FeedForwardWidth(MlpShape mlp, long embd, bool product)
    {
        // Before b5776 the product reused the gate's memory: only normed + gate + up (+ down beside them) coexist.
        long Gated(long ff) => product ? Math.Max(embd + 2 * ff, 3 * ff) : embd + 2 * ff;
        long Dense(long ff, bool gated) => gated ? Gated(ff) : embd + ff;
        var dense = mlp.IntermediateSize > 0 ? Dense(mlp.IntermediateSize, mlp.Gated) : 0;
        if (mlp.Moe is not { } moe)
        {
            return dense;
        }

        var k = (long)moe.ActiveExperts;
        var f = moe.ExpertIntermediateSize;
        var routed = moe.Experts + Math.Max(Gated(k * f), k * f + k * embd);
        // The shared expert runs after the routed ones (src/models/deepseek2.cpp, qwen2moe.cpp): its own gate, up and
        // product beside the normed input and the routed output.
        var sh = moe.SharedIntermediateSize;
        var shared = sh > 0 ? embd + Gated(sh) : 0;
        return Math.Max(Math.Max(dense, routed + (sh > 0 ? embd : 0)), shared);
    }
}
