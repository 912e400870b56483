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

        var gmu = new Option<string?>("--gpu-memory-utilization", "--gmu") { Description = "vLLM: share of the GPU's memory vLLM may use (default 0.9).", HelpName = "0..1" };
        var maxNumSeqs = new Option<string?>("--max-num-seqs") { Description = "vLLM: requests per batch (default by version and GPU: 256 or 1,024).", HelpName = "n" };
        var maxBatched = new Option<string?>("--max-num-batched-tokens") { Description = "vLLM: tokens per step, the profiling pass's size (default by version and GPU).", HelpName = "n" };
        var blockSize = new Option<string?>("--block-size") { Description = "vLLM: tokens per KV block (default 16; 64 for MLA models).", HelpName = "n" };
        var kvCacheDtype = new Option<string?>("--kv-cache-dtype") { Description = "vLLM: KV cache type: auto (the model's dtype, default), fp8, fp8_e4m3, fp8_e5m2, fp16, bf16.", HelpName = "type" };
        var enforceEager = new Option<bool>("--enforce-eager") { Description = "vLLM: no CUDA graphs." };
        var engineVersion = new Option<string?>("--engine-version")
        {
            Description = $"vLLM or Transformers: whose rules apply, e.g. 0.6.4 (vLLM V0), 0.10.2 (default {VllmVersion.Latest}), or 4.44 (Transformers: logits for every prompt position).",
            HelpName = "version",
        };
        var attention = new Option<string?>("--attention", "--attn-implementation") { Description = "Transformers: eager, sdpa (default) or flash; eager materialises the attention scores.", HelpName = "eager|sdpa|flash" };
        var cache = new Option<string?>("--cache", "--cache-implementation") { Description = "Transformers: dynamic (default; grows by copying) or static KV cache.", HelpName = "dynamic|static" };

        var command = new Command("infer", "Memory to run a model for inference, per GPU and term by term.");
        common.AddTo(command);
        command.Options.Add(engine);
        command.Options.Add(dtype);
        command.Options.Add(quant);
        foreach (var option in new Option[] { ubatch, parallel, cacheK, cacheV, flash, swaFull, gpuLayers, noKvOffload, embeddings, cpuMoe,
                     gmu, maxNumSeqs, maxBatched, blockSize, kvCacheDtype, enforceEager, engineVersion, attention, cache })
        {
            command.Options.Add(option);
        }

        command.SetAction(result =>
        {
            var chosen = Parse<InferenceEngine>(result.GetValue(engine), InferenceEngine.TryParse);
            var versionText = result.GetValue(engineVersion);
            if (versionText is not null && chosen != InferenceEngine.Vllm && chosen != InferenceEngine.Transformers)
            {
                throw new UsageException("--engine-version applies to --engine vllm or transformers.");
            }

            var request = new InferenceRequest(
                common.ReadModel(result, output),
                Engine: chosen,
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
                    (int)(CommonOptions.ReadCount(result.GetValue(cpuMoe), "--n-cpu-moe", 100_000) ?? 0)),
                Vllm: new VllmSettings(
                    Utilization(result.GetValue(gmu)),
                    null, // --max-model-len is --context's alias: the request's context.
                    (int?)CommonOptions.ReadCount(result.GetValue(maxNumSeqs), "--max-num-seqs", 1 << 20),
                    CommonOptions.ReadCount(result.GetValue(maxBatched), "--max-num-batched-tokens", CommonOptions.MaxContextTokens, allowBinarySuffix: true),
                    (int?)CommonOptions.ReadCount(result.GetValue(blockSize), "--block-size", 1 << 16),
                    result.GetValue(kvCacheDtype) is { } kvText && !kvText.Trim().Equals("auto", StringComparison.OrdinalIgnoreCase)
                        ? Parse<DataType>(kvText, (string? t, out DataType v, out string e) => DataType.TryParse(t, out v, out e, VllmSettings.KvCacheTypes))
                        : null,
                    result.GetValue(enforceEager),
                    chosen == InferenceEngine.Vllm ? Parse<VllmVersion>(versionText, VllmVersion.TryParse) : null),
                Transformers: new TransformersSettings(
                    ParseValue<AttentionImplementation>(result.GetValue(attention), TransformersSettings.TryParseAttention),
                    ParseValue<CacheImplementation>(result.GetValue(cache), TransformersSettings.TryParseCache),
                    chosen == InferenceEngine.Transformers ? ParseValue<(int, int)>(versionText, TransformersSettings.TryParseVersion) : null));
            var render = common.ReadRenderOptions(result);
            EstimateRenderer.Render(InferenceEstimator.Estimate(request), render, output);
            return ExitCodes.Ok;
        });
        return command;
    }

    /// <summary>--gpu-memory-utilization: a fraction in (0, 1], as vLLM accepts it.</summary>
    private static double? Utilization(string? text)
    {
        if (text is null)
        {
            return null;
        }

        return double.TryParse(text, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var value) && value > 0 && value <= 1
            ? value
            : throw new UsageException($"--gpu-memory-utilization must be a fraction above 0 and at most 1, not '{text}'.");
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

    /// <summary><see cref="Parse{T}"/> for value types.</summary>
    internal static T? ParseValue<T>(string? text, TryParser<T> parser)
        where T : struct
    {
        if (text is null)
        {
            return null;
        }

        return parser(text, out var value, out var error) ? value : throw new UsageException(error);
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
