using System.Text.Json;
using System.Text.RegularExpressions;

namespace LlmMem.Formats.Validation;

/// <summary>What a vLLM ground-truth case records, read from its JSON line (data/groundtruth/README.md).</summary>
internal sealed partial class VllmCase(JsonElement root)
{
    public string Id => root.GetProperty("id").GetString()!;

    public string Text(string name) => root.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString()! : "";

    /// <summary>The verbatim log or table lines, joined.</summary>
    public string RawText => root.TryGetProperty("raw", out var r) && r.ValueKind == JsonValueKind.Array
        ? string.Join("\n", r.EnumerateArray().Where(e => e.ValueKind == JsonValueKind.String).Select(e => e.GetString()))
        : "";

    public long? Long(string name) => root.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number && v.TryGetInt64(out var x) ? x : null;

    public double? Double(string name) => root.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number ? v.GetDouble() : null;

    public bool? Bool(string name) => root.TryGetProperty(name, out var v) ? v.ValueKind switch
    {
        JsonValueKind.True => true,
        JsonValueKind.False => false,
        _ => null,
    } : null;

    /// <summary>"main" for complete measured logs; "partial" when the source lacks something or the set-up is exotic.</summary>
    public string Group =>
        Text("completeness").StartsWith("full", StringComparison.OrdinalIgnoreCase)
        && !new[] { "exotic", "inferred", "approximate", "not in excerpt", "not printed", "not quoted", "failure" }
            .Any(w => Text("completeness").Contains(w, StringComparison.OrdinalIgnoreCase))
        && !Text("engine").Contains("ROCm", StringComparison.OrdinalIgnoreCase)
            ? "main"
            : "partial";

    /// <summary>A measured figure: its value, and half a unit of its last printed digit (the log's rounding).</summary>
    public (double Value, double HalfUnit)? Measured(string name)
    {
        if (!root.TryGetProperty("measured", out var m) || m.ValueKind != JsonValueKind.Object
            || !m.TryGetProperty(name, out var v) || v.ValueKind != JsonValueKind.Number)
        {
            return null;
        }

        var raw = v.GetRawText();
        var dot = raw.IndexOf('.');
        var decimals = dot < 0 ? 0 : raw.Length - dot - 1;
        return (v.GetDouble(), 0.5 * Math.Pow(10, -decimals));
    }

    /// <summary>The version number in "~0.6.4 (V0, …)", "0.10.2 (V1)", "0.8.5"; null when the case gives none.</summary>
    public string? VersionNumber => VersionPattern().Match(Text("engine_version")) is { Success: true } m ? m.Value : null;

    /// <summary>"V0" or "V1" when the case says which engine ran.</summary>
    public string? EngineGeneration => Text("engine_version") switch
    {
        var t when t.Contains("V0", StringComparison.Ordinal) => "V0",
        var t when t.Contains("V1", StringComparison.Ordinal) => "V1",
        _ => null,
    };

    [GeneratedRegex(@"\d+\.\d+(\.\d+)?")]
    private static partial Regex VersionPattern();
}
