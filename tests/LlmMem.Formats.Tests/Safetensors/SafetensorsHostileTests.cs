using System.Buffers.Binary;
using System.Text;
using LlmMem.Formats.Safetensors;

namespace LlmMem.Formats.Tests.Safetensors;

/// <summary>
/// Broken and hostile files: each a one-line variation of a valid file, each refused with one ModelFormatException
/// whose one-line message names the file, the byte offset or tensor, and what is wrong.
/// </summary>
public class SafetensorsHostileTests
{
    private const string File = "bad.safetensors";

    /// <summary>a.weight: 2 × 3 F32 = 24 bytes at [0, 24); b.bias: 4 BF16 = 8 bytes at [24, 32).</summary>
    private static readonly SafetensorsBuilder Valid =
        new SafetensorsBuilder().Meta("format", "pt").Add("a.weight", "F32", 2, 3).Add("b.bias", "BF16", 4);

    private static readonly string Header = Valid.Header();

    [Fact]
    public void TheValidFile_Reads() =>
        Assert.Equal(2, Read(Valid.ToBytes()).Tensors.Length);

    [Theory]
    // dtype
    [InlineData("\"F32\"", "\"F33\"", "byte 62, tensor 'a.weight': dtype 'F33' is not a safetensors dtype (known: F64, F32,")]
    [InlineData("\"BF16\"", "\"U16\"", "tensor 'b.bias': dtype 'U16' is a safetensors type llmem does not read yet (it reads F64")]
    [InlineData("\"F32\"", "\"f32\"", "dtype 'f32' is not a safetensors dtype")]
    [InlineData("\"F32\"", "32", "tensor 'a.weight': \"dtype\" must be a string such as \"BF16\", not 32.")]
    // shape
    [InlineData("[2,3]", "[-2,3]", "tensor 'a.weight': shape dimension -2 is negative.")]
    [InlineData("[2,3]", "[2.5,3]", "tensor 'a.weight': shape dimensions must be whole numbers of at most 9,223,372,036,854,775,807, not 2.5.")]
    [InlineData("[2,3]", "[2e0,3]", "shape dimensions must be whole numbers of at most 9,223,372,036,854,775,807, not 2e0.")]
    [InlineData("[2,3]", "[99999999999999999999,3]", "shape dimensions must be whole numbers of at most 9,223,372,036,854,775,807, not 99999999999999999999.")]
    [InlineData("[2,3]", "[\"2\",3]", "shape dimensions must be whole numbers of at most 9,223,372,036,854,775,807, not a string.")]
    [InlineData("[2,3]", "6", "\"shape\" must be an array of whole numbers, not 6.")]
    [InlineData("[2,3]", "[4294967296,4294967296]", "tensor 'a.weight': shape [4,294,967,296, 4,294,967,296] has more elements than a 64-bit count holds.")]
    [InlineData("[2,3]", "[4294967296,4294967296,0]", "has more elements than a 64-bit count holds.")]
    [InlineData("[2,3]", "[2,4]", "tensor 'a.weight': F32 shape [2, 4] is 8 elements of 4 bytes = 32 bytes, but data_offsets [0, 24] hold 24.")]
    [InlineData("[2,3]", "[2,3,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1]", "\"shape\" has more than 64 dimensions")]
    // data_offsets
    [InlineData("[0,24]", "[24,0]", "tensor 'a.weight': data_offsets [24, 0] end before they begin.")]
    [InlineData("[24,32]", "[24,40]", "tensor 'b.bias': data_offsets [24, 40] run past the end of the data section, which holds 32 bytes from file byte 168; the file may be truncated.")]
    [InlineData("[24,32]", "[24,18446744073709551615]", "data_offsets [24, 18,446,744,073,709,551,615] run past the end of the data section")]
    [InlineData("[24,32]", "[24,18446744073709551616]", "\"data_offsets\" must be [begin, end], two whole numbers of bytes (README §Format), not 18446744073709551616.")]
    [InlineData("[0,24]", "[-1,24]", "\"data_offsets\" must be [begin, end], two whole numbers of bytes (README §Format), not -1.")]
    [InlineData("[0,24]", "[0,24,32]", "\"data_offsets\" must be [begin, end], two whole numbers of bytes (README §Format); it has more than two values.")]
    [InlineData("[0,24]", "[24]", "\"data_offsets\" must be [begin, end], two whole numbers of bytes (README §Format); it has 1.")]
    [InlineData("[0,24]", "{}", "\"data_offsets\" must be [begin, end], two whole numbers of bytes (README §Format), not an object.")]
    [InlineData("[24,32]", "[20,28]", "tensor 'b.bias': data_offsets [20, 28] overlap tensor 'a.weight' at [0, 24]")]
    [InlineData("\"b.bias\":{\"dtype\":\"BF16\",\"shape\":[4]", "\"b.bias\":{\"dtype\":\"BF16\",\"shape\":[3]", "BF16 shape [3] is 3 elements of 2 bytes = 6 bytes, but data_offsets [24, 32] hold 8.")]
    // missing and repeated fields
    [InlineData("\"dtype\":\"F32\",", "", "tensor 'a.weight': has no \"dtype\" (README §Format")]
    [InlineData("\"shape\":[2,3],", "", "tensor 'a.weight': has no \"shape\"")]
    [InlineData(",\"data_offsets\":[0,24]", "", "tensor 'a.weight': has no \"data_offsets\"")]
    [InlineData("\"dtype\":\"F32\",", "\"dtype\":\"F32\",\"dtype\":\"F16\",", "tensor 'a.weight': lists \"dtype\" twice; the README's §Format notes disallow duplicate keys.")]
    [InlineData("\"shape\":[2,3],", "\"shape\":[2,3],\"shape\":[6],", "lists \"shape\" twice")]
    [InlineData("\"b.bias\"", "\"a.weight\"", "byte 106: 'a.weight' appears twice in the header (first at byte 42); the README's §Format notes disallow duplicate keys.")]
    [InlineData("\"__metadata__\":{\"format\":\"pt\"},", "\"__metadata__\":{},\"__metadata__\":{},", "'__metadata__' appears twice in the header")]
    [InlineData("\"a.weight\":{", "\"a.weight\":[1],\"x\":{", "tensor 'a.weight': must be an object with \"dtype\", \"shape\" and \"data_offsets\", not an array.")]
    // __metadata__
    [InlineData("{\"format\":\"pt\"}", "[]", "byte 10: \"__metadata__\" must be an object of strings (README §Format), not an array.")]
    [InlineData("\"pt\"", "1", "\"__metadata__\" value of 'format' must be a string (README §Format: \"arbitrary JSON is not allowed\"), not 1.")]
    [InlineData("\"pt\"", "{\"nested\":\"x\"}", "\"__metadata__\" value of 'format' must be a string")]
    [InlineData("{\"format\":\"pt\"}", "{\"format\":\"pt\",\"format\":\"np\"}", "\"__metadata__\" lists 'format' twice")]
    // JSON itself
    [InlineData("{\n", "[\n", "byte 8: the header must start with '{' (README §Format), not byte 0x5B.")]
    [InlineData("{\n", " {\n", "byte 8: the header must start with '{' (README §Format), not byte 0x20.")]
    [InlineData("\n}", "\n}x", "the header is not valid JSON: 'x' is invalid after a single JSON value.")]
    [InlineData("\n}", "\n", "the header is not valid JSON")]
    [InlineData("[0,24]}", "[0,24],}", "the header is not valid JSON")]
    [InlineData("\"pt\"", "'pt'", "byte 35: the header is not valid JSON")]
    [InlineData("\"pt\"", "\"pt\" /* c */", "the header is not valid JSON")]
    [InlineData("\"a.weight\"", "\"a\\uD800\"", "a string holds an escape that is not valid text (an unpaired surrogate).")]
    [InlineData("\"a.weight\"", "\"a\tb\"", "the header is not valid JSON")]
    public void OneBrokenField_IsRefusedWithItsReason(string find, string replace, string message)
    {
        Assert.Contains(find, Header, StringComparison.Ordinal);
        var broken = ReplaceFirst(Header, find, replace);

        var error = Assert.Throws<ModelFormatException>(() => Read(SafetensorsBuilder.File(broken, Valid.DataLength)));

        AssertOneLine(error, message);
    }

