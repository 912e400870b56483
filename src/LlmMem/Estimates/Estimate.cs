using System.Collections.Immutable;
using LlmMem.Units;

namespace LlmMem.Estimates;

/// <summary>The answer: memory per device, term by term, with the warnings that qualify it. Front ends only render this.</summary>
/// <param name="Model">What was estimated.</param>
/// <param name="Workload">What it was estimated for, and the settings that applied (defaults included).</param>
/// <param name="Devices">Every device, GPUs first, then "cpu" when anything lives in host RAM.</param>
/// <param name="Warnings">Assumptions and gaps, each tied to an input field where one applies.</param>
public sealed record Estimate(
    ModelSummary Model,
    Workload Workload,
    ImmutableArray<DeviceEstimate> Devices,
    ImmutableArray<EstimateWarning> Warnings)
{
    /// <summary>The sum over all devices, host included.</summary>
    public ByteSize Total { get; } = Devices.Aggregate(ByteSize.Zero, (sum, d) => sum + d.Total);
}

/// <summary>The model as the estimate saw it.</summary>
public sealed record ModelSummary(string Name, ParameterCount Parameters);

/// <summary>"inference" or "training", with the settings that shaped the estimate, in display order.</summary>
public sealed record Workload(string Kind, ImmutableArray<Setting> Settings);

/// <summary>One input as the estimator applied it; <see cref="IsDefault"/> when the user did not give it.</summary>
public sealed record Setting(string Name, string Value, bool IsDefault = false);
