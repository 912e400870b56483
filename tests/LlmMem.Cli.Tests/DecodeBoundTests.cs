using System.Text.Json;

namespace LlmMem.Cli.Tests;

/// <summary>The decode-speed bound: bandwidth over the bytes a generated token reads.</summary>
public class DecodeBoundTests
{
    private static JsonElement Decode(params string[] args)
    {
        var (exit, output, error) = CliRunner.Run([.. args, "--format", "json"]);
        Assert.True(exit == 0, error);
        return JsonDocument.Parse(output).RootElement.GetProperty("decode").Clone();
    }

    [Fact]
    public void Llama8B_Bf16_OnAnRtx4090_IsAbout61TokensPerSecond()
    {
        // 1,008 GB/s (NVIDIA's RTX 4090 spec) / (16,060,522,496 B weights + 4,096 tokens × 128 KiB KV) ≈ 60.7 tokens/s.
        var decode = Decode("infer", "llama-3.1-8b", "--engine", "transformers", "--gpu", "rtx-4090");
        Assert.Equal(16_060_522_496L + 4096L * 131_072, decode.GetProperty("bytes_per_step").GetInt64());
        Assert.Equal(Math.Round(1008e9 / (16_060_522_496.0 + 4096.0 * 131_072), 1), decode.GetProperty("tokens_per_second_bound").GetDouble());
    }

    [Fact]
    public void MixtureOfExperts_ReadsOnlyItsActiveShare()
    {
        var moe = Decode("infer", "qwen3-30b-a3b", "--engine", "llamacpp", "--quant", "Q4_K_M", "--gpu", "rtx-4090");
        var dense = Decode("infer", "qwen3-32b", "--engine", "llamacpp", "--quant", "Q4_K_M", "--gpu", "rtx-4090");
        Assert.True(moe.GetProperty("tokens_per_second_bound").GetDouble() > 5 * dense.GetProperty("tokens_per_second_bound").GetDouble());
    }

    [Fact]
    public void PartialOffload_HasNoGpuBound()
    {
        var (_, output, _) = CliRunner.Run("infer", "llama-3.1-8b", "--engine", "llamacpp", "--quant", "Q4_K_M", "-ngl", "10", "--gpu", "rtx-4090", "--format", "json");
        using var json = JsonDocument.Parse(output);
        Assert.False(json.RootElement.TryGetProperty("decode", out _));
    }
}
