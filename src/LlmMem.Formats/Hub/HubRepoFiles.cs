using System.Globalization;
using LlmMem.Formats.Gguf;

namespace LlmMem.Formats.Hub;

/// <summary>
/// A Hub repository at one commit as <see cref="IModelFiles"/>: names and sizes from the tree, bytes fetched by Range
/// requests only as far as a reader reads (or, without a client, only from the cache).
/// </summary>
/// <remarks>
/// Each file keeps one buffer of its leading bytes. Reads past it fetch the gap and more, in chunks that double from
/// the size asked (so a safetensors header costs exactly 8 bytes, then its length) up to <see cref="MaxChunk"/>
/// (a GGUF header with a 262,144-token vocabulary, ~10 MB, costs a dozen requests). Readers read headers from the
/// start, so the buffer is always a prefix: it is what the cache keeps and replays.
/// </remarks>
internal sealed class HubRepoFiles : IModelFiles
{
    /// <summary>The largest chunk fetched at once.</summary>
    private const int MaxChunk = 4 << 20;

    /// <summary>The most bytes read of one file: the largest GGUF header llmem reads, and the reader's buffer past it.</summary>
    private const long MaxPrefix = GgufLimits.MaxHeaderBytes + (4 << 20);

    private readonly Dictionary<string, HubFile> files;
    private readonly Dictionary<string, Prefix> prefixes = new(StringComparer.Ordinal);
    private readonly HubClient? client;
    private readonly HubCache cache;

    public HubRepoFiles(HubRepoId id, string sha, IReadOnlyList<HubFile> list, HubClient? client, HubCache cache)
    {
        Id = id;
        Sha = sha;
        files = list.ToDictionary(f => f.Path, StringComparer.Ordinal);
        Names = [.. list.Select(f => f.Path).Order(StringComparer.Ordinal)];
        this.client = client;
        this.cache = cache;
    }

    public HubRepoId Id { get; }

    public string Sha { get; }

    public IReadOnlyList<string> Names { get; }

    /// <summary>Bytes fetched over the network by this instance, all files together.</summary>
    public long BytesFetched { get; private set; }

    public string Label(string name) => name.Length == 0 ? Id.Repo : $"{Id.Repo}/{name}";

    public bool Exists(string name) => files.ContainsKey(name);

    public long Length(string name) => File(name).Size;

    public byte[] ReadAll(string name, long limit, string what)
    {
        var length = Length(name);
        if (length > limit)
        {
            throw new ModelFormatException(Label(name), string.Create(CultureInfo.InvariantCulture, $"{length:N0} bytes is too large for {what} (the limit is {limit:N0})."));
        }

        var prefix = Ensure(name, length);
        return prefix.Buffer.AsSpan(0, (int)length).ToArray();
    }

    public Stream OpenRead(string name) => new HubRangeStream(this, name, Length(name));

    /// <summary>Writes every prefix read, the file list and the ref to the cache.</summary>
    public void SaveToCache(string revision)
    {
        cache.SaveFiles(Id, Sha, [.. files.Values.OrderBy(f => f.Path, StringComparer.Ordinal)]);
        foreach (var (name, prefix) in prefixes)
        {
            cache.SaveBytes(Id, Sha, name, prefix.Buffer.AsSpan(0, prefix.Count));
        }

        cache.SaveCommit(Id, revision, Sha);
    }

    /// <summary>Makes the file's first <paramref name="needed"/> bytes available, fetching what is missing.</summary>
    internal Prefix Ensure(string name, long needed)
    {
        var length = Length(name);
        needed = Math.Min(needed, length);
        if (!prefixes.TryGetValue(name, out var prefix))
        {
            prefix = new Prefix(cache.Bytes(Id, Sha, name) is { } cached && cached.LongLength <= length ? cached : []);
            prefixes[name] = prefix;
        }

        if (needed <= prefix.Count)
        {
            return prefix;
        }

        if (client is null)
        {
            throw new HubNotCachedException($"{Label(name)}: bytes {prefix.Count:N0}–{needed - 1:N0} are not in the cache ({cache.Folder}).");
        }

        if (needed > MaxPrefix)
        {
            throw new ModelFormatException(Label(name), $"reading it would need {needed:N0} bytes over the network; llmem reads at most {MaxPrefix:N0} (headers are far smaller).");
        }

        var chunk = Math.Max(needed - prefix.Count, Math.Min(prefix.LastChunk * 2, MaxChunk));
        chunk = Math.Min(chunk, length - prefix.Count);
        var bytes = client.ReadRange(Id, Sha, name, prefix.Count, (int)chunk, length);
        prefix.Append(bytes);
        BytesFetched += bytes.Length;
        return prefix;
    }

    private HubFile File(string name) =>
        files.TryGetValue(name, out var file) ? file : throw new ModelFormatException(Label(name), $"no such file in the repository at revision {Sha}.");

    /// <summary>A file's leading bytes: a buffer that grows by doubling, and how much of it holds data.</summary>
    internal sealed class Prefix(byte[] initial)
    {
        public byte[] Buffer { get; private set; } = initial;

        public int Count { get; private set; } = initial.Length;

        /// <summary>The size of the last fetch, which the next one doubles.</summary>
        public long LastChunk { get; private set; }

        public void Append(byte[] bytes)
        {
            if (Count + bytes.Length > Buffer.Length)
            {
                var grown = new byte[Math.Max(Count + bytes.Length, (int)Math.Min(Array.MaxLength, Buffer.LongLength * 2))];
                Buffer.AsSpan(0, Count).CopyTo(grown);
                Buffer = grown;
            }

            bytes.CopyTo(Buffer, Count);
            Count += bytes.Length;
            LastChunk = bytes.Length;
        }
    }
}
