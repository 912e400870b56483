using LlmMem.DataTypes;

namespace LlmMem.Tests.DataTypes;

public class LlamaFileTypeTests
{
    /// <summary>llama.h enum llama_ftype ids and llama-quant.cpp default types.</summary>
    [Theory]
    [InlineData("q4_k_m", 15, "Q4_K")]
    [InlineData("Q4_K_S", 14, "Q4_K")]
    [InlineData("Q3_K_L", 13, "Q3_K")]
    [InlineData("Q5_K_M", 17, "Q5_K")]
    [InlineData("Q6_K", 18, "Q6_K")]
    [InlineData("Q8_0", 7, "Q8_0")]
    [InlineData("IQ3_XS", 22, "IQ3_S")]
    [InlineData("IQ2_S", 28, "IQ2_XS")]
    [InlineData("IQ2_M", 29, "IQ2_S")]
    [InlineData("MXFP4_MOE", 38, "MXFP4")]
    [InlineData("bf16", 32, "bf16")]
    public void Find_FileType_HasLlamaCppsIdAndDefaultType(string name, int id, string defaultType)
    {
        var fileType = LlamaFileType.Find(name);

        Assert.NotNull(fileType);
        Assert.Equal(id, fileType.Id);
        Assert.Equal(defaultType, fileType.DefaultType.Name);
    }

    [Fact]
    public void TryParse_Unknown_SuggestsTheNearest()
    {
        Assert.False(LlamaFileType.TryParse("Q4_K_X", out _, out var error));
        Assert.StartsWith("Unknown llama.cpp file type 'Q4_K_X'. Valid: F32, F16, Q4_0", error);
        Assert.EndsWith("Did you mean 'Q4_K_S'?", error);
    }
}
