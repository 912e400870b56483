namespace LlmMem.Formats.HuggingFace;

/// <summary>Bounds on what a config.json may contain, each with its reason.</summary>
internal static class ConfigLimits
{
    /// <summary>The largest config.json read: 4 MiB. Real ones are under 20 KiB (gpt-oss's is 1.8 KiB); multimodal ones under 100 KiB.</summary>
    public const int MaxBytes = 4 << 20;

    /// <summary>JSON nesting depth: real configs nest 3 or 4 levels (text_config → rope_scaling).</summary>
    public const int MaxDepth = 32;

    /// <summary>Largest dimension accepted (hidden size, vocabulary, intermediate size): 2³¹ − 1. The largest real ones are near 10⁶.</summary>
    public const long MaxDimension = int.MaxValue;

    /// <summary>Most layers accepted: real models have up to ~200.</summary>
    public const int MaxLayers = 100_000;

    /// <summary>Most experts accepted: real MoE models have up to 512.</summary>
    public const int MaxExperts = 1_000_000;
}
