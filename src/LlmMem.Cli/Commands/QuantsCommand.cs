using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using LlmMem.Cli.Rendering;
using LlmMem.DataTypes;
using LlmMem.Quantization;
using LlmMem.Units;
using Spectre.Console;

namespace LlmMem.Cli.Commands;

/// <summary><c>llmem quants MODEL</c>: every llama.cpp file type's predicted GGUF size and bits per weight.</summary>
internal static class QuantsCommand
{
    public static Command Create(CliOutput output)
    {
        var model = new Argument<string>("model") { Description = "A catalog name (llama-3.1-8b), a config.json, or a folder holding one." };
        var imatrix = new Option<bool>("--imatrix") { Description = "Assume an importance matrix is used (it changes a few tensor types; IQ1/IQ2 types require one)." };
        var format = CommonOptions.NewFormat();
        var units = CommonOptions.NewUnits();
        var command = new Command("quants", "Every llama.cpp file type (Q2_K … Q8_0, IQ1_S … IQ4_XS, F16 …): the GGUF size llama.cpp's quantiser would produce, and its bits per weight.")
        {
            model, imatrix, format, units,
        };
        var source = new ModelOptions();
        source.AddTo(command);
        command.SetAction(result =>
        {
            var spec = source.Resolve(result, result.GetValue(model)!, output);
            var shape = spec.Shape ?? throw new UsageException(
                $"'{spec.Name}' is a bare parameter count: predicting GGUF sizes needs an architecture (a catalog name such as llama-3.1-8b, or a config.json).");
            var useImatrix = result.GetValue(imatrix);
            var rows = LlamaFileType.All
                .Where(f => f.Name != "MXFP4_MOE" || shape.IsMixtureOfExperts)
                .Select(f => (FileType: f, Prediction: GgufSizePredictor.Predict(shape, f, useImatrix || f.RequiresImportanceMatrix)))
                .OrderBy(r => r.Prediction.TotalBytes)
                .ToList();
            string Note(LlamaFileType f) => f.RequiresImportanceMatrix && !useImatrix ? "needs an imatrix" : "";

            switch (CommonOptions.ParseFormat(result.GetValue(format)))
            {
                case OutputFormat.Json:
                    var json = rows.Select(r => new QuantJson(r.FileType.Name, r.FileType.Id, r.FileType.DefaultType.Name, r.Prediction.TotalBytes.Bytes,
                        Math.Round(r.Prediction.BitsPerWeight, 4), r.FileType.RequiresImportanceMatrix || useImatrix,
                        r.Prediction.TypeCounts.ToDictionary(kv => kv.Key, kv => kv.Value))).ToList();
                    output.Out.WriteLine(JsonSerializer.Serialize(new QuantsJson(spec.Name, spec.Parameters.Value, json), JsonRenderer.Context.QuantsJson));
                    break;
                case OutputFormat.Markdown:
                    output.Out.WriteLine($"## {spec.Name}: predicted GGUF sizes");
                    output.Out.WriteLine();
                    output.Out.WriteLine("| File type | Size (GiB) | Size (GB) | Bits per weight | Note |");
                    output.Out.WriteLine("|---|---:|---:|---:|---|");
                    foreach (var (f, p) in rows)
                    {
                        output.Out.WriteLine($"| {f.Name} | {p.TotalBytes.FormatIn(ByteUnit.GiB)} | {p.TotalBytes.FormatIn(ByteUnit.GB)} | {Bpw(p)} | {Note(f)} |");
                    }

                    break;
                default:
                    var console = output.CreateConsole();
                    console.MarkupLine($"[bold]{Markup.Escape(spec.Name)}[/] · {spec.Parameters.FormatExact()} parameters · predicted GGUF sizes (llama.cpp quantiser rules{(useImatrix ? ", with an imatrix" : "")})");
                    var table = new Table().Border(TableBorder.Rounded);
                    table.AddColumn("File type");
                    table.AddColumn("Mostly");
                    table.AddColumn(new TableColumn("Bytes").RightAligned());
                    var columns = RenderOptions.ColumnsFor(CommonOptions.ParseUnits(result.GetValue(units)));
                    foreach (var unit in columns)
                    {
                        table.AddColumn(new TableColumn(unit.Symbol).RightAligned());
                    }

                    table.AddColumn(new TableColumn("BPW").RightAligned());
                    table.AddColumn("Note");
                    foreach (var (f, p) in rows)
                    {
                        table.AddRow([f.Name, f.DefaultType.Name, ModelDescription.N(p.TotalBytes.Bytes), .. columns.Select(u => p.TotalBytes.FormatIn(u)), Bpw(p), Note(f)]);
                    }

                    console.Write(table);
                    console.MarkupLine("[grey]Tensor bytes as llama.cpp prints 'model size' (the GGUF header adds a few MB). Third-party mixes (Unsloth UD, _L/_XL) differ.[/]");
                    break;
            }

            return ExitCodes.Ok;
        });
        return command;
    }

    private static string Bpw(GgufPrediction p) => p.BitsPerWeight.ToString("0.00", CultureInfo.InvariantCulture);
}

internal sealed record QuantsJson(string Model, long Parameters, List<QuantJson> FileTypes);

internal sealed record QuantJson(string FileType, int Id, string DefaultType, long Bytes, double BitsPerWeight, bool Imatrix, Dictionary<string, int> TensorTypes);
