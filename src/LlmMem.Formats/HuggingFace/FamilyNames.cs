namespace LlmMem.Formats.HuggingFace;

/// <summary>Families llmem refuses on purpose: their memory is not a KV cache of attention layers.</summary>
internal static class FamilyNames
{
    /// <summary>Recurrent, state-space or linear-attention families (and hybrids of them with attention).</summary>
    public static readonly IReadOnlySet<string> Recurrent = new HashSet<string>(StringComparer.OrdinalIgnoreCase)
    {
        "mamba", "mamba2", "falcon_mamba", "falcon_h1", "jamba", "zamba", "zamba2", "bamba", "nemotron_h", "granitemoehybrid",
        "rwkv", "rwkv5", "rwkv6", "rwkv7", "recurrent_gemma", "qwen3_next", "qwen3_5", "qwen3_5_moe", "lfm2", "minimax", "xlstm",
        "plamo2", "hymba", "kimi_linear",
    };
}
