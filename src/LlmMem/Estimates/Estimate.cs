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

    /// <summary>The KV pool a paged engine reserves per GPU, in tokens and requests (vLLM); null for other engines.</summary>
    public KvPoolReport? KvPool { get; init; }

    /// <summary>The memory-bandwidth bound on decode speed, when the GPU's bandwidth is known.</summary>
    public DecodeBound? Decode { get; init; }
}

/// <summary>The model as the estimate saw it.</summary>
/// <param name="Architecture">The family (<c>model_type</c>), when the architecture is known.</param>
/// <param name="ActiveParameters">Parameters one token touches, for mixture-of-experts models.</param>
/// <param name="Origin">Where the model came from: a parameter count, the catalog, a file.</param>
public sealed record ModelSummary(string Name, ParameterCount Parameters, string? Architecture = null, ParameterCount? ActiveParameters = null, string? Origin = null)
{
    public static ModelSummary Of(Models.ModelSpec model) => new(
        model.Name,
        model.Parameters,
        model.Shape?.Architecture,
        model.Shape is { IsMixtureOfExperts: true } ? model.Breakdown?.Active : null,
        model.Origin);
}

/// <summary>"inference" or "training", with the settings that shaped the estimate, in display order.</summary>
public sealed record Workload(string Kind, ImmutableArray<Setting> Settings);

/// <summary>One input as the estimator applied it; <see cref="IsDefault"/> when the user did not give it.</summary>
public sealed record Setting(string Name, string Value, bool IsDefault = false);
