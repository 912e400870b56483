namespace LlmMem.Formats.Catalog;

/// <summary>One model of the offline catalog: a real published config.json, where it was found, and the names it answers to.</summary>
/// <param name="Id">The Hugging Face id: "meta-llama/Llama-3.1-8B".</param>
/// <param name="File">The embedded config file.</param>
/// <param name="Source">Where the config.json copy comes from (data/hf-configs/INDEX.md).</param>
/// <param name="OfficialParameters">The size its publisher states, with the source.</param>
/// <param name="Aliases">Lower-case names it also answers to: "llama-3.1-8b", "llama3.1-8b".</param>
public sealed record CatalogEntry(string Id, string File, string Source, string OfficialParameters, IReadOnlyList<string> Aliases);

/// <summary>A catalog hit, with a note when a variant-less name was resolved to the only variant there is.</summary>
public sealed record CatalogMatch(CatalogEntry Entry, string? Note);
