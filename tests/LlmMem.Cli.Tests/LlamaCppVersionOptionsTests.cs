using System.Text.Json;

namespace LlmMem.Cli.Tests;

/// <summary>--engine-version for llama.cpp: the build whose allocation rules apply (LlamaCppVersion), shown in the settings.</summary>
public class LlamaCppVersionOptionsTests
{
    private static JsonElement KvTerm(params string[] args)
    {
        var (exit, output, error) = CliRunner.Run([.. args, "--format", "json"]);
        Assert.True(exit == 0, error);
        var json = JsonDocument.Parse(output).RootElement.Clone();
        return json.GetProperty("devices")[0].GetProperty("terms").EnumerateArray().Single(t => t.GetProperty("id").GetString() == "kv_cache");
    }

    [Theory]
    [InlineData("b5622")]
    [InlineData("5622")]
    [InlineData("build 5622")]
    public void EngineVersion_ForLlamaCpp_IsShownInTheSettings(string version)
    {
        var (exit, output, error) = CliRunner.Run("infer", "llama-3.1-8b", "--engine", "llamacpp", "--engine-version", version, "--format", "json");
        Assert.True(exit == 0, error);
        using var json = JsonDocument.Parse(output);
        var workload = json.RootElement.GetProperty("workload");
        Assert.Equal("b5622", workload.GetProperty("settings").GetProperty("engine_version").GetString());
        Assert.DoesNotContain(workload.GetProperty("defaults").EnumerateArray(), d => d.GetString() == "engine_version");
    }

    [Fact]
    public void EngineVersion_ForLlamaCpp_DefaultsToTheNewestModelledBuild()
    {
        var (_, output, _) = CliRunner.Run("infer", "llama-3.1-8b", "--engine", "llamacpp", "--format", "json");
        using var json = JsonDocument.Parse(output);
        var workload = json.RootElement.GetProperty("workload");
        Assert.Equal("b10221", workload.GetProperty("settings").GetProperty("engine_version").GetString());
        Assert.Contains(workload.GetProperty("defaults").EnumerateArray(), d => d.GetString() == "engine_version");
    }

    [Fact]
    public void EngineVersion_BeforeTheSlidingWindowCache_KeepsFullSizeLayers()
    {
        // b5428 predates PR #13194: gpt-oss-20b's 24 layers all keep 131,072 cells, 24 × 131,072 × 8 × 64 × 2 × 2 B = 6,144 MiB,
        // where b10221 keeps 2,304 cells on the sliding layers (3,126 MiB, as gt020's log).
        Assert.Equal(6144L << 20, KvTerm("infer", "gpt-oss-20b", "--engine", "llamacpp", "-c", "131072", "-ub", "2048", "--engine-version", "b5428").GetProperty("bytes").GetInt64());
    }

    [Fact]
    public void EngineVersion_Explain_NamesTheBuildsRule()
    {
        var formula = KvTerm("infer", "gpt-oss-20b", "--engine", "llamacpp", "-c", "4096", "--engine-version", "b5500").GetProperty("formula").GetString();
        Assert.Contains("b5500: cells padded to 256", formula);
        Assert.Contains("sliding-window layers n_swa × n_seq + n_batch (2048, b5429–b5553)", formula);
    }

    [Theory]
    [InlineData("latest")]
    [InlineData("0.10.2")]
    [InlineData("b56x")]
    public void EngineVersion_ForLlamaCpp_BadText_IsAOneLineError(string version)
    {
        var (exit, _, error) = CliRunner.Run("infer", "llama-3.1-8b", "--engine", "llamacpp", "--engine-version", version);
        Assert.Equal(2, exit);
        Assert.Equal($"error: Unknown llama.cpp version '{version}': give its build number as b5622, 5622 or \"build 5622\".", error.Trim());
    }
}
