using System.Collections.Immutable;
using LlmMem.Estimates;
using LlmMem.Hardware;
using LlmMem.Inference;
using LlmMem.Units;

namespace LlmMem.Planning;

/// <summary>One model of a deployment: its name in the plan and what to estimate.</summary>
public sealed record PlannedModel(string Name, InferenceRequest Request);

/// <summary>A model placed on GPUs: which ones, and what it needs on each.</summary>
public sealed record Placement(string Model, ImmutableArray<int> Gpus, ByteSize PerGpu, Estimate Estimate);

/// <summary>A model that found no room: what it needs per GPU, on how many, the most any GPU had left, and why.</summary>
public sealed record Unplaced(string Model, int Gpus, ByteSize PerGpu, ByteSize MostFree, string Reason, Estimate Estimate);

/// <summary>One GPU of the machine: what was placed on it and what is left.</summary>
public sealed record PlannedGpu(int Index, DeviceCapacity Capacity, ImmutableArray<string> Models, ByteSize Used)
{
    public ByteSize Free => Capacity.Memory - Used;
}

/// <summary>Where every model of a deployment goes, or which do not fit and why.</summary>
public sealed record DeploymentPlan(ImmutableArray<PlannedGpu> Gpus, ImmutableArray<Placement> Placed, ImmutableArray<Unplaced> Unplaced)
{
    public bool AllPlaced => Unplaced.IsEmpty;
}

/// <summary>
/// Places several models on a machine's GPUs: each model is estimated on its own (its engine, its CUDA context, its
/// share of a GPU for vLLM's --gpu-memory-utilization), then the largest first, each on the GPUs with the most room
/// (first-fit decreasing). A model split over k GPUs needs k different GPUs with room for its per-GPU total.
/// </summary>
public static class Planner
{
    public static DeploymentPlan Place(IReadOnlyList<PlannedModel> models, int gpuCount, DeviceCapacity capacity)
    {
        var used = new ByteSize[gpuCount];
        var names = Enumerable.Range(0, gpuCount).Select(_ => new List<string>()).ToArray();
        var placed = ImmutableArray.CreateBuilder<Placement>();
        var unplaced = ImmutableArray.CreateBuilder<Unplaced>();
        var estimates = models
            .Select(m => (Model: m, Estimate: InferenceEstimator.Estimate(m.Request with { Capacity = capacity })))
            .Select(x => (x.Model, x.Estimate, Gpus: x.Estimate.Devices.Count(d => d.Name.StartsWith("gpu", StringComparison.Ordinal)),
                PerGpu: x.Estimate.Devices.Where(d => d.Name.StartsWith("gpu", StringComparison.Ordinal)).Select(d => d.Total).DefaultIfEmpty(ByteSize.Zero).Max()))
            .OrderByDescending(x => x.PerGpu.Bytes * Math.Max(1, x.Gpus))
            .ToList();
        foreach (var (model, estimate, gpus, perGpu) in estimates)
        {
            var free = Enumerable.Range(0, gpuCount).Select(g => (Gpu: g, Free: capacity.Memory - used[g])).OrderByDescending(x => x.Free).ToList();
            var chosen = free.Where(x => x.Free >= perGpu).Take(Math.Max(1, gpus)).ToList();
            var mostFree = free.Count == 0 ? ByteSize.Zero : free[0].Free;
            var refusal = estimate.Warnings.FirstOrDefault(w => w.Code is "no_kv_memory" or "kv_below_one_request");
            string? reason = gpus > gpuCount ? $"it is split over {gpus} GPUs; the machine has {gpuCount}"
                : refusal is not null ? refusal.Message
                : chosen.Count < Math.Max(1, gpus) ? $"it needs {perGpu.Format()} on each of {Math.Max(1, gpus)} GPU(s); the most any GPU has left is {mostFree.Format()}"
                : null;
            if (reason is not null)
            {
                unplaced.Add(new Unplaced(model.Name, Math.Max(1, gpus), perGpu, mostFree, reason, estimate));
                continue;
            }

            foreach (var (gpu, _) in chosen)
            {
                used[gpu] += perGpu;
                names[gpu].Add(model.Name);
            }

            placed.Add(new Placement(model.Name, [.. chosen.Select(c => c.Gpu).Order()], perGpu, estimate));
        }

        return new DeploymentPlan(
            [.. Enumerable.Range(0, gpuCount).Select(g => new PlannedGpu(g, capacity, [.. names[g]], used[g]))],
            placed.ToImmutable(),
            unplaced.ToImmutable());
    }
}
