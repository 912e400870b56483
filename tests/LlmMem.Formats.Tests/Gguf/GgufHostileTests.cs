using System.Buffers.Binary;
using System.Text;
using LlmMem.Formats.Gguf;

namespace LlmMem.Formats.Tests.Gguf;

/// <summary>
/// Broken and hostile files, each one field of a valid file changed: one <see cref="ModelFormatException"/> whose message
/// names the byte offset of the field and what is wrong.
/// </summary>
public class GgufHostileTests
{
    private static readonly GgufImage Valid = GgufModels.Tiny().Build();
    private static readonly long Length = Valid.Length;

    /// <summary>The valid file's metadata pairs; each takes at least 14 bytes (8-byte key length, key, 4-byte type, value).</summary>
    private static readonly long MetadataCount = (long)BinaryPrimitives.ReadUInt64LittleEndian(Valid.Header.AsSpan(16));

    private static long At(string label) => Valid.At[label];

    private static string Offset(string label) => $"offset {At(label):N0}: ";

    /// <summary>Each case: how to break the valid file's bytes, and the message expected after "test.gguf: ".</summary>
    private static readonly Dictionary<string, (Func<byte[], byte[]> Break, string Message)> Cases = new()
    {
        ["wrong magic"] = (b => Put(b, 0, (byte)'X'), "offset 0: not a GGUF file: it starts with 58475546 ('XGUF'), not 'GGUF'."),
        ["version 1"] = (b => PutU32(b, 4, 1), "offset 4: GGUF version 1 is not supported: that 2023 draft used 32-bit counts and lengths."),
        ["version 4"] = (b => PutU32(b, 4, 4), "offset 4: GGUF version 4 is not supported (llmem reads versions 2 and 3)."),
        ["big-endian"] = (b => PutU32(b, 4, 0x03000000), "offset 4: this is a big-endian GGUF (its version bytes are reversed); llmem reads little-endian files only."),
        ["absurd tensor count"] = (b => PutU64(b, 8, ulong.MaxValue), "offset 8: tensor count 18,446,744,073,709,551,615 is absurd (the most accepted is 1,000,000"),
        ["tensor count past the end"] = (b => PutU64(b, 8, 500_000), $"offset 8: tensor count 500,000 (at least 12,500,000 bytes after the metadata's {14 * MetadataCount:N0} bytes) is past the end of the file ({Length:N0} bytes)."),
        ["absurd metadata count"] = (b => PutU64(b, 16, 1UL << 40), "offset 16: metadata count 1,099,511,627,776 is absurd (the most accepted is 100,000"),
        ["metadata count past the end"] = (b => PutU64(b, 16, 90_000), $"offset 16: metadata count 90,000 (at least 1,260,000 bytes) is past the end of the file ({Length:N0} bytes)."),
        ["key length past the end"] = (b => PutU64(b, At("key:general.name"), 9_999_999_999),
            $"{Offset("key:general.name")}metadata key length 9,999,999,999 is past the end of the file ({Length:N0} bytes)."),
        ["key longer than the spec allows"] = (b => PutU64(b, At("key:general.name"), 70_000),
            $"{Offset("key:general.name")}metadata key length 70,000 is longer than the 65,535 bytes the GGUF spec allows."),
        ["empty key"] = (b => PutU64(b, At("key:general.name"), 0), $"{Offset("key:general.name")}metadata key is empty."),
        ["key not UTF-8"] = (b => Put(b, At("key:general.name") + 8, 0xFF), $"offset {At("key:general.name") + 8:N0}: metadata key is not valid UTF-8."),
        ["duplicate key"] = (b => Put(b, At("key:test.i8") + 8 + 5, (byte)'u'),
            $"{Offset("key:test.i8")}metadata key 'test.u8' appears twice (first at offset {At("key:test.u8"):N0})."),
        ["string length past the end"] = (b => PutU64(b, At("value:general.name"), 9_999_999_999),
            $"{Offset("value:general.name")}metadata 'general.name': string length 9,999,999,999 is past the end of the file ({Length:N0} bytes)."),
        ["value type 13"] = (b => PutU32(b, At("type:test.u8"), 13), $"{Offset("type:test.u8")}metadata 'test.u8' has value type 13; GGUF value types are 0 to 12."),
        ["array element type 99"] = (b => PutU32(b, At("value:tokenizer.ggml.tokens"), 99),
            $"{Offset("value:tokenizer.ggml.tokens")}metadata 'tokenizer.ggml.tokens' has value type 99; GGUF value types are 0 to 12."),
        ["array length past the end"] = (b => PutU64(b, At("count:tokenizer.ggml.tokens"), 1UL << 40),
            $"{Offset("count:tokenizer.ggml.tokens")}array 'tokenizer.ggml.tokens' of 1,099,511,627,776 string values (at least 8,796,093,022,208 bytes) is past the end of the file ({Length:N0} bytes)."),
        ["array length overflowing"] = (b => PutU64(b, At("count:tokenizer.ggml.token_type"), ulong.MaxValue),
            $"{Offset("count:tokenizer.ggml.token_type")}array 'tokenizer.ggml.token_type' of 18,446,744,073,709,551,615 int32 values is past the end of the file"),
        ["bool of 2"] = (b => Put(b, At("value:test.bool"), 2), $"{Offset("value:test.bool")}metadata 'test.bool' is a bool of value 2; a bool must be 0 or 1."),
        ["alignment 0"] = (b => PutU32(b, At("value:general.alignment"), 0),
            $"{Offset("value:general.alignment")}general.alignment is 0; it must be a nonzero power of two."),
        ["alignment 48"] = (b => PutU32(b, At("value:general.alignment"), 48),
            $"{Offset("value:general.alignment")}general.alignment is 48; it must be a nonzero power of two."),
        ["tensor name longer than the spec allows"] = (b => PutU64(b, At("tensor:output.weight"), 65),
            $"{Offset("tensor:output.weight")}tensor name length 65 is longer than the 64 bytes the GGUF spec allows."),
        ["duplicate tensor"] = (b => Put(b, At("tensor:blk.0.attn_k.weight") + 8 + "blk.0.attn_".Length, (byte)'q'),
            $"{Offset("tensor:blk.0.attn_k.weight")}tensor 'blk.0.attn_q.weight' appears twice (first at offset {At("tensor:blk.0.attn_q.weight"):N0})."),
        ["five dimensions"] = (b => PutU32(b, At("ndims:blk.0.attn_q.weight"), 5),
            $"{Offset("ndims:blk.0.attn_q.weight")}tensor 'blk.0.attn_q.weight' has 5 dimensions; GGUF allows at most 4."),
        ["dimension of 0"] = (b => PutU64(b, At("dim1:blk.0.attn_q.weight"), 0), $"{Offset("dim1:blk.0.attn_q.weight")}tensor 'blk.0.attn_q.weight' has dimension 1 of 0."),
        ["dimension above 2^63"] = (b => PutU64(b, At("dim1:blk.0.attn_q.weight"), 1UL << 63),
            $"{Offset("dim1:blk.0.attn_q.weight")}tensor 'blk.0.attn_q.weight' has dimension 1 of 9,223,372,036,854,775,808, more than 2⁶³ − 1."),
        ["dimensions overflowing"] = (b => PutU64(PutU64(b, At("dim0:blk.0.attn_q.weight"), 1UL << 62), At("dim1:blk.0.attn_q.weight"), 1UL << 62),
            $"{Offset("ndims:blk.0.attn_q.weight")}tensor 'blk.0.attn_q.weight' has dimensions 4,611,686,018,427,387,904 × 4,611,686,018,427,387,904, whose size overflows 64 bits."),
        ["row not whole blocks"] = (b => PutU64(b, At("dim0:token_embd.weight"), 255),
            $"{Offset("ndims:token_embd.weight")}tensor 'token_embd.weight' has a first dimension of 255, not a multiple of Q4_K's block of 256 elements."),
        ["unknown ggml type"] = (b => PutU32(b, At("type:blk.0.attn_q.weight"), 99),
            $"{Offset("type:blk.0.attn_q.weight")}tensor 'blk.0.attn_q.weight' has ggml type 99, which llmem does not know (known: 0 (fp32), 1 (fp16), 2 (Q4_0)"),
        ["data offset not aligned"] = (b => PutU64(b, At("offset:output.weight"), (ulong)OffsetOf(b, "output.weight") + 1),
            $"{Offset("offset:output.weight")}tensor 'output.weight' has data offset {OffsetOf(Valid.Header, "output.weight") + 1:N0}, not a multiple of the alignment (32)."),
        ["data offset past the end"] = (b => PutU64(b, At("offset:output.weight"), 1UL << 40),
            $"{Offset("offset:output.weight")}tensor 'output.weight' (6,720 bytes at data offset 1,099,511,627,776, after the data section's start at {At("data"):N0}) ends past the end of the file ({Length:N0} bytes): the file is truncated or its tensor table is wrong."),
        ["data offset above 2^63"] = (b => PutU64(b, At("offset:output.weight"), ulong.MaxValue),
            $"{Offset("offset:output.weight")}tensor 'output.weight' has data offset 18,446,744,073,709,551,615, more than 2⁶³ − 1."),
        ["overlapping tensors"] = (b => PutU64(b, At("offset:blk.0.attn_k.weight"), (ulong)OffsetOf(b, "blk.0.attn_q.weight")),
            $"{Offset("offset:blk.0.attn_k.weight")}tensor 'blk.0.attn_k.weight' (data offset {OffsetOf(Valid.Header, "blk.0.attn_q.weight"):N0}) overlaps tensor 'blk.0.attn_q.weight' (data offset {OffsetOf(Valid.Header, "blk.0.attn_q.weight"):N0}, 36,864 bytes)."),
        ["truncated in the last tensor"] = (b => b[..^1],
            $"{Offset("offset:output.weight")}tensor 'output.weight' (6,720 bytes at data offset {OffsetOf(Valid.Header, "output.weight"):N0}, after the data section's start at {At("data"):N0}) ends past the end of the file ({Length - 1:N0} bytes)"),
        ["truncated in the header"] = (b => b[..(int)(At("count:tokenizer.ggml.merges") + 4)],
            $"{Offset("count:tokenizer.ggml.merges")}the length of array 'tokenizer.ggml.merges' needs 8 bytes but the file ends after 4 ({At("count:tokenizer.ggml.merges") + 4:N0} bytes): it is truncated."),
        ["truncated in the magic"] = (b => b[..2], "offset 0: the magic number needs 4 bytes but the file ends after 2 (2 bytes): it is truncated."),
        ["empty file"] = (_ => [], "offset 0: the magic number needs 4 bytes but the file ends here (0 bytes): it is truncated."),
    };

