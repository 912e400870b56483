using System.Text;
using LlmMem.DataTypes;
using LlmMem.Formats.Safetensors;

namespace LlmMem.Formats.Tests.Safetensors;

/// <summary>Valid files read back exactly: offsets, shapes, dtypes, bytes and metadata.</summary>
public class SafetensorsReaderTests
{
    private const string OneTensor = "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}";

    [Fact]
    public void HandWrittenFile_ReadsTheTensorItDeclares()
    {
        // README §Format by hand: N = 54 as a little-endian u64, 54 bytes of JSON, then 2 × 4 bytes of F32 data.
        byte[] file = [0x36, 0, 0, 0, 0, 0, 0, 0, .. Encoding.UTF8.GetBytes(OneTensor), 0, 0, 0, 0, 0, 0, 0, 0];

        var header = SafetensorsReader.ReadHeader(new MemoryStream(file), "a.safetensors");

        var tensor = Assert.Single(header.Tensors);
        Assert.Equal(("a", "F32", DataType.Fp32, 0L, 8L, 2L), (tensor.Name, tensor.Dtype, tensor.Type, tensor.Begin, tensor.End, tensor.Elements));
        Assert.Equal([2L], tensor.Shape.ToArray());
        Assert.Equal((54L, 8L, 62L), (header.HeaderLength, header.DataLength, header.DataStart));
        Assert.Empty(header.Metadata);
    }

    [Fact]
    public void Builder_WritesTheExactBytesTheFormatDescribes()
    {
        byte[] expected = [0x38, 0, 0, 0, 0, 0, 0, 0, .. "{\n\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}\n}"u8, 0, 0, 0, 0, 0, 0, 0, 0];

        Assert.Equal(expected, new SafetensorsBuilder().Add("a", "F32", 2).ToBytes());
    }

    [Fact]
    public void RoundTrip_EveryDtypeShapeAndOffsetComesBack()
    {
        var builder = new SafetensorsBuilder().Meta("format", "pt").Meta("note", "π ≠ 3");
        var dtypes = new[] { "F64", "F32", "F16", "BF16", "F8_E4M3", "F8_E5M2", "I64", "I32", "I16", "I8", "U8", "BOOL" };
        for (var i = 0; i < dtypes.Length; i++)
        {
            builder.Add($"t{i}.{dtypes[i]}", dtypes[i], i + 1, 3);
        }

        var header = SafetensorsReader.ReadHeader(new MemoryStream(builder.ToBytes()), "all.safetensors");

        Assert.Equal(dtypes, header.Tensors.Select(t => t.Dtype));
        var offset = 0L;
        for (var i = 0; i < dtypes.Length; i++)
        {
            var t = header.Tensors[i];
            var bytes = (i + 1) * 3L * SafetensorsBuilder.ElementSize(dtypes[i]);
            Assert.Equal((offset, offset + bytes), (t.Begin, t.End));
            Assert.Equal([i + 1L, 3L], t.Shape.ToArray());
            Assert.Equal(dtypes[i], SafetensorsDataType.NameOf(t.Type));
            offset += bytes;
        }

        Assert.Equal(builder.DataLength, header.DataLength);
        Assert.Equal("pt", header.Metadata["format"]);
        Assert.Equal("π ≠ 3", header.Metadata["note"]);
    }

    [Fact]
    public void Read_GivesStoredWeightsNamingTheFile()
    {
        var bytes = new SafetensorsBuilder().Add("w", "BF16", 4, 8).Add("b", "F32", 8).ToBytes();

        var weights = SafetensorsReader.Read(new MemoryStream(bytes), "shard.safetensors");

        Assert.Equal("safetensors", weights.Format);
        Assert.Equal(["shard.safetensors"], weights.Files.ToArray());
        Assert.Equal(["w", "b"], weights.Tensors.Select(t => t.Name));
        Assert.All(weights.Tensors, t => Assert.Equal("shard.safetensors", t.File));
        Assert.Equal((64L, 32L), (weights.Tensors[0].Bytes.Bytes, weights.Tensors[1].Bytes.Bytes));
        Assert.Equal(96L, weights.TensorBytes.Bytes);
        Assert.Empty(weights.Notes);
    }

