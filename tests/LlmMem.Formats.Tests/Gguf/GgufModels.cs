using LlmMem.DataTypes;
using LlmMem.Formats.Gguf;

namespace LlmMem.Formats.Tests.Gguf;

/// <summary>
/// GGUF files built as llama.cpp's converter lays models out: hyperparameters from each model's config.json (data/hf-configs),
/// tensor names as gguf-py's TENSOR_NAMES spells them, dimensions ne0 first (the input width), Q4_K_M-like types. Full-size
/// models carry virtual tensor data, so only their headers cost memory.
/// </summary>
internal static class GgufModels
{
    /// <summary>general.file_type MOSTLY_Q4_K_M (llama.h llama_ftype).</summary>
    private const uint Q4KM = 15;

    /// <summary>The small valid file the hostile and mutation tests vary: every metadata type, tensors of four ggml types.</summary>
    public static GgufBuilder Tiny() => new GgufBuilder()
        .Str("general.architecture", "llama")
        .Str("general.name", "tiny")
        .U32("general.alignment", 32)
        .Set("test.u8", GgufValueType.UInt8, (byte)200)
        .Set("test.i8", GgufValueType.Int8, (sbyte)-5)
        .Set("test.u16", GgufValueType.UInt16, (ushort)60_000)
        .Set("test.i16", GgufValueType.Int16, (short)-30_000)
        .Set("test.i32", GgufValueType.Int32, -2_000_000_000)
        .Set("test.u64", GgufValueType.UInt64, ulong.MaxValue)
        .Set("test.i64", GgufValueType.Int64, long.MinValue)
        .Set("test.f64", GgufValueType.Float64, 0.125)
        .Set("test.bool", GgufValueType.Bool, true)
        .Array("test.nested", GgufValueType.Array, [new GgufArray(GgufValueType.UInt16, [(ushort)1, (ushort)2]), new GgufArray(GgufValueType.UInt16, [])])
        .U32("llama.block_count", 1)
        .U32("llama.context_length", 2048)
        .U32("llama.embedding_length", 256)
        .U32("llama.feed_forward_length", 512)
        .Array("llama.attention.head_count", GgufValueType.Int32, [4])
        .U32("llama.attention.head_count_kv", 2)
        .F32("llama.attention.layer_norm_rms_epsilon", 1e-5f)
        .Tokenizer(32)
        .Tensor("token_embd.weight", DataType.Q4_K, 256, 32)
        .Tensor("blk.0.attn_norm.weight", DataType.Fp32, 256)
        .Tensor("blk.0.attn_q.weight", DataType.Q4_K, 256, 256)
        .Tensor("blk.0.attn_k.weight", DataType.Q4_K, 256, 128)
        .Tensor("blk.0.attn_v.weight", DataType.Q6_K, 256, 128)
        .Tensor("blk.0.attn_output.weight", DataType.Q4_K, 256, 256)
        .Tensor("blk.0.ffn_norm.weight", DataType.Fp32, 256)
        .Tensor("blk.0.ffn_gate.weight", DataType.Mxfp4, 256, 512)
        .Tensor("blk.0.ffn_up.weight", DataType.Mxfp4, 256, 512)
        .Tensor("blk.0.ffn_down.weight", DataType.Q6_K, 512, 256)
        .Tensor("output_norm.weight", DataType.Fp32, 256)
        .Tensor("output.weight", DataType.Q6_K, 256, 32);

