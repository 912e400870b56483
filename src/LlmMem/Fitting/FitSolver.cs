using System.Collections.Immutable;
using System.Globalization;
using LlmMem.DataTypes;
using LlmMem.Estimates;
using LlmMem.Hardware;
using LlmMem.Inference;
using LlmMem.Training;
using LlmMem.Units;

namespace LlmMem.Fitting;

/// <summary>
/// Answers "what fits?" with the estimator itself: every answer is a setting whose estimate fits and whose next step
/// does not, found by binary search over a setting the estimate grows with (context, batch, sequences, layers).
/// </summary>
public static class FitSolver
{
    /// <summary>llama.cpp file types from the most faithful to the smallest: the order <c>fit</c> tries them in.</summary>
    public static IReadOnlyList<string> QuantsByQuality { get; } =
        ["BF16", "Q8_0", "Q6_K", "Q5_K_M", "Q5_K_S", "Q4_K_M", "Q4_K_S", "IQ4_XS", "Q3_K_L", "Q3_K_M", "IQ3_M", "IQ3_XXS", "Q2_K", "IQ2_M", "IQ2_XXS", "IQ1_M", "IQ1_S"];

    /// <summary>The file type used when no quantisation fits whole and layers must stay on the host.</summary>
    private const string OffloadQuant = "Q4_K_M";

    /// <summary>The most GPUs <c>--min gpus</c> tries.</summary>
    private const int MaxGpus = 1024;

    /// <exception cref="EstimateException">No GPU was named, or the question needs the model's architecture.</exception>
    public static FitResult Solve(InferenceRequest request, FitQuestion question)
    {
        if (request.Capacity is null)
        {
            throw new EstimateException("fit needs a GPU: name one with --gpu (see 'llmem gpus') or give its memory with --gpu-memory.");
        }

        if (request.Model.Shape is null && question != FitQuestion.MinGpus)
        {
            throw new EstimateException("fit needs the model's architecture for this question (a bare parameter count has no KV cache or context); --min gpus works with a count.");
        }

        var engine = request.Engine ?? InferenceEngine.Transformers;
        request = request with { Engine = engine };
        return question switch
        {
            FitQuestion.MaxContext => MaxContext(request),
            FitQuestion.MaxBatch when engine == InferenceEngine.Vllm || engine == InferenceEngine.LlamaCpp => MaxConcurrency(request),
            FitQuestion.MaxBatch => MaxBatch(request, "batch"),
            FitQuestion.MaxConcurrency => MaxConcurrency(request),
            FitQuestion.MinGpus => MinGpus(request),
            _ => engine == InferenceEngine.LlamaCpp ? BestLlamaCpp(request) : MaxContext(request),
        };
    }

    /// <summary>True when every device holds its terms and vLLM would start (its pool holds one request).</summary>
    public static bool Fits(Estimate estimate) =>
        estimate.Devices.All(d => d.Fits != false) && !estimate.Warnings.Any(w => w.Code is "no_kv_memory" or "kv_below_one_request");

    /// <summary>
    /// What stops an estimate from fitting: the first device over its capacity and the term that grew most since
    /// <paramref name="fitting"/> (its largest term without one), or vLLM's KV refusal.
    /// </summary>
    public static FitLimit? Limit(Estimate estimate, Estimate? fitting = null)
    {
        if (estimate.Devices.FirstOrDefault(d => d.Fits == false) is { } device)
        {
            var before = fitting?.Devices.FirstOrDefault(d => d.Name == device.Name);
            long Growth(Term t) => t.Bytes.Bytes - (before?.Terms.Where(b => b.Id == t.Id).Sum(b => b.Bytes.Bytes) ?? 0);
            var grown = before is null ? null : device.Terms.Where(t => Growth(t) > 0).MaxBy(Growth);
            var term = grown ?? device.Terms.MaxBy(t => t.Bytes)!;
            return new FitLimit(device.Name, term.Id, term.Label, device.Total - device.Capacity!.Memory);
        }

        if (estimate.KvPool is { } pool && estimate.Warnings.Any(w => w.Code is "no_kv_memory" or "kv_below_one_request"))
        {
            var kv = estimate.Devices[0].Find(TermId.KvCache);
            var held = kv?.Bytes ?? ByteSize.Zero;
            return new FitLimit(estimate.Devices[0].Name, TermId.KvCache, "KV cache for one max_model_len request",
                ByteSize.FromBytes(Math.Max(0, pool.BytesPerSequence - held.Bytes)));
        }

        return null;
    }

