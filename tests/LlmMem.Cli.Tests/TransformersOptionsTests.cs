using System.Text.Json;

namespace LlmMem.Cli.Tests;

/// <summary>Transformers' generate(): KV cache, its growth, the prefill peak and the logits by version.</summary>
public class TransformersOptionsTests
{
    private static JsonElement Json(params string[] args)
    {
        var (exit, output, error) = CliRunner.Run([.. args, "--format", "json"]);
        Assert.True(exit == 0, error);
        return JsonDocument.Parse(output).RootElement.Clone();
    }

    private static JsonElement? Term(JsonElement json, string id) =>
        json.GetProperty("devices")[0].GetProperty("terms").EnumerateArray().Where(t => t.GetProperty("id").GetString() == id).Cast<JsonElement?>().FirstOrDefault();

    private static long Bytes(JsonElement json, string id) => Term(json, id)!.Value.GetProperty("bytes").GetInt64();

    [Fact]
    public void KvCache_Llama31_8B_Is128KiBPerToken()
    {
        // groundtruth/README.md: Llama-3-8B keeps 128 KiB per token (2 × 32 layers × 8 KV heads × 128 × 2 B).
        var json = Json("infer", "llama-3.1-8b", "--engine", "transformers", "--context", "8192", "--batch", "2");
        Assert.Equal(2L * 8192 * 131_072, Bytes(json, "kv_cache"));
        // DynamicCache's torch.cat copy: one layer's K for both sequences, 2 × 8,192 × 1,024 values × 2 B.
        Assert.Equal(2L * 8192 * 1024 * 2, Bytes(json, "kv_cache_growth"));
    }

    [Fact]
    public void StaticCache_HasNoGrowthCopy()
    {
        var json = Json("infer", "llama-3.1-8b", "--engine", "transformers", "--cache", "static");
        Assert.Null(Term(json, "kv_cache_growth"));
    }

    [Fact]
    public void EagerAttention_AtLongContext_MaterialisesScores_SdpaDoesNot()
    {
        var eager = Json("infer", "llama-3.1-8b", "--engine", "transformers", "--context", "16384", "--attention", "eager");
        var sdpa = Json("infer", "llama-3.1-8b", "--engine", "transformers", "--context", "16384", "--attention", "sdpa");
        // 32 heads × 16,384² scores × (2 + 4 + 2) B = 64 GiB for one layer, against the MLP's 16,384 × 55,296 × 2 B.
        Assert.True(Bytes(eager, "activations") > 64L << 30);
        Assert.Equal(16_384L * 55_296 * 2, Bytes(sdpa, "activations"));
    }

    [Fact]
    public void Before4_45_TheLogitsOfEveryPromptPosition_CanBeThePeak()
    {
        // 8,192 positions × 128,256 vocab × (2 + 4) B = 5.87 GiB, above the MLP's 0.84 GiB.
        var old = Json("infer", "llama-3.1-8b", "--engine", "transformers", "--context", "8192", "--engine-version", "4.44");
        Assert.Equal(8_192L * 128_256 * 6, Bytes(old, "logits"));
        var current = Json("infer", "llama-3.1-8b", "--engine", "transformers", "--context", "8192");
        Assert.Null(Term(current, "logits"));
    }

    [Fact]
    public void NoEngine_IsTheWeightsAlone_AndSaysHowToGetMore()
    {
        var json = Json("infer", "llama-3.1-8b");
        Assert.Single(json.GetProperty("devices")[0].GetProperty("terms").EnumerateArray());
        Assert.Contains(json.GetProperty("warnings").EnumerateArray(), w => w.GetProperty("code").GetString() == "weights_only");
    }

    [Theory]
    [InlineData("--attention", "paged")]
    [InlineData("--cache", "offloaded")]
    [InlineData("--engine-version", "four")]
    public void BadValues_AreOneLineUsageErrors(string option, string value)
    {
        var (exit, _, error) = CliRunner.Run("infer", "llama-3.1-8b", "--engine", "transformers", option, value);
        Assert.Equal(2, exit);
        Assert.Single(error.Trim().Split('\n'));
    }
}
