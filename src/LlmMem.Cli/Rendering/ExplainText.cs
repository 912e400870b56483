using LlmMem.Estimates;
using LlmMem.Units;

namespace LlmMem.Cli.Rendering;

/// <summary>"weights = 8,000,000,000 params × 4 B (fp32) = 32.00 GB = 29.80 GiB": a term's formula, substituted and evaluated.</summary>
internal static class ExplainText
{
    public static string Line(Term term, UnitSystem units) =>
        $"{term.Id} = {term.Formula} = {term.Bytes.Format(units)}";

    public static IEnumerable<string> Lines(Estimate estimate, UnitSystem units)
    {
        foreach (var group in DeviceGroup.Of(estimate.Devices))
        {
            yield return group.Label + ":";
            foreach (var term in group.First.Terms)
            {
                yield return "  " + Line(term, units);
                yield return "      source: " + term.Source;
            }
        }
    }
}
