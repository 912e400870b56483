using System.Collections.Immutable;
using LlmMem.Models;
using LlmMem.Units;

namespace LlmMem.Formats.Gguf;

/// <summary>
/// Reads the header of a GGUF file (versions 2 and 3, little-endian; ggml docs/gguf.md): metadata and tensor infos, never
/// the tensor data. Every declared length is checked against the file before it is read or allocated; any malformed,
/// truncated or hostile header becomes one <see cref="ModelFormatException"/> naming the byte offset and the problem.
/// </summary>
public static class GgufReader
{
    /// <summary>The <see cref="StoredWeights.Format"/> of what this reader returns.</summary>
    public const string Format = "gguf";

    /// <summary>The extension of GGUF files.</summary>
    public const string Extension = ".gguf";

    /// <summary>The alignment when <c>general.alignment</c> is absent (spec §Standardized key-value pairs, General).</summary>
    public const long DefaultAlignment = 32;

    /// <summary>Reads a .gguf file; for a part of a split model (<c>name-00001-of-00003.gguf</c>), reads every part.</summary>
    /// <exception cref="ModelFormatException">The file, or a part of it, is missing, malformed or unsupported.</exception>
    public static GgufFile ReadPath(string path) => GgufSplit.Read(path);

    /// <summary>Reads file <paramref name="name"/> of a model's files (local or on the Hub); for a part of a split model, reads every part beside it.</summary>
    /// <exception cref="ModelFormatException">The file, or a part of it, is missing, malformed or unsupported.</exception>
    public static GgufFile Read(IModelFiles source, string name) => GgufSplit.Read(source, name);

    /// <summary>Reads one GGUF file from the start of a seekable stream; <paramref name="file"/> names it in errors and tensors.</summary>
    /// <exception cref="ModelFormatException">The header is malformed, truncated or unsupported.</exception>
    public static GgufFile Read(Stream stream, string file)
    {
        var cursor = new GgufCursor(stream, file);
        var header = GgufHeader.Read(cursor);
        var (keys, values) = new GgufMetadataReader(cursor).ReadAll(header.MetadataCount);
        var alignment = Alignment(cursor, values);
        var infos = GgufTensorReader.ReadAll(cursor, header.TensorCount);

        // Spec §File Structure: the tensor data starts after the tensor infos, padded to a multiple of the alignment.
        var dataOffset = (cursor.Position + alignment - 1) / alignment * alignment;
        GgufTensorReader.CheckLayout(cursor, infos, dataOffset, alignment);

        var tensors = infos.Select(t => new StoredTensor(t.Name, t.Type, t.Shape, ByteSize.FromBytes(t.Bytes), file)).ToImmutableArray();
        var offsets = infos.Select(t => dataOffset + t.Offset).ToImmutableArray();
        return new GgufFile(file, [file], header, alignment, dataOffset, cursor.Length, keys, values, tensors, offsets, Notes(infos));
    }

    /// <summary><c>general.alignment</c> (spec §Standardized key-value pairs, General): a nonzero power of two, 32 when absent.</summary>
    private static long Alignment(GgufCursor cursor, Dictionary<string, GgufValue> values)
    {
        if (!values.TryGetValue("general.alignment", out var value))
        {
            return DefaultAlignment;
        }

        if (!value.TryGetInteger(out var alignment))
        {
            throw cursor.Error(value.Offset, $"general.alignment is a {value.Describe()}; it must be a uint32.");
        }

        if (alignment <= 0 || (alignment & (alignment - 1)) != 0)
        {
            throw cursor.Error(value.Offset, $"general.alignment is {GgufCursor.N(alignment)}; it must be a nonzero power of two.");
        }

        return alignment <= GgufLimits.MaxAlignment
            ? alignment
            : throw cursor.Error(value.Offset, $"general.alignment is {GgufCursor.N(alignment)}, more than the {GgufCursor.N(GgufLimits.MaxAlignment)} llmem accepts (real files use 32).");
    }

    private static ImmutableArray<string> Notes(List<GgufTensorInfo> infos) =>
    [
        .. infos.Where(t => t.RetiredType is not null).GroupBy(t => (t.RetiredType, t.Type))
            .Select(g => $"{GgufCursor.N(g.Count())} {(g.Count() == 1 ? "tensor uses" : "tensors use")} the retired interleaved type {g.Key.RetiredType}, "
                + $"counted as {g.Key.Type.Name} blocks (the same bytes)."),
    ];
}
