using System.Collections.Immutable;
using LlmMem.Estimates;
using LlmMem.Fitting;
using LlmMem.Units;
using ScottPlot;

namespace LlmMem.Cli.Rendering;

/// <summary>Memory per term on the first GPU along a sweep, its total, and the card's capacity, as PNG or SVG (ScottPlot).</summary>
internal static class PlotRenderer
{
    public static void Save(ImmutableArray<SweepPoint> points, SweepAxis axis, string title, string path, int width, int height)
    {
        var plot = new Plot();
        var xs = points.Select(p => (double)p.X).ToArray();
        ByteSize[] Series(Func<DeviceEstimate, ByteSize> of) => [.. points.Select(p => of(p.Estimate.Devices[0]))];
        double[] GiB(ByteSize[] sizes) => [.. sizes.Select(s => s.InGiB)];

        var ids = points.SelectMany(p => p.Estimate.Devices[0].Terms).Select(t => t.Id).Distinct().ToList();
        foreach (var id in ids)
        {
            var label = points.SelectMany(p => p.Estimate.Devices[0].Terms).Last(t => t.Id == id).Label;
            var line = plot.Add.Scatter(xs, GiB(Series(d => d.Terms.Where(t => t.Id == id).Aggregate(ByteSize.Zero, (s, t) => s + t.Bytes))));
            line.LegendText = ShortLabel(label);
            line.MarkerSize = 0;
            line.LineWidth = 1.5f;
        }

        var total = plot.Add.Scatter(xs, GiB(Series(d => d.Total)));
        total.LegendText = "Total";
        total.LineWidth = 3;
        total.MarkerSize = 0;
        total.Color = Colors.Black;

        if (points.Select(p => p.Estimate.Devices[0].Capacity).FirstOrDefault(c => c is not null) is { } capacity)
        {
            var limit = plot.Add.HorizontalLine(capacity.Memory.InGiB);
            limit.LegendText = $"{capacity.Name}: {capacity.Memory.Format(UnitSystem.Iec)}";
            limit.LinePattern = LinePattern.Dashed;
            limit.Color = Colors.Red;
            limit.LineWidth = 2;
        }

        plot.Title(title);
        plot.Axes.Bottom.Label.Text = axis switch
        {
            SweepAxis.Context => "context (tokens)",
            SweepAxis.Batch => "batch (sequences)",
            _ => "GPUs",
        };
        plot.Axes.Left.Label.Text = "memory per GPU (GiB, 1024³ bytes)";
        plot.ShowLegend(Alignment.UpperLeft);
        if (path.EndsWith(".svg", StringComparison.OrdinalIgnoreCase))
        {
            plot.SaveSvg(path, width, height);
        }
        else
        {
            plot.SavePng(path, width, height);
        }
    }

    /// <summary>"KV cache pool (bf16, 439,200 tokens)" → "KV cache pool": the legend names the term, not one point's numbers.</summary>
    private static string ShortLabel(string label)
    {
        var paren = label.IndexOf(" (", StringComparison.Ordinal);
        return paren > 0 && !label.StartsWith("CUDA", StringComparison.Ordinal) ? label[..paren] : label;
    }
}
