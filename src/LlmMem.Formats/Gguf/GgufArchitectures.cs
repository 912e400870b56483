using LlmMem.Models;

namespace LlmMem.Formats.Gguf;

/// <summary>How a GGUF's blocks are laid out beyond the common decoder.</summary>
internal enum GgufLayout
{
    /// <summary>Llama and its relatives: rotary positions, one attention and one MLP (or MoE) per block.</summary>
    Decoder,

    /// <summary>DeepSeek-V2/V3: multi-head latent attention, leading dense blocks, then MoE with shared experts.</summary>
    DeepSeek2,

    /// <summary>GPT-2: learned positions, fused biased projections.</summary>
    Gpt2,

    /// <summary>BERT: an encoder with position and token-type embeddings and an embedding norm.</summary>
    Bert,
}

/// <summary>Which layers slide, from <c>{arch}.attention.sliding_window</c>.</summary>
internal enum GgufSliding
{
    /// <summary>No layer slides, whatever the metadata says (llama.cpp does not apply a window to these architectures).</summary>
    None,

    /// <summary>Every layer, when the window is set (Mistral converted as llama, Phi-3).</summary>
    AllLayersWhenSet,

    /// <summary>Layers 0, 2, 4 … slide (Gemma 2, gpt-oss: llama.cpp swa pattern 2). The window is required.</summary>
    EvenLayers,

    /// <summary>All but every n-th layer slide (Gemma 3: n = 6), or <c>{arch}.attention.sliding_window_pattern</c>. The window is required.</summary>
    Pattern,
}

/// <summary>
/// What one llama.cpp architecture's GGUF metadata leaves unsaid (llama.cpp src/llama-model.cpp, load_hparams and load_tensors).
/// Biases, q/k norms, norm counts, sinks and tied embeddings are read from the tensor list; the defaults here apply only
/// to a file that lists no tensors.
/// </summary>
/// <param name="ModelType">The Hugging Face <c>model_type</c> the shape reports, as the config.json reader names it.</param>
/// <param name="ExpertModelType">The <c>model_type</c> when the file has experts (llama with experts is Mixtral).</param>
/// <param name="DefaultWindow">The window when the file states none (early Gemma 2 conversions omitted it; llama.cpp assumes 4096).</param>
internal sealed record GgufArchitecture(
    string ModelType,
    NormShape Norm,
    GgufLayout Layout = GgufLayout.Decoder,
    int NormsPerLayer = 2,
    bool Gated = true,
    GgufSliding Sliding = GgufSliding.None,
    int SlidingPattern = 0,
    bool TiedByDefault = false,
    ProjectionBias AttentionBias = ProjectionBias.None,
    bool MlpBias = false,
    QkNorm QkNorm = QkNorm.None,
    string? ExpertModelType = null,
    long? DefaultWindow = null);

/// <summary>Every supported <c>general.architecture</c>, and the ones refused on purpose.</summary>
internal static class GgufArchitectures
{
    private static readonly NormShape Rms = NormShape.RmsNorm;

    private static readonly Dictionary<string, GgufArchitecture> Known = new(StringComparer.Ordinal)
    {
        // LLM_ARCH_LLAMA; also Mistral (a window on every layer when set) and Mixtral (llama.expert_count > 0).
        ["llama"] = new("llama", Rms, Sliding: GgufSliding.AllLayersWhenSet, ExpertModelType: "mixtral"),
        // LLM_ARCH_QWEN2: q, k and v biased.
        ["qwen2"] = new("qwen2", Rms, AttentionBias: ProjectionBias.Qkv),
        // LLM_ARCH_QWEN3 / QWEN3MOE: per-head q and k norms; every block MoE in qwen3moe.
        ["qwen3"] = new("qwen3", Rms, QkNorm: QkNorm.PerHeadDim),
        ["qwen3moe"] = new("qwen3_moe", Rms, QkNorm: QkNorm.PerHeadDim),
        // LLM_ARCH_GEMMA / GEMMA2 / GEMMA3: tied embeddings, GeGLU; Gemma 2/3 norm after attention and MLP too.
        ["gemma"] = new("gemma", Rms, TiedByDefault: true),
        ["gemma2"] = new("gemma2", Rms, NormsPerLayer: 4, TiedByDefault: true, Sliding: GgufSliding.EvenLayers, DefaultWindow: 4096),
        ["gemma3"] = new("gemma3_text", Rms, NormsPerLayer: 4, TiedByDefault: true, Sliding: GgufSliding.Pattern, SlidingPattern: 6, QkNorm: QkNorm.PerHeadDim),
        // LLM_ARCH_PHI3: fused qkv and gate-up projections (same sizes as separate ones).
        ["phi3"] = new("phi3", Rms, Sliding: GgufSliding.AllLayersWhenSet),
        // LLM_ARCH_PHI2: one LayerNorm per parallel block, plain MLP, biases everywhere, a biased LM head.
        ["phi2"] = new("phi", NormShape.LayerNorm, NormsPerLayer: 1, Gated: false, AttentionBias: ProjectionBias.All, MlpBias: true),
        // LLM_ARCH_COMMAND_R: one bias-free LayerNorm per parallel block, tied embeddings.
        ["command-r"] = new("cohere", NormShape.LayerNormWithoutBias, NormsPerLayer: 1, TiedByDefault: true),
        // LLM_ARCH_DEEPSEEK2: DeepSeek-V2, V2-Lite, V3 and R1.
        ["deepseek2"] = new("deepseek_v2", Rms, GgufLayout.DeepSeek2),
        // LLM_ARCH_OPENAI_MOE: biased attention with sinks, biased router and experts, even layers slide.
        ["gpt-oss"] = new("gpt_oss", Rms, Sliding: GgufSliding.EvenLayers, AttentionBias: ProjectionBias.All),
        // LLM_ARCH_GPT2 and LLM_ARCH_BERT.
        ["gpt2"] = new("gpt2", NormShape.LayerNorm, GgufLayout.Gpt2, Gated: false, TiedByDefault: true, AttentionBias: ProjectionBias.All, MlpBias: true),
        ["bert"] = new("bert", NormShape.LayerNorm, GgufLayout.Bert, Gated: false, TiedByDefault: true, AttentionBias: ProjectionBias.All, MlpBias: true),
    };

    /// <summary>Recurrent, state-space and linear-attention architectures, and hybrids of them with attention (llama.cpp arch names).</summary>
    private static readonly HashSet<string> Recurrent = new(StringComparer.Ordinal)
    {
        "mamba", "mamba2", "jamba", "falcon-h1", "granitehybrid", "nemotron_h", "nemotron_h_moe", "plamo2", "rwkv6", "rwkv6qwen2",
        "rwkv7", "arwkv7", "lfm2", "lfm2moe", "qwen3next", "qwen35", "qwen35moe", "kimi-linear", "minimax-01",
    };

    /// <summary>The supported architectures, sorted.</summary>
    public static IReadOnlyList<string> Supported { get; } = [.. Known.Keys.Order(StringComparer.Ordinal)];

    public static GgufArchitecture? Find(string architecture) => Known.GetValueOrDefault(architecture);

    public static bool IsRecurrent(string architecture) => Recurrent.Contains(architecture);
}
