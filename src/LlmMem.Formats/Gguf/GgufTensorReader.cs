using System.Collections.Immutable;
using LlmMem.DataTypes;

namespace LlmMem.Formats.Gguf;

/// <summary>One tensor info as read (spec §File Structure, <c>gguf_tensor_info_t</c>), with where its fields are, for messages.</summary>
/// <param name="Shape">ne0 first, as the file lists them.</param>
/// <param name="Bytes">Exact bytes of its data.</param>
/// <param name="Offset">Its data's offset from the start of the data section.</param>
/// <param name="DimensionsAt">Where its dimension count is, for shape errors.</param>
/// <param name="OffsetAt">Where its offset field is, for layout errors.</param>
/// <param name="RetiredType">The retired ggml type it declared (stored as <paramref name="Type"/>'s blocks), if any.</param>
internal sealed record GgufTensorInfo(string Name, DataType Type, ImmutableArray<long> Shape, long Bytes, long Offset, long DimensionsAt, long OffsetAt,
    string? RetiredType);

/// <summary>Reads the tensor infos and checks that every tensor's data lies in the file, aligned, without overlapping another.</summary>
internal static class GgufTensorReader
{
    public static List<GgufTensorInfo> ReadAll(GgufCursor cursor, long count)
    {
        var tensors = new List<GgufTensorInfo>((int)Math.Min(count, 4_096));
        var seen = new Dictionary<string, long>(StringComparer.Ordinal);
        for (long i = 0; i < count; i++)
        {
            var name = cursor.ReadUniqueName(seen, "tensor name", "tensor", GgufLimits.MaxTensorNameBytes);
            tensors.Add(ReadOne(cursor, name));
        }

        return tensors;
    }

    private static GgufTensorInfo ReadOne(GgufCursor cursor, string name)
    {
        var dimensionsAt = cursor.Position;
        var dimensions = cursor.ReadU32($"the dimension count of tensor '{name}'");
        if (dimensions > GgufLimits.MaxDimensions)
        {
            throw cursor.Error(dimensionsAt, $"tensor '{name}' has {GgufCursor.N(dimensions)} dimensions; GGUF allows at most {GgufLimits.MaxDimensions}.");
        }

        var shape = new long[dimensions];
        for (var d = 0; d < shape.Length; d++)
        {
            var at = cursor.Position;
            var value = cursor.ReadU64($"dimension {d} of tensor '{name}'");
            shape[d] = value switch
            {
                0 => throw cursor.Error(at, $"tensor '{name}' has dimension {d} of 0."),
                > long.MaxValue => throw cursor.Error(at, $"tensor '{name}' has dimension {d} of {GgufCursor.N(value)}, more than 2⁶³ − 1."),
                _ => (long)value,
            };
        }

        var typeAt = cursor.Position;
        var id = cursor.ReadU32($"the type of tensor '{name}'");
        var type = GgufDataType.FromId(id, out var retired)
            ?? throw cursor.Error(typeAt, $"tensor '{name}' has ggml type {GgufCursor.N(id)}, which llmem does not know (known: {GgufDataType.KnownIds()}).");
        var offsetAt = cursor.Position;
        var offset = cursor.ReadU64($"the data offset of tensor '{name}'");
        if (offset > long.MaxValue)
        {
            throw cursor.Error(offsetAt, $"tensor '{name}' has data offset {GgufCursor.N(offset)}, more than 2⁶³ − 1.");
        }

        var bytes = Bytes(cursor, name, shape, type, dimensionsAt);
        return new GgufTensorInfo(name, type, [.. shape], bytes, (long)offset, dimensionsAt, offsetAt, retired);
    }

    /// <summary>
    /// ggml stores each row (ne0 elements) as whole blocks: ne0 / block × bytes per block, times ne1 × ne2 × ne3 rows
    /// (ggml.c ggml_row_size and ggml_nbytes). Both the bytes and the element count must fit 64 bits.
    /// </summary>
    private static long Bytes(GgufCursor cursor, string name, long[] shape, DataType type, long at)
    {
        var rowElements = shape.Length > 0 ? shape[0] : 1;
        if (rowElements % type.ElementsPerBlock != 0)
        {
            throw cursor.Error(at, $"tensor '{name}' has a first dimension of {GgufCursor.N(rowElements)}, not a multiple of {type.Name}'s block of {type.ElementsPerBlock} elements.");
        }

        try
        {
            var bytes = checked(rowElements / type.ElementsPerBlock * type.BytesPerBlock);
            var elements = rowElements;
            foreach (var d in shape.Skip(1))
            {
                bytes = checked(bytes * d);
                elements = checked(elements * d);
            }

            return bytes;
        }
        catch (OverflowException)
        {
            throw cursor.Error(at, $"tensor '{name}' has dimensions {string.Join(" × ", shape.Select(GgufCursor.N))}, whose size overflows 64 bits.");
        }
    }

    /// <summary>
    /// Every tensor's data starts at a multiple of the alignment from the data section (spec §File Structure,
    /// <c>gguf_tensor_info_t.offset</c>), ends within the file, and overlaps no other tensor's.
    /// </summary>
    public static void CheckLayout(GgufCursor cursor, List<GgufTensorInfo> tensors, long dataOffset, long alignment)
    {
        var available = cursor.Length - dataOffset;
        foreach (var t in tensors)
        {
            if (t.Offset % alignment != 0)
            {
                throw cursor.Error(t.OffsetAt, $"tensor '{t.Name}' has data offset {GgufCursor.N(t.Offset)}, not a multiple of the alignment ({GgufCursor.N(alignment)}).");
            }

            if (t.Offset > available || t.Bytes > available - t.Offset)
            {
                throw cursor.Error(t.OffsetAt, $"tensor '{t.Name}' ({GgufCursor.N(t.Bytes)} bytes at data offset {GgufCursor.N(t.Offset)}, after the data section's start at {GgufCursor.N(dataOffset)}) "
                    + $"ends past the end of the file ({GgufCursor.N(cursor.Length)} bytes): the file is truncated or its tensor table is wrong.");
            }
        }

        GgufTensorInfo? previous = null;
        foreach (var t in tensors.OrderBy(t => t.Offset))
        {
            if (previous is not null && previous.Offset + previous.Bytes > t.Offset)
            {
                throw cursor.Error(t.OffsetAt, $"tensor '{t.Name}' (data offset {GgufCursor.N(t.Offset)}) overlaps tensor '{previous.Name}' "
                    + $"(data offset {GgufCursor.N(previous.Offset)}, {GgufCursor.N(previous.Bytes)} bytes).");
            }

            previous = t;
        }
    }
}
