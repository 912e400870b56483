using System.Text.Json;

namespace LlmMem.Cli.Tests;

public class QuantsCommandTests
{
    [Fact]
    public void Quants_ListsEveryFileType_WithLlamaCppsSizes()
    {
        var (exit, output, error) = CliRunner.Run("quants", "meta-llama/Llama-3.1-8B", "--format", "json");

        Assert.True(exit == 0, error);
        using var json = JsonDocument.Parse(output);
        var types = json.RootElement.GetProperty("file_types").EnumerateArray().ToDictionary(e => e.GetProperty("file_type").GetString()!);
        // llama.cpp printed 6.14 GiB for Llama-3.1-8B Q6_K and 4.02 GiB for Q3_K_L (ground truth gt023, gt025).
        Assert.Equal(6.14, Math.Round(types["Q6_K"].GetProperty("bytes").GetInt64() / (double)(1L << 30), 2));
        Assert.Equal(4.02, Math.Round(types["Q3_K_L"].GetProperty("bytes").GetInt64() / (double)(1L << 30), 2));
        Assert.Equal(33, types["Q4_K_M"].GetProperty("tensor_types").GetProperty("Q6_K").GetInt32());
        Assert.False(types.ContainsKey("MXFP4_MOE")); // only for mixture-of-experts models
        Assert.True(types["IQ2_XXS"].GetProperty("imatrix").GetBoolean());
    }

    [Fact]
    public void InferWithAFileType_UsesThePredictedFile()
    {
        var (_, output, _) = CliRunner.Run("infer", "qwen3-30b-a3b", "--engine", "llamacpp", "--quant", "Q4_K_M", "--format", "json");

        using var json = JsonDocument.Parse(output);
        var weights = json.RootElement.GetProperty("devices").EnumerateArray().SelectMany(d => d.GetProperty("terms").EnumerateArray())
            .Where(t => t.GetProperty("id").GetString() == "weights").Sum(t => t.GetProperty("bytes").GetInt64());
        // llama.cpp: "file size = 17.28 GiB" for unsloth's Qwen3-30B-A3B-Q4_K_M.gguf (ground truth gt008).
        Assert.Equal(17.28, Math.Round(weights / (double)(1L << 30), 2));
    }

    [Fact]
    public void Quants_OnABareCount_IsRefused()
    {
        var (exit, _, error) = CliRunner.Run("quants", "8B");

        Assert.Equal(2, exit);
        Assert.Contains("predicting GGUF sizes needs an architecture", error);
    }
}
