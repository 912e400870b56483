using LlmMem.Text;

namespace LlmMem.Training;

/// <summary>What is trained: every weight, or low-rank adapters on a frozen (possibly quantised) base.</summary>
public enum TrainingMethod
{
    Full,
    Lora,
    Dora,
    Qlora,
}

public static class TrainingMethods
{
    public static IReadOnlyList<string> Names { get; } = ["full", "lora", "dora", "qlora"];

    public static bool TryParse(string? text, out TrainingMethod method, out string error)
    {
        var index = Names.ToList().IndexOf((text ?? "").Trim().ToLowerInvariant());
        method = index < 0 ? TrainingMethod.Full : (TrainingMethod)index;
        error = index < 0 ? NameSuggestion.UnknownMessage("training method", text ?? "", Names.ToArray()) : "";
        return index >= 0;
    }
}
