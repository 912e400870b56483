using LlmMem.Units;

namespace LlmMem.Models;

/// <summary>
/// What llmem knows about a model. For now only a name and a parameter count; the architecture
/// (layers, heads, vocabulary …) joins it with config.json support.
/// </summary>
public sealed record ModelSpec(string Name, ParameterCount Parameters)
{
    /// <summary>A model given as a bare size: "8B", "1.5B", "135M", "7e9".</summary>
    public static bool TryFromParameterCount(string? text, out ModelSpec model, out string error)
    {
        if (ParameterCount.TryParse(text, out var count, out error))
        {
            model = new ModelSpec(text!.Trim(), count);
            return true;
        }

        model = new ModelSpec("", ParameterCount.Of(0));
        return false;
    }
}
