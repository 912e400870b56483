using LlmMem.Units;

namespace LlmMem.Hardware;

/// <summary>A GPU model: the memory it is sold with, the memory a process can see, and where each figure comes from.</summary>
/// <param name="Slug">Catalog id: "h100-sxm-80gb".</param>
/// <param name="Name">Product name: "NVIDIA H100 SXM5 80GB".</param>
/// <param name="Vendor">"nvidia", "amd", "apple", "intel".</param>
/// <param name="Aliases">Short names users type: "h100".</param>
/// <param name="MarketedMemory">The capacity as sold: "80 GB" (vendors' DRAM "GB" are 2³⁰ bytes).</param>
/// <param name="PhysicalMemory">That capacity in bytes.</param>
/// <param name="VisibleMemory">Total memory as nvidia-smi or the runtime reports it (the driver keeps some), when a reading exists.</param>
/// <param name="GpuShare">For unified memory, the share the GPU may use by default (Metal's working-set limit); null for discrete GPUs.</param>
/// <param name="BandwidthGBs">Memory bandwidth, GB/s, as the vendor states it.</param>
/// <param name="Source">Where the marketed figures come from.</param>
/// <param name="VisibleSource">Where the visible total was read.</param>
/// <param name="Derived">True when a figure is computed by a stated rule rather than read.</param>
public sealed record Gpu(
    string Slug,
    string Name,
    string Vendor,
    IReadOnlyList<string> Aliases,
    string MarketedMemory,
    ByteSize PhysicalMemory,
    ByteSize? VisibleMemory,
    double? GpuShare,
    double? BandwidthGBs,
    string Source,
    string? VisibleSource,
    bool Derived)
{
    /// <summary>
    /// The total CUDA (or ROCm) reports to a process (cudaMemGetInfo), a few hundred MiB below nvidia-smi's: what vLLM
    /// multiplies by --gpu-memory-utilization. Read from vLLM logs (two decimals of GiB), where one exists.
    /// </summary>
    public ByteSize? RuntimeTotal { get; init; }

    public string? RuntimeTotalSource { get; init; }

    /// <summary>
    /// What an estimate may fill: the visible total where one was read; for unified memory the GPU's share of it;
    /// otherwise the physical capacity (an upper bound: the driver keeps a few hundred MiB).
    /// </summary>
    public ByteSize Usable => VisibleMemory
        ?? (GpuShare is { } share ? ByteSize.FromBytes((long)(PhysicalMemory.Bytes * share)) : PhysicalMemory);

    /// <summary>How <see cref="Usable"/> was obtained, for the capacity's source line.</summary>
    public string UsableSource => VisibleMemory is not null
        ? $"visible total: {VisibleSource}"
        : GpuShare is { } share ? $"{share:P0} of unified memory (Metal's default GPU working set; {Source})" : $"marketed capacity, no visible total read ({Source})";
}
