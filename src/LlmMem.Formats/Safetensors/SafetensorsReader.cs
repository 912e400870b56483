using System.Buffers.Binary;
using System.Collections.Immutable;
using LlmMem.Models;
using static LlmMem.Formats.Safetensors.SafetensorsText;

namespace LlmMem.Formats.Safetensors;

/// <summary>
/// Reads the headers of safetensors files, a file, or a checkpoint folder (sharded with an index, or not) into
/// <see cref="StoredWeights"/>. Tensor data is never read: a file is opened, its first 8 + N bytes read, and closed.
/// </summary>
/// <remarks>
/// Layout (safetensors README §Format): 8 bytes, N, an unsigned little-endian 64-bit integer; N bytes of UTF-8 JSON;
/// the rest of the file is the data section. N is checked against the file's length and
/// <see cref="SafetensorsLimits.MaxHeaderBytes"/> before anything is allocated, so no file makes the reader hold more
/// than the file itself.
/// </remarks>
public static class SafetensorsReader
{
    /// <summary>The <see cref="StoredWeights.Format"/> of what this reader returns.</summary>
    public const string Format = "safetensors";

    /// <summary>The extension of safetensors files.</summary>
    public const string Extension = ".safetensors";

    /// <summary>Reads and validates the header of the safetensors file that <paramref name="stream"/> holds, from its start.</summary>
    /// <param name="stream">The whole file: readable and seekable, so its length is known.</param>
    /// <param name="file">The file's name or path, for messages.</param>
    /// <exception cref="ModelFormatException">The file is not a valid safetensors file; the message says why and where.</exception>
    public static SafetensorsHeader ReadHeader(Stream stream, string file)
    {
        ArgumentNullException.ThrowIfNull(stream);
        if (!stream.CanRead || !stream.CanSeek)
        {
            throw new ArgumentException("A safetensors header is read from a readable, seekable stream.", nameof(stream));
        }

        var length = stream.Length;
        var prefix = SafetensorsHeader.LengthPrefixBytes;
        if (length < prefix)
        {
            throw new ModelFormatException(file, $"the file is {N(length)} bytes, too short for the 8-byte header length "
                + "that starts a safetensors file (README §Format).");
        }

        stream.Position = 0;
        Span<byte> lengthBytes = stackalloc byte[prefix];
        Fill(stream, lengthBytes, 0, file);
        var headerLength = BinaryPrimitives.ReadUInt64LittleEndian(lengthBytes);
        if (headerLength > (ulong)(length - prefix))
        {
            throw new ModelFormatException(file, $"header length {N(headerLength)} is past the end of the file ({N(length)} bytes).");
        }

        if (headerLength > SafetensorsLimits.MaxHeaderBytes)
        {
            throw new ModelFormatException(file, $"header length {N(headerLength)} is over the {N(SafetensorsLimits.MaxHeaderBytes)}-byte "
                + "limit that the README's §Benefits sets to prevent parsing extremely large JSON.");
        }

        var json = new byte[(int)headerLength];
        Fill(stream, json, prefix, file);
        return SafetensorsHeader.Parse(json, length - prefix - json.Length, file);
    }

    /// <summary>The tensors of the safetensors file that <paramref name="stream"/> holds; each names <paramref name="file"/>.</summary>
    /// <exception cref="ModelFormatException">The file is not a valid safetensors file.</exception>
    public static StoredWeights Read(Stream stream, string file) =>
        new(Format, [file], ReadHeader(stream, file).ToStored(file), []);

    /// <summary>The tensors of one .safetensors file.</summary>
    /// <exception cref="ModelFormatException">The file is not a valid safetensors file.</exception>
    public static StoredWeights ReadFile(string path) => Combine([(path, ReadHeaderOf(path))], []);

    /// <summary>The tensors of one .safetensors file of a model's files (local or on the Hub).</summary>
    /// <exception cref="ModelFormatException">The file is not a valid safetensors file.</exception>
    public static StoredWeights ReadFile(IModelFiles source, string name)
    {
        ArgumentNullException.ThrowIfNull(source);
        return Combine([(source.Label(name), ReadHeaderOf(source, name))], []);
    }

    /// <summary>
    /// The tensors of a checkpoint folder: the shards that model.safetensors.index.json names, or else every .safetensors
    /// file in it (one or several); null when it holds neither.
    /// </summary>
    /// <remarks>
    /// With an index: a tensor of the weight map that its shard does not hold is an error (the checkpoint is incomplete);
    /// a tensor held by a different shard than the map says, a shard tensor the map does not list, a .safetensors file the
    /// index does not name (Mistral's repositories keep consolidated.safetensors beside the shards) and a total_size
    /// that differs from the tensors' bytes are notes. In any case a tensor stored in two files is an error: the
    /// checkpoint would be counted twice.
    /// </remarks>
    /// <exception cref="ModelFormatException">An index, shard or file is malformed, or they disagree about what is stored.</exception>
    /// <exception cref="DirectoryNotFoundException">The folder does not exist.</exception>
    public static StoredWeights? ReadFolder(string folder) => ReadFiles(new LocalFolderFiles(folder));

    /// <summary>
    /// The tensors of a checkpoint's files, local or on the Hub, as <see cref="ReadFolder"/> reads a folder: the shards the
    /// index names, or else every top-level .safetensors file; null when there are neither.
    /// </summary>
    /// <exception cref="ModelFormatException">An index, shard or file is malformed, or they disagree about what is stored.</exception>
    public static StoredWeights? ReadFiles(IModelFiles source)
    {
        ArgumentNullException.ThrowIfNull(source);
        var files = source.Names
            .Where(f => !f.Contains('/', StringComparison.Ordinal) && f.EndsWith(Extension, StringComparison.OrdinalIgnoreCase))
            .ToList();
        if (source.Exists(SafetensorsIndex.FileName))
        {
            return ReadIndexed(source, files);
        }

        if (files.Count == 0)
        {
            return null;
        }

        var notes = files.Count == 1 ? ImmutableArray<string>.Empty
            : [$"{files.Count} .safetensors files and no {SafetensorsIndex.FileName}: all of them are read as one checkpoint."];
        return Combine([.. files.Select(f => (source.Label(f), ReadHeaderOf(source, f)))], notes);
    }

