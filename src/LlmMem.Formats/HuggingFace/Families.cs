using System.Collections.Immutable;
using LlmMem.Formulas;
using LlmMem.Models;

namespace LlmMem.Formats.HuggingFace;

/// <summary>
/// Every supported <c>model_type</c> and how its config becomes a <see cref="ModelShape"/>. Each entry cites the
/// transformers modeling file whose weight shapes it follows; a family is listed only with a test on a real config.
/// </summary>
internal static class Families
{
    private static readonly DecoderRules Llama = new(NormShape.RmsNorm);

    /// <summary>transformers configuration_gemma3.py, Gemma3TextConfig.__init__ defaults.</summary>
    private static readonly Dictionary<string, long> Gemma3TextDefaults = new()
    {
        ["vocab_size"] = 262_208, ["hidden_size"] = 2304, ["intermediate_size"] = 9216, ["num_hidden_layers"] = 26,
        ["num_attention_heads"] = 8, ["num_key_value_heads"] = 4, ["head_dim"] = 256, ["max_position_embeddings"] = 131_072,
        ["sliding_window"] = 4096,
    };

    /// <summary>model_type → how to read it.</summary>
    private static readonly Dictionary<string, Func<FamilyReader, ModelShape>> Readers = new(StringComparer.OrdinalIgnoreCase)
    {
        // modeling_llama.py: RMSNorm ×2, SwiGLU, optional attention_bias (q,k,v,o) and mlp_bias.
        ["llama"] = r => r.Decoder(Llama),
        // modeling_mistral.py: Llama with a sliding window on every layer when sliding_window is set.
        ["mistral"] = r => r.Decoder(Llama with { Sliding = SlidingRule.AllLayers }),
        // modeling_mixtral.py: Mistral with num_local_experts SwiGLU experts of intermediate_size and a bias-free router.
        ["mixtral"] = r => r.Decoder(Llama with { Sliding = SlidingRule.AllLayers }, r.Experts("num_local_experts", "intermediate_size")),
        // modeling_qwen2.py: q, k and v always biased; sliding only with use_sliding_window, from max_window_layers on.
        ["qwen2"] = r => r.Decoder(Llama with { AttentionBias = ProjectionBias.Qkv, Sliding = SlidingRule.QwenWindowLayers }),
        // modeling_qwen3.py: q_norm and k_norm over head_dim, no q/k/v bias.
        ["qwen3"] = r => r.Decoder(Llama with { QkNorm = QkNorm.PerHeadDim, Sliding = SlidingRule.QwenWindowLayers }),
        // modeling_qwen3_moe.py: Qwen3 with experts of moe_intermediate_size; mlp_only_layers and decoder_sparse_step stay dense.
        ["qwen3_moe"] = r => r.Decoder(Llama with { QkNorm = QkNorm.PerHeadDim, Sliding = SlidingRule.QwenWindowLayers },
            r.Experts("num_experts", "moe_intermediate_size")),
        // modeling_gemma.py: Llama-like, embeddings tied by default, GeGLU.
        ["gemma"] = r => r.Decoder(Llama with { TiedByDefault = true }),
        // modeling_gemma2.py: four norms per block, even layers slide, tied embeddings.
        ["gemma2"] = r => r.Decoder(Llama with { NormsPerLayer = 4, TiedByDefault = true, Sliding = SlidingRule.EvenLayers }),
        // modeling_gemma3.py (Gemma3TextModel): Gemma 2 plus q/k norms; five of six layers slide. Hub configs omit fields
        // that equal Gemma3TextConfig's defaults (gemma-3-4b-it lists no heads, head_dim or vocab_size).
        ["gemma3_text"] = r => r.WithDefaults(Gemma3TextDefaults).Decoder(Llama with
        {
            NormsPerLayer = 4, TiedByDefault = true, QkNorm = QkNorm.PerHeadDim, Sliding = SlidingRule.Pattern, DefaultSlidingPattern = 6,
        }),
        // modeling_phi3.py: fused qkv and gate_up projections (same sizes), sliding window on every layer when set.
        ["phi3"] = r => r.Decoder(Llama with { Sliding = SlidingRule.AllLayers }),
        // modeling_cohere.py: one bias-free LayerNorm per (parallel) block, tied embeddings, optional per-head q/k norms.
        ["cohere"] = r => r.Decoder(new DecoderRules(NormShape.LayerNormWithoutBias, NormsPerLayer: 1, TiedByDefault: true,
            QkNorm: r.Config.OptionalBool("use_qk_norm") == true ? QkNorm.FullProjection : QkNorm.None)),
        // modeling_phi.py (Phi-1/2): one LayerNorm per parallel block, plain MLP, biases everywhere, biased LM head.
        ["phi"] = r => r.Decoder(new DecoderRules(NormShape.LayerNorm, NormsPerLayer: 1, Gated: false, AttentionBias: ProjectionBias.All,
            MlpBias: true, LmHeadBias: true)),
        // modeling_gpt_oss.py: biased attention with per-head sinks, biased router and experts, layer_types list.
        ["gpt_oss"] = r => r.Decoder(Llama with { AttentionBias = ProjectionBias.All }, r.Experts("num_local_experts", "intermediate_size", routerBias: true, expertBias: true), sinks: true),
        ["deepseek_v3"] = r => r.DeepSeek(),
        // modeling_gpt2.py: learned positions, LayerNorm ×2, Conv1D projections with biases, tied LM head.
        ["gpt2"] = r => r.Gpt2(),
        // modeling_bert.py (BertModel): embeddings with positions, token types and a LayerNorm; post-norm blocks; a pooler.
        ["bert"] = r => r.Bert(),
    };

    public static IReadOnlyCollection<string> Supported => Readers.Keys;

    public static Func<FamilyReader, ModelShape>? Find(string modelType) => Readers.GetValueOrDefault(modelType);
}
