using System.CommandLine;
using LlmMem.DataTypes;
using LlmMem.Inference;
using static LlmMem.Cli.Commands.InferCommand;

namespace LlmMem.Cli.Commands;

/// <summary>The options of every command that estimates inference (<c>infer</c>, <c>fit</c>), read into one request.</summary>
internal sealed class InferOptions
{
    private readonly Option<string?> engine = new("--engine")
    {
        Description = "Inference engine: transformers (default), vllm or llamacpp.",
        HelpName = "transformers|vllm|llamacpp",
    };

    private readonly Option<string?> dtype = new("--dtype")
    {
        Description = $"Element type of weights and activations (default bf16): {string.Join(", ", DataType.Plain.Select(t => t.Name))}.",
        HelpName = "type",
    };

    private readonly Option<string?> quant = new("--quant", "--quantization")
    {
        Description = "Weight quantisation: gptq, awq, bnb-nf4, bnb-nf4-dq, bnb-int8, fp8, mxfp4, a llama.cpp file type (Q4_K_M …) or a GGML type (Q4_K …).",
        HelpName = "scheme",
    };

    private readonly Option<string?> ubatch = new("--ubatch-size", "-ub") { Description = "llama.cpp: tokens per micro-batch (default 512).", HelpName = "n" };

    private readonly Option<string?> batchSize = new("--batch-size", "-b") { Description = "llama.cpp: tokens per logical batch (default 2048); the micro-batch is at most this.", HelpName = "n" };

    private readonly Option<string?> parallel = new("--parallel", "-np") { Description = "llama.cpp: parallel sequences sharing the context (default 1, as llama-cli; llama-server started without -np runs 4 slots in one unified cache: -np 4 -kvu).", HelpName = "n" };

    private readonly Option<string?> cacheK = new("--cache-type-k", "-ctk") { Description = "llama.cpp: K cache type: f16 (default), bf16, f32, q8_0, q4_0, q4_1, iq4_nl, q5_0, q5_1.", HelpName = "type" };

    private readonly Option<string?> cacheV = new("--cache-type-v", "-ctv") { Description = "llama.cpp: V cache type (a quantised V cache needs flash attention).", HelpName = "type" };

    private readonly Option<string?> flash = new("--flash-attn", "-fa") { Description = "llama.cpp: flash attention on, off or auto (default auto, counted as on).", HelpName = "on|off|auto" };

    private readonly Option<bool> swaFull = new("--swa-full") { Description = "llama.cpp: full-size caches for sliding-window layers." };

    private readonly Option<bool> kvUnified = new("--kv-unified", "-kvu")
    {
        Description = "llama.cpp: one KV buffer shared by the -np sequences. Default off from b6071: llama-cli and llama-server given -np N split the cache into one stream per sequence, each padded separately; llama-server started without -np runs 4 slots unified (-np 4 -kvu).",
    };

    private readonly Option<bool> noKvUnified = new("--no-kv-unified", "-no-kvu") { Description = "llama.cpp: one KV stream per sequence (the default from b6071, PR #14363/#14959)." };

    private readonly Option<bool> noRepack = new("--no-repack", "-nr")
    {
        Description = "llama.cpp: keep the host's Q4_0/Q4_K/IQ4_NL/MXFP4 weights out of the CPU_REPACK buffer. By default they are repacked into allocated RAM when no layer is offloaded (-ngl 0, taken as a CPU-only build; before b4936 also beside a GPU), on an x86-64 CPU with AVX2.",
    };

    private readonly Option<string?> gpuLayers = new("--n-gpu-layers", "-ngl", "--gpu-layers")
    {
        Description = "llama.cpp: layers offloaded to the GPU (default: all, and the output layer); the rest and the token embeddings stay in host RAM.",
        HelpName = "n",
    };

    private readonly Option<bool> noKvOffload = new("--no-kv-offload", "-nkvo") { Description = "llama.cpp: keep the whole KV cache in host RAM." };

    private readonly Option<bool> noMmap = new("--no-mmap") { Description = "llama.cpp: read the weights kept on the host into RAM instead of mapping the GGUF file (the page cache)." };

    private readonly Option<string?> cpuMoe = new("--n-cpu-moe", "-ncmoe") { Description = "llama.cpp: keep the experts of the first N layers in host RAM.", HelpName = "n" };

