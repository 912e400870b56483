using System.Globalization;
using System.Text.Json;
using LlmMem.DataTypes;
using LlmMem.Hardware;
using LlmMem.Inference;
using LlmMem.Planning;

namespace LlmMem.Formats.Planning;

/// <summary>
/// A deployment for <c>llmem plan</c>: a JSON file listing models with their engines and settings.
/// <code>
/// {"models": [
///   {"name": "chat", "model": "llama-3.1-8b", "engine": "vllm", "context": 8192, "gpu_memory_utilization": 0.6},
///   {"name": "embedder", "model": "qwen3-0.6b", "engine": "transformers", "batch": 32, "context": 512}
/// ]}
/// </code>
/// Fields per model: model (required: a catalog name, a path or a count), name, engine, dtype, quant, context, batch,
/// gpus (GPUs one copy is split over), gpu_memory_utilization, kv_cache_dtype, max_num_seqs.
/// </summary>
public static class DeploymentFile
{
    /// <summary>Larger files are not deployments: refuse before reading them.</summary>
    public const long MaxBytes = 1 << 20;

    public const int MaxModels = 256;

    private static readonly HashSet<string> Fields =
        ["name", "model", "engine", "engine_version", "dtype", "quant", "context", "batch", "gpus", "gpu_memory_utilization", "kv_cache_dtype", "max_num_seqs"];

    /// <exception cref="ModelFormatException">The file cannot be read or holds something other than a deployment.</exception>
    public static IReadOnlyList<PlannedModel> Read(string path, Func<string, LlmMem.Models.ModelSpec> resolve)
    {
        if (!File.Exists(path))
        {
            throw new ModelFormatException(path, "no such file.");
        }

        var length = new FileInfo(path).Length;
        if (length > MaxBytes)
        {
            throw new ModelFormatException(path, $"{length:N0} bytes is too large for a deployment file (the limit is {MaxBytes:N0}).");
        }

        try
        {
            return Parse(File.ReadAllBytes(path), path, resolve);
        }
        catch (IOException e)
        {
            throw new ModelFormatException(path, $"cannot be read ({e.Message}).");
        }
    }

    public static IReadOnlyList<PlannedModel> Parse(ReadOnlySpan<byte> json, string file, Func<string, LlmMem.Models.ModelSpec> resolve)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json.ToArray(), new JsonDocumentOptions { MaxDepth = 16 });
        }
        catch (JsonException e)
        {
            throw new ModelFormatException(file, $"not valid JSON ({e.Message.Split('.')[0]}).");
        }

        using (document)
        {
            if (document.RootElement.ValueKind != JsonValueKind.Object || !document.RootElement.TryGetProperty("models", out var list) || list.ValueKind != JsonValueKind.Array)
            {
                throw new ModelFormatException(file, "expected an object with a \"models\" array.");
            }

            if (list.GetArrayLength() is 0 or > MaxModels)
            {
                throw new ModelFormatException(file, $"\"models\" must list 1 to {MaxModels} models.");
            }

            return [.. list.EnumerateArray().Select((entry, i) => Entry(entry, i, file, resolve))];
        }
    }

    private static PlannedModel Entry(JsonElement entry, int index, string file, Func<string, LlmMem.Models.ModelSpec> resolve)
    {
        var where = $"models[{index}]";
        if (entry.ValueKind != JsonValueKind.Object)
        {
            throw new ModelFormatException(file, $"{where} must be an object.");
        }

        foreach (var property in entry.EnumerateObject())
        {
            if (!Fields.Contains(property.Name))
            {
                throw new ModelFormatException(file, $"{where}: unknown field \"{property.Name}\". Valid: {string.Join(", ", Fields)}.");
            }
        }

        string? Text(string name) => entry.TryGetProperty(name, out var v)
            ? v.ValueKind == JsonValueKind.String ? v.GetString() : throw new ModelFormatException(file, $"{where}.{name} must be a string.")
            : null;
        long? Count(string name, long max) => entry.TryGetProperty(name, out var v)
            ? v.ValueKind == JsonValueKind.Number && v.TryGetInt64(out var n) && n >= 1 && n <= max ? n
                : throw new ModelFormatException(file, $"{where}.{name} must be a whole number from 1 to {max.ToString("N0", CultureInfo.InvariantCulture)}.")
            : null;
        T? Parsed<T>(string name, TryParse<T> parse) where T : class =>
            Text(name) is { } text ? parse(text, out var value, out var error) ? value : throw new ModelFormatException(file, $"{where}.{name}: {error}") : null;

        var modelText = Text("model") ?? throw new ModelFormatException(file, $"{where} has no \"model\".");
        double? utilization = entry.TryGetProperty("gpu_memory_utilization", out var u)
            ? u.ValueKind == JsonValueKind.Number && u.GetDouble() is > 0 and <= 1 and var g ? g
                : throw new ModelFormatException(file, $"{where}.gpu_memory_utilization must be a fraction above 0 and at most 1.")
            : null;
        var gpus = (int?)Count("gpus", Parallelism.MaxGpus);
        Parallelism.TryCreate(gpus, null, gpus, null, out var parallel, out _);
        var engine = Parsed<InferenceEngine>("engine", InferenceEngine.TryParse);
        // engine_version reads as the engine's own versions do on the command line (--engine-version).
        var versionText = Text("engine_version");
        if (versionText is not null && engine is null)
        {
            throw new ModelFormatException(file, $"{where}.engine_version needs an \"engine\" (vllm, transformers or llamacpp).");
        }

        var vllmVersion = engine == InferenceEngine.Vllm ? Parsed<VllmVersion>("engine_version", VllmVersion.TryParse) : null;
        var llamaVersion = engine == InferenceEngine.LlamaCpp ? Parsed<LlamaCppVersion>("engine_version", LlamaCppVersion.TryParse) : null;
        (int Major, int Minor)? transformersVersion = null;
        if (engine == InferenceEngine.Transformers && versionText is not null)
        {
            transformersVersion = TransformersSettings.TryParseVersion(versionText, out var t, out var error)
                ? t
                : throw new ModelFormatException(file, $"{where}.engine_version: {error}");
        }

        var request = new InferenceRequest(
            resolve(modelText),
            engine,
            Parsed<DataType>("dtype", (string? t, out DataType v, out string e) => DataType.TryParse(t, out v, out e, DataType.Plain)),
            Parsed<WeightQuantization>("quant", WeightQuantization.TryParse),
            Count("context", 1L << 24),
            Count("batch", 1L << 20),
            parallel,
            Vllm: new VllmSettings(
                utilization,
                MaxNumSeqs: (int?)Count("max_num_seqs", 1 << 20),
                KvCacheDtype: Text("kv_cache_dtype") is { } kv && !kv.Equals("auto", StringComparison.OrdinalIgnoreCase)
                    ? DataType.TryParse(kv, out var type, out var kvError, VllmSettings.KvCacheTypes) ? type : throw new ModelFormatException(file, $"{where}.kv_cache_dtype: {kvError}")
                    : null,
                Version: vllmVersion),
            LlamaCpp: llamaVersion is null ? null : new LlamaCppSettings(Version: llamaVersion),
            Transformers: transformersVersion is null ? null : new TransformersSettings(Version: transformersVersion));
        return new PlannedModel(Text("name") ?? modelText, request);
    }

    private delegate bool TryParse<T>(string? text, out T value, out string error);
}
