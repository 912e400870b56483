using System.Collections.Immutable;
using LlmMem.DataTypes;
using LlmMem.Models;
using LlmMem.Units;

namespace LlmMem.Formats.Safetensors;

/// <summary>One tensor entry of a safetensors header: its dtype, shape and where its bytes lie.</summary>
/// <param name="Name">The header key, e.g. "model.layers.0.self_attn.q_proj.weight".</param>
/// <param name="Dtype">The dtype as the file spells it: "BF16".</param>
/// <param name="Type">The llmem storage type of that dtype.</param>
/// <param name="Shape">Dimensions, outermost first (row-major, README §Notes "Order").</param>
/// <param name="Begin">First byte, relative to the start of the data section (README §Format: data_offsets).</param>
/// <param name="End">One past the last byte, relative to the start of the data section.</param>
public sealed record SafetensorsTensor(string Name, string Dtype, DataType Type, ImmutableArray<long> Shape, long Begin, long End)
{
    /// <summary>The product of the dimensions; 1 for a scalar (shape []), 0 for an empty tensor.</summary>
    public long Elements { get; } = Shape.Aggregate(1L, (product, d) => checked(product * d));

    /// <summary>Bytes the tensor occupies: End − Begin, which the reader checked equals elements × element size.</summary>
    public long Bytes => End - Begin;

    /// <summary>This entry as the domain's record, naming <paramref name="file"/> as the file that holds it.</summary>
    public StoredTensor ToStored(string file) => new(Name, Type, Shape, ByteSize.FromBytes(Bytes), file);
}

/// <summary>What a safetensors file's header says: every tensor and the free-form metadata.</summary>
/// <remarks>
/// Layout (safetensors README §Format): 8 bytes of little-endian u64 N, N bytes of UTF-8 JSON, then the data
/// section ("byte-buffer"), which the tensors' data_offsets index entirely, without holes or overlaps.
/// </remarks>
/// <param name="HeaderLength">N, the JSON's length in bytes.</param>
/// <param name="DataLength">Bytes in the data section: the file's length − 8 − N.</param>
/// <param name="Tensors">Every tensor, in header order.</param>
/// <param name="Metadata">The "__metadata__" map (string to string); empty when absent.</param>
public sealed record SafetensorsHeader(long HeaderLength, long DataLength, ImmutableArray<SafetensorsTensor> Tensors,
    ImmutableDictionary<string, string> Metadata)
{
    /// <summary>Bytes before the header JSON: the u64 length N.</summary>
    public const int LengthPrefixBytes = 8;

    /// <summary>The key reserved for free-form metadata (README §Format).</summary>
    public const string MetadataKey = "__metadata__";

    /// <summary>The file offset where the data section starts: 8 + N.</summary>
    public long DataStart => LengthPrefixBytes + HeaderLength;

    /// <summary>
    /// Parses and validates header JSON whose data section is <paramref name="dataLength"/> bytes long.
    /// Offsets in messages are file offsets (the JSON starts at byte 8).
    /// </summary>
    /// <exception cref="ModelFormatException">Malformed JSON, a broken field, or tensors that do not tile the data section.</exception>
    public static SafetensorsHeader Parse(ReadOnlySpan<byte> json, long dataLength, string file)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(dataLength);
        var (entries, metadata) = SafetensorsHeaderJson.Read(json, file);
        var tensors = SafetensorsLayout.Check(entries, dataLength, LengthPrefixBytes + json.Length, file);
        return new SafetensorsHeader(json.Length, dataLength, tensors, metadata);
    }

    /// <summary>The tensors as the domain's records, each naming <paramref name="file"/>.</summary>
    public ImmutableArray<StoredTensor> ToStored(string file) => [.. Tensors.Select(t => t.ToStored(file))];
}
