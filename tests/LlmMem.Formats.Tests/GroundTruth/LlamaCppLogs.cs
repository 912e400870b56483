using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace LlmMem.Formats.Tests.GroundTruth;

/// <summary>Cases of data/groundtruth/llamacpp.jsonl: real llama.cpp load logs, read for what llama.cpp itself printed.</summary>
internal static partial class LlamaCppLogs
{
    private static readonly Lazy<Dictionary<string, string>> Logs = new(() =>
        File.ReadLines(Path.Combine(AppContext.BaseDirectory, "groundtruth", "llamacpp.jsonl"))
            .Select(l => JsonDocument.Parse(l).RootElement)
            .ToDictionary(e => e.GetProperty("id").GetString()!, e => e.GetProperty("raw_log").GetString()!));

    /// <summary>The "model size = 394.95 MiB" or "file size = 17.28 GiB" line, in bytes, with the printed precision (half a unit of the last digit).</summary>
    public static (double Bytes, double Precision) ModelSize(string id)
    {
        var match = SizeLine().Match(Logs.Value[id]);
        Assert.True(match.Success, $"{id} has no model size line");
        var number = match.Groups["n"].Value;
        var unit = match.Groups["u"].Value == "GiB" ? 1024.0 * 1024 * 1024 : 1024.0 * 1024;
        var decimals = number.Length - number.IndexOf('.') - 1;
        return (double.Parse(number, CultureInfo.InvariantCulture) * unit, 0.5 * Math.Pow(10, -decimals) * unit);
    }

    /// <summary>The loader's "type q4_K:  289 tensors" lines, by ggml type name.</summary>
    public static Dictionary<string, int> TypeCounts(string id) =>
        TypeLine().Matches(Logs.Value[id]).ToDictionary(m => m.Groups["t"].Value, m => int.Parse(m.Groups["c"].Value, CultureInfo.InvariantCulture));

    [GeneratedRegex(@"(?:model|file) size\s*=\s*(?<n>[0-9.]+) (?<u>MiB|GiB)")]
    private static partial Regex SizeLine();

    [GeneratedRegex(@"- type\s+(?<t>\w+):\s+(?<c>\d+) tensors")]
    private static partial Regex TypeLine();
}