    [Fact]
    public void GapBetweenTensors_IsRefused_TheFormatForbidsHoles()
    {
        var broken = ReplaceFirst(Header, "[24,32]", "[26,34]");

        var error = Assert.Throws<ModelFormatException>(() => Read(SafetensorsBuilder.File(broken, 34)));

        AssertOneLine(error, "byte 192: data section bytes 24 to 26 (before tensor 'b.bias') belong to no tensor; "
            + "the README's §Format notes require the byte buffer to be entirely indexed, without holes.");
    }

    [Fact]
    public void TrailingBytesAfterTheLastTensor_AreRefused()
    {
        var error = Assert.Throws<ModelFormatException>(() => Read(SafetensorsBuilder.File(Header, Valid.DataLength + 5)));

        AssertOneLine(error, "byte 200: the data section holds 37 bytes but its tensors end at 32: the last 5 bytes belong to no tensor");
    }

    [Fact]
    public void MissingData_IsRefusedAsTruncated()
    {
        var error = Assert.Throws<ModelFormatException>(() => Read(SafetensorsBuilder.File(Header, Valid.DataLength - 1)));

        AssertOneLine(error, "tensor 'b.bias': data_offsets [24, 32] run past the end of the data section, which holds 31 bytes from file byte 168; the file may be truncated.");
    }

