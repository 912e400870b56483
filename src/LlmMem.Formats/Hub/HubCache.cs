using System.Text.Json;

namespace LlmMem.Formats.Hub;

/// <summary>
/// What llmem fetched from the Hub, kept so that a second run needs no network: per repository, the commit each
/// branch or tag named (refs/), and per commit the file list and the leading bytes read of each file (snapshots/).
/// </summary>
/// <remarks>
/// Layout, under $HF_HOME/llmem (never $HF_HOME/hub, whose layout huggingface_hub owns and whose files are whole):
/// <c>models--{org}--{name}/refs/{revision}</c> holds a commit sha, as in huggingface_hub's cache
/// (file_download.py _cache_commit_hash_for_specific_revision); <c>models--{org}--{name}/snapshots/{sha}/files.json</c>
/// the tree; <c>…/snapshots/{sha}/bytes/{file}</c> a file's first bytes (whole for config.json, the header for weights).
/// A commit's files never change, so entries are keyed by sha and never expire; refs are rewritten on every online run.
/// Writing is best effort: a cache that cannot be written costs the next run a download, never this run its answer.
/// </remarks>
internal sealed class HubCache(string folder)
{
    public string Folder { get; } = folder;

    public static bool IsCommit(string revision) =>
        revision.Length == 40 && revision.All(c => char.IsAsciiDigit(c) || c is >= 'a' and <= 'f');

    /// <summary>The commit <paramref name="revision"/> names: itself when a sha whose snapshot is here, else what refs/ recorded; null if unknown.</summary>
    public string? Commit(HubRepoId id, string revision)
    {
        if (IsCommit(revision))
        {
            return File.Exists(Path.Combine(Snapshot(id, revision), "files.json")) ? revision : null;
        }

        var sha = Read(RefPath(id, revision)) is { } bytes ? System.Text.Encoding.ASCII.GetString(bytes).Trim() : null;
        return sha is not null && IsCommit(sha) ? sha : null;
    }

    public void SaveCommit(HubRepoId id, string revision, string sha)
    {
        if (!IsCommit(revision))
        {
            Write(RefPath(id, revision), System.Text.Encoding.ASCII.GetBytes(sha));
        }
    }

    /// <summary>The file list of a commit, or null when it is not cached (or the cached copy is damaged).</summary>
    public IReadOnlyList<HubFile>? Files(HubRepoId id, string sha) =>
        Read(Path.Combine(Snapshot(id, sha), "files.json")) is { } bytes ? ParseFiles(bytes) : null;

    /// <summary>
    /// A cached files.json (what <see cref="SaveFiles"/> wrote), or null for anything else: the cache is a file on the user's
    /// disk that another program or a full disk may have damaged, so a bad copy means "not cached", never an error.
    /// </summary>
    internal static IReadOnlyList<HubFile>? ParseFiles(byte[] bytes)
    {
        try
        {
            using var document = JsonDocument.Parse(bytes);
            var files = new List<HubFile>();
            foreach (var entry in document.RootElement.GetProperty("files").EnumerateArray())
            {
                var path = entry.GetProperty("path").GetString();
                var size = entry.GetProperty("size").GetInt64();
                if (path is null || !HubRepoId.TryValidateFile(path, out _) || size < 0)
                {
                    return null;
                }

                files.Add(new HubFile(path, size));
            }

            return files;
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or KeyNotFoundException or FormatException)
        {
            return null;
        }
    }

    public void SaveFiles(HubRepoId id, string sha, IReadOnlyList<HubFile> files)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteStartArray("files");
            foreach (var file in files)
            {
                writer.WriteStartObject();
                writer.WriteString("path", file.Path);
                writer.WriteNumber("size", file.Size);
                writer.WriteEndObject();
            }

            writer.WriteEndArray();
            writer.WriteEndObject();
        }

        Write(Path.Combine(Snapshot(id, sha), "files.json"), buffer.ToArray());
    }

    /// <summary>The leading bytes of a file that an earlier run read, or null.</summary>
    public byte[]? Bytes(HubRepoId id, string sha, string file) => Read(BytesPath(id, sha, file));

    public void SaveBytes(HubRepoId id, string sha, string file, ReadOnlySpan<byte> bytes)
    {
        var path = BytesPath(id, sha, file);
        var existing = Exists(path) ? new FileInfo(path).Length : -1;
        if (bytes.Length > existing)
        {
            Write(path, bytes.ToArray());
        }
    }

    /// <summary>huggingface_hub's folder name for a model repository (file_download.py repo_folder_name).</summary>
    private string RepoFolder(HubRepoId id) => Path.Combine(Folder, $"models--{id.Organization}--{id.Name}");

    private string Snapshot(HubRepoId id, string sha) => Path.Combine(RepoFolder(id), "snapshots", sha);

    /// <summary>Revisions and files are validated (no empty, '.' or '..' part), so these paths stay inside the repository's folder.</summary>
    private string RefPath(HubRepoId id, string revision) => Path.Combine([RepoFolder(id), "refs", .. revision.Split('/')]);

    private string BytesPath(HubRepoId id, string sha, string file) => Path.Combine([Snapshot(id, sha), "bytes", .. file.Split('/')]);

    private static bool Exists(string path)
    {
        try
        {
            return File.Exists(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    private static byte[]? Read(string path)
    {
        try
        {
            return File.Exists(path) ? File.ReadAllBytes(path) : null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>Writes through a temporary file and a rename, so a reader never sees half a file.</summary>
    private static void Write(string path, byte[] bytes)
    {
        try
        {
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            var temporary = $"{path}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp";
            File.WriteAllBytes(temporary, bytes);
            File.Move(temporary, path, overwrite: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Best effort: see the remarks.
        }
    }
}
