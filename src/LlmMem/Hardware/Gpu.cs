using LlmMem.Units;

namespace LlmMem.Hardware;

/// <summary>A GPU model and the memory a process can actually see on it.</summary>
/// <param name="Slug">Catalog id: "h100-sxm-80gb".</param>
/// <param name="Name">Marketing name: "NVIDIA H100 SXM 80GB".</param>
/// <param name="Memory">
/// Total memory as the CUDA runtime or nvidia-smi reports it, not the marketed "80 GB": the driver keeps some.
/// </param>
/// <param name="MemorySource">Where <see cref="Memory"/> was read.</param>
/// <param name="Aliases">Short names users type: "h100".</param>
public sealed record Gpu(string Slug, string Name, ByteSize Memory, string MemorySource, IReadOnlyList<string> Aliases);
