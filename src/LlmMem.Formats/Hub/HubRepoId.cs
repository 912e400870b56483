using System.Text.RegularExpressions;

namespace LlmMem.Formats.Hub;

/// <summary>A Hub model repository, <c>org/name</c>, at an optional revision (<c>org/name@revision</c>).</summary>
/// <remarks>
/// The rules are huggingface_hub's validate_repo_id (utils/_validators.py): letters, digits, '-', '_', '.'; no "--" or
/// ".."; not starting or ending with '-' or '.'; at most 96 characters. An id always has its organisation here: a bare
/// name ("gpt2") is more likely a typo of a catalog alias than a legacy Hub model, and sending typos to the network
/// would turn "did you mean" into a network error. Whatever passes can only ever name a path under the endpoint.
/// </remarks>
public sealed partial record HubRepoId(string Organization, string Name, string? Revision)
{
    private const int MaxNameLength = 96;
    private const int MaxRevisionLength = 256;

    [GeneratedRegex(@"^[A-Za-z0-9_.\-]+$", RegexOptions.CultureInvariant)]
    private static partial Regex Part();

    [GeneratedRegex(@"^[A-Za-z0-9_.\-/]+$", RegexOptions.CultureInvariant)]
    private static partial Regex RevisionText();

    /// <summary>"org/name", without the revision.</summary>
    public string Repo => $"{Organization}/{Name}";

    public override string ToString() => Revision is null ? Repo : $"{Repo}@{Revision}";

    /// <summary>
    /// True when <paramref name="text"/> is shaped like a Hub id rather than a path or a count: one '/', not starting
    /// with '.', '/' or '~', and not ending in a model file's extension.
    /// </summary>
    public static bool LooksLikeId(string text)
    {
        var repo = text.Split('@')[0];
        return repo.Count(c => c == '/') == 1 && !repo.StartsWith('.') && !repo.StartsWith('/') && !repo.StartsWith('~')
            && !repo.EndsWith('/') && !repo.Contains('\\', StringComparison.Ordinal)
            && !new[] { ".json", ".gguf", ".safetensors", ".bin" }.Any(e => repo.EndsWith(e, StringComparison.OrdinalIgnoreCase));
    }

    /// <summary>Parses <c>org/name</c> or <c>org/name@revision</c>; the error says what is wrong.</summary>
    public static bool TryParse(string? text, out HubRepoId id, out string error)
    {
        id = new HubRepoId("", "", null);
        text = text?.Trim() ?? "";
        var at = text.IndexOf('@', StringComparison.Ordinal);
        var repo = at < 0 ? text : text[..at];
        var revision = at < 0 ? null : text[(at + 1)..];
        var parts = repo.Split('/');
        if (parts.Length != 2)
        {
            error = $"'{text}' is not a Hub id: write org/name or org/name@revision.";
            return false;
        }

        foreach (var part in parts)
        {
            if (PartError(part) is { } problem)
            {
                error = $"'{text}' is not a Hub id: {problem}";
                return false;
            }
        }

        if (revision is not null && !TryValidateRevision(revision, out error))
        {
            return false;
        }

        id = new HubRepoId(parts[0], parts[1], revision);
        error = "";
        return true;
    }

    /// <summary>A branch, tag or commit: letters, digits, '-', '_', '.', '/' (refs/pr/1), no "..", no empty segment.</summary>
    public static bool TryValidateRevision(string revision, out string error)
    {
        error = revision.Length == 0 ? "the revision after '@' is empty."
            : revision.Length > MaxRevisionLength ? $"a revision is at most {MaxRevisionLength} characters."
            : !RevisionText().IsMatch(revision) ? $"revision '{Show(revision)}' may hold only letters, digits, '-', '_', '.' and '/'."
            : revision.Split('/').Any(s => s.Length == 0 || s == "." || s == "..") ? $"revision '{revision}' has an empty, '.' or '..' segment."
            : "";
        return error.Length == 0;
    }

    /// <summary>A file in a repository: relative, '/' between folders, no empty, '.' or '..' segment, no control character.</summary>
    public static bool TryValidateFile(string file, out string error)
    {
        error = file.Length == 0 ? "--file is empty."
            : file.Length > 1024 ? "--file is longer than 1,024 characters."
            : file.Any(c => char.IsControl(c) || c is '\\' or ':' or '?' or '#' or '%') ? $"--file '{Show(file)}' holds a character a repository file name cannot ('\\', ':', '?', '#', '%' or a control character)."
            : file.Split('/').Any(s => s.Length == 0 || s == "." || s == "..") ? $"--file '{file}' must be a path inside the repository, without empty, '.' or '..' parts."
            : "";
        return error.Length == 0;
    }

    private static string? PartError(string part) =>
        part.Length == 0 ? "the organisation and the name must both be given."
        : part.Length > MaxNameLength ? $"a name is at most {MaxNameLength} characters."
        : !Part().IsMatch(part) ? $"'{Show(part)}' may hold only letters, digits, '-', '_' and '.'."
        : part.Contains("--", StringComparison.Ordinal) || part.Contains("..", StringComparison.Ordinal) ? $"'{part}' may not contain '--' or '..'."
        : part[0] is '-' or '.' || part[^1] is '-' or '.' ? $"'{part}' may not start or end with '-' or '.'."
        : null;

    private static string Show(string text) =>
        string.Concat(text.Take(60).Select(c => char.IsControl(c) ? $"\\u{(int)c:X4}" : c.ToString()));
}
