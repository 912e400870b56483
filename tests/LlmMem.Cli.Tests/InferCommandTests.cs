using System.Text.Json;

namespace LlmMem.Cli.Tests;

public class InferCommandTests
{
    [Fact]
    public void Table_EightBillionInFp32_MatchesSnapshot()
    {
        var (exit, output, error) = CliRunner.Run("infer", "8B", "--dtype", "fp32");

        Assert.Equal(0, exit);
        Assert.Empty(error);
        Assert.Contains("│ gpu0   │ Weights (fp32) │ 32,000,000,000 │ 29.80 GiB │ 32.00 GB │", output);
        Snapshot.Matches("infer-8B-fp32.txt", output);
    }

    [Fact]
    public void Json_FollowsTheContract_WithExactIntegers()
    {
        var (exit, output, _) = CliRunner.Run("infer", "70B", "--dtype", "int4", "--format", "json");

        Assert.Equal(0, exit);
        using var json = JsonDocument.Parse(output);
        var root = json.RootElement;
        Assert.Equal("70B", root.GetProperty("model").GetProperty("name").GetString());
        Assert.Equal(70_000_000_000, root.GetProperty("model").GetProperty("parameters").GetInt64());
        Assert.Equal(35_000_000_000, root.GetProperty("total_bytes").GetInt64()); // int4 = half a byte per parameter
        var device = Assert.Single(root.GetProperty("devices").EnumerateArray());
        Assert.Equal("gpu0", device.GetProperty("name").GetString());
        Assert.Equal(35_000_000_000, device.GetProperty("total_bytes").GetInt64());
        var term = Assert.Single(device.GetProperty("terms").EnumerateArray());
        Assert.Equal("weights", term.GetProperty("id").GetString());
        Assert.Equal(35_000_000_000, term.GetProperty("bytes").GetInt64());
        Assert.Equal("⌈70,000,000,000 params / 2⌉ blocks × 1 B (int4, 4 bits per element)", term.GetProperty("formula").GetString());
        Assert.False(string.IsNullOrEmpty(term.GetProperty("label").GetString()));
        Assert.False(string.IsNullOrEmpty(term.GetProperty("source").GetString()));
        var warning = root.GetProperty("warnings")[0];
        Assert.Equal("needs_architecture", warning.GetProperty("code").GetString());
        Assert.Equal("model", warning.GetProperty("field").GetString());
        Assert.Equal("int4", root.GetProperty("workload").GetProperty("settings").GetProperty("dtype").GetString());
    }

    [Fact]
    public void Explain_PrintsTheFormulaWithNumbersSubstituted()
    {
        var (_, output, _) = CliRunner.Run("infer", "8B", "--dtype", "fp32", "--explain");

        Assert.Contains("weights = 8,000,000,000 params × 4 B (fp32) = 32.00 GB = 29.80 GiB\n", output);
    }

    [Fact]
    public void Markdown_RendersTheSameEstimate()
    {
        var (exit, output, _) = CliRunner.Run("infer", "8B", "--dtype", "fp32", "--format", "markdown");

        Assert.Equal(0, exit);
        Assert.Contains("| gpu0 | Weights (fp32) | 32,000,000,000 | 29.80 GiB | 32.00 GB |", output);
        Assert.Contains("**Total: 32,000,000,000 B = 32.00 GB = 29.80 GiB**", output);
        Assert.Contains("> **Warning** (`needs_architecture`)", output);
    }

    [Theory]
    [InlineData("iec", "29.80 GiB", " GB ")]
    [InlineData("si", "32.00 GB", " GiB ")]
    public void Units_ChoosesTheColumns(string units, string shown, string hidden)
    {
        var (_, output, _) = CliRunner.Run("infer", "8B", "--dtype", "fp32", "--units", units);

        Assert.Contains(shown, output);
        Assert.DoesNotContain(hidden, output.Split("warning")[0]);
    }

    [Fact]
    public void AliasesOfEveryEngine_AreAccepted()
    {
        var (exit, output, error) = CliRunner.Run("infer", "8B", "--max-model-len", "8k", "-tp", "2", "--quantization", "awq", "--engine", "vllm", "--format", "json");

        Assert.True(exit == 0, error);
        using var json = JsonDocument.Parse(output);
        var settings = json.RootElement.GetProperty("workload").GetProperty("settings");
        Assert.Equal("8192", settings.GetProperty("context").GetString());
        Assert.Equal("2", settings.GetProperty("tp").GetString());
        Assert.Equal("awq", settings.GetProperty("quant").GetString());
        Assert.Equal(2, json.RootElement.GetProperty("devices").GetArrayLength());
    }

    [Fact]
    public void Gpu_AddsCapacity_AndAVerdict()
    {
        var (_, output, _) = CliRunner.Run("infer", "70B", "--gpu", "rtx-4090");

        Assert.Contains("Capacity: NVIDIA GeForce RTX 4090", output);
        Assert.Contains("Does not fit, short by", output);
        Assert.Contains("warning (exceeds_capacity)", output);
    }

    [Fact]
    public void GpuMemory_IsTheCapacity()
    {
        var (_, output, _) = CliRunner.Run("infer", "8B", "--quant", "Q4_K_M", "--gpu-memory", "8GiB", "--format", "json");

        using var json = JsonDocument.Parse(output);
        var device = json.RootElement.GetProperty("devices")[0];
        Assert.Equal(8L << 30, device.GetProperty("capacity").GetProperty("bytes").GetInt64());
        Assert.True(device.GetProperty("fits").GetBoolean());
    }
}

/// <summary>Markdown says where the model's files were read, as the table does.</summary>
public class MarkdownOriginTests
{
    [Fact]
    public void LocalConfig_IsNamed_CatalogIsNot()
    {
        var path = Path.Combine(AppContext.BaseDirectory, "hf-configs", "Qwen--Qwen3-8B.json");
        var (exit, output, error) = CliRunner.Run("infer", path, "--format", "markdown");
        Assert.True(exit == 0, error);
        Assert.Contains("From local path (", output);
        Assert.DoesNotContain("From catalog", CliRunner.Run("infer", "qwen3-8b", "--format", "markdown").Out);
    }
}
