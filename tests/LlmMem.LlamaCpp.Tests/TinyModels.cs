using LlmMem.DataTypes;
using LlmMem.Formats.Gguf;
using LlmMem.Formats.Tests.Gguf;

namespace LlmMem.LlamaCpp.Tests;

/// <summary>Small GGUF files llama.cpp loads (zero weights): the tensor names and metadata its loader requires per architecture.</summary>
internal static class TinyModels
{
    /// <summary>A Llama-architecture model: <paramref name="layers"/> blocks, weights in <paramref name="matrix"/>, norms in F32.</summary>
    public static GgufBuilder Llama(int layers, int embd, int ff, int heads, int kvHeads, int vocab, DataType matrix, DataType embeddings)
    {
        var headDim = embd / heads;
        var b = Common("llama", layers, embd, ff, heads, kvHeads, vocab, headDim)
            .Tensor("token_embd.weight", embeddings, embd, vocab)
            .Tensor("output_norm.weight", DataType.Fp32, embd)
            .Tensor("output.weight", matrix, embd, vocab);
        for (var i = 0; i < layers; i++)
        {
            Attention(b, i, embd, heads, kvHeads, headDim, matrix)
                .Tensor($"blk.{i}.ffn_norm.weight", DataType.Fp32, embd)
                .Tensor($"blk.{i}.ffn_gate.weight", matrix, embd, ff)
                .Tensor($"blk.{i}.ffn_up.weight", matrix, embd, ff)
                .Tensor($"blk.{i}.ffn_down.weight", matrix, ff, embd);
        }

        return b;
    }

    /// <summary>A Qwen3-MoE-architecture model: routed experts (no shared expert), q/k norms.</summary>
    public static GgufBuilder Qwen3Moe(int layers, int embd, int experts, int used, int expertFf, int heads, int kvHeads, int vocab, DataType matrix)
    {
        const int headDim = 128;
        var b = Common("qwen3moe", layers, embd, expertFf, heads, kvHeads, vocab, headDim)
            .U32("qwen3moe.expert_count", experts).U32("qwen3moe.expert_used_count", used).U32("qwen3moe.expert_feed_forward_length", expertFf)
            .U32("qwen3moe.attention.key_length", headDim).U32("qwen3moe.attention.value_length", headDim)
            .Tensor("token_embd.weight", matrix, embd, vocab)
            .Tensor("output_norm.weight", DataType.Fp32, embd)
            .Tensor("output.weight", matrix, embd, vocab);
        for (var i = 0; i < layers; i++)
        {
            Attention(b, i, embd, heads, kvHeads, headDim, matrix)
                .Tensor($"blk.{i}.attn_q_norm.weight", DataType.Fp32, headDim)
                .Tensor($"blk.{i}.attn_k_norm.weight", DataType.Fp32, headDim)
                .Tensor($"blk.{i}.ffn_norm.weight", DataType.Fp32, embd)
                .Tensor($"blk.{i}.ffn_gate_inp.weight", DataType.Fp32, embd, experts)
                .Tensor($"blk.{i}.ffn_gate_exps.weight", matrix, embd, expertFf, experts)
                .Tensor($"blk.{i}.ffn_up_exps.weight", matrix, embd, expertFf, experts)
                .Tensor($"blk.{i}.ffn_down_exps.weight", matrix, expertFf, embd, experts);
        }

        return b;
    }

    /// <summary>A Gemma-2-architecture model: sliding-window layers alternating with full ones (llama.cpp: even layers slide), tied output.</summary>
    public static GgufBuilder Gemma2(int layers, int embd, int ff, int heads, int kvHeads, int vocab, int window, DataType matrix)
    {
        const int headDim = 128;
        var b = Common("gemma2", layers, embd, ff, heads, kvHeads, vocab, headDim)
            .U32("gemma2.attention.sliding_window", window).U32("gemma2.attention.key_length", headDim).U32("gemma2.attention.value_length", headDim)
            .F32("gemma2.attn_logit_softcapping", 50f).F32("gemma2.final_logit_softcapping", 30f)
            .Tensor("token_embd.weight", matrix, embd, vocab)
            .Tensor("output_norm.weight", DataType.Fp32, embd);
        for (var i = 0; i < layers; i++)
        {
            Attention(b, i, embd, heads, kvHeads, headDim, matrix)
                .Tensor($"blk.{i}.post_attention_norm.weight", DataType.Fp32, embd)
                .Tensor($"blk.{i}.ffn_norm.weight", DataType.Fp32, embd)
                .Tensor($"blk.{i}.ffn_gate.weight", matrix, embd, ff)
                .Tensor($"blk.{i}.ffn_up.weight", matrix, embd, ff)
                .Tensor($"blk.{i}.ffn_down.weight", matrix, ff, embd)
                .Tensor($"blk.{i}.post_ffw_norm.weight", DataType.Fp32, embd);
        }

        return b;
    }