    private static FitResult MaxContext(InferenceRequest request)
    {
        var modelMax = request.Model.Shape!.ContextLength > 0 ? request.Model.Shape.ContextLength : 1L << 20;
        InferenceRequest At(long n) => request with { ContextTokens = n };
        return Search(At, 1, modelMax, "context", $"the model's own context length ({modelMax.ToString("N0", CultureInfo.InvariantCulture)} tokens) is the limit, not memory");
    }

    private static FitResult MaxBatch(InferenceRequest request, string name)
    {
        InferenceRequest At(long n) => request with { Batch = n };
        return Search(At, 1, 1L << 20, name, "1,048,576 is the most llmem tries");
    }

    private static FitResult MaxConcurrency(InferenceRequest request)
    {
        if (request.Engine == InferenceEngine.Vllm)
        {
            var estimate = InferenceEstimator.Estimate(request);
            if (!Fits(estimate))
            {
                return NothingFits(estimate);
            }

            var pool = estimate.KvPool!;
            var requests = (long)Math.Floor(pool.MaxConcurrency ?? 0);
            var kv = estimate.Devices[0].Find(TermId.KvCache)!.Bytes;
            var excess = ByteSize.FromBytes(Math.Max(0, (requests + 1) * pool.BytesPerSequence - kv.Bytes));
            return new FitResult(true, [new("concurrency", requests.ToString(CultureInfo.InvariantCulture)),
                    new("kv_cache_tokens", (pool.Tokens ?? 0).ToString(CultureInfo.InvariantCulture))],
                new FitLimit(estimate.Devices[0].Name, TermId.KvCache, "KV cache pool", excess), estimate,
                [$"vLLM's pool holds {(pool.MaxConcurrency ?? 0).ToString("0.00", CultureInfo.InvariantCulture)} requests of {pool.MaxModelLen.ToString("N0", CultureInfo.InvariantCulture)} tokens; shorter requests share it further."],
                $"concurrency {(requests + 1).ToString("N0", CultureInfo.InvariantCulture)}");
        }

        if (request.Engine == InferenceEngine.LlamaCpp)
        {
            // llama.cpp's -np sequences share one context: n of them at the requested length need n × that context.
            var perSequence = request.ContextTokens ?? InferenceRequest.DefaultContextTokens;
            var llama = request.LlamaCpp ?? new LlamaCppSettings();
            InferenceRequest At(long n) => request with { ContextTokens = checked(n * perSequence), LlamaCpp = llama with { Sequences = (int)n } };
            return Search(At, 1, 4096, "concurrency", "4,096 sequences is the most llmem tries");
        }

        return MaxBatch(request, "concurrency");
    }

    private static FitResult MinGpus(InferenceRequest request)
    {
        Estimate? first = null;
        for (var n = 1; n <= MaxGpus; n *= 2)
        {
            // vLLM shards by tensor parallelism within a node (8 GPUs), then by pipeline stages.
            var tp = request.Engine == InferenceEngine.Vllm ? Math.Min(n, 8) : n;
            Parallelism.TryCreate(tp, n / tp, n, null, out var parallel, out _);
            var estimate = InferenceEstimator.Estimate(request with { Parallelism = parallel });
            first = estimate;
            if (Fits(estimate))
            {
                var answer = ImmutableArray.Create(new KeyValuePair<string, string>("gpus", n.ToString(CultureInfo.InvariantCulture)),
                    new("tp", tp.ToString(CultureInfo.InvariantCulture)), new("pp", (n / tp).ToString(CultureInfo.InvariantCulture)));
                var fewer = n > 1 ? Limit(InferenceEstimator.Estimate(request with { Parallelism = Half(request, n) })) : null;
                return new FitResult(true, answer, fewer, estimate, [$"GPU counts tried: powers of two up to {n}."],
                    n > 1 ? $"{n / 2} GPU{(n / 2 == 1 ? "" : "s")}" : null);
            }
        }

        return NothingFits(first!) with { Notes = [$"Not even with {MaxGpus:N0} GPUs."] };
    }