    /// <summary>A small DeepSeek-V3-like file for the mutation tests: latent attention, a dense block, experts with a shared one.</summary>
    public static GgufBuilder TinyDeepSeek()
    {
        var b = new GgufBuilder().Str("general.architecture", "deepseek2").U32("general.file_type", 15)
            .U32("deepseek2.block_count", 3).U32("deepseek2.embedding_length", 256).U32("deepseek2.context_length", 4096)
            .U32("deepseek2.attention.head_count", 4).U32("deepseek2.attention.head_count_kv", 1)
            .U32("deepseek2.attention.key_length", 96).U32("deepseek2.attention.value_length", 64)
            .U32("deepseek2.attention.key_length_mla", 48).U32("deepseek2.attention.value_length_mla", 32)
            .U32("deepseek2.attention.q_lora_rank", 128).U32("deepseek2.attention.kv_lora_rank", 64).U32("deepseek2.rope.dimension_count", 16)
            .U32("deepseek2.feed_forward_length", 512).U32("deepseek2.expert_feed_forward_length", 256).U32("deepseek2.leading_dense_block_count", 1)
            .U32("deepseek2.expert_count", 4).U32("deepseek2.expert_used_count", 2).U32("deepseek2.expert_shared_count", 1)
            .U32("deepseek2.expert_gating_func", 2).Tokenizer(16);
        for (var i = 0; i < 3; i++)
        {
            b.Tensor($"blk.{i}.attn_norm.weight", DataType.Fp32, 256).Tensor($"blk.{i}.attn_q_a.weight", DataType.Q4_K, 256, 128)
                .Tensor($"blk.{i}.attn_kv_a_mqa.weight", DataType.Q4_K, 256, 80).Tensor($"blk.{i}.ffn_norm.weight", DataType.Fp32, 256);
            if (i > 0)
            {
                Experts(b, i, 256, 256, 4, DataType.Q4_K);
                b.Tensor($"blk.{i}.exp_probs_b.bias", DataType.Fp32, 4).Tensor($"blk.{i}.ffn_up_shexp.weight", DataType.Q4_K, 256, 256);
            }
        }

        return Embeddings(b, 256, 16, tied: false);
    }

    /// <summary>meta-llama/Meta-Llama-3-8B: GQA (32 heads, 8 KV heads), untied; vocabulary from the tokenizer's token count.</summary>
    public static GgufBuilder Llama3_8B()
    {
        var b = Start("llama", "Meta-Llama-3-8B", layers: 32, h: 4096, heads: 32, kvHeads: 8, context: 8192)
            .U32("llama.feed_forward_length", 14336).U32("llama.rope.dimension_count", 128).Tokenizer(128_256);
        for (var i = 0; i < 32; i++)
        {
            Attention(b, i, 4096, 32, 8, 128);
            Dense(b, i, 4096, 14336);
        }

        return Embeddings(b, 4096, 128_256, tied: false);
    }

    /// <summary>mistralai/Mixtral-8x7B-v0.1 as llama.cpp converts it: architecture llama with 8 experts of feed_forward_length.</summary>
    public static GgufBuilder Mixtral8x7B()
    {
        var b = Start("llama", "Mixtral-8x7B-v0.1", layers: 32, h: 4096, heads: 32, kvHeads: 8, context: 32768)
            .U32("llama.feed_forward_length", 14336).U32("llama.expert_count", 8).U32("llama.expert_used_count", 2).U32("llama.vocab_size", 32000);
        for (var i = 0; i < 32; i++)
        {
            Attention(b, i, 4096, 32, 8, 128);
            Experts(b, i, 4096, 14336, 8, DataType.Q4_K);
        }

        return Embeddings(b, 4096, 32000, tied: false);
    }

    /// <summary>Qwen/Qwen3-30B-A3B: 128 experts of 768, 8 active, per-head q/k norms, every block MoE.</summary>
    public static GgufBuilder Qwen3_30B_A3B()
    {
        var b = Start("qwen3moe", "Qwen3-30B-A3B", layers: 48, h: 2048, heads: 32, kvHeads: 4, context: 40960)
            .U32("qwen3moe.attention.key_length", 128).U32("qwen3moe.attention.value_length", 128)
            .U32("qwen3moe.feed_forward_length", 6144).U32("qwen3moe.expert_feed_forward_length", 768)
            .U32("qwen3moe.expert_count", 128).U32("qwen3moe.expert_used_count", 8).U32("qwen3moe.vocab_size", 151_936);
        for (var i = 0; i < 48; i++)
        {
            Attention(b, i, 2048, 32, 4, 128);
            b.Tensor($"blk.{i}.attn_q_norm.weight", DataType.Fp32, 128).Tensor($"blk.{i}.attn_k_norm.weight", DataType.Fp32, 128);
            Experts(b, i, 2048, 768, 128, DataType.Q4_K);
        }

        return Embeddings(b, 2048, 151_936, tied: false);
    }