    [Fact]
    public void InvalidUtf8InAName_IsRefusedAtItsByte()
    {
        var bytes = SafetensorsBuilder.File(Header, Valid.DataLength);
        var at = Array.IndexOf(bytes, (byte)'b', 8 + Header.IndexOf("\"b.bias\"", StringComparison.Ordinal));
        bytes[at] = 0xFF;

        AssertOneLine(Assert.Throws<ModelFormatException>(() => Read(bytes)), $"byte {at}: the header is not valid UTF-8");
    }

    [Fact]
    public void HeaderLengthOfAllOnes_IsPastTheEndOfTheFile()
    {
        var bytes = new byte[1024];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, ulong.MaxValue);

        var error = Assert.Throws<ModelFormatException>(() => Read(bytes));

        Assert.Equal("bad.safetensors: header length 18,446,744,073,709,551,615 is past the end of the file (1,024 bytes).", error.Message);
    }

    [Fact]
    public void HeaderLengthOneByteTooLong_IsPastTheEndOfTheFile()
    {
        var bytes = Valid.ToBytes();
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, (ulong)(bytes.Length - 7));

        AssertOneLine(Assert.Throws<ModelFormatException>(() => Read(bytes)), $"header length {bytes.Length - 7:N0} is past the end of the file ({bytes.Length:N0} bytes).");
    }

    [Fact]
    public void HeaderLengthOverTheLimit_IsRefusedBeforeAnythingIsRead()
    {
        // A 200 MB file whose header claims 100,000,001 bytes: within the file, over the README's 100 MB limit.
        var prefix = new byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(prefix, SafetensorsLimits.MaxHeaderBytes + 1);
        using var stream = new ZeroTailStream(prefix, 200_000_000);

        var error = Assert.Throws<ModelFormatException>(() => SafetensorsReader.ReadHeader(stream, File));

        AssertOneLine(error, "header length 100,000,001 is over the 100,000,000-byte limit that the README's §Benefits sets to prevent parsing extremely large JSON.");
        Assert.Equal(8, stream.LargestRead);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(7)]
    public void FileShorterThanTheLengthPrefix_IsRefused(int length)
    {
        var error = Assert.Throws<ModelFormatException>(() => Read(new byte[length]));

        AssertOneLine(error, $"the file is {length} bytes, too short for the 8-byte header length that starts a safetensors file (README §Format).");
    }

    [Fact]
    public void ZeroHeaderLength_IsAnEmptyHeader() =>
        AssertOneLine(Assert.Throws<ModelFormatException>(() => Read(new byte[8])), "byte 8: the header is empty; it must be a JSON object starting with '{'");

    [Fact]
    public void StreamThatEndsBeforeItsLength_IsATruncatedFile()
    {
        var bytes = Valid.ToBytes();
        using var stream = new ZeroTailStream(bytes, bytes.Length, served: 20);

        AssertOneLine(Assert.Throws<ModelFormatException>(() => SafetensorsReader.ReadHeader(stream, File)), "the file ends before byte 168, though its length says otherwise.");
    }

    [Fact]
    public void DeeplyNestedUnknownField_IsRefused_NotAStackOverflow()
    {
        var broken = ReplaceFirst(Header, "\"shape\"", "\"x\":" + new string('[', 100_000) + new string(']', 100_000) + ",\"shape\"");

        AssertOneLine(Assert.Throws<ModelFormatException>(() => Read(SafetensorsBuilder.File(broken, Valid.DataLength))), "the header is not valid JSON");
    }

    [Fact]
    public void ControlCharactersAndLongNames_StayOnOneShortLine()
    {
        var name = "evil\nname\u0007" + new string('x', 10_000);
        var broken = ReplaceFirst(Header, "\"F32\"", "\"F33\"").Replace("a.weight", name.Replace("\n", "\\n", StringComparison.Ordinal).Replace("\u0007", "\\u0007", StringComparison.Ordinal), StringComparison.Ordinal);

        var error = Assert.Throws<ModelFormatException>(() => Read(SafetensorsBuilder.File(broken, Valid.DataLength)));

        AssertOneLine(error, "tensor 'evil\\u000aname\\u0007xxx");
        Assert.Contains("…' (10,010 characters): dtype 'F33'", error.Message, StringComparison.Ordinal);
        Assert.True(error.Message.Length < 500, error.Message);
    }

    [Fact]
    public void HugeUnknownDtype_IsQuotedShort()
    {
        var broken = ReplaceFirst(Header, "\"F32\"", "\"" + new string('F', 1_000_000) + "\"");

        var error = Assert.Throws<ModelFormatException>(() => Read(SafetensorsBuilder.File(broken, Valid.DataLength)));

        Assert.Contains("(1,000,000 characters) is not a safetensors dtype", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void RandomMutationsOfAValidFile_OnlyEverThrowModelFormatException()
    {
        // Seeded so a failure reproduces: byte flips, token-alphabet edits of the header (with the length fixed up so
        // parsing goes deep), truncations, insertions and rewritten header lengths.
        var random = new Random(20_250_601);
        var valid = new SafetensorsBuilder().Meta("format", "pt")
            .Add("model.embed_tokens.weight", "BF16", 16, 8).Add("layers.0.qweight", "I32", 4, 8)
            .Add("layers.0.scales", "F16", 1, 8).Add("scalar", "F64").Add("empty", "U8", 0, 3).Add("mask", "BOOL", 5);
        var header = valid.Header();
        const string Alphabet = "{}[]\",:0123456789-.eE \\u\"FIBUL_";
        int accepted = 0, refused = 0;
        for (var i = 0; i < 4000; i++)
        {
            byte[] bytes;
            switch (random.Next(5))
            {
                case 0:
                    bytes = valid.ToBytes();
                    for (var flips = random.Next(1, 4); flips > 0; flips--)
                    {
                        bytes[random.Next(bytes.Length)] ^= (byte)(1 << random.Next(8));
                    }

                    break;
                case 1:
                    var text = new StringBuilder(header);
                    for (var edits = random.Next(1, 3); edits > 0; edits--)
                    {
                        var at = random.Next(text.Length);
                        switch (random.Next(3))
                        {
                            case 0: text[at] = Alphabet[random.Next(Alphabet.Length)]; break;
                            case 1: text.Insert(at, Alphabet[random.Next(Alphabet.Length)]); break;
                            default: text.Remove(at, 1); break;
                        }
                    }

                    bytes = SafetensorsBuilder.File(text.ToString(), valid.DataLength + random.Next(-2, 3));
                    break;
                case 2:
                    bytes = valid.ToBytes()[..random.Next(valid.ToBytes().Length)];
                    break;
                case 3:
                    var whole = valid.ToBytes().ToList();
                    whole.InsertRange(random.Next(whole.Count), Enumerable.Range(0, random.Next(1, 9)).Select(_ => (byte)random.Next(256)));
                    bytes = [.. whole];
                    break;
                default:
                    bytes = valid.ToBytes();
                    var length = random.Next(3) switch
                    {
                        0 => (ulong)random.NextInt64(),
                        1 => (ulong)(Encoding.UTF8.GetByteCount(header) + random.Next(-3, 4)),
                        _ => ulong.MaxValue - (ulong)random.Next(16),
                    };
                    BinaryPrimitives.WriteUInt64LittleEndian(bytes, length);
                    break;
            }

            try
            {
                Read(bytes);
                accepted++;
            }
            catch (ModelFormatException e)
            {
                Assert.DoesNotContain('\n', e.Message);
                refused++;
            }
            catch (Exception e)
            {
                Assert.Fail($"mutation {i}: {e.GetType().Name}: {e.Message}");
            }
        }

        Assert.True(refused > 2000, $"{refused} refused");
        Assert.True(accepted > 50, $"{accepted} accepted (harmless edits such as whitespace or metadata text)");
    }

    private static Models.StoredWeights Read(byte[] bytes) => SafetensorsReader.Read(new MemoryStream(bytes), File);

    private static string ReplaceFirst(string text, string find, string replace)
    {
        var at = text.IndexOf(find, StringComparison.Ordinal);
        return text[..at] + replace + text[(at + find.Length)..];
    }

    private static void AssertOneLine(ModelFormatException error, string message)
    {
        Assert.StartsWith(File + ": ", error.Message, StringComparison.Ordinal);
        Assert.Contains(message, error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', error.Message);
        Assert.Equal(File, error.File);
    }
}
