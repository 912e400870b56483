using LlmMem.Text;

namespace LlmMem.Tests.Text;

public class NameSuggestionTests
{
    [Theory]
    [InlineData("bf61", "bf16")]
    [InlineData("fp23", "fp32")]
    [InlineData("adamw8bit", "adamw-8bit")]
    [InlineData("lamacpp", "llamacpp")]
    public void Nearest_SuggestsTheLikelyTypo(string typed, string expected) =>
        Assert.Equal(expected, NameSuggestion.Nearest(typed, ["fp32", "fp16", "bf16", "adamw-8bit", "adamw", "llamacpp", "vllm"]));

    [Fact]
    public void Nearest_ANameWithoutItsPrefix_SuggestsTheShortestNameHoldingIt() =>
        // Six letters off ('apple-' missing) is past the typo bound, but the name is all there.
        Assert.Equal("apple-m2-ultra-192gb", NameSuggestion.Nearest("m2-ultra-192gb", ["apple-m3-max-128gb", "apple-m2-ultra-192gb", "rtx-4090"]));

    [Fact]
    public void Nearest_FarFromEverything_SuggestsNothing() =>
        Assert.Null(NameSuggestion.Nearest("quantum", ["fp32", "fp16", "bf16"]));

    [Fact]
    public void UnknownMessage_ListsValidNames_AndTheNearest() =>
        Assert.Equal(
            "Unknown dtype 'bf61'. Valid: fp32, fp16, bf16. Did you mean 'bf16'?",
            NameSuggestion.UnknownMessage("dtype", "bf61", ["fp32", "fp16", "bf16"]));

    [Theory]
    [InlineData("kitten", "sitting", 3)]
    [InlineData("ab", "ba", 1)]
    [InlineData("", "abc", 3)]
    public void Distance_IsOptimalStringAlignment(string a, string b, int expected) =>
        Assert.Equal(expected, NameSuggestion.Distance(a, b));
}
