using System.Collections.Immutable;
using System.Text.Json;
using LlmMem.DataTypes;
using LlmMem.Estimates;
using LlmMem.Formats.Catalog;
using LlmMem.Hardware;
using LlmMem.Inference;
using LlmMem.Models;
using LlmMem.Units;

namespace LlmMem.Formats.Validation;

/// <summary>
/// Re-estimates every vLLM ground-truth case from its recorded model, GPU total, options and version, end to end:
/// the KV pool compared is what llmem's own weights, activation, non-torch and graph estimates leave, not the log's.
/// Token counts are compared in the byte fields (term <c>kv_cache_tokens</c>).
/// </summary>
public static class VllmValidator
{
    public const string Engine = "vllm";

    private const double GiB = 1024.0 * 1024 * 1024;

    public static ValidationReport Run(IEnumerable<string> jsonLines) =>
        new([.. jsonLines.Where(l => !string.IsNullOrWhiteSpace(l)).Select((l, i) => Validate(l, i + 1))]);

    private static CaseResult Validate(string line, int number)
    {
        if (!GroundTruthLine.TryParse(line, number, Engine, out var root, out var notACase))
        {
            return notACase;
        }

        var c = new VllmCase(root);

        if (!c.Text("engine").StartsWith("vllm", StringComparison.OrdinalIgnoreCase))
        {
            return Skipped(c, $"engine '{c.Text("engine")}' is not vLLM");
        }

        if (c.RawText.Contains("--enable-expert-parallel", StringComparison.Ordinal))
        {
            return Skipped(c, "expert parallelism (--enable-expert-parallel) is not modelled");
        }

        var (model, modelNote) = CaseModels.Catalog(c.Text("model"));
        if (model?.Shape is not { } shape)
        {
            return Skipped(c, $"model '{c.Text("model")}' is not in the catalog");
        }

        if (!Quantization(c, shape, out var quant, out var quantNote))
        {
            return Skipped(c, quantNote!);
        }

        var notes = new List<string>();
        if (modelNote is not null)
        {
            notes.Add(modelNote);
        }

        var version = Version(c, notes);
        ByteSize? total = c.Double("gpu_total_memory_gib") is { } gib ? ByteSize.FromBytes((long)Math.Round(gib * GiB)) : null;
        var tp = (int)(c.Long("tensor_parallel_size") ?? 1);
        var pp = (int)(c.Long("pipeline_parallel_size") ?? 1);
        Parallelism.TryCreate(tp, pp, tp * pp, null, out var parallel, out _);
        var request = new InferenceRequest(
            model,
            InferenceEngine.Vllm,
            Dtype: Dtype(c.Text("dtype")),
            Quantization: quant,
            Parallelism: parallel,
            Capacity: total is { } t ? new DeviceCapacity(c.Text("gpu"), t, "the case's logged total") : null,
            Vllm: new VllmSettings(
                c.Double("gpu_memory_utilization"),
                c.Long("max_model_len"),
                (int?)c.Long("max_num_seqs"),
                c.Long("max_num_batched_tokens"),
                (int?)c.Long("block_size"),
                c.Text("kv_cache_dtype").StartsWith("fp8", StringComparison.OrdinalIgnoreCase) ? DataType.Fp8E4M3 : null,
                c.Bool("enforce_eager") ?? false,
                version,
                total));
        Estimate estimate;
        try
        {
            estimate = InferenceEstimator.Estimate(request);
        }
        catch (Exception e) when (e is EstimateException or OverflowException)
        {
            return Skipped(c, $"cannot be estimated: {e.Message}");
        }

        var gpu = estimate.Devices[0];
        var comparisons = ImmutableArray.CreateBuilder<Comparison>();
        void Compare(string term, (double Value, double HalfUnit)? measured, ByteSize? estimated)
        {
            if (measured is { Value: > 0 } m && estimated is { } e)
            {
                comparisons.Add(new Comparison(term, (long)Math.Round(m.Value * GiB), e.Bytes, m.HalfUnit * GiB));
            }
        }

        // vLLM's "model weights take" line includes the rotary table it builds while loading.
        Compare("weights", c.Measured("weights_gib"), gpu.Find(TermId.Weights)?.Bytes + (gpu.Find(TermId.RotaryCache)?.Bytes ?? ByteSize.Zero));
        // The page arithmetic alone: the tokens the logged pool holds by llmem's page sizes, against the logged tokens.
        if (c.Measured("kv_cache_gib") is { Value: > 0 } loggedPool && c.Measured("kv_tokens") is { Value: > 0 } loggedTokens && estimate.KvPool is { } kvPool)
        {
            var perToken = (double)kvPool.BytesPerBlock * kvPool.Groups / kvPool.BlockSize;
            comparisons.Add(new Comparison("kv_tokens_of_logged_pool", (long)loggedTokens.Value, kvPool.TokensIn((long)Math.Round(loggedPool.Value * GiB)),
                loggedPool.HalfUnit * GiB / perToken + kvPool.BlockSize));
        }

        if (total is not null)
        {
            Compare("non_torch", c.Measured("non_torch_gib"), gpu.Find(TermId.NonTorch)?.Bytes);
            Compare("activations", c.Measured("activation_peak_gib") ?? ActivationFromPeak(c), gpu.Find(TermId.Activations)?.Bytes);
            Compare("cuda_graphs", c.Measured("cudagraph_gib"), gpu.Find(TermId.CudaGraphs)?.Bytes);
            Compare("kv_cache", c.Measured("kv_cache_gib"), gpu.Find(TermId.KvCache)?.Bytes);
            if (c.Measured("kv_tokens") is { Value: > 0 } tokens && estimate.KvPool?.Tokens is { } estimatedTokens)
            {
                comparisons.Add(new Comparison("kv_cache_tokens", (long)tokens.Value, estimatedTokens, 0.5));
            }
        }
        else
        {
            notes.Add("no GPU total recorded, so only the weights are compared");
        }

        return comparisons.Count == 0
            ? Skipped(c, "the log records none of the compared figures" + (notes.Count > 0 ? $" ({string.Join("; ", notes)})" : ""))
            : new CaseResult(c.Id, Engine, c.Group, "estimated", notes.Count == 0 ? null : string.Join("; ", notes), comparisons.ToImmutable());
    }

