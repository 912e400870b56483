using System.Text.Json;

namespace LlmMem.Cli.Tests;

/// <summary>
/// <c>llmem fit</c> answers with the estimator itself: the answer fits (per <c>llmem infer</c>) and the next step does not.
/// </summary>
public class FitCommandTests
{
    private static JsonElement Json(params string[] args)
    {
        var (exit, output, error) = CliRunner.Run([.. args, "--format", "json"]);
        Assert.True(exit is 0 or 3, error);
        return JsonDocument.Parse(output).RootElement.Clone();
    }

    private static bool InferFits(params string[] args)
    {
        var json = Json(["infer", .. args]);
        return json.GetProperty("devices").EnumerateArray().All(d => !d.TryGetProperty("fits", out var f) || f.GetBoolean())
            && !json.GetProperty("warnings").EnumerateArray().Any(w => w.GetProperty("code").GetString() is "kv_below_one_request" or "no_kv_memory");
    }

    [Fact]
    public void MaxContext_Fits_AndOneTokenMoreDoesNot()
    {
        var fit = Json("fit", "llama-3.1-70b", "--engine", "llamacpp", "--quant", "IQ2_XXS", "--gpu", "rtx-4090", "--max", "context");
        Assert.True(fit.GetProperty("fits").GetBoolean());
        var context = fit.GetProperty("answer").GetProperty("context").GetInt64();
        Assert.InRange(context, 1, 131_071);
        Assert.True(InferFits("llama-3.1-70b", "--engine", "llamacpp", "--quant", "IQ2_XXS", "--gpu", "rtx-4090", "-c", $"{context}"));
        Assert.False(InferFits("llama-3.1-70b", "--engine", "llamacpp", "--quant", "IQ2_XXS", "--gpu", "rtx-4090", "-c", $"{context + 1}"));
        Assert.Equal("kv_cache", fit.GetProperty("limiting").GetProperty("term").GetString());
    }

    [Fact]
    public void MaxBatch_Transformers_Fits_AndOneMoreDoesNot()
    {
        var fit = Json("fit", "llama-3.1-8b", "--engine", "transformers", "--gpu", "rtx-4090", "--context", "8192", "--max", "batch");
        var batch = fit.GetProperty("answer").GetProperty("batch").GetInt64();
        Assert.True(InferFits("llama-3.1-8b", "--engine", "transformers", "--gpu", "rtx-4090", "--context", "8192", "--batch", $"{batch}"));
        Assert.False(InferFits("llama-3.1-8b", "--engine", "transformers", "--gpu", "rtx-4090", "--context", "8192", "--batch", $"{batch + 1}"));
    }

    [Fact]
    public void MinGpus_Vllm_IsTheFewestPowerOfTwoThatFits()
    {
        var fit = Json("fit", "qwen3-32b", "--engine", "vllm", "--gpu", "a100-80gb", "--context", "40960", "--min", "gpus");
        var gpus = fit.GetProperty("answer").GetProperty("gpus").GetInt32();
        Assert.True(InferFits("qwen3-32b", "--engine", "vllm", "--gpu", "a100-80gb", "--context", "40960", "--tp", $"{gpus}", "--gpus", $"{gpus}"));
        if (gpus > 1)
        {
            Assert.False(InferFits("qwen3-32b", "--engine", "vllm", "--gpu", "a100-80gb", "--context", "40960", "--tp", $"{gpus / 2}", "--gpus", $"{gpus / 2}"));
        }
    }

    [Fact]
    public void MaxConcurrency_Vllm_IsThePoolsWholeRequests()
    {
        var fit = Json("fit", "llama-3.1-8b", "--engine", "vllm", "--gpu", "h100", "--context", "32768", "--max", "concurrency");
        var engine = fit.GetProperty("estimate").GetProperty("engine");
        Assert.Equal((long)Math.Floor(engine.GetProperty("max_concurrency").GetDouble()), fit.GetProperty("answer").GetProperty("concurrency").GetInt64());
    }

    [Fact]
    public void Best_LlamaCpp_Llama70B_On24GB_IsTheMostFaithfulQuantThatFitsWhole()
    {
        var fit = Json("fit", "llama-3.1-70b", "--engine", "llamacpp", "--gpu", "rtx-4090");
        var quant = fit.GetProperty("answer").GetProperty("quant").GetString()!;
        Assert.Equal("all", fit.GetProperty("answer").GetProperty("gpu_layers").GetString());
        Assert.True(InferFits("llama-3.1-70b", "--engine", "llamacpp", "--gpu", "rtx-4090", "--quant", quant));
        // Q4_K_M (about 40 GiB for 70B parameters) cannot fit a 24 GiB card whole.
        Assert.False(InferFits("llama-3.1-70b", "--engine", "llamacpp", "--gpu", "rtx-4090", "--quant", "Q4_K_M"));
    }

