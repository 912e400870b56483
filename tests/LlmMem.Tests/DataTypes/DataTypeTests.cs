using LlmMem.DataTypes;

namespace LlmMem.Tests.DataTypes;

public class DataTypeTests
{
    /// <summary>
    /// ggml's (ggml_type id, block size, type size) for every type, transcribed from llama.cpp
    /// gguf-py/gguf/constants.py GGML_QUANT_SIZES and the GGMLQuantizationType enum.
    /// </summary>
    [Theory]
    [InlineData(0, "fp32", 1, 4)]
    [InlineData(1, "fp16", 1, 2)]
    [InlineData(2, "Q4_0", 32, 18)]
    [InlineData(3, "Q4_1", 32, 20)]
    [InlineData(6, "Q5_0", 32, 22)]
    [InlineData(7, "Q5_1", 32, 24)]
    [InlineData(8, "Q8_0", 32, 34)]
    [InlineData(9, "Q8_1", 32, 36)]
    [InlineData(10, "Q2_K", 256, 84)]
    [InlineData(11, "Q3_K", 256, 110)]
    [InlineData(12, "Q4_K", 256, 144)]
    [InlineData(13, "Q5_K", 256, 176)]
    [InlineData(14, "Q6_K", 256, 210)]
    [InlineData(15, "Q8_K", 256, 292)]
    [InlineData(16, "IQ2_XXS", 256, 66)]
    [InlineData(17, "IQ2_XS", 256, 74)]
    [InlineData(18, "IQ3_XXS", 256, 98)]
    [InlineData(19, "IQ1_S", 256, 50)]
    [InlineData(20, "IQ4_NL", 32, 18)]
    [InlineData(21, "IQ3_S", 256, 110)]
    [InlineData(22, "IQ2_S", 256, 82)]
    [InlineData(23, "IQ4_XS", 256, 136)]
    [InlineData(24, "int8", 1, 1)]
    [InlineData(25, "int16", 1, 2)]
    [InlineData(26, "int32", 1, 4)]
    [InlineData(27, "int64", 1, 8)]
    [InlineData(28, "fp64", 1, 8)]
    [InlineData(29, "IQ1_M", 256, 56)]
    [InlineData(30, "bf16", 1, 2)]
    [InlineData(34, "TQ1_0", 256, 54)]
    [InlineData(35, "TQ2_0", 256, 66)]
    [InlineData(39, "MXFP4", 32, 17)]
    [InlineData(40, "NVFP4", 64, 36)]
    [InlineData(41, "Q1_0", 128, 18)]
    public void GgmlTypes_HaveGgmlsBlockSizes(int ggmlId, string name, int elements, int bytes)
    {
        var type = DataType.FromGgmlId(ggmlId);

        Assert.NotNull(type);
        Assert.Equal(name, type.Name);
        Assert.Equal(elements, type.ElementsPerBlock);
        Assert.Equal(bytes, type.BytesPerBlock);
    }

    [Theory]
    [InlineData("Q4_K", 4.5)] // the and llama.cpp's README figure
    [InlineData("Q6_K", 6.5625)]
    [InlineData("IQ2_S", 2.5625)]
    [InlineData("Q8_0", 8.5)]
    [InlineData("Q4_0", 4.5)]
    [InlineData("Q2_K", 2.625)]
    [InlineData("Q3_K", 3.4375)]
    [InlineData("Q5_K", 5.5)]
    [InlineData("IQ4_XS", 4.25)]
    [InlineData("IQ2_XXS", 2.0625)]
    [InlineData("IQ1_S", 1.5625)]
    [InlineData("TQ1_0", 1.6875)]
    [InlineData("MXFP4", 4.25)] // OCP Microscaling spec: 32 × 4-bit + one 8-bit scale
    public void BitsPerElement_IsDerivedFromTheBlock(string name, double bits)
    {
        Assert.True(DataType.TryParse(name, out var type, out var error), error);
        Assert.Equal(bits, type.BitsPerElement);
    }

    [Fact]
    public void Nf4WithDoubleQuantisation_CostsQLoRAs0Point127BitsOfConstants()
    {
        // QLoRA (Dettmers et al. 2023, pp. 5-6): double quantisation brings constants from 0.5 to 0.127 bits per parameter.
        Assert.Equal(4.127, Math.Round(DataType.Nf4DoubleQuant.BitsPerElement, 3));
        Assert.Equal(4.5, DataType.Nf4.BitsPerElement); // 32-bit absmax per 64: 32 / 64 = 0.5 bits
    }

    [Fact]
    public void GgmlIds_AreUnique() =>
        Assert.Equal(
            DataType.All.Count(t => t.GgmlId is not null),
            DataType.All.Where(t => t.GgmlId is not null).Select(t => t.GgmlId).Distinct().Count());

    [Fact]
    public void SizeOf_PartialBlock_CostsAWholeBlock()
    {
        Assert.Equal(144, DataType.Q4_K.SizeOf(256).Bytes);
        Assert.Equal(288, DataType.Q4_K.SizeOf(257).Bytes);
        Assert.Equal(0, DataType.Q4_K.SizeOf(0).Bytes);
    }

    [Fact]
    public void SizeOf_PlainTypes_ReproduceTheArticle()
    {
        // "8B in fp32 = 32 GB"; fp16 halves it, int8 quarters it, int4 is an eighth.
        Assert.Equal(32_000_000_000, DataType.Fp32.SizeOf(8_000_000_000).Bytes);
        Assert.Equal(16_000_000_000, DataType.Fp16.SizeOf(8_000_000_000).Bytes);
        Assert.Equal(8_000_000_000, DataType.Int8.SizeOf(8_000_000_000).Bytes);
        Assert.Equal(4_000_000_000, DataType.Int4.SizeOf(8_000_000_000).Bytes);
    }

    [Theory]
    [InlineData("float32", "fp32")]
    [InlineData("FLOAT32", "fp32")]
    [InlineData("half", "fp16")]
    [InlineData("bfloat16", "bf16")]
    [InlineData("torch.bfloat16", "bf16")]
    [InlineData("e4m3", "fp8")]
    [InlineData("q4_k", "Q4_K")]
    [InlineData("fp4", "MXFP4")]
    public void TryParse_AcceptsCommonAliases_IgnoringCase(string text, string expected)
    {
        Assert.True(DataType.TryParse(text, out var type, out var error), error);
        Assert.Equal(expected, type.Name);
    }

    [Fact]
    public void TryParse_Unknown_ListsValidNames_AndSuggestsTheNearest()
    {
        Assert.False(DataType.TryParse("bf61", out _, out var error, DataType.Plain));
        Assert.Equal("Unknown dtype 'bf61'. Valid: fp32, fp16, bf16, fp8, fp8_e5m2, int8, int4. Did you mean 'bf16'?", error);
    }
}
