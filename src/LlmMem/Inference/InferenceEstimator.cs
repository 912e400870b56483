using System.Collections.Immutable;
using LlmMem.DataTypes;
using LlmMem.Estimates;
using LlmMem.Formulas;
using LlmMem.Hardware;
using LlmMem.Models;
using LlmMem.Quantization;
using LlmMem.Units;

namespace LlmMem.Inference;

/// <summary>Memory to serve a model: weights, and the engine's fixed costs.</summary>
public static class InferenceEstimator
{
    /// <summary>The type weights are kept in when nothing says otherwise: how checkpoints are published and served.</summary>
    public static readonly DataType DefaultDtype = DataType.Bf16;

    public static Estimate Estimate(InferenceRequest request)
    {
        var estimate = EstimateMemory(request);
        return request.Capacity?.BandwidthGBs is null ? estimate : estimate with { Decode = Decode(request, estimate) };
    }

    /// <summary>
    /// The decode bound on the first GPU: the weights a token reads (its active share for a mixture of experts) and the
    /// KV cache of the sequences decoded together at full length. llama.cpp with layers in host RAM is bound by the
    /// host's memory instead, which llmem does not know.
    /// </summary>
    private static DecodeBound? Decode(InferenceRequest request, Estimate estimate)
    {
        var gpu = estimate.Devices.FirstOrDefault(d => d.Name.StartsWith("gpu", StringComparison.Ordinal));
        if (gpu is null)
        {
            return null;
        }

        var breakdown = request.Model.Breakdown;
        var active = breakdown is { } b && request.Model.Shape is { IsMixtureOfExperts: true } && b.Total.Value > 0 ? (double)b.Active.Value / b.Total.Value : 1.0;
        var kv = gpu.Find(TermId.KvCache)?.Bytes ?? ByteSize.Zero;
        var engine = request.Engine;
        if (engine == InferenceEngine.Vllm)
        {
            // Pipeline stages read in turn, each its own layers: not bounded by the first GPU alone.
            if (request.Parallelism is { PipelineParallel: > 1 })
            {
                return null;
            }

            return estimate.KvPool is { } pool ? DecodeSpeedFormulas.Bound(gpu, request.Capacity!.BandwidthGBs, active, 1, ByteSize.FromBytes(pool.BytesPerSequence)) : null;
        }

        if (engine == InferenceEngine.LlamaCpp)
        {
            var llama = request.LlamaCpp ?? new LlamaCppSettings();
            var allOnGpu = llama.GpuLayers is null || llama.GpuLayers > request.Model.Shape?.LayerCount;
            if (!allOnGpu || llama.CpuMoeLayers > 0 || llama.NoKvOffload)
            {
                return null;
            }

            // Layers split over GPUs run one after another: a token takes the sum of each GPU's reading time.
            var gpus = estimate.Devices.Where(d => d.Name.StartsWith("gpu", StringComparison.Ordinal)).ToList();
            return gpus.Count == 1
                ? DecodeSpeedFormulas.Bound(gpu, request.Capacity!.BandwidthGBs, active, llama.Sequences ?? 1, kv)
                : DecodeSpeedFormulas.Sequential(gpus, [.. gpus.Select((_, i) => CapacityOf(request, i)?.BandwidthGBs)], active, llama.Sequences ?? 1);
        }

        return DecodeSpeedFormulas.Bound(gpu, request.Capacity!.BandwidthGBs, active, request.Batch ?? InferenceRequest.DefaultBatch, kv);
    }