    [Fact]
    public void Best_LlamaCpp_405B_KeepsLayersOnTheHost()
    {
        var fit = Json("fit", "llama-3.1-405b", "--engine", "llamacpp", "--gpu", "rtx-4090");
        var layers = fit.GetProperty("answer").GetProperty("gpu_layers").GetInt32();
        Assert.InRange(layers, 1, 126);
        Assert.True(InferFits("llama-3.1-405b", "--engine", "llamacpp", "--gpu", "rtx-4090", "--quant", "Q4_K_M", "-ngl", $"{layers}"));
        Assert.False(InferFits("llama-3.1-405b", "--engine", "llamacpp", "--gpu", "rtx-4090", "--quant", "Q4_K_M", "-ngl", $"{layers + 1}"));
    }

    [Fact]
    public void NothingFits_ExitsThree_AndNamesTheTermAndExcess()
    {
        var (exit, output, _) = CliRunner.Run("fit", "llama-3.1-405b", "--engine", "vllm", "--gpu", "rtx-4090", "--max", "context", "--format", "json");
        Assert.Equal(3, exit);
        using var json = JsonDocument.Parse(output);
        Assert.False(json.RootElement.GetProperty("fits").GetBoolean());
        Assert.Equal("weights", json.RootElement.GetProperty("limiting").GetProperty("term").GetString());
        Assert.True(json.RootElement.GetProperty("limiting").GetProperty("excess_bytes").GetInt64() > 700L << 30);
    }

    [Theory]
    [InlineData("--max", "speed")]
    [InlineData("--min", "memory")]
    public void BadQuestions_AreOneLineUsageErrors(string option, string value)
    {
        var (exit, _, error) = CliRunner.Run("fit", "llama-3.1-8b", "--gpu", "h100", option, value);
        Assert.Equal(2, exit);
        Assert.Single(error.Trim().Split('\n'));
    }

    [Fact]
    public void WithoutAGpu_IsAOneLineError()
    {
        var (exit, _, error) = CliRunner.Run("fit", "llama-3.1-8b", "--max", "context");
        Assert.NotEqual(0, exit);
        Assert.Contains("--gpu", error);
    }
}

/// <summary><c>llmem fit --train</c>: the same questions for a training step, checked with <c>llmem train</c>.</summary>
public class FitTrainTests
{
    private static JsonElement Json(params string[] args)
    {
        var (exit, output, error) = CliRunner.Run([.. args, "--format", "json"]);
        Assert.True(exit is 0 or 3, error);
        return JsonDocument.Parse(output).RootElement.Clone();
    }

    private static bool TrainFits(params string[] args) =>
        Json(["train", .. args]).GetProperty("devices").EnumerateArray().All(d => !d.TryGetProperty("fits", out var f) || f.GetBoolean());

    [Fact]
    public void MaxSeq_Qlora_OnAnRtx4090_Fits_AndOneTokenMoreDoesNot()
    {
        var fit = Json("fit", "llama-3.1-8b", "--train", "--method", "qlora", "--gpu", "rtx-4090", "--max", "seq");
        var seq = fit.GetProperty("answer").GetProperty("seq").GetInt64();
        Assert.True(TrainFits("llama-3.1-8b", "--method", "qlora", "--gpu", "rtx-4090", "--seq", $"{seq}"));
        Assert.False(TrainFits("llama-3.1-8b", "--method", "qlora", "--gpu", "rtx-4090", "--seq", $"{seq + 1}"));
    }

    [Fact]
    public void MinGpus_Zero3_Llama70B_WithCheckpointing_IsThePowerOfTwoThatFits()
    {
        string[] setting = ["llama-3.1-70b", "--method", "full", "--zero", "3", "--checkpointing", "full", "--gpu", "h100", "--seq", "4096"];
        var fit = Json(["fit", .. setting, "--train", "--min", "gpus"]);
        var gpus = fit.GetProperty("answer").GetProperty("gpus").GetInt32();
        Assert.True(TrainFits([.. setting, "--gpus", $"{gpus}"]));
        Assert.False(TrainFits([.. setting, "--gpus", $"{gpus / 2}"]));
    }

    [Fact]
    public void WithoutCheckpointing_NoGpuCountFits_AndTheActivationsAreNamed()
    {
        var (exit, output, _) = CliRunner.Run("fit", "llama-3.1-70b", "--train", "--zero", "3", "--gpu", "h100", "--seq", "4096", "--min", "gpus", "--format", "json");
        Assert.Equal(3, exit);
        using var json = JsonDocument.Parse(output);
        Assert.Equal("activations", json.RootElement.GetProperty("limiting").GetProperty("term").GetString());
    }
}
