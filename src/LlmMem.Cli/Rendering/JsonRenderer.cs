using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;
using LlmMem.Estimates;

namespace LlmMem.Cli.Rendering;

/// <summary>
/// The JSON contract scripts depend on. Byte counts are exact integers. Fields may be added, never renamed:
/// {"model":{"name","parameters"}, "workload":{…}, "total_bytes", "devices":[{"name","total_bytes","terms":[…]}], "warnings":[…]}.
/// </summary>
internal static class JsonRenderer
{
    /// <summary>Serializer options: snake_case, indented, nulls left out, and "×" or "⌈" written as themselves, not \u escapes.</summary>
    internal static LlmMemJsonContext Context { get; } = new(new JsonSerializerOptions
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        WriteIndented = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    });

    public static string Render(Estimate estimate) =>
        JsonSerializer.Serialize(ToJson(estimate), Context.EstimateJson);

    internal static EstimateJson ToJson(Estimate estimate) => new(
        new ModelJson(estimate.Model.Name, estimate.Model.Parameters.Value, estimate.Model.Architecture, estimate.Model.ActiveParameters?.Value, estimate.Model.Origin),
        new WorkloadJson(
            estimate.Workload.Kind,
            estimate.Workload.Settings.ToDictionary(s => s.Name, s => s.Value),
            [.. estimate.Workload.Settings.Where(s => s.IsDefault).Select(s => s.Name)]),
        estimate.Total.Bytes,
        [.. estimate.Devices.Select(d => new DeviceJson(
            d.Name,
            d.Total.Bytes,
            d.Capacity is null ? null : new CapacityJson(d.Capacity.Name, d.Capacity.Memory.Bytes, d.Capacity.Source),
            d.Fits,
            [.. d.Terms.Select(t => new TermJson(t.Id.Value, t.Label, t.Bytes.Bytes, t.Formula, t.Source))]))],
        [.. estimate.Warnings.Select(w => new WarningJson(w.Code, w.Message, w.Field))])
    {
        Engine = estimate.KvPool is { } pool
            ? new EngineJson(pool.Tokens, pool.MaxConcurrency is { } c ? Math.Round(c, 2) : null, pool.MaxModelLen, pool.BytesPerSequence, pool.LongestSequence, pool.Blocks, pool.BlockSize)
            : null,
        Decode = estimate.Decode is { } d
            ? new DecodeJson(Math.Round(d.TokensPerSecond, 1), d.BytesPerStep.Bytes, d.Sequences, d.BandwidthGBs, d.Device, d.Formula)
            : null,
    };
}

internal sealed record EstimateJson(ModelJson Model, WorkloadJson Workload, long TotalBytes, List<DeviceJson> Devices, List<WarningJson> Warnings)
{
    /// <summary>A paged engine's KV pool per GPU (vLLM): tokens, concurrency, and what one max_model_len request needs.</summary>
    public EngineJson? Engine { get; init; }

    /// <summary>The memory-bandwidth bound on decode speed, when the GPU's bandwidth is known.</summary>
    public DecodeJson? Decode { get; init; }
}

/// <param name="TokensPerSecondBound">An upper bound: bandwidth / bytes read per generated token.</param>
internal sealed record DecodeJson(double TokensPerSecondBound, long BytesPerStep, long Sequences, double BandwidthGbS, string Device, string Formula);

/// <param name="KvCacheTokens">Tokens the pool holds; null without a GPU.</param>
/// <param name="KvBytesPerSequence">KV bytes one request of max_model_len tokens needs on one GPU.</param>
internal sealed record EngineJson(long? KvCacheTokens, double? MaxConcurrency, long MaxModelLen, long KvBytesPerSequence, long? LongestSequence, long? KvBlocks, int BlockSize);

internal sealed record ModelJson(string Name, long Parameters, string? Architecture = null, long? ActiveParameters = null, string? Origin = null);

internal sealed record CatalogModelJson(string Id, List<string> Aliases, string Architecture, long Parameters, long ActiveParameters, long ContextLength,
    string Dtype, string Source, string OfficialParameters);

/// <param name="Defaults">Names of the settings the user did not give.</param>
internal sealed record WorkloadJson(string Kind, Dictionary<string, string> Settings, List<string> Defaults);

internal sealed record DeviceJson(string Name, long TotalBytes, CapacityJson? Capacity, bool? Fits, List<TermJson> Terms);

internal sealed record CapacityJson(string Name, long Bytes, string Source);

internal sealed record TermJson(string Id, string Label, long Bytes, string Formula, string Source);

internal sealed record WarningJson(string Code, string Message, string? Field);

internal sealed record DataTypeJson(string Name, int? GgmlId, string Family, int ElementsPerBlock, int BytesPerBlock,
    double BitsPerElement, List<string> Aliases, string Layout, string Source);

[JsonSerializable(typeof(EstimateJson))]
[JsonSerializable(typeof(FitJson))]
[JsonSerializable(typeof(LlmMem.Cli.Commands.PlanJson))]
[JsonSerializable(typeof(long))]
[JsonSerializable(typeof(string))]
[JsonSerializable(typeof(List<DataTypeJson>))]
[JsonSerializable(typeof(InspectJson))]
[JsonSerializable(typeof(LlmMem.Cli.Commands.QuantsJson))]
[JsonSerializable(typeof(LlmMem.Cli.Commands.ValidationJson))]
[JsonSerializable(typeof(List<LlmMem.Cli.Commands.GpuJson>))]
[JsonSerializable(typeof(List<CatalogModelJson>))]
internal sealed partial class LlmMemJsonContext : JsonSerializerContext;
