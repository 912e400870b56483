using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using LlmMem.Cli.Rendering;
using LlmMem.Formats.Hardware;
using LlmMem.Units;
using Spectre.Console;

namespace LlmMem.Cli.Commands;

/// <summary><c>llmem gpus</c>: the GPU catalog, with the source of every figure.</summary>
internal static class GpusCommand
{
    public static Command Create(CliOutput output)
    {
        var search = new Option<string?>("--search") { Description = "Only GPUs whose name, slug or alias contains this text.", HelpName = "text" };
        var format = CommonOptions.NewFormat();
        var command = new Command("gpus", "The GPU catalog: memory as marketed, as the runtime sees it, what an estimate may fill, and bandwidth — each with its source.")
        {
            search, format,
        };
        command.SetAction(result =>
        {
            var text = result.GetValue(search)?.Trim().ToLowerInvariant();
            var gpus = GpuCatalog.All.Where(g => text is null || g.Name.Contains(text, StringComparison.OrdinalIgnoreCase)
                || g.Slug.Contains(text, StringComparison.Ordinal) || g.Aliases.Any(a => a.Contains(text, StringComparison.Ordinal))).ToList();
            string Visible(LlmMem.Hardware.Gpu g) => g.VisibleMemory is { } v ? ModelDescription.N(v.Bytes / ByteSize.MiB) + " MiB" : "—";
            string Bandwidth(LlmMem.Hardware.Gpu g) => g.BandwidthGBs is { } b ? b.ToString("N0", CultureInfo.InvariantCulture) + " GB/s" : "—";
            switch (CommonOptions.ParseFormat(result.GetValue(format)))
            {
                case OutputFormat.Json:
                    var json = gpus.Select(g => new GpuJson(g.Slug, g.Name, g.Vendor, [.. g.Aliases], g.MarketedMemory, g.PhysicalMemory.Bytes,
                        g.VisibleMemory?.Bytes, g.Usable.Bytes, g.BandwidthGBs, g.Source, g.VisibleSource, g.Derived)
                    {
                        CudaTotalBytes = g.RuntimeTotal?.Bytes,
                        CudaTotalSource = g.RuntimeTotalSource,
                    }).ToList();
                    output.Out.WriteLine(JsonSerializer.Serialize(json, JsonRenderer.Context.ListGpuJson));
                    break;
                case OutputFormat.Markdown:
                    output.Out.WriteLine("| GPU | Slug | Marketed | Visible | Usable | Bandwidth |");
                    output.Out.WriteLine("|---|---|---:|---:|---:|---:|");
                    foreach (var g in gpus)
                    {
                        output.Out.WriteLine($"| {g.Name} | {g.Slug} | {g.MarketedMemory} | {Visible(g)} | {g.Usable.Format(UnitSystem.Iec)} | {Bandwidth(g)} |");
                    }

                    break;
                default:
                    var table = new Table().Border(TableBorder.Rounded);
                    foreach (var column in new[] { "GPU", "Slug (aliases)", "Marketed", "Visible", "Usable", "Bandwidth" })
                    {
                        table.AddColumn(column);
                    }

                    foreach (var c in new[] { 2, 3, 4, 5 })
                    {
                        table.Columns[c].RightAligned();
                    }

                    foreach (var g in gpus)
                    {
                        table.AddRow(Markup.Escape(g.Name), Markup.Escape(string.Join(", ", g.Aliases.Prepend(g.Slug))), g.MarketedMemory, Visible(g),
                            g.Usable.Format(UnitSystem.Iec) + (g.VisibleMemory is null ? "*" : ""), Bandwidth(g) + (g.Derived ? "†" : ""));
                    }

                    var console = output.CreateConsole();
                    console.Write(table);
                    console.MarkupLine("[grey]Visible: total memory as nvidia-smi or the runtime reports it. Usable: what estimates fill (* no visible reading: the marketed capacity, or the GPU's default share of unified memory). † a figure derived by a stated rule. Sources: 'llmem gpus --format json'.[/]");
                    break;
            }

            return ExitCodes.Ok;
        });
        return command;
    }
}

internal sealed record GpuJson(string Slug, string Name, string Vendor, List<string> Aliases, string MemoryMarketed, long MemoryBytes,
    long? VisibleBytes, long UsableBytes, double? BandwidthGbS, string Source, string? VisibleSource, bool Derived)
{
    /// <summary>The total CUDA/ROCm reports to a process (what vLLM's --gpu-memory-utilization applies to), where a log shows it.</summary>
    public long? CudaTotalBytes { get; init; }

    public string? CudaTotalSource { get; init; }
}
