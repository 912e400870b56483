using System.Globalization;
using LlmMem.Fitting;

namespace LlmMem.Cli.Rendering;

/// <summary>A fit answer in words and as JSON; the estimate at the answer is rendered like any other.</summary>
internal static class FitRenderer
{
    public static string Summary(FitResult result, bool markdown)
    {
        var lines = new List<string>();
        var bold = markdown ? "**" : "";
        if (result.Fits)
        {
            lines.Add($"{bold}Fits:{bold} " + string.Join(" · ", result.Answer.Select(a => $"{a.Key} {Pretty(a.Value)}")));
            if (result.Limiting is { } next)
            {
                var step = result.NextStep is null ? "One step more" : $"At {result.NextStep}";
                lines.Add($"{step} it does not fit: {next.Device} would be short by {next.Excess.Format()} ({next.TermLabel} grows past it).");
            }
        }
        else
        {
            lines.Add($"{bold}Does not fit{bold} at any setting tried.");
            if (result.Limiting is { } limit)
            {
                lines.Add($"{limit.Device} is short by {limit.Excess.Format()}; its largest term is {limit.TermLabel} ({limit.Term}).");
            }
        }

        lines.AddRange(result.Notes);
        return string.Join(markdown ? "\n\n" : "\n", lines);
    }

    private static string Pretty(string value) =>
        long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n.ToString("N0", CultureInfo.InvariantCulture) : value;

    public static FitJson ToJson(FitResult result) => new(
        result.Fits,
        result.Answer.ToDictionary(a => a.Key, a => (object)(long.TryParse(a.Value, NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : a.Value)),
        result.Limiting is { } l ? new FitLimitJson(l.Device, l.Term.Value, l.TermLabel, l.Excess.Bytes) : null,
        JsonRenderer.ToJson(result.Estimate),
        [.. result.Notes])
    {
        NextStep = result.NextStep,
    };
}

/// <summary>{"fits", "answer": {"context"|"batch"|"concurrency"|"gpus"|"quant"|"gpu_layers"|"cpu_moe": value}, "limiting", "estimate", "notes"}.</summary>
internal sealed record FitJson(bool Fits, Dictionary<string, object> Answer, FitLimitJson? Limiting, EstimateJson Estimate, List<string> Notes)
{
    /// <summary>The setting one step beyond the answer, where <see cref="Limiting"/> applies.</summary>
    public string? NextStep { get; init; }
}

internal sealed record FitLimitJson(string Device, string Term, string Label, long ExcessBytes);