    /// <summary>google/gemma-2-9b: four norms per block, a 4,096-token window on even layers, tied embeddings.</summary>
    public static GgufBuilder Gemma2_9B()
    {
        var b = Start("gemma2", "gemma-2-9b", layers: 42, h: 3584, heads: 16, kvHeads: 8, context: 8192)
            .U32("gemma2.attention.key_length", 256).U32("gemma2.attention.value_length", 256).U32("gemma2.feed_forward_length", 14336)
            .U32("gemma2.attention.sliding_window", 4096).F32("gemma2.attn_logit_softcapping", 50).F32("gemma2.final_logit_softcapping", 30)
            .Tokenizer(256_000);
        for (var i = 0; i < 42; i++)
        {
            Attention(b, i, 3584, 16, 8, 256);
            b.Tensor($"blk.{i}.post_attention_norm.weight", DataType.Fp32, 3584).Tensor($"blk.{i}.post_ffw_norm.weight", DataType.Fp32, 3584);
            Dense(b, i, 3584, 14336);
        }

        return Embeddings(b, 3584, 256_000, tied: true);
    }

    /// <summary>
    /// deepseek-ai/DeepSeek-V3 as current llama.cpp converts it: latent attention with the MLA head sizes in key_length_mla /
    /// value_length_mla (key_length = kv_lora_rank + rope, one KV head), 3 dense blocks, then 256 experts and a shared one,
    /// the score-correction bias exp_probs_b; the multi-token-prediction layer is not converted.
    /// </summary>
    public static GgufBuilder DeepSeekV3()
    {
        const long h = 7168, heads = 128, qRank = 1536, kvRank = 512, nope = 128, rope = 64, v = 128;
        var b = Start("deepseek2", "DeepSeek-V3", layers: 61, h: (uint)h, heads: (uint)heads, kvHeads: 1, context: 163_840)
            .U32("deepseek2.attention.key_length", kvRank + rope).U32("deepseek2.attention.value_length", kvRank)
            .U32("deepseek2.attention.key_length_mla", nope + rope).U32("deepseek2.attention.value_length_mla", v)
            .U32("deepseek2.attention.q_lora_rank", qRank).U32("deepseek2.attention.kv_lora_rank", kvRank).U32("deepseek2.rope.dimension_count", rope)
            .U32("deepseek2.feed_forward_length", 18432).U32("deepseek2.expert_feed_forward_length", 2048).U32("deepseek2.leading_dense_block_count", 3)
            .U32("deepseek2.expert_count", 256).U32("deepseek2.expert_used_count", 8).U32("deepseek2.expert_shared_count", 1)
            .U32("deepseek2.expert_gating_func", 2).F32("deepseek2.expert_weights_scale", 2.5f).Set("deepseek2.expert_weights_norm", GgufValueType.Bool, true)
            .U32("deepseek2.vocab_size", 129_280)
            .Str("deepseek2.rope.scaling.type", "yarn").F32("deepseek2.rope.scaling.factor", 40).U32("deepseek2.rope.scaling.original_context_length", 4096);
        for (var i = 0; i < 61; i++)
        {
            b.Tensor($"blk.{i}.attn_norm.weight", DataType.Fp32, h)
                .Tensor($"blk.{i}.attn_q_a.weight", DataType.Q4_K, h, qRank)
                .Tensor($"blk.{i}.attn_q_a_norm.weight", DataType.Fp32, qRank)
                .Tensor($"blk.{i}.attn_q_b.weight", DataType.Q4_K, qRank, heads * (nope + rope))
                .Tensor($"blk.{i}.attn_kv_a_mqa.weight", DataType.Q4_K, h, kvRank + rope)
                .Tensor($"blk.{i}.attn_kv_a_norm.weight", DataType.Fp32, kvRank)
                .Tensor($"blk.{i}.attn_kv_b.weight", DataType.Q4_K, kvRank, heads * (nope + v))
                .Tensor($"blk.{i}.attn_output.weight", DataType.Q4_K, heads * v, h)
                .Tensor($"blk.{i}.ffn_norm.weight", DataType.Fp32, h);
            if (i < 3)
            {
                Dense(b, i, h, 18432);
                continue;
            }

            Experts(b, i, h, 2048, 256, DataType.Q4_K);
            b.Tensor($"blk.{i}.exp_probs_b.bias", DataType.Fp32, 256)
                .Tensor($"blk.{i}.ffn_gate_shexp.weight", DataType.Q4_K, h, 2048)
                .Tensor($"blk.{i}.ffn_up_shexp.weight", DataType.Q4_K, h, 2048)
                .Tensor($"blk.{i}.ffn_down_shexp.weight", DataType.Q6_K, 2048, h);
        }

        return Embeddings(b, h, 129_280, tied: false);
    }