    /// <summary>
    /// A DeepSeek-V2/V3-architecture model as llama.cpp's converter writes it since PR #12801: MLA as one KV head of
    /// kv_lora_rank + rope (key_length) and kv_lora_rank (value_length), the per-head sizes in key_length_mla /
    /// value_length_mla, kv_b split into attn_k_b and attn_v_b; one dense leading block, then routed and shared experts.
    /// </summary>
    public static GgufBuilder DeepSeek2(int layers, int embd, int ff, int heads, int queryRank, int kvRank, int nope, int rope, int valueDim,
        int experts, int used, int expertFf, int vocab, DataType matrix)
    {
        const string a = "deepseek2";
        var b = new GgufBuilder()
            .Str("general.architecture", a).Str("general.name", "tiny-deepseek2").U32("general.alignment", 32)
            .U32($"{a}.block_count", layers).U32($"{a}.context_length", 8192).U32($"{a}.embedding_length", embd)
            .U32($"{a}.feed_forward_length", ff).U32($"{a}.attention.head_count", heads).U32($"{a}.attention.head_count_kv", 1)
            .F32($"{a}.attention.layer_norm_rms_epsilon", 1e-6f).U32($"{a}.rope.dimension_count", rope)
            .U32($"{a}.leading_dense_block_count", 1).U32($"{a}.attention.q_lora_rank", queryRank).U32($"{a}.attention.kv_lora_rank", kvRank)
            .U32($"{a}.attention.key_length", kvRank + rope).U32($"{a}.attention.value_length", kvRank)
            .U32($"{a}.attention.key_length_mla", nope + rope).U32($"{a}.attention.value_length_mla", valueDim)
            .U32($"{a}.expert_feed_forward_length", expertFf).U32($"{a}.expert_count", experts).U32($"{a}.expert_used_count", used)
            .U32($"{a}.expert_shared_count", 1).F32($"{a}.expert_weights_scale", 1f)
            .Tokenizer(vocab)
            .Tensor("token_embd.weight", matrix, embd, vocab)
            .Tensor("output_norm.weight", DataType.Fp32, embd)
            .Tensor("output.weight", matrix, embd, vocab);
        for (var i = 0; i < layers; i++)
        {
            b.Tensor($"blk.{i}.attn_norm.weight", DataType.Fp32, embd)
                .Tensor($"blk.{i}.attn_q_a_norm.weight", DataType.Fp32, queryRank)
                .Tensor($"blk.{i}.attn_kv_a_norm.weight", DataType.Fp32, kvRank)
                .Tensor($"blk.{i}.attn_q_a.weight", matrix, embd, queryRank)
                .Tensor($"blk.{i}.attn_q_b.weight", matrix, queryRank, heads * (nope + rope))
                .Tensor($"blk.{i}.attn_kv_a_mqa.weight", matrix, embd, kvRank + rope)
                .Tensor($"blk.{i}.attn_k_b.weight", matrix, nope, kvRank, heads)
                .Tensor($"blk.{i}.attn_v_b.weight", matrix, kvRank, valueDim, heads)
                .Tensor($"blk.{i}.attn_output.weight", matrix, heads * valueDim, embd)
                .Tensor($"blk.{i}.ffn_norm.weight", DataType.Fp32, embd);
            if (i == 0)
            {
                b.Tensor($"blk.{i}.ffn_gate.weight", matrix, embd, ff)
                    .Tensor($"blk.{i}.ffn_up.weight", matrix, embd, ff)
                    .Tensor($"blk.{i}.ffn_down.weight", matrix, ff, embd);
            }
            else
            {
                b.Tensor($"blk.{i}.ffn_gate_inp.weight", DataType.Fp32, embd, experts)
                    .Tensor($"blk.{i}.ffn_gate_exps.weight", matrix, embd, expertFf, experts)
                    .Tensor($"blk.{i}.ffn_up_exps.weight", matrix, embd, expertFf, experts)
                    .Tensor($"blk.{i}.ffn_down_exps.weight", matrix, expertFf, embd, experts)
                    .Tensor($"blk.{i}.ffn_gate_shexp.weight", matrix, embd, expertFf)
                    .Tensor($"blk.{i}.ffn_up_shexp.weight", matrix, embd, expertFf)
                    .Tensor($"blk.{i}.ffn_down_shexp.weight", matrix, expertFf, embd);
            }
        }

        return b;
    }

    private static GgufBuilder Common(string arch, int layers, int embd, int ff, int heads, int kvHeads, int vocab, int headDim) => new GgufBuilder()
        .Str("general.architecture", arch).Str("general.name", $"tiny-{arch}").U32("general.alignment", 32)
        .U32($"{arch}.block_count", layers).U32($"{arch}.context_length", 8192).U32($"{arch}.embedding_length", embd)
        .U32($"{arch}.feed_forward_length", ff).U32($"{arch}.attention.head_count", heads).U32($"{arch}.attention.head_count_kv", kvHeads)
        .F32($"{arch}.attention.layer_norm_rms_epsilon", 1e-6f).U32($"{arch}.rope.dimension_count", headDim)
        .Tokenizer(vocab);

    private static GgufBuilder Attention(GgufBuilder b, int i, int embd, int heads, int kvHeads, int headDim, DataType matrix) => b
        .Tensor($"blk.{i}.attn_norm.weight", DataType.Fp32, embd)
        .Tensor($"blk.{i}.attn_q.weight", matrix, embd, heads * headDim)
        .Tensor($"blk.{i}.attn_k.weight", matrix, embd, kvHeads * headDim)
        .Tensor($"blk.{i}.attn_v.weight", matrix, embd, kvHeads * headDim)
        .Tensor($"blk.{i}.attn_output.weight", matrix, heads * headDim, embd);
}