    private static Estimate EstimateMemory(InferenceRequest request)
    {
        var engine = request.Engine ?? InferenceEngine.Transformers;
        var shape = request.Model.Shape;
        var dtype = request.Dtype ?? shape?.StoredDtype ?? DefaultDtype;
        var weightType = request.Quantization?.WeightType ?? dtype;
        var parallel = request.Parallelism ?? Parallelism.Single;
        var context = request.ContextTokens ?? InferenceRequest.DefaultContextTokens;
        var batch = request.Batch ?? InferenceRequest.DefaultBatch;
        if (engine == InferenceEngine.Vllm && shape is not null)
        {
            return VllmEstimator.Estimate(request, shape, parallel, [.. request.Model.Notes]);
        }

        // The bare question "how big are the weights" (no engine, no GPU) keeps its one-term answer; naming a GPU asks
        // whether the model runs there, under the default engine.
        if ((request.Engine == InferenceEngine.Transformers || (request.Engine is null && request.Capacity is not null)) && shape is not null)
        {
            return TransformersEstimator.Estimate(request, shape, parallel, [.. request.Model.Notes]);
        }

        var llama = request.LlamaCpp ?? new LlamaCppSettings();
        var kvNotes = new List<EstimateWarning>();
        ImmutableArray<DeviceEstimate> devices;
        if (engine == InferenceEngine.LlamaCpp && shape is not null)
        {
            devices = LlamaCppDevices(request, shape, context, llama, kvNotes);
        }
        else
        {
            var terms = ImmutableArray.CreateBuilder<Term>();
            terms.Add(WeightsTerm(request, shape, weightType, parallel));
            if (engine == InferenceEngine.LlamaCpp && shape is not null)
            {
                terms.Add(LlamaCppKv(shape, context, llama, kvNotes).DivideOver(parallel.ModelShards));
            }

            // The article's question is "how big are the weights"; a CUDA context belongs to a concrete engine or card.
            if ((request.Engine is not null || request.Capacity is not null) && DeviceCapacity.HasCudaContext(request.Capacity))
            {
                terms.Add(CudaContextFormulas.CudaContext(engine.CudaContext, engine.Name, engine.CudaContextSource));
            }

            devices = DeviceLayout.IdenticalGpus(parallel.Gpus, terms.ToImmutable(), request.Capacity);
        }

        var warnings = new List<EstimateWarning>(request.Model.Notes);
        warnings.AddRange(kvNotes);
        var kvModelled = engine == InferenceEngine.LlamaCpp && shape is not null;
        warnings.Add(shape is null
            ? new("needs_architecture",
                $"A bare parameter count gives the weights only: the KV cache for {SettingsBuilder.Thousands(context)} tokens × batch {SettingsBuilder.Thousands(batch)} and the activations need the model's architecture.",
                "model")
            : kvModelled
                ? new("heuristic_compute_buffer", "llama.cpp's compute buffer is estimated as the largest set of tensors alive together (attention, feed-forward or output step), without the allocator's fragmentation; see docs/accuracy.md for its error on real logs.", "engine")
                : new("weights_only",
                    $"No engine named, so this is the weights alone: --engine transformers, vllm or llamacpp adds that engine's KV cache for {SettingsBuilder.Thousands(context)} tokens × batch {SettingsBuilder.Thousands(batch)}, its activations and buffers.",
                    "engine"));
        warnings.AddRange(QuantizationWarnings(request.Quantization, architectureKnown: shape is not null));
        if (parallel.ModelShards > 1)
        {
            warnings.Add(new("even_split",
                $"Weights are split evenly over {parallel.ModelShards} GPUs (--tp {parallel.TensorParallel} × --pp {parallel.PipelineParallel}); replicated embeddings and uneven layer counts need the architecture.",
                "tp"));
        }

        if (UnifiedMemoryWarning(request, mappedMetal: engine == InferenceEngine.LlamaCpp && !llama.NoMmap) is { } unified)
        {
            warnings.Add(unified);
        }

        warnings.AddRange(DeviceLayout.CapacityWarnings(devices));

        var settings = new SettingsBuilder()
            .Add("engine", request.Engine is null && engine == InferenceEngine.Transformers ? "none" : engine.Id, request.Engine is null);
        if (engine == InferenceEngine.LlamaCpp)
        {
            settings.Add("engine_version", (llama.Version ?? LlamaCppVersion.Latest).ToString(), llama.Version is null);
        }

        settings.Add("dtype", dtype.Name, request.Dtype is null);
        if (request.Quantization is { } q)
        {
            settings.Add("quant", q.Name);
        }

        settings.Add("context", context, request.ContextTokens is null)
            .Add("batch", batch, request.Batch is null);
        if (engine == InferenceEngine.LlamaCpp)
        {
            settings.Add("ubatch", llama.UBatch ?? LlamaCppSettings.DefaultUBatch, llama.UBatch is null)
                .Add("parallel", llama.Sequences ?? 1, llama.Sequences is null)
                .Add("flash_attn", llama.FlashAttention is false ? "off" : "on", llama.FlashAttention is null)
                .Add("cache_type_k", (llama.CacheTypeK ?? DataType.Fp16).Name, llama.CacheTypeK is null)
                .Add("cache_type_v", (llama.CacheTypeV ?? DataType.Fp16).Name, llama.CacheTypeV is null);
            if (llama.SwaFull)
            {
                settings.Add("swa_full", "on");
            }

            if ((llama.Sequences ?? 1) > 1 || llama.KvUnified is not null)
            {
                var version = llama.Version ?? LlamaCppVersion.Latest;
                settings.Add("kv_unified", KvCacheFormulas.Unified(llama.Sequences ?? 1, llama.KvUnified, version) ? "on" : "off", llama.KvUnified is null);
            }

            if (shape is not null)
            {
                settings.Add("n_gpu_layers", llama.GpuLayers ?? shape.LayerCount + 1, llama.GpuLayers is null);
            }

            if (llama.NoKvOffload)
            {
                settings.Add("no_kv_offload", "on");
            }

            settings.Add("mmap", llama.NoMmap ? "off" : "on", !llama.NoMmap);
            if (llama.NoRepack || devices.Any(d => d.Terms.Any(t => t.Id == TermId.Weights && t.Label.Contains(LlamaCppRepack.BufferName(llama.Version ?? LlamaCppVersion.Latest), StringComparison.Ordinal))))
            {
                settings.Add("repack", llama.NoRepack ? "off" : "on (x86-64 AVX2)", !llama.NoRepack);
            }


            if (llama.CpuMoeLayers > 0)
            {
                settings.Add("n_cpu_moe", llama.CpuMoeLayers);
            }

            if (devices.Count(d => d.Name.StartsWith("gpu", StringComparison.Ordinal)) > 1)
            {
                settings.Add("split_mode", "layer", true);
                settings.Add("tensor_split", llama.TensorSplit is { } ts
                    ? string.Join(",", ts.Select(x => x.ToString(System.Globalization.CultureInfo.InvariantCulture)))
                    : "by GPU memory", llama.TensorSplit is null);
            }
        }

        if (engine == InferenceEngine.LlamaCpp && shape is not null && parallel.Gpus > 1)
        {
            // llama.cpp splits layers, not tensors: the GPU count is what matters, not --tp / --pp.
            settings.Add("gpus", parallel.Gpus);
            if (request.Capacities is { Length: > 0 } cards)
            {
                settings.Add("gpu", string.Join(" + ", cards.Select(c => c.Name)));
            }
            else if (request.Capacity is { } one)
            {
                settings.Add("gpu", one.Name);
            }
        }
        else
        {
            settings.AddHardware(parallel, request.Capacity);
        }

        return new Estimate(
            ModelSummary.Of(request.Model),
            new Workload("inference", settings.ToImmutable()),
            devices,
            [.. warnings]);
    }

