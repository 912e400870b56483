using LlmMem.DataTypes;

namespace LlmMem.Tests.DataTypes;

public class WeightQuantizationTests
{
    [Theory]
    [InlineData("gptq", "int4_g128", true)]
    [InlineData("AWQ", "int4_g128", true)]
    [InlineData("bnb-nf4", "nf4", true)]
    [InlineData("qlora", "nf4_dq", true)]
    [InlineData("bnb-int8", "int8", true)]
    [InlineData("fp8", "fp8", true)]
    [InlineData("mxfp4", "MXFP4", true)]
    [InlineData("Q4_K_M", "Q4_K", false)]
    [InlineData("Q6_K", "Q6_K", false)]
    [InlineData("IQ4_XS", "IQ4_XS", false)]
    public void TryParse_ResolvesSchemesFileTypesAndTypes(string text, string weightType, bool linearOnly)
    {
        Assert.True(WeightQuantization.TryParse(text, out var q, out var error), error);
        Assert.Equal(weightType, q.WeightType.Name);
        Assert.Equal(linearOnly, q.QuantisesOnlyLinearLayers);
    }

    [Fact]
    public void Gptq_CostsFourBitsPlusAnFp16ScaleAndFourBitZeroPerGroupOf128() =>
        // 4 + (16 + 4) / 128 = 4.15625 bits (AutoGPTQ packing: qweight, scales, qzeros per group).
        Assert.Equal(4.15625, WeightQuantization.Schemes.Single(s => s.Name == "gptq").WeightType.BitsPerElement);

    [Fact]
    public void TryParse_Unknown_SaysWhatIsValid()
    {
        Assert.False(WeightQuantization.TryParse("gptqq", out _, out var error));
        Assert.Contains("Unknown quantisation 'gptqq'. Valid: gptq, awq,", error);
        Assert.EndsWith("Did you mean 'gptq'?", error);
    }
}
