using System.Collections.Concurrent;
using System.Reflection;
using System.Text.Json;
using LlmMem.Estimates;
using LlmMem.Formats.HuggingFace;
using LlmMem.Models;
using LlmMem.Text;

namespace LlmMem.Formats.Catalog;

/// <summary>
/// The offline catalog: real config.json files embedded in the assembly (data/hf-configs, sources in its INDEX.md),
/// found by Hugging Face id or alias, case-insensitively.
/// </summary>
public static partial class ModelCatalog
{
    private const string ResourcePrefix = "hf-configs/";
    private static readonly Lazy<IReadOnlyList<CatalogEntry>> LazyEntries = new(LoadEntries);
    private static readonly Lazy<Dictionary<string, (CatalogEntry Entry, bool Variant)>> LazyIndex = new(BuildIndex);
    private static readonly ConcurrentDictionary<string, ModelSpec> Loaded = new();

    public static IReadOnlyList<CatalogEntry> Entries => LazyEntries.Value;

    /// <summary>Finds an entry by id or alias: "meta-llama/Llama-3.1-8B", "llama-3.1-8b", "llama3.1:8b".</summary>
    public static CatalogMatch? Find(string text)
    {
        if (!LazyIndex.Value.TryGetValue(Key(text), out var hit))
        {
            return null;
        }

        return new CatalogMatch(hit.Entry, hit.Variant ? $"'{text}' names no single variant; the catalog has only {hit.Entry.Id}, which is used." : null);
    }

    /// <summary>The nearest id or alias to a mistyped name, for "did you mean".</summary>
    public static string? Nearest(string text) => NameSuggestion.Nearest(Key(text), LazyIndex.Value.Keys);

    /// <summary>The entry's model, read from its embedded config.json (once).</summary>
    public static ModelSpec Load(CatalogEntry entry) => Loaded.GetOrAdd(entry.Id, _ =>
    {
        var bytes = Resource(entry.File);
        return ConfigReader.Read(bytes, entry.File, entry.Id, $"catalog ({entry.Source})");
    });

    /// <summary>Loads a match, adding its note (variant chosen) to the model's notes.</summary>
    public static ModelSpec Load(CatalogMatch match)
    {
        var model = Load(match.Entry);
        return match.Note is null ? model : model with { Notes = model.Notes.Add(new EstimateWarning("catalog_variant", match.Note, "model")) };
    }

    private static string Key(string text) => text.Trim().ToLowerInvariant().Replace(':', '-').Replace('_', '-');

    private static byte[] Resource(string file)
    {
        using var stream = typeof(ModelCatalog).Assembly.GetManifestResourceStream(ResourcePrefix + file)
            ?? throw new InvalidOperationException($"catalog resource {file} is missing from the build");
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }

    private static IReadOnlyList<CatalogEntry> LoadEntries()
    {
        using var document = JsonDocument.Parse(Resource("catalog.json"));
        return document.RootElement.EnumerateArray().Select(e =>
        {
            var id = e.GetProperty("id").GetString()!;
            return new CatalogEntry(id, e.GetProperty("file").GetString()!, e.GetProperty("source").GetString()!,
                e.GetProperty("official_parameters").GetString()!, Aliases(id));
        }).ToList();
    }

    /// <summary>
    /// "meta-llama/Meta-Llama-3-8B" → meta-llama-3-8b, llama-3-8b, llama3-8b; "meta-llama/Llama-2-7b-hf" → llama-2-7b too.
    /// </summary>
    private static IReadOnlyList<string> Aliases(string id)
    {
        var repo = Key(id[(id.IndexOf('/') + 1)..]);
        var names = new List<string> { Key(id), repo };
        if (repo.StartsWith("meta-", StringComparison.Ordinal))
        {
            names.Add(repo["meta-".Length..]);
        }

        foreach (var name in names.ToList())
        {
            if (name.EndsWith("-hf", StringComparison.Ordinal))
            {
                names.Add(name[..^3]);
            }
        }

        foreach (var name in names.ToList())
        {
            // Ollama writes llama3.1, qwen2.5 without the hyphen.
            var joined = OllamaJoin().Replace(name, "$1$2");
            names.Add(joined);
        }

        return names.Distinct().ToList();
    }

    /// <summary>Ollama's joined family and version ("llama-3.1" → "llama3.1"); generated at build time, not parsed at start-up.</summary>
    [System.Text.RegularExpressions.GeneratedRegex(@"^([a-z]+)-(\d)", System.Text.RegularExpressions.RegexOptions.CultureInvariant)]
    private static partial System.Text.RegularExpressions.Regex OllamaJoin();

    /// <summary>Variant suffixes a name may leave out when the catalog holds only that variant.</summary>
    private static readonly string[] VariantSuffixes = ["-instruct", "-it", "-chat-v1.0", "-chat", "-v0.1"];

    private static Dictionary<string, (CatalogEntry, bool)> BuildIndex()
    {
        var index = new Dictionary<string, (CatalogEntry, bool)>();
        foreach (var entry in Entries)
        {
            foreach (var alias in entry.Aliases)
            {
                index.TryAdd(alias, (entry, false));
            }
        }

        var variantless = Entries
            .SelectMany(e => e.Aliases.SelectMany(a => VariantSuffixes.Where(s => a.EndsWith(s, StringComparison.Ordinal)).Select(s => (Alias: a[..^s.Length], Entry: e))))
            .Where(p => !index.ContainsKey(p.Alias))
            .GroupBy(p => p.Alias);
        foreach (var group in variantless)
        {
            var entries = group.Select(p => p.Entry).Distinct().ToList();
            if (entries.Count == 1)
            {
                index[group.Key] = (entries[0], true);
            }
        }

        return index;
    }
}