    /// <summary>openai/gpt-oss-20b as ggml-org's GGUF stores it: MXFP4 experts with biases, Q8_0 elsewhere, sinks, a 128-token window on even layers.</summary>
    public static GgufBuilder GptOss20B()
    {
        const long h = 2880, heads = 64, kv = 8, hd = 64, experts = 32;
        var b = Start("gpt-oss", "gpt-oss-20b", layers: 24, h: (uint)h, heads: (uint)heads, kvHeads: (uint)kv, context: 131_072, fileType: 38)
            .U32("gpt-oss.attention.key_length", hd).U32("gpt-oss.attention.value_length", hd).U32("gpt-oss.feed_forward_length", 2880)
            .U32("gpt-oss.expert_feed_forward_length", 2880).U32("gpt-oss.expert_count", experts).U32("gpt-oss.expert_used_count", 4)
            .U32("gpt-oss.attention.sliding_window", 128).U32("gpt-oss.vocab_size", 201_088)
            .Str("gpt-oss.rope.scaling.type", "yarn").F32("gpt-oss.rope.scaling.factor", 32).U32("gpt-oss.rope.scaling.original_context_length", 4096);
        for (var i = 0; i < 24; i++)
        {
            b.Tensor($"blk.{i}.attn_norm.weight", DataType.Fp32, h)
                .Tensor($"blk.{i}.attn_q.weight", DataType.Q8_0, h, heads * hd).Tensor($"blk.{i}.attn_q.bias", DataType.Fp32, heads * hd)
                .Tensor($"blk.{i}.attn_k.weight", DataType.Q8_0, h, kv * hd).Tensor($"blk.{i}.attn_k.bias", DataType.Fp32, kv * hd)
                .Tensor($"blk.{i}.attn_v.weight", DataType.Q8_0, h, kv * hd).Tensor($"blk.{i}.attn_v.bias", DataType.Fp32, kv * hd)
                .Tensor($"blk.{i}.attn_output.weight", DataType.Q8_0, heads * hd, h).Tensor($"blk.{i}.attn_output.bias", DataType.Fp32, h)
                .Tensor($"blk.{i}.attn_sinks.weight", DataType.Fp32, heads)
                .Tensor($"blk.{i}.post_attention_norm.weight", DataType.Fp32, h)
                .Tensor($"blk.{i}.ffn_gate_inp.weight", DataType.Fp32, h, experts).Tensor($"blk.{i}.ffn_gate_inp.bias", DataType.Fp32, experts)
                .Tensor($"blk.{i}.ffn_gate_exps.weight", DataType.Mxfp4, h, 2880, experts).Tensor($"blk.{i}.ffn_gate_exps.bias", DataType.Fp32, 2880, experts)
                .Tensor($"blk.{i}.ffn_up_exps.weight", DataType.Mxfp4, h, 2880, experts).Tensor($"blk.{i}.ffn_up_exps.bias", DataType.Fp32, 2880, experts)
                .Tensor($"blk.{i}.ffn_down_exps.weight", DataType.Mxfp4, 2880, h, experts).Tensor($"blk.{i}.ffn_down_exps.bias", DataType.Fp32, h, experts);
        }

        return b.Tensor("token_embd.weight", DataType.Q8_0, h, 201_088).Tensor("output_norm.weight", DataType.Fp32, h).Tensor("output.weight", DataType.Q8_0, h, 201_088);
    }

