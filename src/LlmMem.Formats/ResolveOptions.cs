using LlmMem.Formats.Hub;

namespace LlmMem.Formats;

/// <summary>How <see cref="ModelResolver"/> may look for a model beyond the local disk and the catalog.</summary>
/// <param name="Hub">The Hub and its cache; null to use neither.</param>
/// <param name="ForceHub">Skip the catalog and the cache (--hub): ask the Hub even for a model the catalog has.</param>
/// <param name="Revision">A branch, tag or commit (--revision); default main.</param>
/// <param name="File">One file of the folder or repository to read (--file): a .gguf or .safetensors file.</param>
public sealed record ResolveOptions(HubSettings? Hub = null, bool ForceHub = false, string? Revision = null, string? File = null)
{
    /// <summary>Local paths, the catalog and parameter counts only.</summary>
    public static ResolveOptions Local { get; } = new();
}