    public static TheoryData<string> Names => [.. Cases.Keys];

    [Theory]
    [MemberData(nameof(Names))]
    public void BrokenField_OneErrorNamingTheOffsetAndTheProblem(string name)
    {
        var (breakIt, message) = Cases[name];
        var bytes = breakIt(Valid.Bytes());

        var error = Assert.Throws<ModelFormatException>(() => GgufImage.Read(bytes));

        Assert.StartsWith("test.gguf: " + message, error.Message);
        Assert.Equal("test.gguf", error.File);
        Assert.DoesNotContain('\n', error.Message);
    }

    [Fact]
    public void ValidFile_TheCasesStartFrom_Reads() => Assert.Equal(12, GgufImage.Read(Valid.Bytes()).Tensors.Length);

    [Fact]
    public void ArraysNestedTooDeep_AreRefused()
    {
        object value = new GgufArray(GgufValueType.UInt8, [(byte)1]);
        for (var depth = 0; depth < 8; depth++)
        {
            value = new GgufArray(GgufValueType.Array, [value]);
        }

        var built = new GgufBuilder().Set("deep", GgufValueType.Array, value).Build();

        // The ninth array (depth 8) starts 8 × 12 bytes (element type + length) after the outermost.
        var error = Assert.Throws<ModelFormatException>(() => built.Read());
        Assert.Equal($"test.gguf: offset {built.At["value:deep"] + 96:N0}: metadata 'deep' nests arrays more than 8 deep.", error.Message);
    }

