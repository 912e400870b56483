using System.Text.Json;
using System.Text.RegularExpressions;

namespace LlmMem.Formats.Hub;

/// <summary>
/// The Hub's JSON answers, parsed from their bytes: a revision's model info (its commit "sha") and one page of a file tree.
/// Kept apart from <see cref="HubClient"/>'s HTTP so the fuzzer (fuzz/) and the random-mutation tests can feed it bytes directly.
/// </summary>
/// <remarks>
/// Formats are huggingface_hub's (hf_api.py model_info → ModelInfo.sha; list_repo_tree → RepoFile/RepoFolder entries of
/// {"type", "path", "size"}). Anything else is one <see cref="HubException"/> naming the answer and what is wrong.
/// </remarks>
internal static partial class HubJson
{
    /// <summary>Nesting depth accepted: model info nests 3 or 4 levels (siblings → entry → lfs); a tree page, 3.</summary>
    public const int MaxDepth = 32;

    [GeneratedRegex("^[0-9a-f]{40}$", RegexOptions.CultureInvariant)]
    private static partial Regex CommitSha();

    /// <summary>The commit a model-info answer names in "sha".</summary>
    /// <exception cref="HubException">Not JSON, not an object, or no 40-digit hexadecimal "sha".</exception>
    public static string Commit(byte[] body, HubRepoId id, string what)
    {
        using var document = Parse(body, id, what);
        if (document.RootElement.ValueKind != JsonValueKind.Object
            || !document.RootElement.TryGetProperty("sha", out var sha) || sha.ValueKind != JsonValueKind.String)
        {
            throw HubErrors.Malformed(id, what, "no \"sha\" string (the commit of the revision).");
        }

        var commit = sha.GetString()!;
        return CommitSha().IsMatch(commit) ? commit : throw HubErrors.Malformed(id, what, "\"sha\" is not a 40-digit hexadecimal commit id.");
    }

    /// <summary>Adds the files of one tree page to <paramref name="files"/>; folders are skipped, names llmem could not ask for safely left out.</summary>
    /// <exception cref="HubException">Not JSON, not an array, or an entry without a type and path, or a file without a whole size.</exception>
    public static void TreePage(byte[] body, HubRepoId id, string what, List<HubFile> files)
    {
        using var document = Parse(body, id, what);
        if (document.RootElement.ValueKind != JsonValueKind.Array)
        {
            throw HubErrors.Malformed(id, what, "not a JSON array of files.");
        }

        foreach (var entry in document.RootElement.EnumerateArray())
        {
            if (entry.ValueKind != JsonValueKind.Object || !entry.TryGetProperty("type", out var type) || !entry.TryGetProperty("path", out var path)
                || path.ValueKind != JsonValueKind.String)
            {
                throw HubErrors.Malformed(id, what, "an entry without a \"type\" and a \"path\".");
            }

            // Found by fuzzing (docs/robustness.md): ValueEquals throws InvalidOperationException on a non-string "type".
            if (type.ValueKind != JsonValueKind.String)
            {
                throw HubErrors.Malformed(id, what, "an entry whose \"type\" is not a string.");
            }

            if (type.ValueEquals("file"u8))
            {
                var name = path.GetString()!;
                // AFL++ found a string "size": TryGetInt64 throws InvalidOperationException on anything but a number.
                if (!entry.TryGetProperty("size", out var size) || size.ValueKind != JsonValueKind.Number || !size.TryGetInt64(out var bytes) || bytes < 0)
                {
                    throw HubErrors.Malformed(id, what, $"file '{Shown(name)}' has no whole, non-negative \"size\".");
                }

                // A name llmem could not ask for (or cache) safely is left out rather than trusted.
                if (HubRepoId.TryValidateFile(name, out _))
                {
                    files.Add(new HubFile(name, bytes));
                }
            }
        }
    }

    private static JsonDocument Parse(byte[] body, HubRepoId id, string what)
    {
        // Found by fuzzing (docs/robustness.md): invalid UTF-8 in a string, or an escaped half surrogate in a string or a key,
        // escaped as InvalidOperationException when the string was read or the key compared.
        if (JsonText.FirstInvalidUtf8(body) is var bad and >= 0)
        {
            throw HubErrors.Malformed(id, what, $"not valid UTF-8 (byte {bad + 1:N0}).");
        }

        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(body, new JsonDocumentOptions { MaxDepth = MaxDepth });
        }
        catch (JsonException e)
        {
            throw HubErrors.Malformed(id, what, $"not valid JSON (line {e.LineNumber + 1}, byte {e.BytePositionInLine + 1}).");
        }

        if (JsonText.FirstBadEscape(body, new JsonReaderOptions { MaxDepth = MaxDepth }) is var escape and >= 0)
        {
            document.Dispose();
            throw HubErrors.Malformed(id, what, $"a string holds an escape that is not text, half a surrogate pair (byte {escape + 1:N0}).");
        }

        return document;
    }

    private static string Shown(string text) => text.Length > 100 ? text[..100] + "…" : text;
}
