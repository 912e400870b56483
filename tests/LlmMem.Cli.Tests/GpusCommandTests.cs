using System.Text.Json;

namespace LlmMem.Cli.Tests;

public class GpusCommandTests
{
    [Fact]
    public void Gpus_ListsTheCatalog_WithSources()
    {
        var (exit, output, error) = CliRunner.Run("gpus", "--format", "json");

        Assert.True(exit == 0, error);
        using var json = JsonDocument.Parse(output);
        var gpus = json.RootElement.EnumerateArray().ToList();
        Assert.True(gpus.Count >= 30);
        var h100 = gpus.Single(g => g.GetProperty("slug").GetString() == "h100-sxm-80gb");
        Assert.Equal(81_559L << 20, h100.GetProperty("visible_bytes").GetInt64()); // nvidia-smi
        Assert.Equal(80L << 30, h100.GetProperty("memory_bytes").GetInt64());
        Assert.All(gpus, g => Assert.False(string.IsNullOrEmpty(g.GetProperty("source").GetString())));
    }

    [Fact]
    public void Gpus_Search_AndATypoSuggestion()
    {
        Assert.Contains("| NVIDIA GeForce RTX 4090 | rtx-4090-24gb |", CliRunner.Run("gpus", "--search", "4090", "--format", "markdown").Out);
        var (exit, _, error) = CliRunner.Run("infer", "8B", "--gpu", "rtx-4900");
        Assert.Equal(2, exit);
        Assert.Contains("Did you mean 'rtx-4090'?", error);
    }
}
