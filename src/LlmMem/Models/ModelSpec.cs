using System.Collections.Immutable;
using LlmMem.Estimates;
using LlmMem.Formulas;
using LlmMem.Units;

namespace LlmMem.Models;

/// <summary>
/// What llmem knows about a model: at least a name and a parameter count; with an architecture, its
/// <see cref="Shape"/> and exact per-component <see cref="Breakdown"/>.
/// </summary>
public sealed record ModelSpec(string Name, ParameterCount Parameters)
{
    /// <summary>The architecture, when the model came from a config (catalog, file, Hub); null for a bare count.</summary>
    public ModelShape? Shape { get; init; }

    /// <summary>Parameters per component, when the architecture is known.</summary>
    public ParameterBreakdown? Breakdown { get; init; }

    /// <summary>The tensors of the model's files, when llmem read them (safetensors headers, GGUF tensor infos).</summary>
    public StoredWeights? Stored { get; init; }

    /// <summary>Where the model came from: "parameter count", "catalog (…)", a file path.</summary>
    public string Origin { get; init; } = "parameter count";

    /// <summary>What reading the model noticed (a missing field defaulted, a vision tower not counted …).</summary>
    public ImmutableArray<EstimateWarning> Notes { get; init; } = [];

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

    /// <summary>A model with a known architecture: parameters are counted from the shape.</summary>
    public static ModelSpec FromShape(string name, ModelShape shape, string origin, ImmutableArray<EstimateWarning> notes = default)
    {
        var breakdown = ParameterFormulas.Count(shape);
        return new ModelSpec(name, breakdown.Total)
        {
            Shape = shape,
            Breakdown = breakdown,
            Origin = origin,
            Notes = notes.IsDefault ? [] : notes,
        };
    }
}
