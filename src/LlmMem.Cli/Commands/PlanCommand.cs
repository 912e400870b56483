using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using LlmMem.Cli.Rendering;
using LlmMem.Formats;
using LlmMem.Formats.Planning;
using LlmMem.Planning;
using Spectre.Console;

namespace LlmMem.Cli.Commands;

/// <summary><c>llmem plan deployment.json --gpu h100 --gpus 2</c>: several models on one machine's GPUs.</summary>
internal static class PlanCommand
{
    public static Command Create(CliOutput output)
    {
        var common = new CommonOptions();
        var file = new Argument<string>("FILE") { Description = "A deployment: {\"models\": [{\"model\": …, \"engine\": …, \"context\": …}, …]} (see README)." };
        var command = new Command("plan", "Place several models (each with its engine and settings) on a machine's GPUs, or say which does not fit and why.")
        {
            file, common.Gpu, common.GpuMemory, common.Gpus, common.Format, common.Units,
        };
        command.SetAction(result =>
        {
            var capacity = common.ReadCapacity(result) ?? throw new UsageException("plan needs the GPUs: name one with --gpu (see 'llmem gpus') or give its memory with --gpu-memory.");
            var gpus = (int)(CommonOptions.ReadCount(result.GetValue(common.Gpus), "--gpus", LlmMem.Hardware.Parallelism.MaxGpus) ?? 1);
            var models = DeploymentFile.Read(result.GetValue(file)!, CommonOptions.ResolveModel);
            var plan = Planner.Place(models, gpus, capacity);
            switch (CommonOptions.ParseFormat(result.GetValue(common.Format)))
            {
                case OutputFormat.Json:
                    output.Out.WriteLine(JsonSerializer.Serialize(Json(plan), JsonRenderer.Context.PlanJson));
                    break;
                default:
                    Table(plan, output.CreateConsole(), CommonOptions.ParseUnits(result.GetValue(common.Units)));
                    break;
            }

            return plan.AllPlaced ? ExitCodes.Ok : ExitCodes.DoesNotFit;
        });
        return command;
    }

    private static void Table(DeploymentPlan plan, IAnsiConsole console, LlmMem.Units.UnitSystem units)
    {
        var table = new Table().Border(TableBorder.Rounded);
        foreach (var column in new[] { "GPU", "Models", "Used", "Free" })
        {
            table.AddColumn(column);
        }

        foreach (var gpu in plan.Gpus)
        {
            var models = gpu.Models.IsEmpty ? "[grey]—[/]" : Markup.Escape(string.Join(", ", gpu.Models));
            table.AddRow($"gpu{gpu.Index} ({Markup.Escape(gpu.Capacity.Name)})", models, gpu.Used.Format(units), gpu.Free.Format(units));
        }

        console.Write(table);
        foreach (var placement in plan.Placed)
        {
            console.MarkupLine($"[green]placed[/] {Markup.Escape(placement.Model)}: {placement.PerGpu.Format(units)} on {string.Join(", ", placement.Gpus.Select(g => $"gpu{g}"))}");
        }

        foreach (var unplaced in plan.Unplaced)
        {
            console.MarkupLine($"[red]does not fit[/] {Markup.Escape(unplaced.Model)}: {Markup.Escape(unplaced.Reason)}");
        }
    }

    private static PlanJson Json(DeploymentPlan plan) => new(
        plan.AllPlaced,
        [.. plan.Gpus.Select(g => new PlanGpuJson(g.Index, g.Capacity.Name, g.Capacity.Memory.Bytes, g.Used.Bytes, g.Free.Bytes, [.. g.Models]))],
        [.. plan.Placed.Select(p => new PlacedJson(p.Model, [.. p.Gpus], p.PerGpu.Bytes, JsonRenderer.ToJson(p.Estimate)))],
        [.. plan.Unplaced.Select(u => new UnplacedJson(u.Model, u.Gpus, u.PerGpu.Bytes, u.MostFree.Bytes, u.Reason, JsonRenderer.ToJson(u.Estimate)))]);
}

internal sealed record PlanJson(bool AllPlaced, List<PlanGpuJson> Gpus, List<PlacedJson> Placed, List<UnplacedJson> Unplaced);

internal sealed record PlanGpuJson(int Index, string Gpu, long CapacityBytes, long UsedBytes, long FreeBytes, List<string> Models);

internal sealed record PlacedJson(string Model, List<int> Gpus, long PerGpuBytes, EstimateJson Estimate);

internal sealed record UnplacedJson(string Model, int Gpus, long PerGpuBytes, long MostFreeBytes, string Reason, EstimateJson Estimate);
