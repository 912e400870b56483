using System.CommandLine;
using LlmMem.Cli.Rendering;
using LlmMem.DataTypes;
using LlmMem.Inference;

namespace LlmMem.Cli.Commands;

/// <summary><c>llmem infer MODEL</c>: memory to serve a model.</summary>
internal static class InferCommand
{
    public static Command Create(CliOutput output)
    {
        var common = new CommonOptions();
        var engine = new Option<string?>("--engine")
        {
            Description = "Inference engine: transformers (default), vllm or llamacpp.",
            HelpName = "transformers|vllm|llamacpp",
        };
        var dtype = new Option<string?>("--dtype")
        {
            Description = $"Element type of weights and activations (default bf16): {string.Join(", ", DataType.Plain.Select(t => t.Name))}.",
            HelpName = "type",
        };
        var quant = new Option<string?>("--quant", "--quantization")
        {
            Description = "Weight quantisation: gptq, awq, bnb-nf4, bnb-nf4-dq, bnb-int8, fp8, mxfp4, a llama.cpp file type (Q4_K_M …) or a GGML type (Q4_K …).",
            HelpName = "scheme",
        };

        var command = new Command("infer", "Memory to run a model for inference, per GPU and term by term.");
        common.AddTo(command);
        command.Options.Add(engine);
        command.Options.Add(dtype);
        command.Options.Add(quant);

        command.SetAction(result =>
        {
            var request = new InferenceRequest(
                common.ReadModel(result),
                Engine: Parse<InferenceEngine>(result.GetValue(engine), InferenceEngine.TryParse),
                Dtype: Parse<DataType>(result.GetValue(dtype), (string? t, out DataType v, out string e) => DataType.TryParse(t, out v, out e, DataType.Plain)),
                Quantization: Parse<WeightQuantization>(result.GetValue(quant), WeightQuantization.TryParse),
                ContextTokens: common.ReadContext(result),
                Batch: common.ReadBatch(result),
                Parallelism: common.ReadParallelism(result),
                Capacity: common.ReadCapacity(result));
            var render = common.ReadRenderOptions(result);
            EstimateRenderer.Render(InferenceEstimator.Estimate(request), render, output);
            return ExitCodes.Ok;
        });
        return command;
    }

    internal delegate bool TryParser<T>(string? text, out T value, out string error);

    /// <summary>Null when the option was not given; the parsed value; or a usage error naming what is valid.</summary>
    internal static T? Parse<T>(string? text, TryParser<T> parser)
        where T : class
    {
        if (text is null)
        {
            return null;
        }

        return parser(text, out var value, out var error) ? value : throw new UsageException(error);
    }
}