    private static StoredWeights ReadIndexed(IModelFiles source, List<string> present)
    {
        var indexPath = source.Label(SafetensorsIndex.FileName);
        var index = SafetensorsIndex.Read(source);
        var shards = new List<(string Path, SafetensorsHeader Header)>();
        var shardNames = new HashSet<string>(StringComparer.Ordinal);
        foreach (var shard in index.Shards)
        {
            if (!source.Exists(shard))
            {
                var tensor = index.WeightMap.First(p => p.Value == shard).Key;
                throw new ModelFormatException(indexPath, $"weight_map puts tensor {Quote(tensor)} in shard {Quote(shard)}, which is not in the folder.");
            }

            shards.Add((source.Label(shard), ReadHeaderOf(source, shard)));
            shardNames.Add(shard);
        }

        var weights = Combine(shards, []);
        var holder = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (path, header) in shards)
        {
            foreach (var tensor in header.Tensors)
            {
                holder[tensor.Name] = Path.GetFileName(path);
            }
        }

        var notes = new List<string>();
        var listed = new HashSet<string>(StringComparer.Ordinal);
        var missing = new List<(string Tensor, string Shard)>();
        var misplaced = new List<(string Tensor, string Listed, string Actual)>();
        foreach (var (tensor, shard) in index.WeightMap)
        {
            listed.Add(tensor);
            if (!holder.TryGetValue(tensor, out var actual))
            {
                missing.Add((tensor, shard));
            }
            else if (actual != shard)
            {
                misplaced.Add((tensor, shard, actual));
            }
        }

        if (missing.Count > 0)
        {
            var (tensor, shard) = missing[0];
            throw new ModelFormatException(indexPath, $"weight_map puts tensor {Quote(tensor)} in shard {Quote(shard)}, which does not hold it"
                + (missing.Count > 1 ? $" ({N(missing.Count - 1)} more listed tensors are stored nowhere)." : "; no shard does."));
        }

        if (misplaced.Count > 0)
        {
            var (tensor, shard, actual) = misplaced[0];
            notes.Add($"{SafetensorsIndex.FileName} puts {N(misplaced.Count)} tensors in a different shard than holds them "
                + $"(first: {Quote(tensor)} is listed in {Quote(shard)} but stored in {Quote(actual)}); they are counted where they are stored.");
        }

        var unlisted = shards.SelectMany(s => s.Header.Tensors.Select(t => t.Name)).Where(n => !listed.Contains(n)).ToList();
        if (unlisted.Count > 0)
        {
            notes.Add($"the shards hold {N(unlisted.Count)} tensors that {SafetensorsIndex.FileName} does not list "
                + $"(first: {string.Join(", ", unlisted.Take(3).Select(Quote))}); they are counted.");
        }

        foreach (var file in present.Where(f => !shardNames.Contains(f)))
        {
            notes.Add($"{Path.GetFileName(file)} is in the folder but not in {SafetensorsIndex.FileName}; it was not read.");
        }

        if (index.TotalSize is { } total && total != weights.TensorBytes.Bytes)
        {
            var difference = weights.TensorBytes.Bytes - total;
            notes.Add($"{SafetensorsIndex.FileName} gives metadata.total_size {N(total)} bytes, but the shards' tensors "
                + $"hold {N(weights.TensorBytes.Bytes)} bytes ({(difference > 0 ? "+" : "−")}{N(Math.Abs(difference))}).");
        }

        return weights with { Notes = [.. notes] };
    }

    /// <summary>The tensors of several files as one checkpoint, refusing a tensor stored in two of them.</summary>
    private static StoredWeights Combine(List<(string Path, SafetensorsHeader Header)> files, ImmutableArray<string> notes)
    {
        var first = new Dictionary<string, string>(StringComparer.Ordinal);
        var tensors = ImmutableArray.CreateBuilder<StoredTensor>();
        foreach (var (path, header) in files)
        {
            foreach (var tensor in header.Tensors)
            {
                if (!first.TryAdd(tensor.Name, path))
                {
                    throw new ModelFormatException(path, $"tensor {Quote(tensor.Name)} is also stored in {Path.GetFileName(first[tensor.Name])}; "
                        + "a checkpoint stores each tensor once (is the folder holding two copies of the weights?).");
                }

                tensors.Add(tensor.ToStored(path));
            }
        }

        return new StoredWeights(Format, [.. files.Select(f => f.Path)], tensors.ToImmutable(), notes);
    }

    private static SafetensorsHeader ReadHeaderOf(string path)
    {
        var (source, name) = LocalFolderFiles.Of(path);
        return ReadHeaderOf(source, name);
    }

    private static SafetensorsHeader ReadHeaderOf(IModelFiles source, string name)
    {
        using var stream = source.OpenRead(name);
        return ReadHeader(stream, source.Label(name));
    }

    /// <summary>Fills <paramref name="buffer"/> from the stream; a stream shorter than its stated length is a truncated file.</summary>
    private static void Fill(Stream stream, Span<byte> buffer, long offset, string file)
    {
        try
        {
            stream.ReadExactly(buffer);
        }
        catch (EndOfStreamException)
        {
            throw new ModelFormatException(file, $"the file ends before byte {N(offset + buffer.Length)}, though its length says otherwise.");
        }
    }
}
