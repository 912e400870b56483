using System.Collections.Immutable;
using LlmMem.DataTypes;

namespace LlmMem.Models;

/// <summary>
/// The architecture of a model as every formula sees it, whichever file it was read from (config.json, GGUF
/// metadata, safetensors headers). Per-layer variation — sliding-window versus full attention, dense layers before
/// MoE layers, per-layer KV heads — is data in <see cref="Layers"/>, never a special case in a formula.
/// </summary>
/// <param name="Architecture">The family, as Hugging Face's <c>model_type</c> names it: "llama", "qwen3_moe" …</param>
/// <param name="HiddenSize">d_model: the width of the residual stream.</param>
/// <param name="VocabSize">Rows of the token embedding (and of the LM head).</param>
/// <param name="ContextLength">The longest context the model was built for (<c>max_position_embeddings</c>).</param>
/// <param name="TiedEmbeddings">True when the LM head reuses the token embedding matrix: counted once.</param>
/// <param name="Norm">How the model's normalisation layers are parameterised.</param>
/// <param name="Embeddings">Token, position and token-type embeddings.</param>
/// <param name="Layers">Every transformer block, in order.</param>
/// <param name="FinalNorms">Norms after the last block (1 in decoders; 0 in BERT, whose norm sits in the embeddings).</param>
/// <param name="Extras">Named parameter groups outside the blocks (BERT's pooler, DeepSeek's multi-token-prediction layer).</param>
/// <param name="StoredDtype">The dtype of the checkpoint's unquantised tensors (<c>torch_dtype</c>).</param>
/// <param name="Quantization">The checkpoint's own quantisation, when it has one.</param>
public sealed record ModelShape(
    string Architecture,
    long HiddenSize,
    long VocabSize,
    long ContextLength,
    bool TiedEmbeddings,
    NormShape Norm,
    EmbeddingShape Embeddings,
    ImmutableArray<LayerShape> Layers,
    int FinalNorms,
    ImmutableArray<ExtraComponent> Extras,
    DataType StoredDtype,
    CheckpointQuantization? Quantization = null)
{
    public int LayerCount => Layers.Length;

    /// <summary>The RoPE scaling type (<c>rope_scaling.rope_type</c>: "llama3", "yarn", "linear" …), or null.</summary>
    public string? RopeScaling { get; init; }

    /// <summary>True when any layer routes tokens to experts.</summary>
    /// <remarks>A plain loop rather than LINQ's Any with a closure: every estimate asks (docs/performance.md, Run 2).</remarks>
    public bool IsMixtureOfExperts
    {
        get
        {
            foreach (var layer in Layers)
            {
                if (layer.Mlp.Moe is not null)
                {
                    return true;
                }
            }

            return false;
        }
    }
}

/// <summary>Parameters per normalised element: 1 for RMSNorm or bias-free LayerNorm (weight), 2 for LayerNorm (weight and bias).</summary>
public sealed record NormShape(string Kind, int ParametersPerElement)
{
    public static NormShape RmsNorm { get; } = new("RMSNorm", 1);

    public static NormShape LayerNorm { get; } = new("LayerNorm", 2);

    public static NormShape LayerNormWithoutBias { get; } = new("LayerNorm (no bias)", 1);
}

/// <param name="LearnedPositions">Rows of a learned position table (GPT-2, BERT); 0 with rotary embeddings.</param>
/// <param name="TokenTypes">Rows of BERT's token-type (segment) table.</param>
/// <param name="Norms">Norms applied to the embeddings themselves (BERT's embedding LayerNorm).</param>
public sealed record EmbeddingShape(long LearnedPositions = 0, long TokenTypes = 0, int Norms = 0);

/// <summary>One transformer block.</summary>
/// <param name="Norms">Hidden-size norms in the block: 2 in Llama (before attention and MLP), 4 in Gemma 2/3.</param>
public sealed record LayerShape(AttentionShape Attention, MlpShape Mlp, int Norms);

/// <summary>How a layer attends, and what its projections hold.</summary>
public enum AttentionKind
{
    /// <summary>Every token attends to the whole context.</summary>
    Full,

    /// <summary>Each token attends to the last <see cref="AttentionShape.SlidingWindow"/> tokens.</summary>
    Sliding,

    /// <summary>DeepSeek's multi-head latent attention: a compressed KV latent is cached.</summary>
    Latent,
}

/// <summary>Which attention projections carry a bias vector.</summary>
public enum ProjectionBias
{
    None,

    /// <summary>q, k and v (Qwen2).</summary>
    Qkv,

    /// <summary>q, k, v and the output projection.</summary>
    All,
}