    /// <summary>Qwen/Qwen2.5-0.5B: q, k and v biased, tied embeddings, widths that are not whole Q4_K blocks (896).</summary>
    public static GgufBuilder Qwen25_05B()
    {
        var b = Start("qwen2", "Qwen2.5-0.5B", layers: 24, h: 896, heads: 14, kvHeads: 2, context: 32768)
            .U32("qwen2.feed_forward_length", 4864).U32("qwen2.vocab_size", 151_936);
        for (var i = 0; i < 24; i++)
        {
            Attention(b, i, 896, 14, 2, 64);
            b.Tensor($"blk.{i}.attn_q.bias", DataType.Fp32, 896).Tensor($"blk.{i}.attn_k.bias", DataType.Fp32, 128).Tensor($"blk.{i}.attn_v.bias", DataType.Fp32, 128);
            Dense(b, i, 896, 4864);
        }

        return Embeddings(b, 896, 151_936, tied: true);
    }

    /// <summary>microsoft/Phi-3-mini-4k-instruct: fused qkv and gate-up projections, a 2,047-token window on every layer.</summary>
    public static GgufBuilder Phi3Mini()
    {
        var b = Start("phi3", "Phi-3-mini-4k-instruct", layers: 32, h: 3072, heads: 32, kvHeads: 32, context: 4096)
            .U32("phi3.feed_forward_length", 8192).U32("phi3.attention.sliding_window", 2047).U32("phi3.rope.dimension_count", 96).U32("phi3.vocab_size", 32064);
        for (var i = 0; i < 32; i++)
        {
            b.Tensor($"blk.{i}.attn_norm.weight", DataType.Fp32, 3072)
                .Tensor($"blk.{i}.attn_qkv.weight", DataType.Q4_K, 3072, 3 * 3072)
                .Tensor($"blk.{i}.attn_output.weight", DataType.Q4_K, 3072, 3072)
                .Tensor($"blk.{i}.ffn_norm.weight", DataType.Fp32, 3072)
                .Tensor($"blk.{i}.ffn_up.weight", DataType.Q4_K, 3072, 2 * 8192)
                .Tensor($"blk.{i}.ffn_down.weight", DataType.Q6_K, 8192, 3072);
        }

        return Embeddings(b, 3072, 32064, tied: false);
    }