    private static Parallelism Half(InferenceRequest request, int n)
    {
        var m = n / 2;
        var tp = request.Engine == InferenceEngine.Vllm ? Math.Min(m, 8) : m;
        Parallelism.TryCreate(tp, m / tp, m, null, out var parallel, out _);
        return parallel;
    }

    /// <summary>
    /// llama.cpp: the most faithful file type whose every layer fits on the GPU at the requested context, and the longest
    /// context it then allows; when none fits whole, Q4_K_M with as many layers (dense) or as few host-side expert layers
    /// (MoE, --n-cpu-moe) as fit.
    /// </summary>
    private static FitResult BestLlamaCpp(InferenceRequest request)
    {
        var llama = request.LlamaCpp ?? new LlamaCppSettings();
        var quants = request.Quantization is { } given ? [given] : QuantsByQuality.Select(Quant).ToList();
        foreach (var quant in quants)
        {
            var atQuant = request with { Quantization = quant };
            var estimate = InferenceEstimator.Estimate(atQuant);
            if (Fits(estimate))
            {
                var context = MaxContext(atQuant);
                var answer = ImmutableArray.Create<KeyValuePair<string, string>>(new("quant", quant.Name), new("gpu_layers", "all"));
                return context with { Answer = answer.AddRange(context.Answer) };
            }
        }

        var shape = request.Model.Shape!;
        var offloaded = request with { Quantization = request.Quantization ?? Quant(OffloadQuant) };
        var name = offloaded.Quantization!.Name;
        if (shape.IsMixtureOfExperts)
        {
            // Experts of the first N layers in host RAM, everything else on the GPU: the fewest N that fits.
            for (var n = 1; n <= shape.LayerCount; n++)
            {
                var estimate = InferenceEstimator.Estimate(offloaded with { LlamaCpp = llama with { CpuMoeLayers = n } });
                if (Fits(estimate))
                {
                    var tighter = Limit(InferenceEstimator.Estimate(offloaded with { LlamaCpp = llama with { CpuMoeLayers = n - 1 } }), estimate);
                    return new FitResult(true, [new("quant", name), new("gpu_layers", "all"), new("cpu_moe", n.ToString(CultureInfo.InvariantCulture))],
                        tighter, estimate, ["No file type fits whole; the experts of the first layers stay in host RAM (--n-cpu-moe)."],
                        $"cpu_moe {(n - 1).ToString(CultureInfo.InvariantCulture)}");
                }
            }
        }

        InferenceRequest At(long n) => offloaded with { LlamaCpp = llama with { GpuLayers = (int)n } };
        var layers = Search(At, 0, shape.LayerCount + 1, "gpu_layers", "every layer and the output layer are on the GPU");
        return layers with
        {
            Answer = layers.Answer.Insert(0, new("quant", name)),
            Notes = layers.Notes.Add($"No file type fits whole; {name} with the last layers on the GPU and the rest in host RAM (-ngl)."),
        };
    }

    private static WeightQuantization Quant(string name) =>
        WeightQuantization.TryParse(name, out var q, out var error) ? q : throw new InvalidOperationException(error);

    /// <summary>The largest n in [lo, hi] whose estimate fits, assuming memory grows with n.</summary>
    private static FitResult Search(Func<long, InferenceRequest> at, long lo, long hi, string name, string ceilingNote) =>
        Search(n => InferenceEstimator.Estimate(at(n)), lo, hi, name, ceilingNote);