    /// <summary>
    /// llama.cpp on one GPU: every tensor of the GGUF (read, or predicted for the requested file type) placed by
    /// <c>-ngl</c>; the KV cache of each layer beside its layer (or all on the host with <c>-nkvo</c>).
    /// </summary>
    private static ImmutableArray<DeviceEstimate> LlamaCppDevices(InferenceRequest request, ModelShape shape, long context, LlamaCppSettings llama,
        List<EstimateWarning> notes)
    {
        ImmutableArray<PlacedTensor> tensors;
        string what;
        if (request.Model.Stored is { Format: "gguf" } gguf && request.Quantization is null)
        {
            tensors = [.. gguf.Tensors.Select(t => new PlacedTensor(t.Name, t.Bytes, t.Type, t.Shape))];
            what = "as stored";
        }
        else
        {
            var fileType = request.Quantization?.FileType
                ?? (request.Quantization is { } q ? new LlamaFileType(q.WeightType.Name, -1, q.WeightType) : FileTypeOf(request.Dtype ?? shape.StoredDtype));
            var prediction = GgufSizePredictor.Predict(shape, fileType);
            tensors = [.. prediction.Tensors.Select(t => new PlacedTensor(t.Tensor.Name, t.Bytes, t.Type, t.Tensor.Ne))];
            what = fileType.Name;
        }

        var gpus = Math.Max(request.Parallelism?.Gpus ?? 1, request.Capacities?.Length ?? 1);
        var placement = new LlamaCppPlacement(shape.LayerCount, llama.GpuLayers ?? shape.LayerCount + 1, llama.CpuMoeLayers, LlamaCppSplit(request, gpus, llama));
        var (gpuWeights, hostWeights) = placement.Weights(tensors, what);
        var version = llama.Version ?? LlamaCppVersion.Latest;
        Term? repacked = null;
        if (LlamaCppRepack.Applies(offloaded: placement.FirstGpuLayer < shape.LayerCount || placement.OutputOnGpu, llama.NoRepack, version))
        {
            (hostWeights, repacked) = LlamaCppRepack.Split(hostWeights, [.. tensors.Where(t => !placement.OnGpu(t))], placement.InInputLayer, what, version);
            if (repacked is not null)
            {
                notes.Add(new("cpu_repack",
                    $"The CPU backend repacks {repacked.Bytes.Format()} of the host's weights into {LlamaCppRepack.BufferName(version)} (x86-64 with AVX2 assumed): allocated RAM even with mmap, beside the mapped file; llama.cpp's CPU_Mapped line spans the file from its first to its last mapped tensor, so it can also count the repacked tensors' pages, read once while loading. --no-repack keeps them mapped.",
                    "no_repack"));
            }
        }

        hostWeights = LlamaCppPlacement.HostWeights(hostWeights, llama.NoMmap);
        if (!llama.NoMmap && hostWeights.Bytes > ByteSize.Zero)
        {
            notes.Add(new("host_weights_mapped",
                $"The host's model buffer ({hostWeights.Bytes.Format()}) is the GGUF file mapped into memory (llama.cpp's default): its pages sit in the OS page cache, shared and evictable, not in the process's own RAM, yet they must stay resident to run at speed; --no-mmap reads them into allocated RAM instead.",
                "no_mmap"));
        }

        if (llama.KvUnified is false && (llama.Sequences ?? 1) > 1 && version.Build < LlamaCppVersion.SplitKvDefaultBuild)
        {
            notes.Add(new("kv_split_needs_set_rows",
                $"{version} splits the cache per sequence only when the environment sets LLAMA_SET_ROWS=1; without it llama.cpp forces one unified cache (src/llama-context.cpp, until PR #14959, b{LlamaCppVersion.SplitKvDefaultBuild}).",
                "kv_unified"));
        }

        var gpuKv = LlamaCppKv(shape, context, llama, notes, i => !llama.NoKvOffload && placement.OnGpu(i));
        var hostKv = LlamaCppKv(shape, context, llama, [], i => llama.NoKvOffload || !placement.OnGpu(i));
        var engine = InferenceEngine.LlamaCpp;
        var flash = llama.FlashAttention ?? true;
        var ubatch = llama.UBatch ?? LlamaCppSettings.DefaultUBatch;
        Term? Compute(Func<int, bool> onDevice, bool holdsOutput)
        {
            var layers = shape.Layers.Where((_, i) => onDevice(i)).ToList();
            if (layers.Count == 0 && !holdsOutput)
            {
                return null;
            }

            // One micro-batch attends the cells of one stream: with a split cache, n_ctx_seq (src/llama-kv-cache.cpp get_k views per stream).
            var perLayer = layers.Select(l => (l.Attention, Cells: KvCacheFormulas.Cells(l.Attention, context, ubatch, llama.Sequences ?? 1, flash, llama.SwaFull, version, llama.KvUnified))).ToList();
            var cells = perLayer.Select(l => l.Cells).DefaultIfEmpty(0).Max();
            var heads = layers.Select(l => l.Attention.Heads).DefaultIfEmpty(0).Max();
            return LlamaCppComputeBuffer.Estimate(shape, cells, heads, ubatch, flash, holdsOutput, layers, version, LlamaCppComputeBuffer.SlidingMaskCells(perLayer));
        }

        var hostCompute = Compute(i => !placement.OnGpu(i), !placement.OutputOnGpu);
        var context0 = CudaContextFormulas.CudaContext(engine.CudaContext, engine.Name, engine.CudaContextSource);
        var devices = ImmutableArray.CreateBuilder<DeviceEstimate>();
        for (var g = 0; g < placement.Gpus; g++)
        {
            var index = g;
            bool Here(int layer) => placement.GpuOf(layer) == index;
            var weights = placement.Gpus == 1 ? gpuWeights : placement.WeightsOnGpu(g, tensors, what);
            var kv = placement.Gpus == 1 ? gpuKv : LlamaCppKv(shape, context, llama, [], i => !llama.NoKvOffload && Here(i));
            var compute = Compute(Here, placement.GpuOf(shape.LayerCount) == g);
            Term[] terms = [weights, kv, .. compute is null ? [] : new[] { compute }, .. DeviceCapacity.HasCudaContext(CapacityOf(request, g)) ? new[] { context0 } : []];
            devices.Add(new DeviceEstimate($"gpu{g}", [.. terms], CapacityOf(request, g)));
        }

        var output = LlamaCppPlacement.OutputBuffer(shape, llama.Sequences ?? 1, llama.Embeddings);
        devices.Add(new DeviceEstimate("cpu", [.. new[] { hostWeights, repacked, hostKv, hostCompute }.OfType<Term>().Where(t => t.Bytes > ByteSize.Zero), output]));
        return devices.ToImmutable();
    }

