using System.Collections.Immutable;
using LlmMem.Estimates;
using LlmMem.Hardware;
using LlmMem.Inference;

namespace LlmMem.Fitting;

/// <summary>What a sweep varies.</summary>
public enum SweepAxis
{
    Context,
    Batch,
    Gpus,
}

/// <summary>One point of a sweep: the setting and the estimate there.</summary>
public sealed record SweepPoint(long X, Estimate Estimate);

/// <summary>Estimates over a range of one setting: what <c>llmem plot</c> draws.</summary>
public static class Sweep
{
    /// <summary>The settings a plot samples: powers of two for GPUs; otherwise <paramref name="points"/> values spread evenly from <paramref name="from"/> to <paramref name="to"/>.</summary>
    public static ImmutableArray<long> Values(SweepAxis axis, long from, long to, int points)
    {
        if (axis == SweepAxis.Gpus)
        {
            var gpus = ImmutableArray.CreateBuilder<long>();
            for (var n = Math.Max(1, from); n <= to; n *= 2)
            {
                gpus.Add(n);
            }

            return gpus.ToImmutable();
        }

        var count = (int)Math.Min(points, to - from + 1);
        return [.. Enumerable.Range(0, count).Select(i => count == 1 ? from : from + (to - from) * i / (count - 1)).Distinct()];
    }

    public static ImmutableArray<SweepPoint> Run(InferenceRequest request, SweepAxis axis, IEnumerable<long> values) =>
    [
        .. values.Select(x => new SweepPoint(x, InferenceEstimator.Estimate(axis switch
        {
            SweepAxis.Context => request with { ContextTokens = x },
            SweepAxis.Batch => request with { Batch = x },
            _ => request with { Parallelism = Gpus(request, (int)x) },
        }))),
    ];

    /// <summary>n GPUs as the engine shards them: vLLM tensor-parallel within 8, then pipeline stages; others tensor-parallel.</summary>
    private static Parallelism Gpus(InferenceRequest request, int n)
    {
        var tp = request.Engine == InferenceEngine.Vllm ? Math.Min(n, 8) : n;
        Parallelism.TryCreate(tp, n / tp, n, null, out var parallel, out _);
        return parallel;
    }
}