    [Fact]
    public void HugeFile_WithAHeaderStringOf300MiB_IsRefusedAtTheHeaderLimit_WithoutReadingIt()
    {
        var built = new GgufBuilder().Str("general.name", "x").Build();
        var header = PutU64(built.Header.ToArray(), built.At["value:general.name"], 300UL << 20);

        var error = Assert.Throws<ModelFormatException>(() => GgufReader.Read(new ZeroTailStream(header, 1L << 40), "huge.gguf"));

        Assert.Contains("string length 314,572,800 is past the largest header llmem reads (268,435,456 bytes; real headers are under 20 MB)", error.Message);
    }

    [Fact]
    public void LongStringValues_AreMeasuredAndSkipped_NotRefused()
    {
        var file = new GgufBuilder().Str("tokenizer.huggingface.json", new string('x', 2 << 20)).U32("after", 7).Build().Read();

        Assert.Equal(2 << 20, file.Find("tokenizer.huggingface.json")!.Length);
        Assert.Null(file.Find("tokenizer.huggingface.json")!.Text);
        Assert.Equal(7, file.GetInteger("after"));
        Assert.Contains("is a string of 2,097,152 bytes, longer than the 1,048,576 llmem keeps",
            Assert.Throws<ModelFormatException>(() => file.GetString("tokenizer.huggingface.json")).Message);
    }

    [Fact]
    public void NonSeekableStream_IsAProgrammingError()
    {
        using var pipe = new NonSeekable();

        Assert.Throws<ArgumentException>(() => GgufReader.Read(pipe, "pipe"));
    }

    /// <summary>The data offset the valid file gives <paramref name="tensor"/>.</summary>
    private static long OffsetOf(byte[] bytes, string tensor) => (long)BinaryPrimitives.ReadUInt64LittleEndian(bytes.AsSpan((int)Valid.At["offset:" + tensor]));

    private static byte[] Put(byte[] bytes, long at, byte value)
    {
        bytes[at] = value;
        return bytes;
    }

    private static byte[] PutU32(byte[] bytes, long at, uint value)
    {
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan((int)at), value);
        return bytes;
    }

    private static byte[] PutU64(byte[] bytes, long at, ulong value)
    {
        BinaryPrimitives.WriteUInt64LittleEndian(bytes.AsSpan((int)at), value);
        return bytes;
    }

    private sealed class NonSeekable : MemoryStream
    {
        public NonSeekable()
            : base(Encoding.ASCII.GetBytes("GGUF"))
        {
        }

        public override bool CanSeek => false;
    }
}
