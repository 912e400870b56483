using System.Collections.Immutable;
using System.Globalization;
using LlmMem.DataTypes;
using LlmMem.Estimates;
using LlmMem.Formulas;
using LlmMem.Hardware;
using LlmMem.Models;
using LlmMem.Units;

namespace LlmMem.Inference;

/// <summary>
/// vLLM's start-up accounting (vllm/v1/worker/gpu_worker.py determine_available_memory): a budget of the GPU's total ×
/// gpu_memory_utilization; the weights, the profiling run's activation peak, non-torch memory and (from v0.21) the CUDA
/// graphs come out of it; the rest becomes the paged KV pool. The CUDA context sits outside the budget, except in the
/// versions whose non-torch figure counts it (VllmVersion.NonTorchCountsCudaContext).
/// </summary>
internal static class VllmEstimator
{
    /// <summary>V0 without chunked prefill batches at least this many tokens (vllm/config.py _DEFAULT_MAX_NUM_BATCHED_TOKENS).</summary>
    private const long V0MinBatchedTokens = 2048;

    /// <summary>V0 turns chunked prefill on by itself above this context (vllm/engine/arg_utils.py: "max_model_len > 32K").</summary>
    private const long V0ChunkedPrefillAbove = 32_768;

    /// <summary>V1 on GPUs of at least this memory gets the large batch defaults (vllm/engine/arg_utils.py, PR #17073).</summary>
    private static readonly ByteSize LargeGpu = ByteSize.FromGiB(70);

    /// <summary>MLA backends on CUDA force 64-token blocks (vllm/platforms/cuda.py: "Forcing kv cache block size to 64 for FlashMLA").</summary>
    private const int MlaBlockSize = 64;

