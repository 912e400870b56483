using System.CommandLine;
using LlmMem.Cli.Rendering;
using LlmMem.Training;

namespace LlmMem.Cli.Commands;

/// <summary><c>llmem train MODEL</c>: memory per GPU to train or fine-tune a model.</summary>
internal static class TrainCommand
{
    public static Command Create(CliOutput output)
    {
        var common = new CommonOptions();
        var options = new TrainOptions();
        var command = new Command("train", "Memory per GPU to train or fine-tune a model: weights, gradients, master weights, optimizer states, activations and the loss at the step's peak.");
        options.AddAll(command, common);
        command.SetAction(result =>
        {
            var request = options.ReadRequest(result, output, common);
            if (result.GetValue(options.Compat) is { } tool)
            {
                DeepSpeedTable(request, DeepSpeedVersion(tool), result.GetValue(options.LargestLayer), output);
                return ExitCodes.Ok;
            }

            EstimateRenderer.Render(TrainingEstimator.Estimate(request), common.ReadRenderOptions(result), output);
            return ExitCodes.Ok;
        });
        return command;
    }

    /// <summary>"deepspeed" (the newest rules) or "deepspeed@0.14.2" (the rules of that release) → the version; null for the newest.</summary>
    private static Version? DeepSpeedVersion(string tool)
    {
        const string name = "deepspeed";
        var at = tool.IndexOf('@', StringComparison.Ordinal);
        var head = at < 0 ? tool : tool[..at];
        if (!head.Equals(name, StringComparison.OrdinalIgnoreCase))
        {
            throw new UsageException($"Unknown --compat '{tool}'. Valid: deepspeed, or deepspeed@VERSION (e.g. deepspeed@0.14.2).");
        }

        if (at < 0)
        {
            return null;
        }

        return TrainOptions.ParseDeepSpeedVersion(tool[(at + 1)..], $"--compat {tool}");
    }

    /// <summary>DeepSpeed's estimator output, line for line (deepspeed/runtime/zero/stage3.py model_states_mem_needs_all_cold).</summary>
    private static void DeepSpeedTable(TrainingRequest request, Version? deepSpeed, string? largestLayerText, CliOutput output)
    {
        if (request.Zero is not (2 or 3))
        {
            throw new UsageException("--compat deepspeed needs --zero 2 or --zero 3: DeepSpeed estimates those stages.");
        }

        var parallel = request.Parallelism ?? LlmMem.Hardware.Parallelism.Single;
        var perNode = parallel.Gpus / parallel.Nodes;
        var parameters = request.Model.Parameters.Value;
        var w = output.Out;
        w.WriteLine("Estimated memory needed for params, optim states and gradients for a:");
        w.WriteLine($"HW: Setup with {parallel.Nodes} node{(parallel.Nodes == 1 ? "" : "s")}, {perNode} GPU{(perNode == 1 ? "" : "s")} per node.");
        System.Collections.Immutable.ImmutableArray<DeepSpeedRow> rows;
        if (request.Zero == 2)
        {
            w.WriteLine($"SW: Model with {parameters / 1_000_000}M total params.");
            rows = DeepSpeedEstimator.Zero2(parameters, perNode, parallel.Nodes, deepSpeed);
        }
        else
        {
            long largest;
            if (largestLayerText is not null)
            {
                largest = Units.ParameterCount.TryParse(largestLayerText, out var count, out var error) ? count.Value : throw new UsageException("--largest-layer: " + error);
            }
            else
            {
                largest = LargestLayer(request.Model)
                    ?? throw new UsageException("--compat deepspeed --zero 3 needs --largest-layer for a bare parameter count (e.g. --largest-layer 32M).");
            }

            w.WriteLine($"SW: Model with {parameters / 1_000_000}M total params, {largest / 1_000_000}M largest layer params.");
            rows = DeepSpeedEstimator.Zero3(parameters, largest, perNode, parallel.Nodes);
        }

        w.WriteLine("  per CPU  |  per GPU |   Options");
        foreach (var row in rows)
        {
            w.WriteLine(string.Create(System.Globalization.CultureInfo.InvariantCulture,
                $" {row.PerCpu.Bytes / (double)(1L << 30),7:F2}GB | {row.PerGpu.Bytes / (double)(1L << 30),6:F2}GB | {row.Options}"));
        }
    }

    /// <summary>DeepSpeed's largest layer: the module with the most parameters of its own (for LLMs, the embedding or the LM head).</summary>
    private static long? LargestLayer(Models.ModelSpec model) =>
        model.Shape is { } shape ? AccelerateEstimate.LargestLayerParameters(shape) : null;
}