/// <summary>Per-head normalisation of queries and keys.</summary>
public enum QkNorm
{
    None,

    /// <summary>One weight vector of head_dim shared by all heads (Qwen3, Gemma 3).</summary>
    PerHeadDim,

    /// <summary>One weight per element of the whole projection (OLMo 2).</summary>
    FullProjection,
}

/// <param name="Heads">Query heads.</param>
/// <param name="KvHeads">Key/value heads (GQA: fewer than <paramref name="Heads"/>; MQA: 1).</param>
/// <param name="HeadDim">Width of a query/key head.</param>
/// <param name="ValueHeadDim">Width of a value head (equal to <paramref name="HeadDim"/> except in MLA).</param>
/// <param name="SlidingWindow">Tokens a sliding-window layer sees; null for full attention.</param>
/// <param name="Sinks">True when each head has a learned attention-sink logit (gpt-oss).</param>
/// <param name="Latent">The low-rank projections of latent attention.</param>
public sealed record AttentionShape(
    AttentionKind Kind,
    int Heads,
    int KvHeads,
    int HeadDim,
    int ValueHeadDim,
    long? SlidingWindow = null,
    ProjectionBias Bias = ProjectionBias.None,
    QkNorm QkNorm = QkNorm.None,
    bool Sinks = false,
    LatentAttentionShape? Latent = null);

/// <summary>DeepSeek-V2/V3 multi-head latent attention (config: q_lora_rank, kv_lora_rank, qk_nope_head_dim, qk_rope_head_dim, v_head_dim).</summary>
/// <param name="QueryRank">Rank of the query down-projection; null when queries are projected directly.</param>
/// <param name="LegacyGguf">A GGUF converted before llama.cpp PR #12801 (no <c>attention.key_length_mla</c>, kv_b unsplit): llama.cpp
/// cannot run it as MLA and caches per-head K and V (llama-hparams is_mla(); the V2-Lite log gt014 shows it).</param>
public sealed record LatentAttentionShape(int? QueryRank, int KvRank, int NopeHeadDim, int RopeHeadDim, int ValueHeadDim, bool LegacyGguf = false);

/// <summary>The feed-forward part of a block: a dense MLP, or experts with a router.</summary>
/// <param name="Gated">True for gated MLPs (SwiGLU, GeGLU: gate, up and down projections); false for up and down only.</param>
/// <param name="IntermediateSize">Width of the dense MLP; 0 in a pure MoE layer.</param>
/// <param name="Bias">True when the projections carry biases.</param>
public sealed record MlpShape(bool Gated, long IntermediateSize, bool Bias, MoeShape? Moe = null);

/// <summary>A mixture-of-experts layer.</summary>
/// <param name="Experts">Routed experts.</param>
/// <param name="ActiveExperts">Routed experts each token uses (top-k).</param>
/// <param name="ExpertIntermediateSize">Width of one routed expert's MLP.</param>
/// <param name="SharedIntermediateSize">Total width of the always-on shared expert(s); 0 when none.</param>
/// <param name="SharedExpertGate">True when a sigmoid gate (hidden × 1) scales the shared expert (Qwen2-MoE).</param>
/// <param name="RouterBias">Biases of the router: a bias vector (gpt-oss) or DeepSeek's score-correction bias.</param>
/// <param name="ExpertBias">True when expert projections carry biases (gpt-oss).</param>
public sealed record MoeShape(
    int Experts,
    int ActiveExperts,
    long ExpertIntermediateSize,
    long SharedIntermediateSize = 0,
    bool SharedExpertGate = false,
    bool RouterBias = false,
    bool ExpertBias = false);

/// <summary>A named group of parameters outside the transformer blocks.</summary>
/// <param name="Name">Stable snake_case name: "pooler", "mtp".</param>
/// <param name="Parameters">Its parameter count.</param>
/// <param name="Loaded">False when the usual inference model does not load it (DeepSeek's MTP layer); it is then reported but not totalled.</param>
/// <param name="Description">Why it is separate.</param>
public sealed record ExtraComponent(string Name, long Parameters, bool Loaded, string Description);

/// <summary>A checkpoint's own quantisation (config.json <c>quantization_config</c>).</summary>
/// <param name="Method">"fp8", "mxfp4", "gptq", "awq", "bitsandbytes" …</param>
/// <param name="WeightType">Storage of the quantised weights.</param>
/// <param name="QuantisedComponents">Which components are stored in <paramref name="WeightType"/>; the rest keep the stored dtype.</param>
public sealed record CheckpointQuantization(string Method, DataType WeightType, ImmutableArray<string> QuantisedComponents, string Description);
