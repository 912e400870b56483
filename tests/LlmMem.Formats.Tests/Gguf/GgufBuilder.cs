using System.Text;
using LlmMem.DataTypes;
using LlmMem.Formats.Gguf;

namespace LlmMem.Formats.Tests.Gguf;

/// <summary>An array value for <see cref="GgufBuilder"/>: its element type and elements (nested <see cref="GgufArray"/>s allowed).</summary>
internal sealed record GgufArray(GgufValueType ElementType, IReadOnlyList<object> Values);

/// <summary>
/// Writes small GGUF files in memory, field by field as ggml docs/gguf.md §File Structure lays them out, and records where
/// each field starts so a test can vary one field of a valid file. Tensor data is zeros: real bytes for small files, or
/// virtual (see <see cref="ZeroTailStream"/>) for full-size models.
/// </summary>
internal sealed class GgufBuilder
{
    private readonly List<(string Key, GgufValueType Type, object Value)> metadata = [];
    private readonly List<(string Name, long[] Dims, uint Type)> tensors = [];

    public uint Version { get; set; } = 3;

    /// <summary>The alignment used to lay out tensor data; write <c>general.alignment</c> yourself to state it.</summary>
    public long Alignment { get; set; } = 32;

    public GgufBuilder Set(string key, GgufValueType type, object value)
    {
        metadata.Add((key, type, value));
        return this;
    }

    public GgufBuilder U32(string key, long value) => Set(key, GgufValueType.UInt32, checked((uint)value));

    public GgufBuilder F32(string key, float value) => Set(key, GgufValueType.Float32, value);

    public GgufBuilder Str(string key, string value) => Set(key, GgufValueType.String, value);

    public GgufBuilder Array(string key, GgufValueType elementType, IEnumerable<object> values) =>
        Set(key, GgufValueType.Array, new GgufArray(elementType, values.ToList()));

    /// <summary>A tokenizer of <paramref name="count"/> tokens, as converters write it: tokens, their types and BPE merges.</summary>
    public GgufBuilder Tokenizer(int count) => Str("tokenizer.ggml.model", "gpt2")
        .Array("tokenizer.ggml.tokens", GgufValueType.String, Enumerable.Range(0, count).Select(i => (object)$"tok{i}"))
        .Array("tokenizer.ggml.token_type", GgufValueType.Int32, Enumerable.Range(0, count).Select(_ => (object)1))
        .Array("tokenizer.ggml.merges", GgufValueType.String, Enumerable.Range(0, count).Select(i => (object)$"t o{i}"));

    public GgufBuilder Tensor(string name, DataType type, params long[] dims) => Tensor(name, (uint)type.GgmlId!.Value, dims);

    public GgufBuilder Tensor(string name, uint ggmlType, params long[] dims)
    {
        tensors.Add((name, dims, ggmlType));
        return this;
    }

    /// <summary>Bytes of a tensor as ggml stores it: ne0 / block × bytes per block × the other dimensions.</summary>
    public static long TensorBytes(uint ggmlType, long[] dims)
    {
        var type = ggmlType switch
        {
            31 or 32 or 33 => DataType.Q4_0,
            _ => DataType.FromGgmlId((int)ggmlType) ?? DataType.Fp32,
        };
        var rows = dims.Skip(1).Aggregate(1L, (p, d) => checked(p * d));
        var ne0 = dims.Length > 0 ? dims[0] : 1;
        return checked(ne0 / type.ElementsPerBlock * type.BytesPerBlock * rows);
    }

