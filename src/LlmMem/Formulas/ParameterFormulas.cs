using System.Collections.Immutable;
using LlmMem.Models;

namespace LlmMem.Formulas;

/// <summary>
/// Exact parameter counts from a <see cref="ModelShape"/>, component by component: the shapes of the weight
/// matrices each Hugging Face modeling file creates (transformers models/*/modeling_*.py).
/// </summary>
public static class ParameterFormulas
{
    /// <summary>Stable component names, in display order.</summary>
    public static readonly ImmutableArray<string> ComponentNames =
        ["embeddings", "attention", "mlp", "experts", "shared_experts", "router", "norms", "lm_head"];

    /// <summary>
    /// Counts every parameter. Example: Llama-3-8B = 8,030,261,248 (= total_size / 2 of its bf16 safetensors index).
    /// </summary>
    public static ParameterBreakdown Count(ModelShape shape)
    {
        var h = shape.HiddenSize;
        long attention = 0, mlp = 0, experts = 0, activeExperts = 0, shared = 0, router = 0, norms = 0;
        foreach (var layer in shape.Layers)
        {
            attention += Attention(h, layer.Attention);
            norms += checked(layer.Norms * shape.Norm.ParametersPerElement * h);
            if (layer.Mlp.Moe is { } moe)
            {
                var perExpert = Mlp(h, moe.ExpertIntermediateSize, gated: layer.Mlp.Gated, bias: moe.ExpertBias);
                experts += checked(moe.Experts * perExpert);
                activeExperts += checked(moe.ActiveExperts * perExpert);
                router += checked(moe.Experts * h + (moe.RouterBias ? moe.Experts : 0));
                if (moe.SharedIntermediateSize > 0)
                {
                    shared += Mlp(h, moe.SharedIntermediateSize, layer.Mlp.Gated, bias: false) + (moe.SharedExpertGate ? h : 0);
                }
            }

            if (layer.Mlp.IntermediateSize > 0)
            {
                mlp += Mlp(h, layer.Mlp.IntermediateSize, layer.Mlp.Gated, layer.Mlp.Bias);
            }
        }

        norms += checked((shape.FinalNorms + shape.Embeddings.Norms) * shape.Norm.ParametersPerElement * h);
        var embeddings = checked((shape.VocabSize + shape.Embeddings.LearnedPositions + shape.Embeddings.TokenTypes) * h);
        var lmHead = shape.TiedEmbeddings ? 0 : checked(shape.VocabSize * h);

        var components = ImmutableArray.CreateBuilder<ComponentCount>();
        components.Add(new("embeddings", embeddings, embeddings));
        components.Add(new("attention", attention, attention));
        if (mlp > 0)
        {
            components.Add(new("mlp", mlp, mlp));
        }

        if (experts > 0)
        {
            components.Add(new("experts", experts, activeExperts));
            if (shared > 0)
            {
                components.Add(new("shared_experts", shared, shared));
            }

            components.Add(new("router", router, router));
        }

        components.Add(new("norms", norms, norms));
        components.Add(new("lm_head", lmHead, lmHead));
        foreach (var extra in shape.Extras)
        {
            components.Add(new(extra.Name, extra.Parameters, extra.Parameters, extra.Loaded));
        }

        return new ParameterBreakdown(components.ToImmutable());
    }

    /// <summary>
    /// One layer's attention. Standard: q (h × H·d), k and v (h × K·d), o (H·d × h), plus biases, q/k norms and sinks.
    /// Latent (DeepSeek-V2/V3 modeling_deepseek.py): q_a (h × r_q) + its norm + q_b (r_q × H·(nope+rope)),
    /// kv_a (h × (r_kv + rope)) + its norm + kv_b (r_kv × H·(nope+v)), o (H·v × h).
    /// </summary>
    public static long Attention(long h, AttentionShape a)
    {
        if (a.Latent is { } m)
        {
            long heads = a.Heads;
            var qk = m.NopeHeadDim + m.RopeHeadDim;
            var query = m.QueryRank is { } rq ? checked(h * rq + rq + rq * heads * qk) : checked(h * heads * qk);
            var keyValue = checked(h * (m.KvRank + m.RopeHeadDim) + m.KvRank + m.KvRank * heads * (m.NopeHeadDim + m.ValueHeadDim));
            return checked(query + keyValue + heads * m.ValueHeadDim * h);
        }

        long q = checked((long)a.Heads * a.HeadDim);
        long k = checked((long)a.KvHeads * a.HeadDim);
        long v = checked((long)a.KvHeads * a.ValueHeadDim);
        long o = checked((long)a.Heads * a.ValueHeadDim);
        var weights = checked(h * (q + k + v) + o * h);
        var bias = a.Bias switch
        {
            ProjectionBias.Qkv => q + k + v,
            ProjectionBias.All => q + k + v + h,
            _ => 0,
        };
        var qkNorm = a.QkNorm switch
        {
            QkNorm.PerHeadDim => 2L * a.HeadDim,
            QkNorm.FullProjection => q + k,
            _ => 0,
        };
        return checked(weights + bias + qkNorm + (a.Sinks ? a.Heads : 0));
    }

    /// <summary>A gated MLP has gate, up (h × f each) and down (f × h); a plain one up and down; biases add f per input projection and h.</summary>
    public static long Mlp(long h, long f, bool gated, bool bias)
    {
        var inputs = gated ? 2 : 1;
        return checked((inputs + 1) * h * f + (bias ? inputs * f + h : 0));
    }
}
