using System.Text.Json;

namespace LlmMem.Cli.Tests;

/// <summary>vLLM's own flag names shape the budget and the KV pool.</summary>
public class VllmOptionsTests
{
    private static JsonElement Json(params string[] args)
    {
        var (exit, output, error) = CliRunner.Run([.. args, "--format", "json"]);
        Assert.True(exit == 0, error);
        return JsonDocument.Parse(output).RootElement.Clone();
    }

    private static long Term(JsonElement json, string id) =>
        json.GetProperty("devices")[0].GetProperty("terms").EnumerateArray().Single(t => t.GetProperty("id").GetString() == id).GetProperty("bytes").GetInt64();

    [Fact]
    public void Llama31_8B_OnH100_ReportsPoolTokensAndConcurrency()
    {
        var json = Json("infer", "llama-3.1-8b", "--engine", "vllm", "--gpu", "h100-80gb", "--max-model-len", "32768");
        var engine = json.GetProperty("engine");
        var tokens = engine.GetProperty("kv_cache_tokens").GetInt64();

        // 128 KiB per token (2 × 32 layers × 8 KV heads × 128 × 2 B): the pool term is exactly its tokens.
        Assert.Equal(tokens * 131_072, Term(json, "kv_cache"));
        Assert.Equal(32_768, engine.GetProperty("max_model_len").GetInt64());
        Assert.Equal(32_768L * 131_072, engine.GetProperty("kv_bytes_per_sequence").GetInt64());
        Assert.Equal(Math.Round(tokens / 32_768.0, 2), engine.GetProperty("max_concurrency").GetDouble());
        foreach (var id in new[] { "weights", "rotary_cache", "non_torch", "activations", "cuda_graphs", "cuda_context" })
        {
            Assert.True(Term(json, id) > 0, id);
        }
    }

    [Fact]
    public void Rtx3090_BudgetsFromTheTotalVllmLogged_NotNvidiaSmis()
    {
        // vLLM logged a 23.58 GiB total on an RTX 3090 (nvidia-smi: 24,576 MiB): the budget is 0.9 of that.
        var json = Json("infer", "llama-3.1-8b", "--engine", "vllm", "--gpu", "rtx-3090", "--context", "8192");
        var terms = json.GetProperty("devices")[0].GetProperty("terms").EnumerateArray().ToList();
        var inBudget = terms.Where(t => t.GetProperty("id").GetString() != "cuda_context").Sum(t => t.GetProperty("bytes").GetInt64());
        var budget = (long)Math.Floor(Math.Round(23.58 * (1L << 30)) * 0.9);
        Assert.InRange(inBudget, budget - 32L * 65_536, budget);
        Assert.DoesNotContain(json.GetProperty("warnings").EnumerateArray(), w => w.GetProperty("code").GetString() == "runtime_total");
        var rtx4090 = Json("infer", "llama-3.1-8b", "--engine", "vllm", "--gpu", "rtx-4090", "--context", "8192");
        Assert.Contains(rtx4090.GetProperty("warnings").EnumerateArray(), w => w.GetProperty("code").GetString() == "runtime_total");
    }

    [Fact]
    public void Fp8KvCache_DoublesTheTokens()
    {
        long Tokens(params string[] extra) =>
            Json(["infer", "qwen3-32b", "--engine", "vllm", "--gpu", "a100-80gb", "--max-model-len", "8192", .. extra]).GetProperty("engine").GetProperty("kv_cache_tokens").GetInt64();

        var auto = Tokens();
        var fp8 = Tokens("--kv-cache-dtype", "fp8");
        Assert.InRange(fp8, 2 * auto - 16, 2 * auto + 16);
    }

    [Fact]
    public void HigherUtilization_GivesAMorePool()
    {
        long Pool(string gmu) => Term(Json("infer", "llama-3.1-8b", "--engine", "vllm", "--gpu", "h100", "--max-model-len", "8192", "--gpu-memory-utilization", gmu), "kv_cache");
        Assert.True(Pool("0.95") > Pool("0.9"));
    }

    [Fact]
    public void WithoutAGpu_ShowsWhatOneRequestNeeds()
    {
        var json = Json("infer", "llama-3.1-8b", "--engine", "vllm", "--max-model-len", "8192");
        Assert.Equal(8_192L * 131_072, Term(json, "kv_cache"));
        Assert.Contains(json.GetProperty("warnings").EnumerateArray(), w => w.GetProperty("code").GetString() == "needs_gpu");
    }

    [Theory]
    [InlineData("--gpu-memory-utilization", "1.5")]
    [InlineData("--gpu-memory-utilization", "abc")]
    [InlineData("--engine-version", "latest")]
    [InlineData("--kv-cache-dtype", "q4_0")]
    public void BadValues_AreOneLineUsageErrors(string option, string value)
    {
        var (exit, _, error) = CliRunner.Run("infer", "llama-3.1-8b", "--engine", "vllm", "--gpu", "h100", option, value);
        Assert.Equal(2, exit);
        Assert.Single(error.Trim().Split('\n'));
    }

    [Fact]
    public void MaxModelLen_AboveTheModels_IsFlagged()
    {
        // Qwen3-32B's config.json: max_position_embeddings 40,960.
        var json = Json("infer", "qwen3-32b", "--engine", "vllm", "--gpu", "a100-80gb", "--max-model-len", "131072");
        Assert.Contains(json.GetProperty("warnings").EnumerateArray(), w => w.GetProperty("code").GetString() == "max_model_len_above_model");
        var within = Json("infer", "qwen3-32b", "--engine", "vllm", "--gpu", "a100-80gb", "--max-model-len", "40960");
        Assert.DoesNotContain(within.GetProperty("warnings").EnumerateArray(), w => w.GetProperty("code").GetString() == "max_model_len_above_model");
    }

    [Fact]
    public void Table_SaysTheTokensAndConcurrency()
    {
        var (exit, output, _) = CliRunner.Run("infer", "llama-3.1-8b", "--engine", "vllm", "--gpu", "h100", "--max-model-len", "32768");
        Assert.Equal(0, exit);
        Assert.Contains("maximum concurrency for 32,768", output);
    }

    [Fact]
    public void Validate_Vllm_ReportsItsCases()
    {
        var json = Json("validate", "--engine", "vllm");
        var cases = json.GetProperty("cases").EnumerateArray().ToList();
        Assert.All(cases, c => Assert.Equal("vllm", c.GetProperty("engine").GetString()));
        Assert.Contains(cases, c => c.GetProperty("status").GetString() == "estimated");
    }
}
