using System.Globalization;
using LlmMem.Estimates;
using LlmMem.Units;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace LlmMem.Cli.Rendering;

/// <summary>The breakdown as a Spectre.Console table, a bar per device, the warnings and, on request, the formulas.</summary>
internal static class TableRenderer
{
    private static readonly Color[] Palette =
        [Color.SteelBlue1, Color.Orange1, Color.MediumPurple2, Color.SeaGreen2, Color.Gold1, Color.IndianRed1, Color.Turquoise2, Color.Grey];

    public static void Render(Estimate estimate, RenderOptions options, IAnsiConsole console)
    {
        console.MarkupLine($"[bold]{Markup.Escape(estimate.Model.Name)}[/] · {estimate.Model.Parameters.FormatExact()} parameters · {estimate.Workload.Kind}");
        if (FilesOrigin(estimate.Model) is { } origin)
        {
            console.MarkupLine($"[grey]from {Markup.Escape(origin)}[/]");
        }

        console.MarkupLine("[grey]" + Markup.Escape(string.Join(" · ", estimate.Workload.Settings.Select(s => $"{s.Name} {s.Value}{(s.IsDefault ? " (default)" : "")}"))) + "[/]");
        console.WriteLine();

        var groups = DeviceGroup.Of(estimate.Devices);
        console.Write(BuildTable(estimate, groups, options));

        if (estimate.KvPool is { } pool)
        {
            console.WriteLine();
            console.MarkupLine(Markup.Escape(PoolText.Describe(pool)));
        }

        if (estimate.Decode is { } decode)
        {
            console.WriteLine();
            console.MarkupLine(Markup.Escape(PoolText.Describe(decode)));
        }

        foreach (var group in groups)
        {
            if (BuildChart(group, console.Profile.Width) is { } chart)
            {
                console.WriteLine();
                console.MarkupLine($"[bold]{Markup.Escape(group.Label)}[/]");
                console.Write(chart);
            }
        }

        if (estimate.Warnings.Length > 0)
        {
            console.WriteLine();
            foreach (var warning in estimate.Warnings)
            {
                console.MarkupLine($"[yellow]warning[/] [grey]({Markup.Escape(warning.Code)})[/]: {Markup.Escape(warning.Message)}");
            }
        }

        if (options.Explain)
        {
            console.WriteLine();
            console.MarkupLine("[bold]Formulas[/]");
            // Written past Spectre.Console so that long formulas stay on one line, whole for copying.
            foreach (var line in ExplainText.Lines(estimate, options.Units))
            {
                console.Profile.Out.Writer.WriteLine(line);
            }
        }
    }

    /// <summary>
    /// Where the files were read, when they were (a local path, llmem's Hub cache, the Hub, with its commit); null for a
    /// catalog id or a count, which name their source already (the JSON always has "origin").
    /// </summary>
    internal static string? FilesOrigin(ModelSummary model) =>
        model.Origin is { } origin && !origin.StartsWith("catalog", StringComparison.Ordinal) && origin != "parameter count" ? origin : null;

    private static Table BuildTable(Estimate estimate, IReadOnlyList<DeviceGroup> groups, RenderOptions options)
    {
        var table = new Table().Border(TableBorder.Rounded);
        table.AddColumn(new TableColumn("Device").NoWrap());
        table.AddColumn("Term");
        table.AddColumn(new TableColumn("Bytes").RightAligned().NoWrap());
        foreach (var unit in options.Columns)
        {
            table.AddColumn(new TableColumn(unit.Symbol).RightAligned().NoWrap());
        }

        IRenderable[] Row(string device, string term, ByteSize bytes, bool bold = false)
        {
            string Style(string text) => bold ? $"[bold]{text}[/]" : text;
            return
            [
                new Markup(Style(Markup.Escape(device))),
                new Markup(Style(Markup.Escape(term))),
                new Markup(Style(bytes.Bytes.ToString("N0", CultureInfo.InvariantCulture))),
                .. options.Columns.Select(u => new Markup(Style(bytes.FormatIn(u)))),
            ];
        }

        for (var g = 0; g < groups.Count; g++)
        {
            var group = groups[g];
            if (g > 0)
            {
                table.AddEmptyRow();
            }

            var first = true;
            foreach (var term in group.First.Terms)
            {
                table.AddRow(Row(first ? group.Label : "", term.Label, term.Bytes));
                first = false;
            }

            table.AddRow(Row(first ? group.Label : "", group.Count == 1 ? "Total" : "Total per device", group.First.Total, bold: true));
            if (group.First.Capacity is { } capacity)
            {
                table.AddRow(Row("", $"Capacity: {capacity.Name}", capacity.Memory));
                var fits = group.First.Total <= capacity.Memory;
                var margin = fits ? capacity.Memory - group.First.Total : group.First.Total - capacity.Memory;
                var verdict = fits ? "[green]Fits, free[/]" : "[red]Does not fit, short by[/]";
                table.AddRow(
                [
                    new Markup(""), new Markup(verdict), new Markup(margin.Bytes.ToString("N0", CultureInfo.InvariantCulture)),
                    .. options.Columns.Select(u => new Markup(margin.FormatIn(u))),
                ]);
            }
        }

        if (estimate.Devices.Length > 1)
        {
            table.AddEmptyRow();
            table.AddRow(Row("All devices", $"Total ({estimate.Devices.Length} devices)", estimate.Total, bold: true));
        }

        return table;
    }

    private static BreakdownChart? BuildChart(DeviceGroup group, int width)
    {
        var terms = group.First.Terms.Where(t => t.Bytes > ByteSize.Zero).ToList();
        if (terms.Count == 0)
        {
            return null;
        }

        var total = (double)group.First.Total.Bytes;
        var chart = new BreakdownChart()
            .Width(Math.Min(100, width))
            .UseValueFormatter((value, _) => value.ToString("0.0", CultureInfo.InvariantCulture) + "%");
        for (var i = 0; i < terms.Count; i++)
        {
            chart.AddItem(Markup.Escape(terms[i].Label), 100 * terms[i].Bytes.Bytes / total, Palette[i % Palette.Length]);
        }

        return chart;
    }
}
