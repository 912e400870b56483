using System.Globalization;
using System.Text;
using LlmMem.Estimates;
using LlmMem.Units;

namespace LlmMem.Cli.Rendering;

/// <summary>The breakdown as GitHub-flavoured Markdown, for issues, pull requests and docs.</summary>
internal static class MarkdownRenderer
{
    public static string Render(Estimate estimate, RenderOptions options)
    {
        var md = new StringBuilder();
        md.AppendLine($"## {Escape(estimate.Model.Name)}: {estimate.Workload.Kind}");
        md.AppendLine();
        md.AppendLine($"{estimate.Model.Parameters.FormatExact()} parameters · " +
            string.Join(" · ", estimate.Workload.Settings.Select(s => $"{s.Name} {Escape(s.Value)}{(s.IsDefault ? " (default)" : "")}")));
        md.AppendLine();
        if (TableRenderer.FilesOrigin(estimate.Model) is { } origin)
        {
            md.AppendLine($"From {Escape(origin)}.");
            md.AppendLine();
        }


        var units = options.Columns;
        md.AppendLine("| Device | Term | Bytes | " + string.Join(" | ", units.Select(u => u.Symbol)) + " |");
        md.AppendLine("|---|---|---:|" + string.Concat(units.Select(_ => "---:|")));
        foreach (var group in DeviceGroup.Of(estimate.Devices))
        {
            foreach (var term in group.First.Terms)
            {
                md.AppendLine(Row(group.Label, Escape(term.Label), term.Bytes, units));
            }

            md.AppendLine(Row(group.Label, group.Count == 1 ? "**Total**" : "**Total per device**", group.First.Total, units));
            if (group.First.Capacity is { } capacity)
            {
                md.AppendLine(Row(group.Label, $"Capacity: {Escape(capacity.Name)}", capacity.Memory, units));
            }
        }

        md.AppendLine();
        md.AppendLine($"**Total: {estimate.Total.FormatExact()} = {estimate.Total.Format(options.Units)}**");
        if (estimate.KvPool is { } pool)
        {
            md.AppendLine();
            md.AppendLine(Escape(PoolText.Describe(pool)));
        }

        if (estimate.Decode is { } decode)
        {
            md.AppendLine();
            md.AppendLine(Escape(PoolText.Describe(decode)));
        }

        if (estimate.Warnings.Length > 0)
        {
            md.AppendLine();
            foreach (var warning in estimate.Warnings)
            {
                md.AppendLine($"> **Warning** (`{warning.Code}`): {Escape(warning.Message)}");
                md.AppendLine(">");
            }

            md.Length -= ">\n".Length;
        }

        if (options.Explain)
        {
            md.AppendLine();
            md.AppendLine("### Formulas");
            md.AppendLine();
            foreach (var group in DeviceGroup.Of(estimate.Devices))
            {
                md.AppendLine($"**{Escape(group.Label)}**");
                md.AppendLine();
                foreach (var term in group.First.Terms)
                {
                    md.AppendLine($"- `{ExplainText.Line(term, options.Units)}`  ");
                    md.AppendLine($"  source: {Escape(term.Source)}");
                }

                md.AppendLine();
            }
        }

        return md.ToString();
    }

    private static string Row(string device, string term, ByteSize bytes, IReadOnlyList<ByteUnit> units) =>
        $"| {Escape(device)} | {term} | {bytes.Bytes.ToString("N0", CultureInfo.InvariantCulture)} | " +
        string.Join(" | ", units.Select(u => bytes.FormatIn(u))) + " |";

    private static string Escape(string text) => text.Replace("|", "\\|", StringComparison.Ordinal);
}
