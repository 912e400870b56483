using System.Collections.Immutable;
using LlmMem.Units;

namespace LlmMem.Models;

/// <summary>The parameters of one component of a model: "attention", "experts", "lm_head" …</summary>
/// <param name="Name">Stable snake_case name.</param>
/// <param name="Parameters">Every parameter of the component.</param>
/// <param name="ActiveParameters">What one token touches: equal to <paramref name="Parameters"/> except for routed experts.</param>
/// <param name="Loaded">False for parameters a checkpoint stores but inference does not load (reported, not totalled).</param>
public sealed record ComponentCount(string Name, long Parameters, long ActiveParameters, bool Loaded = true);

/// <summary>A model's parameters component by component, with the total and the active count.</summary>
public sealed record ParameterBreakdown(ImmutableArray<ComponentCount> Components)
{
    /// <summary>Every parameter the model holds in memory, tied weights once.</summary>
    public ParameterCount Total { get; } = ParameterCount.Of(Components.Where(c => c.Loaded).Sum(c => c.Parameters));

    /// <summary>What one token touches: all but the routed experts a token is not sent to.</summary>
    public ParameterCount Active { get; } = ParameterCount.Of(Components.Where(c => c.Loaded).Sum(c => c.ActiveParameters));

    public long this[string name] => Components.Where(c => c.Name == name).Sum(c => c.Parameters);
}
