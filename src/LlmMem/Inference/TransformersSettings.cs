using System.Globalization;

namespace LlmMem.Inference;

/// <summary>How Hugging Face Transformers attends: the score matrices it materialises depend on it.</summary>
public enum AttentionImplementation
{
    /// <summary>Plain PyTorch: every layer materialises batch × heads × tokens² scores (attn_implementation="eager").</summary>
    Eager,

    /// <summary>torch.nn.functional.scaled_dot_product_attention (the default): flash or memory-efficient kernels, no score matrix.</summary>
    Sdpa,

    /// <summary>flash-attn 2 (attn_implementation="flash_attention_2"): no score matrix.</summary>
    Flash,
}

/// <summary>Which KV cache generate() keeps (cache_implementation).</summary>
public enum CacheImplementation
{
    /// <summary>DynamicCache, the default: grows by concatenation, one token at a time.</summary>
    Dynamic,

    /// <summary>StaticCache: max_cache_len tokens allocated up front.</summary>
    Static,
}

/// <summary>Options of <c>from_pretrained</c> + <c>generate</c> that shape memory. Null means Transformers' default.</summary>
/// <param name="Version">major.minor of Transformers: before 4.45 the prefill computes logits for every prompt position.</param>
public sealed record TransformersSettings(AttentionImplementation? Attention = null, CacheImplementation? Cache = null, (int Major, int Minor)? Version = null)
{
    /// <summary>The version llmem models when none is given.</summary>
    public static readonly (int Major, int Minor) LatestVersion = (4, 57);

    /// <summary>
    /// generate() asks the model for the last position's logits only from 4.45 (num_logits_to_keep, later logits_to_keep,
    /// transformers PR #31292); before, LlamaForCausalLM computed, and upcast to fp32, logits for every prompt position.
    /// </summary>
    public bool LogitsForEveryPosition => (Version ?? LatestVersion).CompareTo((4, 45)) < 0;

    public static bool TryParseVersion(string? text, out (int Major, int Minor) version, out string error)
    {
        version = default;
        var parts = (text ?? "").Trim().TrimStart('v', 'V').Split('.');
        if (parts.Length >= 2 && int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var major)
            && int.TryParse(new string(parts[1].TakeWhile(char.IsAsciiDigit).ToArray()), NumberStyles.None, CultureInfo.InvariantCulture, out var minor))
        {
            version = (major, minor);
            error = "";
            return true;
        }

        error = $"Unknown Transformers version '{text}': give it as major.minor, e.g. 4.44.";
        return false;
    }

    public static bool TryParseAttention(string? text, out AttentionImplementation attention, out string error)
    {
        error = "";
        switch ((text ?? "").Trim().ToLowerInvariant())
        {
            case "eager":
                attention = AttentionImplementation.Eager;
                return true;
            case "sdpa":
                attention = AttentionImplementation.Sdpa;
                return true;
            case "flash" or "flash_attention_2" or "flash-attention-2" or "fa2":
                attention = AttentionImplementation.Flash;
                return true;
            default:
                attention = default;
                error = $"Unknown --attention '{text}'. Valid: eager, sdpa, flash.";
                return false;
        }
    }

    public static bool TryParseCache(string? text, out CacheImplementation cache, out string error)
    {
        error = "";
        switch ((text ?? "").Trim().ToLowerInvariant())
        {
            case "dynamic":
                cache = CacheImplementation.Dynamic;
                return true;
            case "static":
                cache = CacheImplementation.Static;
                return true;
            default:
                cache = default;
                error = $"Unknown --cache '{text}'. Valid: dynamic, static.";
                return false;
        }
    }
}
