using System.CommandLine;
using System.Text.Json;
using LlmMem.Cli.Rendering;
using LlmMem.Fitting;

namespace LlmMem.Cli.Commands;

/// <summary><c>llmem fit MODEL --gpu G</c>: the setting that fits, found with the estimator itself.</summary>
internal static class FitCommand
{
    public static Command Create(CliOutput output)
    {
        var options = new InferOptions();
        var max = new Option<string?>("--max")
        {
            Description = "What to push as far as the GPU allows: context (training: seq), batch or concurrency.",
            HelpName = "context|seq|batch|concurrency",
        };
        var min = new Option<string?>("--min") { Description = "What to keep as small as possible: gpus.", HelpName = "gpus" };
        var train = new Option<bool>("--train") { Description = "Fit a training step (with train's options: --method, --optimizer, --checkpointing …) instead of inference." };
        var training = new TrainOptions();
        var command = new Command("fit",
            "The setting that fits a GPU: the longest context, the largest batch, the most concurrent requests, the fewest GPUs, or (with no question) the engine's best setting — llama.cpp: quantisation, -ngl, --n-cpu-moe and context.");
        options.AddTo(command);
        command.Options.Add(max);
        command.Options.Add(min);
        command.Options.Add(train);
        training.AddTrainingOnly(command);
        command.SetAction(result =>
        {
            var question = Question(result.GetValue(max), result.GetValue(min));
            var answer = result.GetValue(train)
                ? FitSolver.SolveTraining(training.ReadRequest(result, output, options.Common, options.Attention), question)
                : FitSolver.Solve(options.ReadRequest(result, output), question);
            var render = options.Common.ReadRenderOptions(result);
            switch (render.Format)
            {
                case OutputFormat.Json:
                    output.Out.WriteLine(JsonSerializer.Serialize(FitRenderer.ToJson(answer), JsonRenderer.Context.FitJson));
                    break;
                case OutputFormat.Markdown:
                    output.Out.WriteLine(FitRenderer.Summary(answer, markdown: true));
                    output.Out.Write(MarkdownRenderer.Render(answer.Estimate, render));
                    break;
                default:
                    output.Out.WriteLine(FitRenderer.Summary(answer, markdown: false));
                    output.Out.WriteLine();
                    TableRenderer.Render(answer.Estimate, render, output.CreateConsole());
                    break;
            }

            return answer.Fits ? ExitCodes.Ok : ExitCodes.DoesNotFit;
        });
        return command;
    }

    private static FitQuestion Question(string? max, string? min)
    {
        if (max is not null && min is not null)
        {
            throw new UsageException("Ask one question at a time: --max or --min, not both.");
        }

        return (max?.Trim().ToLowerInvariant(), min?.Trim().ToLowerInvariant()) switch
        {
            (null, null) => FitQuestion.Best,
            ("context" or "ctx" or "seq" or "sequence" or "max-model-len", _) => FitQuestion.MaxContext,
            ("batch", _) => FitQuestion.MaxBatch,
            ("concurrency" or "requests" or "parallel", _) => FitQuestion.MaxConcurrency,
            (null, "gpus" or "gpu") => FitQuestion.MinGpus,
            ({ } other, null) => throw new UsageException($"Unknown --max '{other}'. Valid: context (seq), batch, concurrency."),
            (_, { } other) => throw new UsageException($"Unknown --min '{other}'. Valid: gpus."),
        };
    }
}
