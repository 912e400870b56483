using LlmMem.Units;

namespace LlmMem.Tests.Units;

public class ParameterCountTests
{
    [Theory]
    [InlineData("8B", 8_000_000_000L)]
    [InlineData("70b", 70_000_000_000L)]
    [InlineData("1.5B", 1_500_000_000L)]
    [InlineData("135M", 135_000_000L)]
    [InlineData("7e9", 7_000_000_000L)]
    [InlineData("405000000000", 405_000_000_000L)]
    [InlineData("2851M", 2_851_000_000L)] // DeepSpeed's estimator example model
    [InlineData(" 1.1T ", 1_100_000_000_000L)]
    [InlineData("340k", 340_000L)]
    [InlineData("7_000_000", 7_000_000L)]
    public void TryParse_SizesAsModelCardsWriteThem(string text, long expected)
    {
        Assert.True(ParameterCount.TryParse(text, out var count, out var error), error);
        Assert.Equal(expected, count.Value);
    }

    [Theory]
    [InlineData("0", "at least one parameter")]
    [InlineData("-7B", "at least one parameter")]
    [InlineData("llama", "Cannot read parameter count 'llama'")]
    [InlineData("1e30", "absurd")]
    [InlineData("200T", "absurd")]
    [InlineData("0.5", "not a whole number")]
    [InlineData("", "Cannot read parameter count")]
    public void TryParse_BadCount_SaysWhy(string text, string message)
    {
        Assert.False(ParameterCount.TryParse(text, out _, out var error));
        Assert.Contains(message, error);
    }

    [Theory]
    [InlineData(8_030_261_248L, "8.03B")] // Llama-3.1-8B's official count
    [InlineData(135_000_000L, "135M")]
    [InlineData(405_000_000_000L, "405B")]
    [InlineData(999L, "999")]
    public void FormatShort_NamesSizesLikeModelCards(long value, string expected) =>
        Assert.Equal(expected, ParameterCount.Of(value).FormatShort());
}
