using System.Text.Json;

namespace LlmMem.Cli.Tests;

/// <summary><c>llmem plan</c>: several models on a machine's GPUs, each estimated with its own engine.</summary>
public class PlanCommandTests
{
    private static (int Exit, string Out, string Err) Plan(string json, params string[] args)
    {
        var path = Path.Combine(Path.GetTempPath(), $"llmem-plan-{Guid.NewGuid():N}.json");
        File.WriteAllText(path, json);
        try
        {
            return CliRunner.Run(["plan", path, .. args]);
        }
        finally
        {
            File.Delete(path);
        }
    }

    private const string Deployment = """
        {"models": [
          {"name": "chat", "model": "llama-3.1-8b", "engine": "vllm", "context": 32768, "gpu_memory_utilization": 0.6},
          {"name": "embedder", "model": "qwen3-0.6b", "engine": "transformers", "context": 512, "batch": 64},
          {"name": "big", "model": "qwen2.5-72b-instruct", "engine": "vllm", "gpus": 4, "context": 8192}
        ]}
        """;

    [Fact]
    public void SixH100s_HoldEveryModel_NoGpuOverItsCapacity()
    {
        var (exit, output, error) = Plan(Deployment, "--gpu", "h100", "--gpus", "6", "--format", "json");
        Assert.True(exit == 0, error);
        using var json = JsonDocument.Parse(output);
        Assert.True(json.RootElement.GetProperty("all_placed").GetBoolean());
        Assert.All(json.RootElement.GetProperty("gpus").EnumerateArray(), g => Assert.True(g.GetProperty("free_bytes").GetInt64() >= 0));
        var big = json.RootElement.GetProperty("placed").EnumerateArray().Single(p => p.GetProperty("model").GetString() == "big");
        Assert.Equal(4, big.GetProperty("gpus").EnumerateArray().Select(g => g.GetInt32()).Distinct().Count());
    }

    [Fact]
    public void TwoH100s_CannotHoldTheTensorParallelModel_AndSayWhy()
    {
        var (exit, output, _) = Plan(Deployment, "--gpu", "h100", "--gpus", "2", "--format", "json");
        Assert.Equal(3, exit);
        using var json = JsonDocument.Parse(output);
        var big = json.RootElement.GetProperty("unplaced").EnumerateArray().Single();
        Assert.Equal("big", big.GetProperty("model").GetString());
        Assert.Contains("4 GPUs", big.GetProperty("reason").GetString());
    }

    [Fact]
    public void TwoVllmInstances_At0Point6_DoNotShareOneGpu()
    {
        // Each vLLM takes 0.6 × the card for its budget (plus its CUDA context): two cannot share one GPU.
        const string one = """{"model": "llama-3.1-8b", "engine": "vllm", "context": 8192, "gpu_memory_utilization": 0.6}""";
        var (exit, output, _) = Plan($$"""{"models": [{{one}}, {{one}}]}""", "--gpu", "h100", "--format", "json");
        Assert.Equal(3, exit);
        using var json = JsonDocument.Parse(output);
        Assert.Single(json.RootElement.GetProperty("placed").EnumerateArray());
    }

    [Fact]
    public void EngineVersion_AppliesThatVersionsRules()
    {
        // Transformers before 4.45 computes the logits of every prompt position in the prefill, not only the last.
        const string models = """
            {"models": [
              {"name": "old", "model": "qwen3-0.6b", "engine": "transformers", "engine_version": "4.40", "context": 4096, "batch": 8},
              {"name": "new", "model": "qwen3-0.6b", "engine": "transformers", "context": 4096, "batch": 8}
            ]}
            """;
        var (exit, output, error) = Plan(models, "--gpu", "h100", "--gpus", "2", "--format", "json");
        Assert.True(exit == 0, error);
        using var json = JsonDocument.Parse(output);
        long Bytes(string name) => json.RootElement.GetProperty("placed").EnumerateArray().Single(p => p.GetProperty("model").GetString() == name).GetProperty("per_gpu_bytes").GetInt64();
        // 8 × 4,096 positions × 151,936 vocabulary × (2 B bf16 + 4 B fp32 copy) more than the last position's.
        Assert.True(Bytes("old") - Bytes("new") > 8L * 4095 * 151_936 * 4, $"{Bytes("old")} vs {Bytes("new")}");
    }

    [Theory]
    [InlineData("""{"models": [{"model": "llama-3.1-8b", "colour": "red"}]}""", "unknown field")]
    [InlineData("""{"models": [{"engine": "vllm"}]}""", "no \"model\"")]
    [InlineData("""{"models": [""", "not valid JSON")]
    [InlineData("""{"models": [{"model": "llama-3.1-8b", "context": -5}]}""", "whole number")]
    [InlineData("""{"models": [{"model": "llama-3.1-8b", "engine_version": "0.10.2"}]}""", "engine_version needs an \"engine\"")]
    [InlineData("""{"models": [{"model": "llama-3.1-8b", "engine": "vllm", "engine_version": "newest"}]}""", "models[0].engine_version: Unknown vLLM version")]
    public void BadFiles_AreOneLineErrors(string json, string expected)
    {
        var (exit, _, error) = Plan(json, "--gpu", "h100");
        Assert.Equal(1, exit);
        Assert.Contains(expected, error);
        Assert.Single(error.Trim().Split('\n'));
    }
}
