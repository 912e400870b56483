using LlmMem.DataTypes;
using LlmMem.Formats.Gguf;

namespace LlmMem.Formats.Tests.Gguf;

/// <summary>Valid files round-trip: every metadata type, exact tensor bytes, the data section's start.</summary>
public class GgufReaderTests
{
    private static readonly GgufFile Tiny = GgufModels.Tiny().Build().Read();

    [Fact]
    public void Header_ReadsVersionCountsAndAlignment()
    {
        Assert.Equal(3, Tiny.Version);
        Assert.Equal(12, Tiny.Header.TensorCount);
        Assert.Equal(Tiny.Keys.Length, Tiny.Header.MetadataCount);
        Assert.Equal(32, Tiny.Alignment);
        Assert.Equal("llama", Tiny.Architecture);
    }

    [Fact]
    public void Metadata_OfEveryScalarType_RoundTrips()
    {
        Assert.Equal(200, Tiny.GetInteger("test.u8"));
        Assert.Equal(-5, Tiny.GetInteger("test.i8"));
        Assert.Equal(60_000, Tiny.GetInteger("test.u16"));
        Assert.Equal(-30_000, Tiny.GetInteger("test.i16"));
        Assert.Equal(32, Tiny.GetInteger("general.alignment"));
        Assert.Equal(-2_000_000_000, Tiny.GetInteger("test.i32"));
        Assert.Equal(long.MinValue, Tiny.GetInteger("test.i64"));
        Assert.Equal(1e-5f, (float)Tiny.GetFloat("llama.attention.layer_norm_rms_epsilon")!.Value);
        Assert.Equal(0.125, Tiny.GetFloat("test.f64"));
        Assert.True(Tiny.GetBool("test.bool"));
        Assert.Equal("tiny", Tiny.GetString("general.name"));
        Assert.Equal(GgufValueType.UInt64, Tiny.Find("test.u64")!.Type);
        Assert.Equal("18446744073709551615", Tiny.Find("test.u64")!.ToString());
    }

    [Fact]
    public void Metadata_Arrays_KeepShortOnes_IncludingNestedArrays()
    {
        Assert.Equal([4L], Tiny.GetIntegerArray("llama.attention.head_count")!.Value.ToArray());
        var nested = Tiny.Find("test.nested")!;
        Assert.Equal(GgufValueType.Array, nested.ElementType);
        Assert.Equal("[[1, 2], []]", nested.ToString());
        Assert.Equal(["tok0", "tok1"], Tiny.GetStringArray("tokenizer.ggml.tokens")!.Value.Take(2).ToArray());
    }

    [Fact]
    public void LongArrays_AreCountedButNotKept_AndAskingForTheirValuesSaysSo()
    {
        var file = new GgufBuilder().Str("general.architecture", "llama").Tokenizer(150_000).Build().Read();
        var tokens = file.Find("tokenizer.ggml.tokens")!;

        Assert.Equal(150_000, file.GetArrayLength("tokenizer.ggml.tokens"));
        Assert.False(tokens.IsKept);
        Assert.Empty(tokens.Items);
        Assert.Equal("[150,000 × string, not kept]", tokens.ToString());
        var error = Assert.Throws<ModelFormatException>(() => file.GetStringArray("tokenizer.ggml.merges"));
        Assert.Contains("metadata 'tokenizer.ggml.merges' has 150,000 elements, more than the 4,096 llmem keeps", error.Message);
    }

    [Fact]
    public void Getters_ReturnNullForAbsentKeys()
    {
        Assert.Null(Tiny.GetInteger("llama.expert_count"));
        Assert.Null(Tiny.GetString("general.license"));
        Assert.Null(Tiny.GetIntegerArray("llama.feed_forward_lengths"));
        Assert.Null(Tiny.FindTensor("blk.9.attn_q.weight"));
    }

    [Theory]
    [InlineData("general.name", "is a string, not an integer")]
    [InlineData("tokenizer.ggml.tokens", "is an array of 32 string values, not an integer")]
    [InlineData("test.u64", "is 18446744073709551615, too large for llmem")]
    [InlineData("test.f64", "is a float64, not an integer")]
    public void GetInteger_OfAnotherType_NamesTheKeyAndItsOffset(string key, string problem)
    {
        var built = GgufModels.Tiny().Build();
        var error = Assert.Throws<ModelFormatException>(() => built.Read().GetInteger(key));

        Assert.Equal($"test.gguf: offset {built.At["value:" + key]:N0}: metadata '{key}' {problem}.", error.Message);
    }

