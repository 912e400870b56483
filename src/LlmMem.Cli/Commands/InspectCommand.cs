using System.CommandLine;
using LlmMem.Cli.Rendering;
using LlmMem.Units;

namespace LlmMem.Cli.Commands;

/// <summary><c>llmem inspect MODEL</c>: the architecture and the parameters per component.</summary>
internal static class InspectCommand
{
    public static Command Create(CliOutput output)
    {
        var model = new Argument<string>("model") { Description = "A catalog name (llama-3.1-8b, meta-llama/Llama-3.1-8B), a config.json, a folder holding one, or a Hub id (org/name[@revision])." };
        var source = new ModelOptions();
        var format = CommonOptions.NewFormat();
        var units = CommonOptions.NewUnits();
        var compat = new Option<string?>("--compat") { Description = "Print another tool's numbers for the model: accelerate (its estimate-memory table).", HelpName = "accelerate" };
        var command = new Command("inspect", "A model's architecture and its parameters per component, total and active, with their bytes.") { model, format, units, compat };
        source.AddTo(command);
        command.SetAction(result =>
        {
            var description = ModelDescription.Of(source.Resolve(result, result.GetValue(model)!, output));
            if (result.GetValue(compat) is { } tool)
            {
                if (!tool.Equals("accelerate", StringComparison.OrdinalIgnoreCase))
                {
                    throw new UsageException($"Unknown --compat '{tool}'. Valid: accelerate.");
                }

                AccelerateTable(description, output.Out);
                return ExitCodes.Ok;
            }

            switch (CommonOptions.ParseFormat(result.GetValue(format)))
            {
                case OutputFormat.Json:
                    output.Out.WriteLine(InspectRenderer.Json(description));
                    break;
                case OutputFormat.Markdown:
                    output.Out.Write(InspectRenderer.Markdown(description));
                    break;
                default:
                    InspectRenderer.Table(description, CommonOptions.ParseUnits(result.GetValue(units)), output.CreateConsole());
                    break;
            }

            return ExitCodes.Ok;
        });
        return command;
    }

    /// <summary>accelerate estimate-memory's table for the same model (rows from <see cref="LlmMem.Training.AccelerateEstimate"/>).</summary>
    private static void AccelerateTable(ModelDescription d, TextWriter w)
    {
        w.WriteLine($"Memory Usage for loading `{d.Model.Name}`:");
        w.WriteLine("| dtype   | Largest Layer | Total Size | Training using Adam (Peak vRAM) |");
        w.WriteLine("|---------|---------------|------------|---------------------------------|");
        foreach (var row in LlmMem.Training.AccelerateEstimate.Rows(d.Shape, d.Model.Parameters.Value))
        {
            var training = row.Training is { } t ? LlmMem.Training.AccelerateEstimate.ConvertBytes(t) : "N/A";
            w.WriteLine($"| {row.Dtype,-7} | {LlmMem.Training.AccelerateEstimate.ConvertBytes(row.LargestLayer),-13} | {LlmMem.Training.AccelerateEstimate.ConvertBytes(row.TotalSize),-10} | {training,-31} |");
        }

        if (LlmMem.Training.AccelerateEstimate.BufferBytes(d.Shape) == 0 && d.Shape.Architecture != "bert")
        {
            w.WriteLine("note: Accelerate also counts registered buffers (rotary frequencies, attention masks); llmem models BERT's only.");
        }
    }
}