    /// <summary>
    /// On Apple silicon (unified memory): Metal (llama.cpp) or MPS (PyTorch), no CUDA; what the engine keeps on the host
    /// shares the RAM; llama.cpp's Metal backend wraps the mapped file as its model buffer (ggml-metal buffer_from_host_ptr:
    /// "Metal_Mapped model buffer size"). Null on other GPUs.
    /// </summary>
    internal static EstimateWarning? UnifiedMemoryWarning(InferenceRequest request, bool mappedMetal) =>
        request.Capacity is { UnifiedMemory: true } || request.Capacities?.Any(c => c.UnifiedMemory) == true
            ? new("unified_memory",
                "Unified memory: the capacity is the share of RAM macOS lets the GPU wire (about 75% by default; sysctl iogpu.wired_limit_mb raises it), and the host's terms come out of the same RAM, so the machine needs the total of every device. No CUDA context is counted (Metal/MPS)."
                + (mappedMetal ? " With mmap, llama.cpp's Metal backend uses the mapped GGUF file itself as the GPU's model buffer (Metal_Mapped): the weights are not copied." : ""),
                "gpu")
            : null;

    /// <summary>GPU <paramref name="index"/>'s capacity: its own card when several kinds were named, else the one named.</summary>
    private static DeviceCapacity? CapacityOf(InferenceRequest request, int index) =>
        request.Capacities is { Length: > 0 } each ? each[Math.Min(index, each.Length - 1)] : request.Capacity;

