using System.Collections.Immutable;
using LlmMem.Units;

namespace LlmMem.Estimates;

/// <summary>The memory one device holds: "gpu0", "gpu1" …, or "cpu" for host RAM.</summary>
/// <param name="Name">"gpu0", "gpu1" …, or "cpu".</param>
/// <param name="Terms">What the device holds, term by term.</param>
/// <param name="Capacity">The device's usable memory, when a GPU or a memory size was named.</param>
public sealed record DeviceEstimate(string Name, ImmutableArray<Term> Terms, DeviceCapacity? Capacity = null)
{
    public ByteSize Total { get; } = Sum(Terms);

    /// <summary>True or false when a capacity is known; null otherwise.</summary>
    public bool? Fits => Capacity is null ? null : Total <= Capacity.Memory;

    public Term? Find(TermId id) => Terms.FirstOrDefault(t => t.Id == id);

    private static ByteSize Sum(ImmutableArray<Term> terms)
    {
        var total = ByteSize.Zero;
        foreach (var term in terms)
        {
            total += term.Bytes;
        }

        return total;
    }
}

/// <summary>How much memory a device offers, and what it is: a catalog GPU or a size the user gave.</summary>
public sealed record DeviceCapacity(string Name, ByteSize Memory, string Source)
{
    /// <summary>Memory bandwidth in GB/s (10⁹ B/s), when the GPU's is known: it bounds decode speed.</summary>
    public double? BandwidthGBs { get; init; }

    /// <summary>The total the GPU runtime reports (cudaMemGetInfo), when read: what vLLM's utilisation applies to.</summary>
    public ByteSize? RuntimeTotal { get; init; }

    public string? RuntimeTotalSource { get; init; }

    /// <summary>
    /// Memory shared by CPU and GPU (Apple silicon): no CUDA context, and what an engine keeps "on the host" comes out of the
    /// same RAM as what it keeps on the GPU.
    /// </summary>
    public bool UnifiedMemory { get; init; }

    /// <summary>Whether a CUDA context belongs on this device: not on unified memory (Metal or MPS, not CUDA).</summary>
    public static bool HasCudaContext(DeviceCapacity? capacity) => capacity is not { UnifiedMemory: true };
}