    private static FitResult Search(Func<long, Estimate> estimateAt, long lo, long hi, string name, string ceilingNote)
    {
        var low = estimateAt(lo);
        if (!Fits(low))
        {
            return NothingFits(low);
        }

        var high = estimateAt(hi);
        if (Fits(high))
        {
            return new FitResult(true, [new(name, hi.ToString(CultureInfo.InvariantCulture))], null, high, [ceilingNote]);
        }

        var (good, bad) = (lo, hi);
        var best = low;
        while (bad - good > 1)
        {
            var mid = good + (bad - good) / 2;
            var estimate = estimateAt(mid);
            if (Fits(estimate))
            {
                (good, best) = (mid, estimate);
            }
            else
            {
                bad = mid;
            }
        }

        return new FitResult(true, [new(name, good.ToString(CultureInfo.InvariantCulture))], Limit(estimateAt(bad), best), best, [],
            $"{name} {bad.ToString("N0", CultureInfo.InvariantCulture)}");
    }

    /// <summary>
    /// The same questions for training: the longest sequence, the largest micro-batch, or the fewest GPUs (data parallel,
    /// keeping the request's tensor and pipeline parallelism and its ZeRO stage) whose training step fits.
    /// </summary>
    /// <exception cref="EstimateException">No GPU was named, or the question needs the model's architecture.</exception>
    public static FitResult SolveTraining(TrainingRequest request, FitQuestion question)
    {
        if (request.Capacity is null)
        {
            throw new EstimateException("fit needs a GPU: name one with --gpu (see 'llmem gpus') or give its memory with --gpu-memory.");
        }

        if (request.Model.Shape is null && question != FitQuestion.MinGpus)
        {
            throw new EstimateException("fit --train needs the model's architecture for this question (activations depend on it); --min gpus works with a count.");
        }

        switch (question)
        {
            case FitQuestion.MinGpus:
                var parallel = request.Parallelism ?? Parallelism.Single;
                Estimate? first = null;
                for (var replicas = 1; replicas * parallel.ModelShards <= MaxGpus; replicas *= 2)
                {
                    var gpus = replicas * parallel.ModelShards;
                    Parallelism.TryCreate(parallel.TensorParallel, parallel.PipelineParallel, gpus, null, out var n, out _);
                    var estimate = TrainingEstimator.Estimate(request with { Parallelism = n });
                    first = estimate;
                    if (Fits(estimate))
                    {
                        return new FitResult(true, [new("gpus", gpus.ToString(CultureInfo.InvariantCulture))],
                            replicas > 1 ? Limit(TrainingEstimator.Estimate(request with { Parallelism = HalfReplicas(parallel, gpus) })) : null, estimate,
                            [$"Data-parallel replicas tried in powers of two; ZeRO stage {request.Zero} shards over them."], replicas > 1 ? $"{gpus / 2} GPUs" : null);
                    }
                }

                // The most GPUs tried says what no number of GPUs removes (activations are not sharded by data parallelism).
                return NothingFits(first!) with { Notes = [$"Not even with {MaxGpus:N0} GPUs: what is left is not divided by more data-parallel GPUs."] };
            case FitQuestion.MaxBatch or FitQuestion.MaxConcurrency:
                return Search(n => TrainingEstimator.Estimate(request with { Batch = n }), 1, 1L << 20, "batch", "1,048,576 is the most llmem tries");
            default:
                var modelMax = request.Model.Shape!.ContextLength > 0 ? request.Model.Shape.ContextLength : 1L << 20;
                return Search(n => TrainingEstimator.Estimate(request with { SequenceTokens = n }), 1, modelMax, "seq",
                    $"the model's own context length ({modelMax.ToString("N0", CultureInfo.InvariantCulture)} tokens) is the limit, not memory");
        }
    }

    private static Parallelism HalfReplicas(Parallelism parallel, int gpus)
    {
        Parallelism.TryCreate(parallel.TensorParallel, parallel.PipelineParallel, gpus / 2, null, out var half, out _);
        return half;
    }

    private static FitResult NothingFits(Estimate estimate) => new(false, [], Limit(estimate), estimate, []);
}
