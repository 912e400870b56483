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
        var method = new Option<string?>("--method")
        {
            Description = "What is trained: full (default), lora, dora or qlora (adapters need a model architecture).",
            HelpName = "full|lora|dora|qlora",
        };
        var precision = new Option<string?>("--precision")
        {
            Description = $"Training precision (default mixed-bf16): {string.Join(", ", TrainingPrecision.All.Select(p => p.Name))}.",
            HelpName = "precision",
        };
        var optimizer = new Option<string?>("--optimizer")
        {
            Description = $"Optimizer (default adamw): {string.Join(", ", Optimizer.All.Select(o => o.Name))}.",
            HelpName = "name",
        };

        var rank = new Option<string?>("--rank", "-r") { Description = "LoRA rank (default 8, PEFT's).", HelpName = "r" };
        var targets = new Option<string?>("--targets", "--target-modules")
        {
            Description = "LoRA target modules: all-linear, or names such as q_proj,v_proj (default, PEFT's for Llama-like models).",
            HelpName = "modules",
        };
        var zero = new Option<string?>("--zero", "--zero-stage") { Description = "ZeRO stage 0–3 over the data-parallel GPUs (FSDP full-shard = 3, shard-grad-op = 2).", HelpName = "0|1|2|3" };
        var offload = new Option<string?>("--offload") { Description = "ZeRO-Offload: 'optimizer' keeps optimizer states and master weights in host RAM.", HelpName = "optimizer|none" };
        var command = new Command("train", "Memory per GPU to train or fine-tune a model: weights, gradients, master weights, optimizer states.");
        common.AddTo(command);
        command.Options.Add(method);
        command.Options.Add(precision);
        command.Options.Add(optimizer);
        command.Options.Add(rank);
        command.Options.Add(targets);
        command.Options.Add(zero);
        command.Options.Add(offload);

        command.SetAction(result =>
        {
            TrainingMethod? chosenMethod = null;
            if (result.GetValue(method) is { } methodText)
            {
                chosenMethod = TrainingMethods.TryParse(methodText, out var m, out var error) ? m : throw new UsageException(error);
            }

            var request = new TrainingRequest(
                common.ReadModel(result),
                Method: chosenMethod,
                Precision: InferCommand.Parse<TrainingPrecision>(result.GetValue(precision), TrainingPrecision.TryParse),
                Optimizer: InferCommand.Parse<Optimizer>(result.GetValue(optimizer), Optimizer.TryParse),
                SequenceTokens: common.ReadContext(result),
                Batch: common.ReadBatch(result),
                Parallelism: common.ReadParallelism(result),
                Capacity: common.ReadCapacity(result),
                Rank: (int?)CommonOptions.ReadCount(result.GetValue(rank), "--rank", 65_536),
                Targets: result.GetValue(targets) is { } t
                    ? LoraAdapters.TryParseTargets(t, out var parsed, out var targetError) ? parsed : throw new UsageException(targetError)
                    : null,
                Zero: result.GetValue(zero)?.Trim() switch
                {
                    null or "0" => 0,
                    "1" => 1,
                    "2" => 2,
                    "3" => 3,
                    var other => throw new UsageException($"--zero '{other}' is not a ZeRO stage. Valid: 0, 1, 2, 3."),
                },
                OffloadOptimizer: result.GetValue(offload)?.Trim().ToLowerInvariant() switch
                {
                    null or "none" => false,
                    "optimizer" or "cpu" => true,
                    var other => throw new UsageException($"--offload '{other}' is not supported. Valid: optimizer, none."),
                });
            var render = common.ReadRenderOptions(result);
            EstimateRenderer.Render(TrainingEstimator.Estimate(request), render, output);
            return ExitCodes.Ok;
        });
        return command;
    }
}