    /// <summary>microsoft/phi-2 (its transformers-format checkpoint, separate q/k/v): one LayerNorm with bias per parallel block, biases everywhere, plain MLP, a biased LM head.</summary>
    public static GgufBuilder Phi2()
    {
        const long h = 2560, ff = 10240, vocab = 51200;
        var b = Start("phi2", "phi-2", layers: 32, h: (uint)h, heads: 32, kvHeads: 32, context: 2048).U32("phi2.feed_forward_length", ff).U32("phi2.rope.dimension_count", 32);
        for (var i = 0; i < 32; i++)
        {
            b.Tensor($"blk.{i}.attn_norm.weight", DataType.Fp32, h).Tensor($"blk.{i}.attn_norm.bias", DataType.Fp32, h)
                .Tensor($"blk.{i}.attn_q.weight", DataType.Q4_K, h, h).Tensor($"blk.{i}.attn_q.bias", DataType.Fp32, h)
                .Tensor($"blk.{i}.attn_k.weight", DataType.Q4_K, h, h).Tensor($"blk.{i}.attn_k.bias", DataType.Fp32, h)
                .Tensor($"blk.{i}.attn_v.weight", DataType.Q6_K, h, h).Tensor($"blk.{i}.attn_v.bias", DataType.Fp32, h)
                .Tensor($"blk.{i}.attn_output.weight", DataType.Q4_K, h, h).Tensor($"blk.{i}.attn_output.bias", DataType.Fp32, h)
                .Tensor($"blk.{i}.ffn_up.weight", DataType.Q4_K, h, ff).Tensor($"blk.{i}.ffn_up.bias", DataType.Fp32, ff)
                .Tensor($"blk.{i}.ffn_down.weight", DataType.Q6_K, ff, h).Tensor($"blk.{i}.ffn_down.bias", DataType.Fp32, h);
        }

        return b.Tokenizer((int)vocab).Tensor("token_embd.weight", DataType.Q4_K, h, vocab).Tensor("output_norm.weight", DataType.Fp32, h)
            .Tensor("output_norm.bias", DataType.Fp32, h).Tensor("output.weight", DataType.Q6_K, h, vocab).Tensor("output.bias", DataType.Fp32, vocab);
    }

    /// <summary>CohereForAI/c4ai-command-r-v01: one bias-free LayerNorm per parallel block, tied embeddings.</summary>
    public static GgufBuilder CommandR()
    {
        const long h = 8192, ff = 22528;
        var b = Start("command-r", "c4ai-command-r-v01", layers: 40, h: (uint)h, heads: 64, kvHeads: 64, context: 8192)
            .U32("command-r.feed_forward_length", ff).F32("command-r.logit_scale", 0.0625f).U32("command-r.vocab_size", 256_000);
        for (var i = 0; i < 40; i++)
        {
            b.Tensor($"blk.{i}.attn_norm.weight", DataType.Fp32, h)
                .Tensor($"blk.{i}.attn_q.weight", DataType.Q4_K, h, h).Tensor($"blk.{i}.attn_k.weight", DataType.Q4_K, h, h)
                .Tensor($"blk.{i}.attn_v.weight", DataType.Q6_K, h, h).Tensor($"blk.{i}.attn_output.weight", DataType.Q4_K, h, h);
            Dense(b, i, h, ff);
        }

        return Embeddings(b, h, 256_000, tied: true);
    }

    /// <summary>google/gemma-2b-it: multi-query attention (1 KV head) of head size 256, tied embeddings.</summary>
    public static GgufBuilder Gemma2B()
    {
        var b = Start("gemma", "gemma-2b-it", layers: 18, h: 2048, heads: 8, kvHeads: 1, context: 8192)
            .U32("gemma.attention.key_length", 256).U32("gemma.attention.value_length", 256).U32("gemma.feed_forward_length", 16384).U32("gemma.vocab_size", 256_000);
        for (var i = 0; i < 18; i++)
        {
            Attention(b, i, 2048, 8, 1, 256);
            Dense(b, i, 2048, 16384);
        }

        return Embeddings(b, 2048, 256_000, tied: true);
    }

