using LlmMem.Formats.Catalog;
using LlmMem.Models;

namespace LlmMem.Formats.Validation;

/// <summary>The catalog model a ground-truth case names, shared by every validator.</summary>
internal static class CaseModels
{
    /// <summary>
    /// The catalog model the case names ("meta-llama/Llama-2-70b-hf", "Llama 3.1 8B", "Llama 3.1 (8B) Instruct",
    /// "bert-base-uncased encoder + heads"); a fine-tuned or re-released variant (-Instruct, -Chat, -it, a release tag
    /// such as -2507) uses its base model's architecture when only that is in the catalog: fine-tuning keeps every shape.
    /// </summary>
    public static (ModelSpec? Model, string? Note) Catalog(string name)
    {
        foreach (var id in Candidates(name))
        {
            if (ModelCatalog.Find(id) is { } match)
            {
                return (ModelCatalog.Load(match.Entry), null);
            }

            var parts = id.Split('-');
            var kept = parts.Where((p, i) => i == 0 || !(p is "Instruct" or "instruct" or "Chat" or "chat" or "it" || (p.Length == 4 && p.All(char.IsAsciiDigit)))).ToArray();
            if (kept.Length < parts.Length && ModelCatalog.Find(string.Join('-', kept)) is { } baseMatch)
            {
                return (ModelCatalog.Load(baseMatch.Entry), $"{id} has the architecture of {baseMatch.Entry.Id}, used");
            }
        }

        return (null, null);
    }

    /// <summary>The name's first word (a repository id), then the whole name with spaces as dashes and parentheses dropped.</summary>
    private static IEnumerable<string> Candidates(string name)
    {
        yield return name.Split(' ')[0];
        var plain = name.Split(" (Auto", StringSplitOptions.None)[0].Replace("(", "", StringComparison.Ordinal).Replace(")", "", StringComparison.Ordinal).Trim();
        yield return string.Join('-', plain.Split(' ', StringSplitOptions.RemoveEmptyEntries));
    }
}