    private static CaseResult Skipped(VllmCase c, string reason) => new(c.Id, Engine, c.Group, "skipped", reason, []);

    /// <summary>0.6.3–0.6.4 print the torch peak with the weights in it ("peak_torch_memory"): the activations are the difference.</summary>
    private static (double, double)? ActivationFromPeak(VllmCase c) =>
        c.Measured("peak_torch_memory_gib") is { } peak && c.Measured("weights_gib") is { } weights
            ? (peak.Value - weights.Value, peak.HalfUnit + weights.HalfUnit)
            : null;

    /// <summary>The case's quantisation as a scheme llmem models; a checkpoint's own quantization_config needs none.</summary>
    private static bool Quantization(VllmCase c, ModelShape shape, out WeightQuantization? quant, out string? reason)
    {
        quant = null;
        reason = null;
        var text = c.Text("quantization").ToLowerInvariant();
        if (text.Length == 0 || shape.Quantization is not null)
        {
            return true;
        }

        var scheme = text switch
        {
            _ when text.StartsWith("fp8", StringComparison.Ordinal) => "fp8",
            _ when text.StartsWith("gptq", StringComparison.Ordinal) => "gptq",
            _ when text.StartsWith("awq", StringComparison.Ordinal) => "awq",
            _ when text.Contains("nf4", StringComparison.Ordinal) => "bnb-nf4",
            _ when text.StartsWith("mxfp4", StringComparison.Ordinal) => "mxfp4",
            _ => null,
        };
        if (scheme is null || !WeightQuantization.TryParse(scheme, out var parsed, out _))
        {
            reason = $"quantisation '{c.Text("quantization")}' is not one llmem models";
            return false;
        }

        quant = parsed;
        return true;
    }

    private static DataType? Dtype(string text) => text.ToLowerInvariant() switch
    {
        var t when t.StartsWith("float16", StringComparison.Ordinal) || t.StartsWith("half", StringComparison.Ordinal) => DataType.Fp16,
        var t when t.StartsWith("bfloat16", StringComparison.Ordinal) => DataType.Bf16,
        _ => null,
    };

    /// <summary>The case's version; without a number, the generation it names with the rules of its era (noted).</summary>
    private static VllmVersion Version(VllmCase c, List<string> notes)
    {
        var generation = c.EngineGeneration;
        if (c.VersionNumber is { } number && VllmVersion.TryParse(number + (generation is null ? "" : $" {generation}"), out var version, out _))
        {
            return version;
        }

        // V1 became the default in 0.8.0 (March 2025): a build the case dates to 2024 ran V0.
        if (generation == "V0" || c.Text("engine_version").Contains("2024", StringComparison.Ordinal))
        {
            notes.Add("version not recorded: V0 rules of 0.6.5 (Dec 2024)");
            return VllmVersion.Parse("0.6.5 V0");
        }

        notes.Add($"version not recorded: the rules of {VllmVersion.Latest}");
        return VllmVersion.Latest;
    }
}