    /// <summary>google/gemma-3-1b-it: five of six layers slide over 512 tokens, per-head q/k norms, four norms per block, tied.</summary>
    public static GgufBuilder Gemma3_1B()
    {
        var b = Start("gemma3", "gemma-3-1b-it", layers: 26, h: 1152, heads: 4, kvHeads: 1, context: 32768)
            .U32("gemma3.attention.key_length", 256).U32("gemma3.attention.value_length", 256).U32("gemma3.feed_forward_length", 6912)
            .U32("gemma3.attention.sliding_window", 512).U32("gemma3.vocab_size", 262_144);
        for (var i = 0; i < 26; i++)
        {
            Attention(b, i, 1152, 4, 1, 256);
            b.Tensor($"blk.{i}.attn_q_norm.weight", DataType.Fp32, 256).Tensor($"blk.{i}.attn_k_norm.weight", DataType.Fp32, 256)
                .Tensor($"blk.{i}.post_attention_norm.weight", DataType.Fp32, 1152).Tensor($"blk.{i}.post_ffw_norm.weight", DataType.Fp32, 1152);
            Dense(b, i, 1152, 6912);
        }

        return Embeddings(b, 1152, 262_144, tied: true);
    }

    /// <summary>openai-community/gpt2: learned positions, LayerNorms with biases, fused biased projections, tied head; no head_count_kv.</summary>
    public static GgufBuilder Gpt2()
    {
        const long h = 768, ff = 3072;
        var b = Start("gpt2", "gpt2", layers: 12, h: (uint)h, heads: 12, kvHeads: null, context: 1024).U32("gpt2.feed_forward_length", ff).Tokenizer(50257)
            .Tensor("position_embd.weight", DataType.Fp32, h, 1024);
        for (var i = 0; i < 12; i++)
        {
            b.Tensor($"blk.{i}.attn_norm.weight", DataType.Fp32, h).Tensor($"blk.{i}.attn_norm.bias", DataType.Fp32, h)
                .Tensor($"blk.{i}.attn_qkv.weight", DataType.Q8_0, h, 3 * h).Tensor($"blk.{i}.attn_qkv.bias", DataType.Fp32, 3 * h)
                .Tensor($"blk.{i}.attn_output.weight", DataType.Q8_0, h, h).Tensor($"blk.{i}.attn_output.bias", DataType.Fp32, h)
                .Tensor($"blk.{i}.ffn_norm.weight", DataType.Fp32, h).Tensor($"blk.{i}.ffn_norm.bias", DataType.Fp32, h)
                .Tensor($"blk.{i}.ffn_up.weight", DataType.Q8_0, h, ff).Tensor($"blk.{i}.ffn_up.bias", DataType.Fp32, ff)
                .Tensor($"blk.{i}.ffn_down.weight", DataType.Q8_0, ff, h).Tensor($"blk.{i}.ffn_down.bias", DataType.Fp32, h);
        }

        return b.Tensor("token_embd.weight", DataType.Q8_0, h, 50257).Tensor("output_norm.weight", DataType.Fp32, h).Tensor("output_norm.bias", DataType.Fp32, h);
    }

    /// <summary>google-bert/bert-base-uncased as llama.cpp converts it: embeddings with positions, token types and a norm; post-norm blocks; no pooler.</summary>
    public static GgufBuilder BertBase()
    {
        const long h = 768, ff = 3072;
        var b = Start("bert", "bert-base-uncased", layers: 12, h: (uint)h, heads: 12, kvHeads: null, context: 512, fileType: 1)
            .U32("bert.feed_forward_length", ff).U32("bert.pooling_type", 2).U32("tokenizer.ggml.token_type_count", 2).Tokenizer(30522)
            .Tensor("token_embd.weight", DataType.Fp16, h, 30522).Tensor("token_types.weight", DataType.Fp32, h, 2)
            .Tensor("position_embd.weight", DataType.Fp16, h, 512)
            .Tensor("token_embd_norm.weight", DataType.Fp32, h).Tensor("token_embd_norm.bias", DataType.Fp32, h);
        foreach (var i in Enumerable.Range(0, 12))
        {
            foreach (var p in new[] { "attn_q", "attn_k", "attn_v", "attn_output" })
            {
                b.Tensor($"blk.{i}.{p}.weight", DataType.Fp16, h, h).Tensor($"blk.{i}.{p}.bias", DataType.Fp32, h);
            }

            b.Tensor($"blk.{i}.attn_output_norm.weight", DataType.Fp32, h).Tensor($"blk.{i}.attn_output_norm.bias", DataType.Fp32, h)
                .Tensor($"blk.{i}.ffn_up.weight", DataType.Fp16, h, ff).Tensor($"blk.{i}.ffn_up.bias", DataType.Fp32, ff)
                .Tensor($"blk.{i}.ffn_down.weight", DataType.Fp16, ff, h).Tensor($"blk.{i}.ffn_down.bias", DataType.Fp32, h)
                .Tensor($"blk.{i}.layer_output_norm.weight", DataType.Fp32, h).Tensor($"blk.{i}.layer_output_norm.bias", DataType.Fp32, h);
        }

        return b;
    }