    [Fact]
    public void TypedGetters_RefuseOtherTypes()
    {
        Assert.Contains("metadata 'test.u8' is a uint8, not a string", Assert.Throws<ModelFormatException>(() => Tiny.GetString("test.u8")).Message);
        Assert.Contains("metadata 'test.i8' is an int8, not a bool", Assert.Throws<ModelFormatException>(() => Tiny.GetBool("test.i8")).Message);
        Assert.Contains("metadata 'general.name' is a string, not a number", Assert.Throws<ModelFormatException>(() => Tiny.GetFloat("general.name")).Message);
        Assert.Contains("is an array of 32 string values, not an array of integers",
            Assert.Throws<ModelFormatException>(() => Tiny.GetIntegerArray("tokenizer.ggml.tokens")).Message);
    }

    [Theory]
    [InlineData(0u, new long[] { 4096 }, 16_384L)] // F32: 4 bytes each
    [InlineData(1u, new long[] { 4096, 4096 }, 33_554_432L)] // F16: 2 bytes each
    [InlineData(30u, new long[] { 4096, 14336 }, 117_440_512L)] // BF16
    [InlineData(8u, new long[] { 4096, 1024 }, 4_456_448L)] // Q8_0: 4096 / 32 blocks × 34 B = 4,352 B a row × 1,024 rows
    [InlineData(12u, new long[] { 4096, 4096 }, 9_437_184L)] // Q4_K: 4096 / 256 × 144 B = 2,304 B a row × 4,096
    [InlineData(14u, new long[] { 4096, 128256 }, 430_940_160L)] // Q6_K: 4096 / 256 × 210 B = 3,360 B a row × 128,256
    [InlineData(39u, new long[] { 2880, 2880, 32 }, 141_004_800L)] // MXFP4: 2880 / 32 × 17 B = 1,530 B a row × 2,880 × 32 experts
    [InlineData(2u, new long[] { 4096, 11008, 1, 1 }, 25_362_432L)] // Q4_0, four dimensions: 4096 / 32 × 18 B = 2,304 B × 11,008
    [InlineData(31u, new long[] { 4096, 4096 }, 9_437_184L)] // retired Q4_0_4_4: Q4_0 blocks, 2,304 B a row × 4,096
    public void TensorBytes_AreExact_ByGgmlBlockSizes(uint ggmlType, long[] dims, long bytes)
    {
        var file = new GgufBuilder().Tensor("t.weight", ggmlType, dims).Build().Read();

        Assert.Equal(bytes, file.Tensors.Single().Bytes.Bytes);
        Assert.Equal(dims, file.Tensors.Single().Shape.ToArray());
    }

    [Fact]
    public void Tensors_KeepTheirTypesShapesAndFileOrder()
    {
        Assert.Equal("token_embd.weight", Tiny.Tensors[0].Name);
        Assert.Equal("output.weight", Tiny.Tensors[^1].Name);
        Assert.Equal(DataType.Q4_K, Tiny.FindTensor("token_embd.weight")!.Type);
        Assert.Equal(DataType.Mxfp4, Tiny.FindTensor("blk.0.ffn_up.weight")!.Type);
        Assert.Equal(DataType.Q6_K, Tiny.FindTensor("output.weight")!.Type);
        Assert.Equal(DataType.Fp32, Tiny.FindTensor("output_norm.weight")!.Type);
        Assert.All(Tiny.Tensors, t => Assert.Equal("test.gguf", t.File));
        // MXFP4 [256, 512]: 256 / 32 × 17 B = 136 B a row × 512 rows.
        Assert.Equal(69_632, Tiny.FindTensor("blk.0.ffn_up.weight")!.Bytes.Bytes);
    }

    [Fact]
    public void DataSection_StartsAtTheHeaderEnd_RoundedUpToTheAlignment()
    {
        var built = GgufModels.Tiny().Build();
        var file = built.Read();

        Assert.Equal((built.At["header_end"] + 31) / 32 * 32, file.DataOffset);
        Assert.Equal(file.DataOffset, file.TensorOffsets[0]);
        Assert.Equal(built.Length, file.TensorOffsets[^1] + file.Tensors[^1].Bytes.Bytes);
    }