    private readonly Option<string?> tensorSplit = new("--tensor-split", "-ts") { Description = "llama.cpp: shares of the layers per GPU, e.g. 3,2 (default: in proportion to each GPU's memory).", HelpName = "a,b,…" };

    private readonly Option<string?> splitMode = new("--split-mode", "-sm") { Description = "llama.cpp: layer (default) or none (one GPU); row is not modelled.", HelpName = "layer|none" };

    private readonly Option<bool> embeddings = new("--embedding", "--embeddings") { Description = "llama.cpp: also output embeddings (adds n_embd floats to the output buffer)." };

    private readonly Option<string?> gmu = new("--gpu-memory-utilization", "--gmu") { Description = "vLLM: share of the GPU's memory vLLM may use (default 0.9).", HelpName = "0..1" };

    private readonly Option<string?> maxNumSeqs = new("--max-num-seqs") { Description = "vLLM: requests per batch (default by version and GPU: 256 or 1,024).", HelpName = "n" };

    private readonly Option<string?> maxBatched = new("--max-num-batched-tokens") { Description = "vLLM: tokens per step, the profiling pass's size (default by version and GPU).", HelpName = "n" };

    private readonly Option<string?> blockSize = new("--block-size") { Description = "vLLM: tokens per KV block (default 16; 64 for MLA models).", HelpName = "n" };

    private readonly Option<string?> kvCacheDtype = new("--kv-cache-dtype") { Description = "vLLM: KV cache type: auto (the model's dtype, default), fp8, fp8_e4m3, fp8_e5m2, fp16, bf16.", HelpName = "type" };

    private readonly Option<bool> enforceEager = new("--enforce-eager") { Description = "vLLM: no CUDA graphs." };

    private readonly Option<string?> engineVersion = new("--engine-version")
    {
        Description = $"Whose rules apply: vLLM 0.6.4 (V0) or 0.10.2 (default {VllmVersion.Latest}); Transformers 4.44 (logits for every prompt position); llama.cpp's build, b5622 (default {LlamaCppVersion.Latest}: KV padding, split or unified caches, sliding-window and MLA caches, CPU_REPACK types).",
        HelpName = "version",
    };

    /// <summary>--attention: Transformers' attention implementation, and training's when <c>fit --train</c> shares it.</summary>
    public Option<string?> Attention => attention;

    private readonly Option<string?> attention = new("--attention", "--attn-implementation") { Description = "Transformers: eager, sdpa (default) or flash; eager materialises the attention scores.", HelpName = "eager|sdpa|flash" };

    private readonly Option<string?> cache = new("--cache", "--cache-implementation") { Description = "Transformers: dynamic (default; grows by copying) or static KV cache.", HelpName = "dynamic|static" };


    public CommonOptions Common { get; } = new();

    /// <summary>llama.cpp takes n_ubatch = min(n_batch, n_ubatch) (src/llama-context.cpp).</summary>
    private static long? MicroBatch(long? ubatch, long? batch) =>
        batch is { } b ? Math.Min(ubatch ?? Inference.LlamaCppSettings.DefaultUBatch, b) : ubatch;

    /// <summary>-ts 3,2 (llama.cpp also accepts 3/2): non-negative shares, at least one above zero.</summary>
    private static System.Collections.Immutable.ImmutableArray<double>? TensorSplit(string? text)
    {
        if (text is null)
        {
            return null;
        }

        var parts = text.Split([',', '/'], StringSplitOptions.TrimEntries);
        var shares = parts.Select(p => double.TryParse(p, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var x) && x >= 0 && x <= 1e6 ? x : -1).ToArray();
        if (shares.Any(x => x < 0) || shares.Sum() <= 0 || shares.Length > LlmMem.Hardware.Parallelism.MaxGpus)
        {
            throw new UsageException($"--tensor-split '{text}': give non-negative shares per GPU, e.g. 3,2.");
        }

        return [.. shares];
    }

    /// <summary>-kvu / -no-kvu: at most one; a split cache needs b5913 (PR #14363), before which every cache was unified.</summary>
    private static bool? KvUnified(bool on, bool off, LlamaCppVersion version)
    {
        if (on && off)
        {
            throw new UsageException("--kv-unified and --no-kv-unified contradict each other: give one.");
        }

        if (off && !version.HasKvStreams)
        {
            throw new UsageException($"--no-kv-unified needs llama.cpp b{LlamaCppVersion.KvStreamsBuild} or later (PR #14363); {version} keeps one cache for all sequences.");
        }

        return on ? true : off ? false : null;
    }

