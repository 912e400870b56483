using System.Collections.Immutable;
using LlmMem.DataTypes;
using LlmMem.Models;

namespace LlmMem.Quantization;

/// <summary>A tensor as llama.cpp's converter would write it for a model: GGUF name, dimensions (ne0 first) and layer.</summary>
/// <param name="Name">"token_embd.weight", "blk.3.attn_v.weight", "blk.3.ffn_down_exps.weight" …</param>
/// <param name="Ne">Dimensions as ggml orders them: ne0 is the row length (a matrix's input width).</param>
/// <param name="Layer">The block it belongs to; null for global tensors.</param>
/// <param name="SourceType">Its type before quantisation: F32 for what the converter keeps in F32 (1-D tensors, the MoE router, position tables), else F16.</param>
public sealed record PlannedTensor(string Name, ImmutableArray<long> Ne, int? Layer, DataType SourceType)
{
    public long Elements { get; } = Ne.Aggregate(1L, (p, d) => checked(p * d));
}

/// <summary>
/// The tensor list llama.cpp's GGUF converter produces for a <see cref="ModelShape"/>: names from gguf-py
/// gguf/constants.py (TENSOR_NAMES), shapes from each architecture's tensors in src/llama-model.cpp (load_tensors).
/// 1-D tensors, the router (ffn_gate_inp) and position/token-type tables stay F32 (convert_hf_to_gguf.py).
/// </summary>
public static class GgufTensorPlan
{
    /// <summary>The llama.cpp architecture name for a Hugging Face model_type ("mistral" → "llama", "qwen3_moe" → "qwen3moe").</summary>
    public static string ArchitectureOf(ModelShape shape) => shape.Architecture switch
    {
        "mistral" or "mixtral" => "llama",
        "qwen3_moe" => "qwen3moe",
        "gemma3_text" => "gemma3",
        "gpt_oss" => "gpt-oss",
        "deepseek_v3" or "deepseek_v2" => "deepseek2",
        "cohere" => "command-r",
        "phi" => "phi2",
        var other => other,
    };