    /// <summary>
    /// llama.cpp's split of the offloaded layers: the user's --tensor-split, else each GPU's memory (llama.cpp takes
    /// each device's free memory at load time; llmem takes its capacity).
    /// </summary>
    private static IReadOnlyList<double>? LlamaCppSplit(InferenceRequest request, int gpus, LlamaCppSettings llama)
    {
        if (gpus <= 1)
        {
            return null;
        }

        if (llama.TensorSplit is { Length: > 0 } split)
        {
            return [.. Enumerable.Range(0, gpus).Select(i => i < split.Length ? split[i] : 0.0)];
        }

        return [.. Enumerable.Range(0, gpus).Select(i => (double)(CapacityOf(request, i)?.Memory.Bytes ?? 1))];
    }

    /// <summary>The llama.cpp file type that keeps a dtype unquantised.</summary>
    private static LlamaFileType FileTypeOf(DataType dtype) =>
        LlamaFileType.All.FirstOrDefault(f => f.DefaultType == dtype && f.DefaultType.Family != DataTypeFamily.BlockQuantized) ?? LlamaFileType.Find("F16")!;

    /// <summary>
    /// llama.cpp's KV cache for <paramref name="context"/> tokens shared by the parallel sequences. A quantised V cache
    /// needs flash attention: without it llama.cpp falls back to f16 (src/llama-context.cpp), which the estimate follows.
    /// </summary>
    private static Term LlamaCppKv(ModelShape shape, long context, LlamaCppSettings s, List<EstimateWarning> notes, Func<int, bool>? includeLayer = null)
    {
        var flash = s.FlashAttention ?? true;
        var k = s.CacheTypeK ?? DataType.Fp16;
        var v = s.CacheTypeV ?? DataType.Fp16;
        if (!flash && v.Family == DataTypeFamily.BlockQuantized)
        {
            notes.Add(new("v_cache_needs_flash_attention", $"A {v.Name} V cache needs flash attention; without it llama.cpp keeps V in f16.", "cache_type_v"));
            v = DataType.Fp16;
        }

        return KvCacheFormulas.LlamaCpp(shape, context, s.UBatch ?? LlamaCppSettings.DefaultUBatch, s.Sequences ?? 1, k, v, flash, s.SwaFull,
            s.Version ?? LlamaCppVersion.Latest, includeLayer, s.KvUnified);
    }

