using System.Text.Json;

namespace LlmMem.Cli.Tests;

public class HelpAndDtypesTests
{
    [Fact]
    public void InferHelp_DocumentsTheSharedVocabulary()
    {
        var (exit, output, _) = CliRunner.Run("infer", "--help");

        Assert.Equal(0, exit);
        foreach (var alias in new[] { "--context", "--ctx", "-c", "--ctx-size", "--max-model-len", "--seq", "--batch", "--engine", "--dtype",
                     "--quant", "--quantization", "--gpu", "--gpu-memory", "--gpus", "--tp", "-tp", "--tensor-parallel-size", "--pp",
                     "--pipeline-parallel-size", "--nodes", "--format", "--explain", "--units" })
        {
            Assert.Contains(alias, output);
        }
    }

    [Fact]
    public void Dtypes_ListsGgmlBlockLayouts()
    {
        var (exit, output, _) = CliRunner.Run("dtypes", "--format", "json");

        Assert.Equal(0, exit);
        using var json = JsonDocument.Parse(output);
        var q4k = json.RootElement.EnumerateArray().Single(t => t.GetProperty("name").GetString() == "Q4_K");
        Assert.Equal(12, q4k.GetProperty("ggml_id").GetInt32());
        Assert.Equal(256, q4k.GetProperty("elements_per_block").GetInt32());
        Assert.Equal(144, q4k.GetProperty("bytes_per_block").GetInt32());
        Assert.Equal(4.5, q4k.GetProperty("bits_per_element").GetDouble());
    }

    [Fact]
    public void Dtypes_Table_ShowsBitsPerElement()
    {
        var (exit, output, _) = CliRunner.Run("dtypes");

        Assert.Equal(0, exit);
        Assert.Contains("IQ2_S", output);
        Assert.Contains("2.5625", output);
    }
}