    [Fact]
    public void Alignment_FromGeneralAlignment_MovesTheDataSection()
    {
        var built = new GgufBuilder { Alignment = 4096 }.U32("general.alignment", 4096)
            .Tensor("a.weight", DataType.Fp32, 10).Tensor("b.weight", DataType.Fp32, 10).Build();
        var file = built.Read();

        Assert.Equal(4096, file.Alignment);
        Assert.Equal(4096, file.DataOffset);
        Assert.Equal(8192, file.TensorOffsets[1]);
    }

    [Fact]
    public void Version2_IsRead()
    {
        var file = new GgufBuilder { Version = 2 }.Str("general.architecture", "llama").Tensor("a.weight", DataType.Fp16, 64).Build().Read();

        Assert.Equal(2, file.Version);
        Assert.Equal(128, file.Tensors[0].Bytes.Bytes);
    }

    [Fact]
    public void ZeroDimensions_IsAScalarOfOneElement()
    {
        var file = new GgufBuilder().Tensor("scale", DataType.Fp32).Build().Read();

        Assert.Equal(1, file.Tensors[0].Elements);
        Assert.Equal(4, file.Tensors[0].Bytes.Bytes);
    }

    [Fact]
    public void RetiredInterleavedTypes_AreCountedAsTheirBaseBlocks_AndNoted()
    {
        var file = new GgufBuilder().Tensor("a.weight", 31u, 256, 4).Tensor("b.weight", 31u, 256, 4).Build().Read();

        Assert.All(file.Tensors, t => Assert.Equal(DataType.Q4_0, t.Type));
        Assert.Contains("2 tensors use the retired interleaved type Q4_0_4_4, counted as Q4_0 blocks (the same bytes).", file.Notes);
    }

    [Fact]
    public void StoredWeights_HoldEveryTensorInFileOrder_WithTheirExactBytes()
    {
        var weights = Tiny.ToStoredWeights();

        Assert.Equal("gguf", weights.Format);
        Assert.Equal(["test.gguf"], weights.Files.ToArray());
        Assert.Equal(Tiny.Tensors.Select(t => t.Name), weights.Tensors.Select(t => t.Name));
        Assert.Equal(Tiny.Tensors.Sum(t => t.Bytes.Bytes), weights.TensorBytes.Bytes);
        // Q6_K holds the most bytes: attn_v 128 rows + ffn_down 2 × 256 rows + output 32 rows, 210 B per 256-element block each.
        Assert.Equal((DataType.Q6_K, 141_120L), (weights.ByType[0].Type, weights.ByType[0].Bytes.Bytes));
    }

    [Fact]
    public void ReadPath_ReadsAFileOnDisk()
    {
        var path = Path.Combine(Path.GetTempPath(), $"llmem-{Guid.NewGuid():N}.gguf");
        try
        {
            File.WriteAllBytes(path, GgufModels.Tiny().Build().Bytes());
            var file = GgufReader.ReadPath(path);

            Assert.Equal(path, file.File);
            Assert.Equal([path], file.Files.ToArray());
            Assert.Equal(12, file.Tensors.Length);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void ReadPath_MissingFile_IsAFormatErrorNamingIt()
    {
        var error = Assert.Throws<ModelFormatException>(() => GgufReader.ReadPath("/nonexistent/model.gguf"));

        Assert.StartsWith("/nonexistent/model.gguf: cannot be opened", error.Message);
    }

    [Fact]
    public void AFullSizeTokenizer_IsSkippedQuickly()
    {
        // Gemma's 256,000-token vocabulary with token types and merges: ~5 MB of header.
        var built = new GgufBuilder().Str("general.architecture", "gemma").Tokenizer(256_000).Build();
        var watch = System.Diagnostics.Stopwatch.StartNew();
        var file = built.Read();

        Assert.Equal(256_000, file.GetArrayLength("tokenizer.ggml.tokens"));
        Assert.True(watch.ElapsedMilliseconds < 2_000, $"{watch.ElapsedMilliseconds} ms");
    }
}