    /// <summary>
    /// The weights: a llama.cpp file type on a known architecture is predicted tensor by tensor; any other known
    /// architecture is counted component by component; a bare count is parameters × bytes.
    /// </summary>
    internal static Term WeightsTerm(InferenceRequest request, ModelShape? shape, DataType weightType, Parallelism parallel)
    {
        if (shape is null || request.Model.Breakdown is not { } breakdown)
        {
            return request.Model.Stored is { } files && request.Dtype is null && request.Quantization is null
                ? WeightFormulas.Stored(files, parallel.ModelShards)
                : WeightFormulas.Weights(request.Model.Parameters, weightType, parallel.ModelShards);
        }

        if (request.Quantization?.FileType is { } fileType)
        {
            return WeightFormulas.Gguf(GgufSizePredictor.Predict(shape, fileType), parallel.ModelShards);
        }

        if (request.Model.Stored is { } stored && request.Dtype is null && request.Quantization is null)
        {
            return WeightFormulas.Stored(stored, parallel.ModelShards);
        }

        return WeightFormulas.Weights(WeightLayout.For(shape, breakdown, request.Dtype, request.Quantization), parallel.ModelShards);
    }

    /// <summary>What llmem cannot yet know about a quantisation: per-tensor llama.cpp types; without the architecture, which layers a scheme covers.</summary>
    internal static IEnumerable<EstimateWarning> QuantizationWarnings(WeightQuantization? quantization, bool architectureKnown)
    {
        if (quantization?.FileType is { IsMixture: true } fileType && !architectureKnown)
        {
            yield return new("quant_mixture",
                $"{fileType.Name} gives most tensors {fileType.DefaultType.Name} but some (token_embd, output, attn_v, ffn_down) more bits; without the tensor list every weight is counted as {fileType.DefaultType.Name} ({fileType.DefaultType.BitsPerElementText} bits), so the real file is somewhat larger.",
                "quant");
        }
        else if (quantization is { QuantisesOnlyLinearLayers: true } scheme && !architectureKnown)
        {
            yield return new("quant_linear_only",
                $"{scheme.Name} quantises linear layers only; embeddings, norms and usually the LM head stay in 16 bits. A bare parameter count cannot separate them, so every parameter is counted at {scheme.WeightType.BitsPerElementText} bits: an under-estimate.",
                "quant");
        }
    }
}
