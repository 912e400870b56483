using System.Collections.Immutable;
using System.Globalization;
using LlmMem.DataTypes;
using LlmMem.Estimates;
using LlmMem.Formulas;
using LlmMem.Hardware;
using LlmMem.Models;

namespace LlmMem.Inference;

/// <summary>
/// from_pretrained + generate() under PyTorch at its peak: the weights, the KV cache for the whole context (and, for
/// DynamicCache, the copy torch.cat makes while it grows), the larger of the prefill's layer activations and its
/// logits, and the CUDA context. The figure targets torch.cuda.max_memory_allocated plus the context; the caching
/// allocator's reserve above it is not modelled.
/// </summary>
internal static class TransformersEstimator
{
    /// <summary>The engine's CUDA context term: the same for every estimate, so made once (immutable, shared).</summary>
    private static readonly Term CudaContext = CudaContextFormulas.CudaContext(
        InferenceEngine.Transformers.CudaContext, InferenceEngine.Transformers.Name, InferenceEngine.Transformers.CudaContextSource);

    /// <summary>"4.57", the engine_version setting when none is given, formatted once.</summary>
    private static readonly string LatestVersionText = VersionText(TransformersSettings.LatestVersion);

    public static Estimate Estimate(InferenceRequest request, ModelShape shape, Parallelism parallel, List<EstimateWarning> warnings)
    {
        var s = request.Transformers ?? new TransformersSettings();
        var engine = InferenceEngine.Transformers;
        var dtype = request.Dtype ?? shape.StoredDtype;
        var activationType = dtype.IsPlain && dtype.BytesPerBlock >= 2 ? dtype : DataType.Bf16;
        var tokens = request.ContextTokens ?? InferenceRequest.DefaultContextTokens;
        var batch = request.Batch ?? InferenceRequest.DefaultBatch;
        var attention = s.Attention ?? AttentionImplementation.Sdpa;
        var cache = s.Cache ?? CacheImplementation.Dynamic;

        var weights = InferenceEstimator.WeightsTerm(request, shape, request.Quantization?.WeightType ?? dtype, parallel);
        var kv = TransformersFormulas.KvCache(shape, batch, tokens, activationType, cache);
        var growth = cache == CacheImplementation.Dynamic ? TransformersFormulas.KvGrowth(shape, batch, tokens, activationType) : null;
        var layer = TransformersFormulas.PrefillLayer(shape, batch, tokens, activationType, attention);
        var logits = TransformersFormulas.Logits(shape, batch, tokens, activationType, s.LogitsForEveryPosition);

        // The layers' activations are freed before the LM head runs: the prefill peaks at the larger of the two.
        var logitsWin = logits.Bytes > layer.Bytes;
        string Formula() => $"max({layer.Formula()}; {logits.Formula()})";
        var prefill = logitsWin
            ? new Term(TermId.Logits, s.LogitsForEveryPosition ? "Logits (prefill, every position, fp32 copy)" : "Logits (prefill, last position, fp32 copy)",
                logits.Bytes, "transformers generate(): logits_to_keep from 4.45, every position before; upcast to fp32", Formula)
            : new Term(TermId.Activations, layer.Attention ? "Prefill activations (eager attention scores)" : "Prefill activations (MLP)", layer.Bytes,
                "transformers modeling_llama.py: LlamaMLP and eager_attention_forward, one layer at a time under no_grad", Formula);

        var context = DeviceCapacity.HasCudaContext(request.Capacity);
        var terms = ImmutableArray.CreateBuilder<Term>(3 + (growth is null ? 0 : 1) + (context ? 1 : 0));
        terms.Add(weights);
        terms.Add(kv);
        if (growth is not null)
        {
            terms.Add(growth);
        }

        terms.Add(prefill);
        if (context)
        {
            terms.Add(CudaContext);
        }

        if (parallel.ModelShards > 1)
        {
            // device_map="auto" places whole layers on each GPU in turn; KV and activations follow their layers.
            for (var i = 0; i < terms.Count; i++)
            {
                terms[i] = terms[i].Id == TermId.CudaContext ? terms[i] : terms[i].DivideOver(parallel.ModelShards);
            }

            warnings.Add(new("device_map", $"Transformers splits a model over GPUs by layers (device_map=\"auto\"); the {parallel.ModelShards} GPUs are shown sharing every term evenly.", "tp"));
        }

        var devices = DeviceLayout.IdenticalGpus(parallel.Gpus, terms.MoveToImmutable(), request.Capacity);
        warnings.Add(new("allocated_not_reserved",
            context
                ? "This is what PyTorch allocates at the peak (max_memory_allocated) plus the CUDA context; its caching allocator reserves somewhat more (nvidia-smi shows reserved + context)."
                : "This is what PyTorch allocates at the peak (its MPS allocator's current_allocated_memory); the allocator reserves somewhat more (driver_allocated_memory).",
            "engine"));
        warnings.AddRange(InferenceEstimator.QuantizationWarnings(request.Quantization, architectureKnown: true));
        if (InferenceEstimator.UnifiedMemoryWarning(request, mappedMetal: false) is { } unified)
        {
            warnings.Add(unified);
        }

        warnings.AddRange(DeviceLayout.CapacityWarnings(devices));

        var version = s.Version ?? TransformersSettings.LatestVersion;
        var settings = new SettingsBuilder()
            .Add("engine", engine.Id, request.Engine is null)
            .Add("engine_version", version == TransformersSettings.LatestVersion ? LatestVersionText : VersionText(version), s.Version is null)
            .Add("dtype", dtype.Name, request.Dtype is null);
        if (request.Quantization is { } q)
        {
            settings.Add("quant", q.Name);
        }

        settings.Add("context", tokens, request.ContextTokens is null)
            .Add("batch", batch, request.Batch is null)
            .Add("attention", attention switch { AttentionImplementation.Eager => "eager", AttentionImplementation.Flash => "flash", _ => "sdpa" }, s.Attention is null)
            .Add("cache", cache == CacheImplementation.Static ? "static" : "dynamic", s.Cache is null)
            .AddHardware(parallel, request.Capacity);
        return new Estimate(ModelSummary.Of(request.Model), new Workload("inference", settings.ToImmutable()), devices, [.. warnings]);
    }

    private static string VersionText((int Major, int Minor) version) =>
        string.Create(CultureInfo.InvariantCulture, $"{version.Major}.{version.Minor}");
}
