using System.Collections.Immutable;

namespace LlmMem.Estimates;

/// <summary>Helpers that turn per-GPU terms into devices, and devices into capacity warnings.</summary>
public static class DeviceLayout
{
    /// <summary>The names of the first GPUs, made once rather than on every estimate.</summary>
    private static readonly string[] GpuNames = [.. Enumerable.Range(0, 16).Select(i => $"gpu{i}")];

    /// <summary><paramref name="count"/> GPUs named gpu0, gpu1 … that each hold <paramref name="terms"/>.</summary>
    /// <param name="first">The first GPU's number (a later pipeline stage's GPUs follow the earlier stages').</param>
    public static ImmutableArray<DeviceEstimate> IdenticalGpus(int count, ImmutableArray<Term> terms, DeviceCapacity? capacity, int first = 0)
    {
        var devices = ImmutableArray.CreateBuilder<DeviceEstimate>(count);
        for (var i = first; i < first + count; i++)
        {
            devices.Add(new DeviceEstimate(i < GpuNames.Length ? GpuNames[i] : $"gpu{i}", terms, capacity));
        }

        return devices.MoveToImmutable();
    }

    /// <summary>One warning naming every device that needs more than it has (the first, when all GPUs are alike).</summary>
    public static IEnumerable<EstimateWarning> CapacityWarnings(ImmutableArray<DeviceEstimate> devices)
    {
        // Counted in a loop, allocating nothing when everything fits: this runs on every estimate.
        DeviceEstimate? first = null;
        var over = 0;
        foreach (var device in devices)
        {
            if (device.Fits == false)
            {
                first ??= device;
                over++;
            }
        }

        if (first is null)
        {
            return [];
        }

        var who = over == 1 ? first.Name : $"{over} devices ({first.Name} …) each";
        return
        [
            new EstimateWarning(
                "exceeds_capacity",
                $"Does not fit: {who} needs {first.Total.Format()} but {first.Capacity!.Name} has {first.Capacity.Memory.Format()}.",
                "gpu"),
        ];
    }
}
