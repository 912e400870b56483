using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using System.Text.Json;

namespace LlmMem.Formats.Tests.Safetensors;

/// <summary>
/// Writes small safetensors files as the README's §Format lays them out: an 8-byte little-endian header length, the
/// header JSON, then zeroed tensor data packed in the order tensors are added. Built by hand, independent of the reader.
/// </summary>
/// <remarks>
/// The header has one entry per line, so a malformed case is a one-line variation of a valid one: take
/// <see cref="Header"/>, replace a piece of it, and write it with <see cref="File(string, long)"/>.
/// </remarks>
internal sealed class SafetensorsBuilder
{
    private readonly List<(string Name, string Dtype, long[] Shape)> tensors = [];
    private readonly List<(string Key, string Value)> metadata = [];

    public SafetensorsBuilder Add(string name, string dtype, params long[] shape)
    {
        tensors.Add((name, dtype, shape));
        return this;
    }

    public SafetensorsBuilder Meta(string key, string value)
    {
        metadata.Add((key, value));
        return this;
    }

    /// <summary>Bytes per element of each dtype, from the format's own list.</summary>
    public static int ElementSize(string dtype) => dtype switch
    {
        "F64" or "I64" or "U64" => 8,
        "F32" or "I32" or "U32" => 4,
        "F16" or "BF16" or "I16" or "U16" => 2,
        _ => 1,
    };

    public static long Bytes(string dtype, long[] shape) => shape.Aggregate(1L, (p, d) => p * d) * ElementSize(dtype);

    /// <summary>The data section's length: every tensor's bytes.</summary>
    public long DataLength => tensors.Sum(t => Bytes(t.Dtype, t.Shape));

    /// <summary>The header JSON, one entry per line: metadata first, then tensors with contiguous offsets.</summary>
    public string Header()
    {
        var lines = new List<string>();
        if (metadata.Count > 0)
        {
            lines.Add($"\"__metadata__\":{{{string.Join(",", metadata.Select(m => $"{Quote(m.Key)}:{Quote(m.Value)}"))}}}");
        }

        var offset = 0L;
        foreach (var (name, dtype, shape) in tensors)
        {
            var end = offset + Bytes(dtype, shape);
            lines.Add(string.Create(CultureInfo.InvariantCulture,
                $"{Quote(name)}:{{\"dtype\":\"{dtype}\",\"shape\":[{string.Join(",", shape)}],\"data_offsets\":[{offset},{end}]}}"));
            offset = end;
        }

        return "{\n" + string.Join(",\n", lines) + "\n}";
    }

    /// <summary>The whole file: length, header, zeroed data.</summary>
    public byte[] ToBytes() => File(Header(), DataLength);

    /// <summary>A file of <paramref name="header"/> followed by <paramref name="dataLength"/> zero bytes.</summary>
    public static byte[] File(string header, long dataLength) => File(Encoding.UTF8.GetBytes(header), dataLength);

    public static byte[] File(byte[] header, long dataLength)
    {
        var file = new byte[8 + header.Length + dataLength];
        BinaryPrimitives.WriteUInt64LittleEndian(file, (ulong)header.Length);
        header.CopyTo(file, 8);
        return file;
    }

    /// <summary>Writes the file at <paramref name="path"/>; the data is a sparse tail, so large checkpoints cost no disk.</summary>
    public string WriteTo(string path)
    {
        var header = Encoding.UTF8.GetBytes(Header());
        using var stream = System.IO.File.Create(path);
        stream.Write(File(header, 0));
        stream.SetLength(8 + header.Length + DataLength);
        return path;
    }

    /// <summary>The file as a stream whose data section is served as zeros without being held in memory.</summary>
    public Stream ToStream()
    {
        var header = Encoding.UTF8.GetBytes(Header());
        return new ZeroTailStream(File(header, 0), 8 + header.Length + DataLength);
    }

    private static string Quote(string text) => JsonSerializer.Serialize(text);
}

/// <summary>A temporary folder, deleted with everything in it.</summary>
internal sealed class TempFolder : IDisposable
{
    public string Path { get; } = Directory.CreateDirectory(System.IO.Path.Combine(System.IO.Path.GetTempPath(), "llmem-safetensors-" + Guid.NewGuid().ToString("N"))).FullName;

    public string File(string name) => System.IO.Path.Combine(Path, name);

    public void Write(string name, string text) => System.IO.File.WriteAllText(File(name), text);

    public void Dispose() => Directory.Delete(Path, recursive: true);
}