    [Fact]
    public void ScalarAndEmptyTensors_AreValid()
    {
        // README §Format, Notes: "0-rank Tensors (tensors with shape []) are allowed"; empty tensors store no data.
        var bytes = new SafetensorsBuilder().Add("empty", "F32", 0, 4096).Add("scalar", "I64").Add("x", "F16", 2).ToBytes();

        var header = SafetensorsReader.ReadHeader(new MemoryStream(bytes), "m.safetensors");

        Assert.Equal([(0L, 0L, 0L), (1L, 0L, 8L), (2L, 8L, 12L)], header.Tensors.Select(t => (t.Elements, t.Begin, t.End)));
        Assert.Empty(header.Tensors[1].Shape);
    }

    [Fact]
    public void HeaderPaddedWithSpaces_AndUnknownTensorFields_AreAccepted()
    {
        // README §Format: the header "MAY be trailing padded with whitespace"; the reference deserialiser ignores unknown fields.
        var header = OneTensor.Replace("\"shape\"", "\"extra\":{\"deep\":[1,[2]]},\"shape\"", StringComparison.Ordinal) + "       ";

        var read = SafetensorsReader.ReadHeader(new MemoryStream(SafetensorsBuilder.File(header, 8)), "a.safetensors");

        Assert.Equal("a", Assert.Single(read.Tensors).Name);
    }

    [Fact]
    public void NoTensorsAndNoData_IsAnEmptyCheckpoint() =>
        Assert.Empty(SafetensorsReader.ReadHeader(new MemoryStream(SafetensorsBuilder.File("{}", 0)), "e.safetensors").Tensors);

    [Fact]
    public void TensorsInAnyOrderOfOffsets_AreReadInHeaderOrder()
    {
        var header = "{\"late\":{\"dtype\":\"U8\",\"shape\":[4],\"data_offsets\":[4,8]},\"early\":{\"dtype\":\"U8\",\"shape\":[4],\"data_offsets\":[0,4]}}";

        var read = SafetensorsReader.ReadHeader(new MemoryStream(SafetensorsBuilder.File(header, 8)), "o.safetensors");

        Assert.Equal(["late", "early"], read.Tensors.Select(t => t.Name));
    }

    [Fact]
    public void ReadHeader_ReadsOnlyTheHeader_NotTheData()
    {
        // A 1 TB checkpoint served from a stream that only pretends to hold its data.
        using var stream = new ZeroTailStream(SafetensorsBuilder.File(Header(out var n), 0), 8 + n + (1L << 40));

        var header = SafetensorsReader.ReadHeader(stream, "big.safetensors");

        Assert.Equal(1L << 40, header.Tensors[0].Bytes);
        Assert.Equal(n, stream.LargestRead);
        Assert.Equal(8 + n, stream.Position);

        static byte[] Header(out int length)
        {
            var bytes = Encoding.UTF8.GetBytes($"{{\"huge\":{{\"dtype\":\"BF16\",\"shape\":[{1L << 39}],\"data_offsets\":[0,{1L << 40}]}}}}");
            length = bytes.Length;
            return bytes;
        }
    }

    [Fact]
    public void ReadFile_ReadsAFileOnDisk()
    {
        using var folder = new TempFolder();
        var path = new SafetensorsBuilder().Add("w", "F16", 1024, 1024).WriteTo(folder.File("model.safetensors"));

        var weights = SafetensorsReader.ReadFile(path);

        Assert.Equal([path], weights.Files.ToArray());
        Assert.Equal(2L << 20, weights.TensorBytes.Bytes);
        Assert.Equal(path, weights.Tensors[0].File);
    }

    [Fact]
    public void StreamPosition_DoesNotMatter_TheFileIsReadFromItsStart()
    {
        var stream = new MemoryStream(new SafetensorsBuilder().Add("w", "I8", 3).ToBytes()) { Position = 5 };

        Assert.Equal("w", Assert.Single(SafetensorsReader.ReadHeader(stream, "p.safetensors").Tensors).Name);
    }

    [Fact]
    public void UnseekableStream_IsAProgrammingError() =>
        Assert.Throws<ArgumentException>(() => SafetensorsReader.ReadHeader(new UnseekableStream(), "x"));

    private sealed class UnseekableStream : MemoryStream
    {
        public override bool CanSeek => false;
    }
}