    public static Estimate Estimate(InferenceRequest request, ModelShape shape, Parallelism parallel, List<EstimateWarning> warnings)
    {
        var s = request.Vllm ?? new VllmSettings();
        var engine = InferenceEngine.Vllm;
        var version = s.Version ?? VllmVersion.Latest;
        var tp = parallel.TensorParallel;

        // dtype "auto": the checkpoint's type, except that fp32 checkpoints are served in 16 bits (vllm/config.py _get_and_verify_dtype).
        var dtype = request.Dtype ?? (shape.StoredDtype == DataType.Fp32 ? DataType.Bf16 : shape.StoredDtype);
        var activationType = dtype.IsPlain && dtype.BytesPerBlock >= 2 ? dtype : DataType.Bf16;
        var kvType = s.KvCacheDtype ?? activationType;
        var maxModelLen = s.MaxModelLen ?? request.ContextTokens ?? shape.ContextLength;
        var latent = shape.Layers.Any(l => l.Attention.Latent is not null);
        var blockSize = s.BlockSize ?? (latent && version.V1 ? MlaBlockSize : VllmSettings.DefaultBlockSize);
        var gmu = s.GpuMemoryUtilization ?? VllmSettings.DefaultGpuMemoryUtilization;
        var total = s.RuntimeTotal ?? request.Capacity?.RuntimeTotal ?? request.Capacity?.Memory;

        var (batchedTokens, seqs, batchNote) = BatchDefaults(s, version, maxModelLen, total, request.Capacity, shape);
        var samplerRows = version.V1 ? Math.Min(seqs, batchedTokens) : seqs;

        var pp = parallel.PipelineParallel;
        var partitions = StageLayers(shape.LayerCount, pp);
        var rotary = VllmFormulas.RotaryCache(shape, activationType);
        var nonTorch = VllmFormulas.NonTorch(tp, version.NonTorchCountsCudaContext);
        var largestCapture = version.V1 ? Math.Min(Math.Min(512, 2L * seqs), batchedTokens) : Math.Min(256, (seqs + 7) / 8 * 8);
        Term? graphs = s.EnforceEager ? null : VllmFormulas.CudaGraphs(shape, largestCapture, version.V1 ? 0 : V0CaptureCount(largestCapture), tp, activationType, version.CudaGraphsInBudget);
        // Where the non-torch figure counts the CUDA context, the context sits inside the budget and is not shown again.
        Term? context = version.NonTorchCountsCudaContext ? null : CudaContextFormulas.CudaContext(engine.CudaContext, engine.Name, engine.CudaContextSource);
        ByteSize? budget = total is { } t ? ByteSize.FromBytes((long)Math.Floor(t.Bytes * gmu)) : null;

        // Each pipeline stage: its layers, its weights (the first holds the embeddings, the last the LM head), and the
        // sampler only on the last; vLLM gives every stage the smallest stage's block count (kv_cache_utils.py).
        var stages = new List<(Term Weights, Term Activations, ImmutableArray<VllmKvSpec> Specs, ByteSize Taken, VllmKvPool Pool)>();
        var first = 0;
        for (var stage = 0; stage < pp; stage++)
        {
            var layers = shape.Layers.Skip(first).Take(partitions[stage]).ToImmutableArray();
            var last = stage == pp - 1;
            var weights = pp == 1 ? WeightsForVllm(request, shape, dtype, parallel) : StageWeights(request, shape, dtype, tp, first, layers, stage == 0, last);
            var activations = VllmFormulas.Activations(shape, batchedTokens, last ? samplerRows : 0, tp, activationType, version.V1);
            var specs = VllmKvCache.Specs(layers, blockSize, kvType, tp, slidingAware: version.V1, version.PadsMlaEntries ? activationType : null);
            var taken = weights.Bytes + (rotary?.Bytes ?? ByteSize.Zero) + nonTorch.Bytes + activations.Bytes
                + (version.CudaGraphsInBudget && graphs is not null ? graphs.Bytes : ByteSize.Zero);
            var pool = VllmKvCache.Pool(specs, budget is { } b ? b.Bytes - taken.Bytes : long.MaxValue, blockSize, maxModelLen, batchedTokens, version.V1);
            stages.Add((weights, activations, specs, taken, pool));
            first += partitions[stage];
        }

        var smallest = stages.MinBy(x => x.Pool.Blocks);
        var devices = ImmutableArray.CreateBuilder<DeviceEstimate>();
        KvPoolReport report;
        if (budget is { } gpuBudget)
        {
            var blocks = smallest.Pool.Blocks;
            report = new KvPoolReport(smallest.Pool.Tokens, smallest.Pool.MaxConcurrency, maxModelLen, smallest.Pool.BytesPerSequence,
                smallest.Pool.LongestSequence == long.MaxValue ? null : smallest.Pool.LongestSequence, blocks, blockSize, smallest.Pool.BytesPerBlock, smallest.Pool.Groups);
            warnings.AddRange(PoolWarnings(gpuBudget, smallest.Taken, smallest.Pool, gmu));
            if (s.RuntimeTotal is null && request.Capacity?.RuntimeTotal is null)
            {
                warnings.Add(new("runtime_total", $"vLLM budgets {gmu.ToString("0.###", CultureInfo.InvariantCulture)} × the total CUDA reports; llmem uses {request.Capacity!.Name}'s {total!.Value.Format()} ({request.Capacity.Source}). Logs show CUDA's total a few hundred MiB below nvidia-smi's (79.22 GiB on an H100 80GB), so the real pool is that much × {gmu.ToString("0.###", CultureInfo.InvariantCulture)} smaller.", "gpu"));
            }
        }
        else
        {
            report = new KvPoolReport(null, null, maxModelLen, smallest.Pool.BytesPerSequence, null, null, blockSize, smallest.Pool.BytesPerBlock, smallest.Pool.Groups);
            warnings.Add(new("needs_gpu", "vLLM fills the GPU: name one (--gpu or --gpu-memory) to see the KV pool it reserves, its tokens and its concurrency. Shown: the KV cache the smallest pool must hold, one max_model_len request.", "gpu"));
        }

        for (var replica = 0; replica < parallel.Replicas; replica++)
        {
            for (var stage = 0; stage < pp; stage++)
            {
                var (weights, activations, specs, taken, pool) = stages[stage];
                Term kv;
                if (budget is { } b)
                {
                    var held = pool with { Blocks = smallest.Pool.Blocks, Tokens = smallest.Pool.Tokens };
                    kv = VllmFormulas.KvPool(held, b, taken, kvType);
                }
                else
                {
                    var perSequence = pool.BytesPerSequence;
                    kv = new Term(TermId.KvCache, $"KV cache for one {FormulaText.Count(maxModelLen)}-token request ({kvType.Name})", ByteSize.FromBytes(perSequence),
                        "vllm/v1/kv_cache_interface.py page_size_bytes × the blocks one max_model_len request needs",
                        () => string.Join(" + ", specs.Select(x => $"{x.Layers} {x.Kind} layers × {FormulaText.Count(x.PageBytes)} B per {blockSize}-token block")) + $" × ⌈{FormulaText.Count(maxModelLen)} / {blockSize}⌉ blocks");
                }

                Term[] terms = [weights, .. rotary is null ? [] : new[] { rotary }, nonTorch, activations, .. graphs is null ? [] : new[] { graphs }, kv, .. context is null ? [] : new[] { context }];
                for (var rank = 0; rank < tp; rank++)
                {
                    devices.Add(new DeviceEstimate($"gpu{devices.Count}", [.. terms], request.Capacity));
                }
            }
        }

        var built = devices.ToImmutable();
        if (batchNote is not null)
        {
            warnings.Add(batchNote);
        }

        if (shape.ContextLength > 0 && maxModelLen > shape.ContextLength)
        {
            // vllm/config.py _get_and_verify_max_len: a longer max_model_len is an error unless the user insists.
            warnings.Add(new("max_model_len_above_model",
                $"max_model_len {maxModelLen:N0} exceeds the model's {shape.ContextLength:N0} tokens (max_position_embeddings): vLLM refuses it unless rope scaling extends the context or VLLM_ALLOW_LONG_MAX_MODEL_LEN=1 is set.",
                "context"));
        }

        warnings.Add(new("heuristic_activations",
            "vLLM measures its activation peak and CUDA graphs by running the model; llmem derives them from the architecture (docs/accuracy.md shows the error on real logs). Vision encoders and quantisation kernels' workspaces are not modelled.",
            "engine"));
        warnings.AddRange(InferenceEstimator.QuantizationWarnings(request.Quantization, architectureKnown: true));
        warnings.AddRange(DeviceLayout.CapacityWarnings(built));

        var settings = new SettingsBuilder()
            .Add("engine", engine.Id)
            .Add("engine_version", version.Text + (version.V1 ? " (V1)" : " (V0)"), s.Version is null)
            .Add("dtype", dtype.Name, request.Dtype is null);
        if (request.Quantization is { } q)
        {
            settings.Add("quant", q.Name);
        }

        settings.Add("max_model_len", maxModelLen, s.MaxModelLen is null && request.ContextTokens is null)
            .Add("gpu_memory_utilization", gmu.ToString("0.###", CultureInfo.InvariantCulture), s.GpuMemoryUtilization is null)
            .Add("max_num_batched_tokens", batchedTokens, s.MaxNumBatchedTokens is null)
            .Add("max_num_seqs", seqs, s.MaxNumSeqs is null)
            .Add("block_size", blockSize, s.BlockSize is null)
            .Add("kv_cache_dtype", s.KvCacheDtype?.Name ?? $"auto ({kvType.Name})", s.KvCacheDtype is null);
        if (s.EnforceEager)
        {
            settings.Add("enforce_eager", "on");
        }

        settings.AddHardware(parallel, request.Capacity);
        return new Estimate(ModelSummary.Of(request.Model), new Workload("inference", settings.ToImmutable()), built, [.. warnings]) { KvPool = report };
    }

    /// <summary>
    /// max_num_batched_tokens and max_num_seqs as the version defaults them. V1 (vllm/engine/arg_utils.py, API server):
    /// 8,192 tokens and 1,024 sequences on GPUs of 70 GiB or more (not the A100 from ≈ v0.9), else 2,048 and 256.
    /// V0 (vllm/config.py SchedulerConfig): 256 sequences; max(max_model_len, 2,048) tokens, or the chunked-prefill budget
    /// when the context exceeds 32K and neither sliding windows nor MLA rule chunked prefill out.
    /// </summary>
    private static (long Tokens, int Seqs, EstimateWarning? Note) BatchDefaults(VllmSettings s, VllmVersion version, long maxModelLen, ByteSize? total,
        DeviceCapacity? capacity, ModelShape shape)
    {
        if (version.V1)
        {
            var a100 = capacity?.Name.Contains("A100", StringComparison.OrdinalIgnoreCase) == true && version.A100SmallDefaults;
            var large = version.LargeGpuDefaults && total is { } t && t >= LargeGpu && !a100;
            var note = s.MaxNumBatchedTokens is null && total is null
                ? new EstimateWarning("batch_defaults", "vLLM V1's batch defaults depend on the GPU; without one the small-GPU defaults (2,048 tokens, 256 sequences) apply.", "gpu")
                : null;
            return (s.MaxNumBatchedTokens ?? (large ? 8192 : 2048), s.MaxNumSeqs ?? (large ? 1024 : 256), note);
        }

        var chunked = maxModelLen > V0ChunkedPrefillAbove
            && !shape.Layers.Any(l => l.Attention.Kind is AttentionKind.Sliding or AttentionKind.Latent);
        var tokens = s.MaxNumBatchedTokens ?? (chunked ? version.V0ChunkedPrefillTokens : Math.Max(maxModelLen, V0MinBatchedTokens));
        return (tokens, s.MaxNumSeqs ?? 256, null);
    }

    /// <summary>
    /// How many batch sizes V0 captures up to its largest: 1, 2, 4 and every multiple of 8 (vllm/worker/model_runner.py
    /// _BATCH_SIZES_TO_CAPTURE; 0.7's config.py batch_size_capture_list). Example: 256 → 35, as PR #11349's log counts.
    /// </summary>
    internal static int V0CaptureCount(long largest) =>
        (largest >= 1 ? 1 : 0) + (largest >= 2 ? 1 : 0) + (largest >= 4 ? 1 : 0) + (int)(largest / 8);

    /// <summary>
    /// Layers per pipeline stage as vLLM assigns them (vllm/distributed/utils.py get_pp_indices): L / pp each, the remainder
    /// one more to each stage from the second-to-last backwards. Example: 61 layers over 2 stages → 31, 30.
    /// </summary>
    internal static int[] StageLayers(int layers, int stages)
    {
        var partitions = Enumerable.Repeat(layers / stages, stages).ToArray();
        for (var i = 2; i < layers % stages + 2; i++)
        {
            partitions[^i]++;
        }

        return partitions;
    }

    /// <summary>
    /// One pipeline stage's weights on each of its tensor-parallel GPUs: its layers' parameters, the token embeddings on the
    /// first stage, the final norm and the LM head on the last (its own copy when the embeddings are tied), each component
    /// in its type, divided by TP (vLLM shards every matrix, embeddings and LM head by vocabulary).
    /// </summary>
    private static Term StageWeights(InferenceRequest request, ModelShape shape, DataType dtype, int tp, int firstLayer, ImmutableArray<LayerShape> layers,
        bool first, bool last)
    {
        var sub = shape with { Layers = layers, FinalNorms = last ? shape.FinalNorms : 0, Extras = [] };
        var counted = ParameterFormulas.Count(sub).Components
            .Where(c => (c.Name != "embeddings" || first) && (c.Name != "lm_head" || last))
            .Select(c => c.Name == "lm_head" && last && shape.TiedEmbeddings && !first ? c with { Parameters = shape.VocabSize * shape.HiddenSize, ActiveParameters = shape.VocabSize * shape.HiddenSize } : c)
            .ToImmutableArray();
        var breakdown = new ParameterBreakdown(counted);
        var storage = WeightLayout.For(sub, breakdown, request.Dtype ?? (shape.StoredDtype == DataType.Fp32 ? dtype : null), request.Quantization);
        var term = WeightFormulas.Weights(storage, tp);
        var layerText = layers.Length == 0 ? "no layers" : $"layers {firstLayer}–{firstLayer + layers.Length - 1}";
        return term.WithLabel($"{term.Label}, {layerText}{(first ? " + embeddings" : "")}{(last ? " + LM head" : "")}");
    }

    private static Term WeightsForVllm(InferenceRequest request, ModelShape shape, DataType dtype, Parallelism parallel) =>
        InferenceEstimator.WeightsTerm(request with { Dtype = request.Dtype ?? (shape.StoredDtype == DataType.Fp32 ? dtype : null) }, shape,
            request.Quantization?.WeightType ?? dtype, parallel);

    /// <summary>vLLM's own refusals: no memory left for the cache, or not enough for one max_model_len request (kv_cache_utils.py).</summary>
    private static IEnumerable<EstimateWarning> PoolWarnings(ByteSize budget, ByteSize taken, VllmKvPool pool, double gmu)
    {
        if (taken >= budget)
        {
            yield return new("no_kv_memory",
                $"vLLM would refuse to start: the weights, activations and overheads ({taken.Format()}) fill the budget of {budget.Format()} (gpu_memory_utilization {gmu.ToString("0.###", CultureInfo.InvariantCulture)}), leaving no memory for the cache blocks.",
                "gpu_memory_utilization");
        }
        else if (pool.Blocks * pool.BlockSize < pool.MaxModelLen && pool.LongestSequence != long.MaxValue && pool.LongestSequence < pool.MaxModelLen)
        {
            yield return new("kv_below_one_request",
                $"vLLM would refuse to start: one request of max_model_len {pool.MaxModelLen:N0} tokens needs {ByteSize.FromBytes(pool.BytesPerSequence).Format()} of KV cache, more than the pool's {pool.Tokens:N0} tokens; the longest request that fits is about {pool.LongestSequence:N0} tokens. Lower --max-model-len or raise --gpu-memory-utilization.",
                "max_model_len");
        }
    }
}
