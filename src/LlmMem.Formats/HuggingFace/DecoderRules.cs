using LlmMem.Models;

namespace LlmMem.Formats.HuggingFace;

/// <summary>Which layers of a family use sliding-window attention, when the config does not list <c>layer_types</c>.</summary>
internal enum SlidingRule
{
    /// <summary>No sliding window, whatever the config says.</summary>
    None,

    /// <summary>Every layer, when <c>sliding_window</c> is set (Mistral, Mixtral, Phi-3).</summary>
    AllLayers,

    /// <summary>Layers 0, 2, 4 … slide; odd layers are global (Gemma 2: transformers modeling_gemma2 layer_types).</summary>
    EvenLayers,

    /// <summary>All but every <c>sliding_window_pattern</c>-th layer slide (Gemma 3: 5 of 6; Cohere 2: 3 of 4).</summary>
    Pattern,

    /// <summary>Only with <c>use_sliding_window</c>, and only layers from <c>max_window_layers</c> on (Qwen2, Qwen3).</summary>
    QwenWindowLayers,
}

/// <summary>
/// How one decoder family turns config.json fields into a <see cref="ModelShape"/>: the constant parts of its
/// modeling file (transformers models/&lt;family&gt;/modeling_&lt;family&gt;.py) that config.json does not spell out.
/// </summary>
/// <param name="NormsPerLayer">Hidden-size norms per block: 2 (before attention and MLP), 4 (Gemma 2/3, GLM-4: also after), 1 (parallel blocks).</param>
/// <param name="TiedByDefault">The family's default for <c>tie_word_embeddings</c> when the config omits it.</param>
/// <param name="Gated">Gated MLP (gate, up, down) versus plain (up, down).</param>
/// <param name="AttentionBias">Biases the attention always has, whatever <c>attention_bias</c> says.</param>
/// <param name="AttentionBiasFlag">The biases <c>attention_bias: true</c> turns on.</param>
/// <param name="MlpBias">True when MLP projections always carry biases (GPT-2, BERT, StarCoder2).</param>
/// <param name="LmHeadBias">True when the LM head has a bias vector (Phi-2).</param>
/// <param name="DefaultSlidingPattern">Gemma 3 and Cohere 2 defaults for <c>sliding_window_pattern</c>.</param>
internal sealed record DecoderRules(
    NormShape Norm,
    int NormsPerLayer = 2,
    bool TiedByDefault = false,
    bool Gated = true,
    ProjectionBias AttentionBias = ProjectionBias.None,
    ProjectionBias AttentionBiasFlag = ProjectionBias.All,
    bool MlpBias = false,
    QkNorm QkNorm = QkNorm.None,
    SlidingRule Sliding = SlidingRule.None,
    int DefaultSlidingPattern = 6,
    bool LmHeadBias = false);
