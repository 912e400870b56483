using System.Collections.Immutable;
using System.Text.Json;

namespace LlmMem.Formats.Validation;

/// <summary>One term of one case: what the engine logged and what llmem estimates.</summary>
/// <param name="Precision">Half a unit of the logged figure's last digit, in bytes: within it, the estimate is exact.</param>
/// <param name="Metric">What the source measured (training: nvidia-smi, reserved, allocated, active, estimate, capacity); null for engine logs.</param>
/// <param name="Method">What was trained (full, lora, qlora, zero); null for inference.</param>
public sealed record Comparison(string Term, long MeasuredBytes, long EstimatedBytes, double Precision, string? Metric = null, string? Method = null)
{
    public double AbsPercent => MeasuredBytes == 0 ? 0 : Math.Abs(EstimatedBytes - MeasuredBytes) * 100.0 / MeasuredBytes;

    public bool Exact => Math.Abs(EstimatedBytes - MeasuredBytes) <= Precision;
}

/// <summary>One ground-truth case: estimated term by term, or skipped with the reason.</summary>
/// <param name="Group">"main", "partial" (the source lacks something), "fork" (ik_llama.cpp and other forks), and for training
/// "capacity" (the largest context that fits) and "estimate" (the source's authors' own estimate, not a measurement).</param>
public sealed record CaseResult(string Id, string Engine, string Group, string Status, string? Reason, ImmutableArray<Comparison> Comparisons);

/// <summary>Errors of one term over the estimated cases of one engine and group.</summary>
public sealed record TermSummary(string Engine, string Group, string Term, int Cases, double MedianAbsPct, double P90AbsPct, int Exact);

/// <summary>Every case, and the summary per engine, group and term.</summary>
public sealed record ValidationReport(ImmutableArray<CaseResult> Cases)
{
    public ImmutableArray<TermSummary> Summary { get; } =
    [
        .. Cases.Where(c => c.Status == "estimated")
            .SelectMany(c => c.Comparisons.Select(x => (c.Engine, c.Group, Comparison: x)))
            .GroupBy(x => (x.Engine, x.Group, x.Comparison.Term))
            .OrderBy(g => g.Key.Engine, StringComparer.Ordinal).ThenBy(g => GroupOrder(g.Key.Group)).ThenBy(g => g.Key.Term, StringComparer.Ordinal)
            .Select(g =>
            {
                var errors = g.Select(x => x.Comparison.AbsPercent).Order().ToList();
                return new TermSummary(g.Key.Engine, g.Key.Group, g.Key.Term, errors.Count, Percentile(errors, 0.5), Percentile(errors, 0.9),
                    g.Count(x => x.Comparison.Exact));
            }),
    ];

    private static int GroupOrder(string group) => group switch { "main" => 0, "partial" => 1, "capacity" => 2, "estimate" => 3, _ => 4 };

    /// <summary>Linear interpolation between closest ranks.</summary>
    private static double Percentile(IReadOnlyList<double> sorted, double p)
    {
        var rank = p * (sorted.Count - 1);
        var low = (int)Math.Floor(rank);
        var high = (int)Math.Ceiling(rank);
        return sorted[low] + (sorted[high] - sorted[low]) * (rank - low);
    }
}

/// <summary>One line of a ground-truth .jsonl file, before any engine reads it.</summary>
internal static class GroundTruthLine
{
    /// <summary>The line's JSON object when it is a case (valid JSON with a string "id"); otherwise the skipped result that says so.</summary>
    public static bool TryParse(string line, int number, string engine, out JsonElement root, out CaseResult skipped)
    {
        try
        {
            root = JsonDocument.Parse(line).RootElement.Clone();
            if (root.ValueKind == JsonValueKind.Object && root.TryGetProperty("id", out var id) && id.ValueKind == JsonValueKind.String)
            {
                skipped = null!;
                return true;
            }
        }
        catch (JsonException)
        {
        }

        root = default;
        skipped = new CaseResult($"line {number}", engine, "partial", "skipped", "not a ground-truth case (malformed JSON or no id)", []);
        return false;
    }
}
