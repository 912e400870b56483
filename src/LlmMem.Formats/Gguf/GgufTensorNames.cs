using LlmMem.Models;

namespace LlmMem.Formats.Gguf;

/// <summary>
/// What a GGUF's tensor list says where its metadata is silent: which biases, norms, q/k norms and sinks exist, whether the LM
/// head is stored. Names follow llama.cpp's tensor naming (gguf-py constants, TENSOR_NAMES): "token_embd.weight",
/// "blk.0.attn_q.bias", "blk.3.ffn_up_exps.weight".
/// </summary>
internal sealed class GgufTensorNames
{
    private const string BlockPrefix = "blk.";

    /// <summary>Per-block hidden-size norms (not the q/k or latent norms, which belong to attention).</summary>
    private static readonly string[] BlockNorms =
        ["attn_norm", "attn_norm_2", "ffn_norm", "post_attention_norm", "post_ffw_norm", "attn_output_norm", "layer_output_norm"];

    private readonly GgufFile file;
    private readonly HashSet<string> blockSuffixes = new(StringComparer.Ordinal);

    public GgufTensorNames(GgufFile file)
    {
        this.file = file;
        foreach (var t in file.Tensors)
        {
            if (BlockSuffix(t.Name) is { } suffix)
            {
                blockSuffixes.Add(suffix);
            }
        }
    }

    /// <summary>True when the file lists no tensors (a vocabulary-only file): the architecture's defaults apply.</summary>
    public bool IsEmpty => file.Tensors.IsEmpty;

    /// <summary>A tensor outside the blocks, by full name: "output.weight".</summary>
    public bool Has(string name) => file.HasTensor(name);

    public StoredTensor? Find(string name) => file.FindTensor(name);

    /// <summary>True when some block has <c>blk.N.{suffix}</c>: "attn_q.bias".</summary>
    public bool InAnyBlock(string suffix) => blockSuffixes.Contains(suffix);

    public bool InBlock(int block, string suffix) => file.HasTensor($"{BlockPrefix}{block}.{suffix}");

    public StoredTensor? FindInBlock(int block, string suffix) => file.FindTensor($"{BlockPrefix}{block}.{suffix}");

    /// <summary>The hidden-size norms block <paramref name="block"/> stores (2 in Llama, 4 in Gemma 2, 1 in Phi-2); 0 when it stores none.</summary>
    public int NormsInBlock(int block) => BlockNorms.Count(n => InBlock(block, n + ".weight"));

    /// <summary>q, k, v (separate or fused) and output biases.</summary>
    public ProjectionBias AttentionBias()
    {
        var qkv = InAnyBlock("attn_q.bias") || InAnyBlock("attn_qkv.bias");
        var output = InAnyBlock("attn_output.bias");
        return output ? ProjectionBias.All : qkv ? ProjectionBias.Qkv : ProjectionBias.None;
    }

    public bool MlpBias() => InAnyBlock("ffn_up.bias") || InAnyBlock("ffn_down.bias");

    /// <summary>LayerNorm with a bias vector, or without (Cohere); RMSNorm families stay RMSNorm.</summary>
    public NormShape Norm(NormShape family) =>
        family == NormShape.RmsNorm ? family
        : InAnyBlock("attn_norm.bias") || InAnyBlock("attn_output_norm.bias") ? NormShape.LayerNorm
        : NormShape.LayerNormWithoutBias;

    /// <summary>q/k norms: one weight per head dimension (Qwen3, Gemma 3), or per element of the projection (Command R+).</summary>
    public QkNorm QkNorm(long headDim) => FindInBlock(0, "attn_q_norm.weight") is { } norm
        ? norm.Elements == headDim ? Models.QkNorm.PerHeadDim : Models.QkNorm.FullProjection
        : Models.QkNorm.None;

    public bool Sinks() => InAnyBlock("attn_sinks.weight") || InAnyBlock("attn_sinks");

    /// <summary>
    /// The component a tensor belongs to, by the names <see cref="Formulas.ParameterFormulas"/> uses: "attention", "experts",
    /// "norms" …; "other" for tensors no component models (rope_freqs).
    /// </summary>
    public static string Component(string name)
    {
        if (BlockSuffix(name) is not { } suffix)
        {
            var stem = name.Split('.')[0];
            return stem switch
            {
                "token_embd" or "position_embd" or "token_types" => "embeddings",
                "output" => "lm_head",
                _ when stem.EndsWith("norm", StringComparison.Ordinal) => "norms",
                _ => "other",
            };
        }

        var parts = suffix.Split('.');
        var part = parts[0];
        if (parts.Length == 3 && part.StartsWith("ffn_", StringComparison.Ordinal) && parts[1].All(char.IsAsciiDigit))
        {
            // Early Mixtral conversions stored one tensor per expert: blk.N.ffn_gate.E.weight.
            return "experts";
        }

        return part switch
        {
            _ when BlockNorms.Contains(part) => "norms",
            _ when part.StartsWith("attn_", StringComparison.Ordinal) => "attention",
            "ffn_gate_inp_shexp" => "shared_experts",
            "ffn_gate_inp" or "exp_probs_b" => "router",
            _ when part.EndsWith("_exps", StringComparison.Ordinal) => "experts",
            _ when part.EndsWith("_shexp", StringComparison.Ordinal) => "shared_experts",
            _ when part.StartsWith("ffn_", StringComparison.Ordinal) => "mlp",
            _ => "other",
        };
    }

    /// <summary>"attn_q.weight" for "blk.12.attn_q.weight"; null for a tensor outside the blocks.</summary>
    private static string? BlockSuffix(string name)
    {
        if (!name.StartsWith(BlockPrefix, StringComparison.Ordinal))
        {
            return null;
        }

        var dot = name.IndexOf('.', BlockPrefix.Length);
        return dot > BlockPrefix.Length ? name[(dot + 1)..] : null;
    }
}
