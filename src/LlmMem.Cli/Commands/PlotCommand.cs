using System.CommandLine;
using LlmMem.Cli.Rendering;
using LlmMem.Fitting;
using LlmMem.Inference;

namespace LlmMem.Cli.Commands;

/// <summary>
/// <c>llmem plot MODEL --x context -o ctx.png</c>: memory per term versus one setting, with the card's capacity. Not in the
/// slim native <c>llmem</c>, which hands it to <c>llmem-full</c> (<see cref="FrontEnds"/>).
/// </summary>
internal static class PlotCommand
{
    public const string Description = "Memory per term on the first GPU versus context, batch or GPUs, with the card's capacity drawn, as PNG or SVG.";

    public static Command Create(CliOutput output)
    {
        var options = new InferOptions();
        var axis = new Option<string?>("--x") { Description = "What varies along the x axis: context (default), batch or gpus.", HelpName = "context|batch|gpus" };
        var from = new Option<string?>("--from") { Description = "First x value (default: 1,024 tokens, 1 sequence or 1 GPU).", HelpName = "n" };
        var to = new Option<string?>("--to") { Description = "Last x value (default: the model's context length, 64 sequences or 64 GPUs).", HelpName = "n" };
        var points = new Option<string?>("--points") { Description = "Points along x (default 33; GPUs: powers of two).", HelpName = "n" };
        var file = new Option<string?>("--output", "-o") { Description = "The image to write: a .png or .svg file.", HelpName = "file" };
        var command = new Command(FrontEnds.Plot, Description);
        options.AddTo(command);
        foreach (var option in new Option[] { axis, from, to, points, file })
        {
            command.Options.Add(option);
        }

        command.SetAction(result =>
        {
            var path = result.GetValue(file) ?? throw new UsageException("plot needs --output FILE.png or FILE.svg.");
            if (!path.EndsWith(".png", StringComparison.OrdinalIgnoreCase) && !path.EndsWith(".svg", StringComparison.OrdinalIgnoreCase))
            {
                throw new UsageException($"--output '{path}': give a .png or .svg file name.");
            }

            var sweep = (result.GetValue(axis)?.Trim().ToLowerInvariant()) switch
            {
                null or "context" or "ctx" or "seq" => SweepAxis.Context,
                "batch" => SweepAxis.Batch,
                "gpus" or "gpu" => SweepAxis.Gpus,
                var other => throw new UsageException($"Unknown --x '{other}'. Valid: context, batch, gpus."),
            };
            var request = options.ReadRequest(result, output);
            if (request.Model.Shape is null && sweep != SweepAxis.Gpus)
            {
                throw new UsageException("plot --x context or batch needs the model's architecture: a bare parameter count has no KV cache.");
            }

            var modelMax = request.Model.Shape?.ContextLength is > 0 and var c ? c : 131_072;
            var first = CommonOptions.ReadCount(result.GetValue(from), "--from", CommonOptions.MaxContextTokens, allowBinarySuffix: true)
                ?? (sweep == SweepAxis.Context ? Math.Min(1024, modelMax) : 1);
            var last = CommonOptions.ReadCount(result.GetValue(to), "--to", CommonOptions.MaxContextTokens, allowBinarySuffix: true)
                ?? (sweep == SweepAxis.Context ? modelMax : 64);
            if (last < first)
            {
                throw new UsageException($"--to {last} is below --from {first}.");
            }

            var count = (int)(CommonOptions.ReadCount(result.GetValue(points), "--points", 1000) ?? 33);
            var sweepPoints = Sweep.Run(request, sweep, Sweep.Values(sweep, first, last, count));
            var engine = (request.Engine ?? InferenceEngine.Transformers).Name;
            var gpu = request.Capacity?.Name ?? "no GPU named";
            PlotRenderer.Save(sweepPoints, sweep, $"{request.Model.Name} · {engine} · {gpu}", path, 1000, 600);
            output.Out.WriteLine($"wrote {path}: {sweepPoints.Length} points from {first:N0} to {last:N0}");
            return ExitCodes.Ok;
        });
        return command;
    }
}