    public void AddTo(Command command)
    {
        Common.AddTo(command);
        foreach (var option in new Option[] { engine, dtype, quant, ubatch, batchSize, parallel, kvUnified, noKvUnified, cacheK, cacheV, flash, swaFull, gpuLayers, noKvOffload, noMmap, noRepack, embeddings, cpuMoe, tensorSplit, splitMode,
                     gmu, maxNumSeqs, maxBatched, blockSize, kvCacheDtype, enforceEager, engineVersion, attention, cache })
        {
            command.Options.Add(option);
        }
    }

    public InferenceRequest ReadRequest(ParseResult result, CliOutput output)
    {
        var chosen = Parse<InferenceEngine>(result.GetValue(engine), InferenceEngine.TryParse);
        var versionText = result.GetValue(engineVersion);
        if (versionText is not null && chosen != InferenceEngine.Vllm && chosen != InferenceEngine.Transformers && chosen != InferenceEngine.LlamaCpp)
        {
            throw new UsageException("--engine-version applies to --engine vllm, transformers or llamacpp.");
        }

        var capacities = Common.ReadCapacities(result);
        if (capacities is not null && chosen != InferenceEngine.LlamaCpp)
        {
            throw new UsageException("Mixed GPUs in --gpu are modelled for llama.cpp (--engine llamacpp), which splits layers over them; other engines need one kind of GPU.");
        }

        var split = TensorSplit(result.GetValue(tensorSplit));
        var mode = result.GetValue(splitMode)?.Trim().ToLowerInvariant();
        if (mode is not (null or "layer" or "none"))
        {
            throw new UsageException(mode == "row"
                ? "--split-mode row (tensors split by rows) is not modelled; use layer, llama.cpp's default."
                : $"Unknown --split-mode '{mode}'. Valid: layer, none.");
        }

        var parallelism = Common.ReadParallelism(result);
        if (capacities is { Length: > 1 } cards && parallelism.Gpus == 1)
        {
            LlmMem.Hardware.Parallelism.TryCreate(null, null, cards.Length, null, out parallelism, out _);
        }

        if (mode == "none")
        {
            parallelism = LlmMem.Hardware.Parallelism.Single;
            capacities = null;
        }

        var llamaVersion = chosen == InferenceEngine.LlamaCpp ? Parse<LlamaCppVersion>(versionText, LlamaCppVersion.TryParse) : null;
        var unified = KvUnified(result.GetValue(kvUnified), result.GetValue(noKvUnified), llamaVersion ?? LlamaCppVersion.Latest);
        if (result.GetValue(noRepack) && (llamaVersion ?? LlamaCppVersion.Latest).Build < LlamaCppVersion.NoRepackOptionBuild)
        {
            throw new UsageException($"--no-repack needs llama.cpp b{LlamaCppVersion.NoRepackOptionBuild} or later (PR #14990); --engine-version is {llamaVersion}.");
        }

        return new InferenceRequest(
            Common.ReadModel(result, output),
            Engine: chosen,
            Dtype: Parse<DataType>(result.GetValue(dtype), (string? t, out DataType v, out string e) => DataType.TryParse(t, out v, out e, DataType.Plain)),
            Quantization: Parse<WeightQuantization>(result.GetValue(quant), WeightQuantization.TryParse),
            ContextTokens: Common.ReadContext(result),
            Batch: Common.ReadBatch(result),
            Parallelism: parallelism,
            Capacities: capacities,
            Capacity: Common.ReadCapacity(result),
            LlamaCpp: new LlamaCppSettings(
                MicroBatch(CommonOptions.ReadCount(result.GetValue(ubatch), "--ubatch-size", CommonOptions.MaxContextTokens),
                    CommonOptions.ReadCount(result.GetValue(batchSize), "--batch-size", CommonOptions.MaxContextTokens)),
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
                (int)(CommonOptions.ReadCount(result.GetValue(cpuMoe), "--n-cpu-moe", 100_000) ?? 0),
                split,
                result.GetValue(noMmap),
                llamaVersion,
                unified,
                result.GetValue(noRepack)),
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
    }
}
