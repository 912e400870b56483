using System.Collections.Immutable;

namespace LlmMem.Estimates;

/// <summary>Helpers that turn per-GPU terms into devices, and devices into capacity warnings.</summary>
public static class DeviceLayout
{
    /// <summary><paramref name="count"/> GPUs named gpu0, gpu1 … that each hold <paramref name="terms"/>.</summary>
    public static ImmutableArray<DeviceEstimate> IdenticalGpus(int count, ImmutableArray<Term> terms, DeviceCapacity? capacity)
    {
        var devices = ImmutableArray.CreateBuilder<DeviceEstimate>(count);
        for (var i = 0; i < count; i++)
        {
            devices.Add(new DeviceEstimate($"gpu{i}", terms, capacity));
        }

        return devices.MoveToImmutable();
    }

    /// <summary>One warning naming every device that needs more than it has (the first, when all GPUs are alike).</summary>
    public static IEnumerable<EstimateWarning> CapacityWarnings(ImmutableArray<DeviceEstimate> devices)
    {
        var over = devices.Where(d => d.Fits == false).ToList();
        if (over.Count == 0)
        {
            yield break;
        }

        var first = over[0];
        var who = over.Count == 1 ? first.Name : $"{over.Count} devices ({first.Name} …) each";
        yield return new EstimateWarning(
            "exceeds_capacity",
            $"Does not fit: {who} needs {first.Total.Format()} but {first.Capacity!.Name} has {first.Capacity.Memory.Format()}.",
            "gpu");
    }
}