    public static ImmutableArray<PlannedTensor> For(ModelShape shape)
    {
        var h = shape.HiddenSize;
        var f16 = DataType.Fp16;
        var f32 = DataType.Fp32;
        var tensors = ImmutableArray.CreateBuilder<PlannedTensor>();
        void Add(string name, int? layer, DataType type, params long[] ne) => tensors.Add(new PlannedTensor(name, [.. ne], layer, type));
        void Matrix(string name, int? layer, long cols, long rows) => Add(name, layer, f16, cols, rows);
        void Vector(string name, int? layer, long n) => Add(name, layer, f32, n);

        var layerNormBias = shape.Norm.ParametersPerElement == 2;
        var fusedQkv = shape.Architecture is "phi3" or "gpt2";
        var fusedGateUp = shape.Architecture is "phi3";

        Matrix("token_embd.weight", null, h, shape.VocabSize);
        if (shape.RopeScaling == "llama3")
        {
            // convert_hf_to_gguf.py writes Llama 3.1's scaled RoPE frequencies as a tensor: one factor per rotary pair.
            Vector("rope_freqs.weight", null, shape.Layers[0].Attention.HeadDim / 2);
        }

        if (shape.Embeddings.LearnedPositions > 0)
        {
            Add("position_embd.weight", null, f32, h, shape.Embeddings.LearnedPositions);
        }

        if (shape.Embeddings.TokenTypes > 0)
        {
            Add("token_types.weight", null, f32, h, shape.Embeddings.TokenTypes);
        }

        for (var n = 0; n < shape.Embeddings.Norms; n++)
        {
            Vector("token_embd_norm.weight", null, h);
            if (layerNormBias)
            {
                Vector("token_embd_norm.bias", null, h);
            }
        }

        for (var i = 0; i < shape.Layers.Length; i++)
        {
            var layer = shape.Layers[i];
            var a = layer.Attention;
            var p = $"blk.{i}.";
            Vector(p + "attn_norm.weight", i, h);
            if (layerNormBias)
            {
                Vector(p + "attn_norm.bias", i, h);
            }

            if (a.Latent is { } m)
            {
                var qk = m.NopeHeadDim + m.RopeHeadDim;
                if (m.QueryRank is { } rq)
                {
                    Matrix(p + "attn_q_a.weight", i, h, rq);
                    Vector(p + "attn_q_a_norm.weight", i, rq);
                    Matrix(p + "attn_q_b.weight", i, rq, (long)a.Heads * qk);
                }
                else
                {
                    Matrix(p + "attn_q.weight", i, h, (long)a.Heads * qk);
                }

                Matrix(p + "attn_kv_a_mqa.weight", i, h, m.KvRank + m.RopeHeadDim);
                Vector(p + "attn_kv_a_norm.weight", i, m.KvRank);
                Matrix(p + "attn_kv_b.weight", i, m.KvRank, (long)a.Heads * (m.NopeHeadDim + m.ValueHeadDim));
            }
            else
            {
                long q = (long)a.Heads * a.HeadDim, k = (long)a.KvHeads * a.HeadDim, v = (long)a.KvHeads * a.ValueHeadDim;
                if (fusedQkv)
                {
                    Matrix(p + "attn_qkv.weight", i, h, q + k + v);
                }
                else
                {
                    Matrix(p + "attn_q.weight", i, h, q);
                    Matrix(p + "attn_k.weight", i, h, k);
                    Matrix(p + "attn_v.weight", i, h, v);
                }

                if (a.Bias != ProjectionBias.None)
                {
                    Vector(p + "attn_q.bias", i, q);
                    Vector(p + "attn_k.bias", i, k);
                    Vector(p + "attn_v.bias", i, v);
                }

                if (a.QkNorm == QkNorm.PerHeadDim)
                {
                    Vector(p + "attn_q_norm.weight", i, a.HeadDim);
                    Vector(p + "attn_k_norm.weight", i, a.HeadDim);
                }
                else if (a.QkNorm == QkNorm.FullProjection)
                {
                    Vector(p + "attn_q_norm.weight", i, q);
                    Vector(p + "attn_k_norm.weight", i, k);
                }

                if (a.Sinks)
                {
                    Vector(p + "attn_sinks.weight", i, a.Heads);
                }
            }

            Matrix(p + "attn_output.weight", i, (long)a.Heads * a.ValueHeadDim, h);
            if (a.Bias == ProjectionBias.All)
            {
                Vector(p + "attn_output.bias", i, h);
            }

            // Norms beyond attn_norm: one before the MLP (ffn_norm); Gemma 2/3 also post-attention and post-MLP norms.
            for (var n = 1; n < layer.Norms; n++)
            {
                var name = layer.Norms == 4
                    ? n switch { 1 => "post_attention_norm", 2 => "ffn_norm", _ => "post_ffw_norm" }
                    : shape.Architecture == "gpt_oss" ? "post_attention_norm" : "ffn_norm";
                Vector(p + name + ".weight", i, h);
                if (layerNormBias)
                {
                    Vector(p + name + ".bias", i, h);
                }
            }

            var mlp = layer.Mlp;
            if (mlp.Moe is { } moe)
            {
                Add(p + "ffn_gate_inp.weight", i, f32, h, moe.Experts);
                if (moe.RouterBias)
                {
                    Vector(p + (shape.Architecture == "deepseek_v3" ? "exp_probs_b.bias" : "ffn_gate_inp.bias"), i, moe.Experts);
                }

                var fe = moe.ExpertIntermediateSize;
                if (mlp.Gated)
                {
                    Add(p + "ffn_gate_exps.weight", i, f16, h, fe, moe.Experts);
                }

                Add(p + "ffn_up_exps.weight", i, f16, h, fe, moe.Experts);
                Add(p + "ffn_down_exps.weight", i, f16, fe, h, moe.Experts);
                if (moe.ExpertBias)
                {
                    Add(p + "ffn_gate_exps.bias", i, f32, fe, moe.Experts);
                    Add(p + "ffn_up_exps.bias", i, f32, fe, moe.Experts);
                    Add(p + "ffn_down_exps.bias", i, f32, h, moe.Experts);
                }

                if (moe.SharedIntermediateSize > 0)
                {
                    Matrix(p + "ffn_gate_shexp.weight", i, h, moe.SharedIntermediateSize);
                    Matrix(p + "ffn_up_shexp.weight", i, h, moe.SharedIntermediateSize);
                    Matrix(p + "ffn_down_shexp.weight", i, moe.SharedIntermediateSize, h);
                }
            }

            if (mlp.IntermediateSize > 0)
            {
                var f = mlp.IntermediateSize;
                if (mlp.Gated && fusedGateUp)
                {
                    Matrix(p + "ffn_up.weight", i, h, 2 * f);
                }
                else
                {
                    if (mlp.Gated)
                    {
                        Matrix(p + "ffn_gate.weight", i, h, f);
                    }

                    Matrix(p + "ffn_up.weight", i, h, f);
                }

                Matrix(p + "ffn_down.weight", i, f, h);
                if (mlp.Bias)
                {
                    Vector(p + "ffn_up.bias", i, f);
                    Vector(p + "ffn_down.bias", i, h);
                }
            }
        }

        if (shape.FinalNorms > 0)
        {
            Vector("output_norm.weight", null, h);
            if (layerNormBias)
            {
                Vector("output_norm.bias", null, h);
            }
        }

        if (!shape.TiedEmbeddings)
        {
            Matrix("output.weight", null, h, shape.VocabSize);
        }

        foreach (var extra in shape.Extras.Where(e => e.Loaded && e.Name == "lm_head_bias"))
        {
            Vector("output.bias", null, extra.Parameters);
        }

        return tensors.ToImmutable();
    }
}
