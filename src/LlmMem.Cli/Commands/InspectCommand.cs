using System.CommandLine;
using LlmMem.Cli.Rendering;
using LlmMem.Units;

namespace LlmMem.Cli.Commands;

/// <summary><c>llmem inspect MODEL</c>: the architecture and the parameters per component.</summary>
internal static class InspectCommand
{
    public static Command Create(CliOutput output)
    {
        var model = new Argument<string>("model") { Description = "A catalog name (llama-3.1-8b, meta-llama/Llama-3.1-8B), a config.json, or a folder holding one." };
        var format = CommonOptions.NewFormat();
        var units = CommonOptions.NewUnits();
        var command = new Command("inspect", "A model's architecture and its parameters per component, total and active, with their bytes.") { model, format, units };
        command.SetAction(result =>
        {
            var description = ModelDescription.Of(CommonOptions.ResolveModel(result.GetValue(model)!));
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
}
