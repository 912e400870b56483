using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace LlmMem.Formats.Validation;

/// <summary>What a training ground-truth case records, read from its JSON line (data/groundtruth/README.md).</summary>
internal sealed partial class TrainingCase(JsonElement root)
{
    private const double GiB = 1024.0 * 1024 * 1024;
    private const double MiB = 1024.0 * 1024;

    public string Id => root.GetProperty("id").GetString()!;

    public string Text(string name) => root.TryGetProperty(name, out var v) ? v.ValueKind switch
    {
        JsonValueKind.String => v.GetString()!,
        JsonValueKind.True => "true",
        JsonValueKind.False => "false",
        _ => "",
    } : "";

    public bool Has(string name) => root.TryGetProperty(name, out var v) && v.ValueKind != JsonValueKind.Null;

    public long? Long(string name) => root.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number && v.TryGetInt64(out var x) ? x : null;

    public bool? Bool(string name) => root.TryGetProperty(name, out var v) ? v.ValueKind switch
    {
        JsonValueKind.True => true,
        JsonValueKind.False => false,
        _ => null,
    } : null;

    /// <summary>The lora object: null when the run trained every weight.</summary>
    public JsonElement? Lora => root.TryGetProperty("lora", out var v) && v.ValueKind == JsonValueKind.Object ? v : null;

    public string LoraText(string name) => Lora is { } l && l.TryGetProperty(name, out var v) ? v.ValueKind switch
    {
        JsonValueKind.String => v.GetString()!,
        JsonValueKind.Array => string.Join(",", v.EnumerateArray().Select(e => e.GetString())),
        JsonValueKind.Number => v.GetRawText(),
        _ => "",
    } : "";

    private JsonElement? MeasuredValue(string name) =>
        root.TryGetProperty("measured", out var m) && m.ValueKind == JsonValueKind.Object && m.TryGetProperty(name, out var v) ? v : null;

    /// <summary>A measured number and half a unit of its last printed digit.</summary>
    public (double Value, double HalfUnit)? Number(string name)
    {
        if (MeasuredValue(name) is not { ValueKind: JsonValueKind.Number } v)
        {
            return null;
        }

        var raw = v.GetRawText();
        var dot = raw.IndexOf('.');
        return (v.GetDouble(), 0.5 * Math.Pow(10, -(dot < 0 ? 0 : raw.Length - dot - 1)));
    }

    public bool MeasuredFlag(string name) => MeasuredValue(name) is { ValueKind: JsonValueKind.True };

    /// <summary>
    /// The peak per GPU the source printed, in bytes, with its rounding, and the field it came from: the allocator's
    /// figure when the source has one (it excludes the CUDA context and the caching allocator's slack), else nvidia-smi's.
    /// Units: torch and DeepSpeed's "GB" divide by 1024³ (deepspeed/runtime/utils.py see_memory_usage); torchtune says GiB
    /// or GB; nvidia-smi prints MiB; other "GB" are taken as 10⁹; tools/measure's *_bytes fields are bytes.
    /// </summary>
    public (double Bytes, double HalfUnit, string Field)? Peak()
    {
        (double, double, string)? Scaled(string field, double unit) => Number(field) is { } n ? (n.Value * unit, n.HalfUnit * unit, field) : null;
        var unitText = MeasuredValue("unit") is { ValueKind: JsonValueKind.String } u ? u.GetString() : null;
        // tools/measure writes exact bytes, one metric per line (tools/measure/records.py).
        return Scaled("max_memory_allocated_bytes", 1)
            ?? Scaled("max_memory_reserved_bytes", 1)
            ?? Scaled("device_used_bytes", 1)
            ?? Scaled("max_mem_allocated_gb", GiB)
            ?? Scaled("peak_memory_active_gib", GiB)
            ?? Scaled("peak_memory_per_gpu", unitText == "GiB" ? GiB : 1e9)
            ?? Scaled("per_gpu_memory_gb", 1e9)
            ?? Scaled("gpu_used_mib", MiB)
            ?? Scaled("nvidia_smi_mib", MiB)
            ?? Scaled("nvidia_smi_mib_per_gpu", MiB)
            ?? Range("per_gpu_memory_gb_range", 1e9)
            ?? Scaled("estimated_gb", 1e9);
    }

    /// <summary>A [low, high] range: its middle, within half its width.</summary>
    private (double, double, string)? Range(string field, double unit) =>
        MeasuredValue(field) is { ValueKind: JsonValueKind.Array } a && a.GetArrayLength() == 2
            ? ((a[0].GetDouble() + a[1].GetDouble()) / 2 * unit, (a[1].GetDouble() - a[0].GetDouble()) / 2 * unit, field)
            : null;

    /// <summary>"80 GB GPU", "A100 80GB", "8 GB GPU": the marketed size in GB (the card's GiB, as NVIDIA rounds them).</summary>
    public long? GpuGigabytes => GpuSize().Match(Text("gpu")) is { Success: true } m ? long.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture) : null;

    [GeneratedRegex(@"(\d+)\s*GB")]
    private static partial Regex GpuSize();
}