    private static GgufBuilder Start(string arch, string name, uint layers, uint h, uint heads, uint? kvHeads, uint context, uint fileType = Q4KM)
    {
        var b = new GgufBuilder()
            .Str("general.architecture", arch).Str("general.name", name).U32("general.file_type", fileType).U32("general.quantization_version", 2)
            .U32($"{arch}.block_count", layers).U32($"{arch}.context_length", context).U32($"{arch}.embedding_length", h)
            .U32($"{arch}.attention.head_count", heads)
            .F32($"{arch}.attention.layer_norm_rms_epsilon", 1e-6f);
        return kvHeads is { } kv ? b.U32($"{arch}.attention.head_count_kv", kv) : b;
    }

    /// <summary>Q4_K where rows are whole 256-element blocks, else Q8_0 (llama.cpp falls back the same way).</summary>
    private static DataType Matrix(long ne0) => ne0 % 256 == 0 ? DataType.Q4_K : DataType.Q8_0;

    /// <summary>The more precise type Q4_K_M gives attn_v, ffn_down and output: Q6_K, else Q8_0.</summary>
    private static DataType Precise(long ne0) => ne0 % 256 == 0 ? DataType.Q6_K : DataType.Q8_0;

    private static void Attention(GgufBuilder b, int i, long h, long heads, long kv, long hd) => b
        .Tensor($"blk.{i}.attn_norm.weight", DataType.Fp32, h)
        .Tensor($"blk.{i}.attn_q.weight", Matrix(h), h, heads * hd)
        .Tensor($"blk.{i}.attn_k.weight", Matrix(h), h, kv * hd)
        .Tensor($"blk.{i}.attn_v.weight", i % 2 == 0 ? Precise(h) : Matrix(h), h, kv * hd)
        .Tensor($"blk.{i}.attn_output.weight", Matrix(heads * hd), heads * hd, h)
        .Tensor($"blk.{i}.ffn_norm.weight", DataType.Fp32, h);

    private static void Dense(GgufBuilder b, int i, long h, long ff) => b
        .Tensor($"blk.{i}.ffn_gate.weight", Matrix(h), h, ff)
        .Tensor($"blk.{i}.ffn_up.weight", Matrix(h), h, ff)
        .Tensor($"blk.{i}.ffn_down.weight", i % 2 == 0 ? Precise(ff) : Matrix(ff), ff, h);

    private static void Experts(GgufBuilder b, int i, long h, long ff, long experts, DataType type) => b
        .Tensor($"blk.{i}.ffn_gate_inp.weight", DataType.Fp32, h, experts)
        .Tensor($"blk.{i}.ffn_gate_exps.weight", type, h, ff, experts)
        .Tensor($"blk.{i}.ffn_up_exps.weight", type, h, ff, experts)
        .Tensor($"blk.{i}.ffn_down_exps.weight", ff % 256 == 0 ? DataType.Q6_K : DataType.Q8_0, ff, h, experts);

    private static GgufBuilder Embeddings(GgufBuilder b, long h, long vocab, bool tied)
    {
        b.Tensor("token_embd.weight", Matrix(h), h, vocab).Tensor("output_norm.weight", DataType.Fp32, h);
        return tied ? b : b.Tensor("output.weight", Precise(h), h, vocab);
    }
}