    public GgufImage Build()
    {
        var at = new Dictionary<string, long>(StringComparer.Ordinal);
        using var memory = new MemoryStream();
        using var w = new BinaryWriter(memory, Encoding.UTF8, leaveOpen: true);
        at["magic"] = 0;
        w.Write("GGUF"u8);
        at["version"] = memory.Position;
        w.Write(Version);
        at["tensor_count"] = memory.Position;
        w.Write((ulong)tensors.Count);
        at["kv_count"] = memory.Position;
        w.Write((ulong)metadata.Count);
        foreach (var (key, type, value) in metadata)
        {
            at[$"key:{key}"] = memory.Position;
            WriteString(w, key);
            at[$"type:{key}"] = memory.Position;
            w.Write((uint)type);
            at[$"value:{key}"] = memory.Position;
            if (value is GgufArray array)
            {
                at[$"count:{key}"] = memory.Position + 4;
            }

            WriteValue(w, type, value);
        }

        long offset = 0;
        var offsets = new List<long>();
        foreach (var (name, dims, type) in tensors)
        {
            at[$"tensor:{name}"] = memory.Position;
            WriteString(w, name);
            at[$"ndims:{name}"] = memory.Position;
            w.Write((uint)dims.Length);
            for (var d = 0; d < dims.Length; d++)
            {
                at[$"dim{d}:{name}"] = memory.Position;
                w.Write((ulong)dims[d]);
            }

            at[$"type:{name}"] = memory.Position;
            w.Write(type);
            at[$"offset:{name}"] = memory.Position;
            w.Write((ulong)offset);
            offsets.Add(offset);
            offset = Align(checked(offset + TensorBytes(type, dims)));
        }

        at["header_end"] = memory.Position;
        var dataOffset = Align(memory.Position);
        memory.SetLength(dataOffset);
        at["data"] = dataOffset;
        var dataEnd = tensors.Count == 0 ? dataOffset : dataOffset + offsets[^1] + TensorBytes(tensors[^1].Type, tensors[^1].Dims);
        return new GgufImage(memory.ToArray(), dataEnd, at);
    }

    private long Align(long n) => (n + Alignment - 1) / Alignment * Alignment;

    private static void WriteString(BinaryWriter w, string text)
    {
        var bytes = Encoding.UTF8.GetBytes(text);
        w.Write((ulong)bytes.Length);
        w.Write(bytes);
    }

    private static void WriteValue(BinaryWriter w, GgufValueType type, object value)
    {
        switch (type)
        {
            case GgufValueType.UInt8: w.Write(Convert.ToByte(value, null)); break;
            case GgufValueType.Int8: w.Write(Convert.ToSByte(value, null)); break;
            case GgufValueType.UInt16: w.Write(Convert.ToUInt16(value, null)); break;
            case GgufValueType.Int16: w.Write(Convert.ToInt16(value, null)); break;
            case GgufValueType.UInt32: w.Write(Convert.ToUInt32(value, null)); break;
            case GgufValueType.Int32: w.Write(Convert.ToInt32(value, null)); break;
            case GgufValueType.UInt64: w.Write(Convert.ToUInt64(value, null)); break;
            case GgufValueType.Int64: w.Write(Convert.ToInt64(value, null)); break;
            case GgufValueType.Float32: w.Write(Convert.ToSingle(value, null)); break;
            case GgufValueType.Float64: w.Write(Convert.ToDouble(value, null)); break;
            case GgufValueType.Bool: w.Write((bool)value ? (byte)1 : (byte)0); break;
            case GgufValueType.String: WriteString(w, (string)value); break;
            default:
                var array = (GgufArray)value;
                w.Write((uint)array.ElementType);
                w.Write((ulong)array.Values.Count);
                foreach (var item in array.Values)
                {
                    WriteValue(w, array.ElementType, item);
                }

                break;
        }
    }
}

/// <summary>A built file: its header (padded to the data section), its full length, and where each field starts.</summary>
/// <param name="At">Field offsets: "tensor_count", "key:general.name", "value:general.name", "count:tokenizer.ggml.tokens", "ndims:NAME", "offset:NAME", "data" …</param>
internal sealed record GgufImage(byte[] Header, long Length, IReadOnlyDictionary<string, long> At)
{
    /// <summary>The whole file, tensor data as zeros (for small files).</summary>
    public byte[] Bytes()
    {
        var bytes = new byte[Length];
        Header.CopyTo(bytes, 0);
        return bytes;
    }

    public Stream Open() => new ZeroTailStream(Header, Length);

    public GgufFile Read(string file = "test.gguf") => GgufReader.Read(Open(), file);

    public static GgufFile Read(byte[] bytes, string file = "test.gguf") => GgufReader.Read(new MemoryStream(bytes), file);
}
