namespace LlmMem.Cli.Tests;

/// <summary><c>llmem plot</c> writes real images: a PNG with its signature, an SVG document.</summary>
public class PlotCommandTests
{
    [Fact]
    public void Context_Png_IsAPngFile()
    {
        var path = Path.Combine(Path.GetTempPath(), $"llmem-{Guid.NewGuid():N}.png");
        try
        {
            var (exit, output, error) = CliRunner.Run("plot", "llama-3.1-8b", "--engine", "llamacpp", "--quant", "Q4_K_M", "--gpu", "rtx-4090", "--points", "9", "-o", path);
            Assert.True(exit == 0, error);
            Assert.Contains("9 points", output);
            var bytes = File.ReadAllBytes(path);
            Assert.Equal(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G' }, bytes[..4]);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Gpus_Svg_IsAnSvgDocument_WithTheCapacityInTheLegend()
    {
        var path = Path.Combine(Path.GetTempPath(), $"llmem-{Guid.NewGuid():N}.svg");
        try
        {
            var (exit, _, error) = CliRunner.Run("plot", "llama-3.1-70b", "--engine", "vllm", "--gpu", "h100", "--x", "gpus", "--to", "8", "-o", path);
            Assert.True(exit == 0, error);
            var svg = File.ReadAllText(path);
            Assert.Contains("<svg", svg);
            Assert.Contains("NVIDIA H100", svg);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Theory]
    [InlineData("-o", "plot.jpg")]
    [InlineData("--x", "speed")]
    public void BadArguments_AreOneLineUsageErrors(string option, string value)
    {
        var (exit, _, error) = CliRunner.Run("plot", "llama-3.1-8b", "--gpu", "h100", "-o", "x.png", option, value);
        Assert.Equal(2, exit);
        Assert.Single(error.Trim().Split('\n'));
    }
}
