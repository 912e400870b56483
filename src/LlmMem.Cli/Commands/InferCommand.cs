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

        var ubatch = new Option<string?>("--ubatch-size", "-ub") { Description = "llama.cpp: tokens per micro-batch (default 512).", HelpName = "n" };
        var parallel = new Option<string?>("--parallel", "-np") { Description = "llama.cpp: parallel sequences sharing the context (default 1).", HelpName = "n" };
        var cacheK = new Option<string?>("--cache-type-k", "-ctk") { Description = "llama.cpp: K cache type: f16 (default), bf16, f32, q8_0, q4_0, q4_1, iq4_nl, q5_0, q5_1.", HelpName = "type" };
        var cacheV = new Option<string?>("--cache-type-v", "-ctv") { Description = "llama.cpp: V cache type (a quantised V cache needs flash attention).", HelpName = "type" };
        var flash = new Option<string?>("--flash-attn", "-fa") { Description = "llama.cpp: flash attention on, off or auto (default auto, counted as on).", HelpName = "on|off|auto" };
        var swaFull = new Option<bool>("--swa-full") { Description = "llama.cpp: full-size caches for sliding-window layers." };
        var gpuLayers = new Option<string?>("--n-gpu-layers", "-ngl", "--gpu-layers")
        {
            Description = "llama.cpp: layers offloaded to the GPU (default: all, and the output layer); the rest and the token embeddings stay in host RAM.",
            HelpName = "n",
        };
        var noKvOffload = new Option<bool>("--no-kv-offload", "-nkvo") { Description = "llama.cpp: keep the whole KV cache in host RAM." };
        var cpuMoe = new Option<string?>("--n-cpu-moe", "-ncmoe") { Description = "llama.cpp: keep the experts of the first N layers in host RAM.", HelpName = "n" };
        var embeddings = new Option<bool>("--embedding", "--embeddings") { Description = "llama.cpp: also output embeddings (adds n_embd floats to the output buffer)." };

        var command = new Command("infer", "Memory to run a model for inference, per GPU and term by term.");
        common.AddTo(command);
        command.Options.Add(engine);
        command.Options.Add(dtype);
        command.Options.Add(quant);
        foreach (var option in new Option[] { ubatch, parallel, cacheK, cacheV, flash, swaFull, gpuLayers, noKvOffload, embeddings, cpuMoe })
        {
            command.Options.Add(option);
        }

        command.SetAction(result =>
        {
            var request = new InferenceRequest(
                common.ReadModel(result, output),
                Engine: Parse<InferenceEngine>(result.GetValue(engine), InferenceEngine.TryParse),
                Dtype: Parse<DataType>(result.GetValue(dtype), (string? t, out DataType v, out string e) => DataType.TryParse(t, out v, out e, DataType.Plain)),
                Quantization: Parse<WeightQuantization>(result.GetValue(quant), WeightQuantization.TryParse),
                ContextTokens: common.ReadContext(result),
                Batch: common.ReadBatch(result),
                Parallelism: common.ReadParallelism(result),
                Capacity: common.ReadCapacity(result),
                LlamaCpp: new LlamaCppSettings(
                    CommonOptions.ReadCount(result.GetValue(ubatch), "--ubatch-size", CommonOptions.MaxContextTokens),
                    (int?)CommonOptions.ReadCount(result.GetValue(parallel), "--parallel", 4096),
                    Parse<DataType>(result.GetValue(cacheK), CacheType),
                    Parse<DataType>(result.GetValue(cacheV), CacheType),
                    result.GetValue(flash)?.Trim().ToLowerInvariant() switch
                    {
                        null => null,
                        "on" or "1" or "true" or "auto" => true,
                        "off" or "0" or "false" => false,
                        var other => throw new UsageException($"Unknown --flash-attn '{other}'. Valid: on, off, auto."),
                    },
                    result.GetValue(swaFull),
                    GpuLayers(result.GetValue(gpuLayers)),
                    result.GetValue(noKvOffload),
                    result.GetValue(embeddings),
                    (int)(CommonOptions.ReadCount(result.GetValue(cpuMoe), "--n-cpu-moe", 100_000) ?? 0)));
            var render = common.ReadRenderOptions(result);
            EstimateRenderer.Render(InferenceEstimator.Estimate(request), render, output);
            return ExitCodes.Ok;
        });
        return command;
    }

    internal delegate bool TryParser<T>(string? text, out T value, out string error);

    /// <summary>-ngl N, where 0 is allowed (everything on the host) and llama.cpp's "all" spellings (999, -1) mean every layer.</summary>
    private static int? GpuLayers(string? text) => text?.Trim() switch
    {
        null => null,
        "-1" or "all" or "auto" => int.MaxValue / 2,
        "0" => 0,
        var n => (int)CommonOptions.ReadCount(n, "--n-gpu-layers", int.MaxValue / 2)!.Value,
    };

    private static bool CacheType(string? text, out DataType type, out string error)
    {
        if (DataType.TryParse(text, out type, out error, LlamaCppSettings.CacheTypes))
        {
            return true;
        }

        error = error.Replace("Unknown dtype", "Unknown cache type", StringComparison.Ordinal);
        return false;
    }

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
