using System.Text.Json;

namespace LlmMem.Cli.Tests;

/// <summary>The activation options of <c>llmem train</c>: each reaches the estimate, and a bad value is one line (exit 2).</summary>
public class TrainActivationOptionsTests
{
    private static Dictionary<string, long> Terms(params string[] args)
    {
        var (exit, output, error) = CliRunner.Run([.. args, "--format", "json"]);
        Assert.True(exit == 0, error);
        using var json = JsonDocument.Parse(output);
        return json.RootElement.GetProperty("devices")[0].GetProperty("terms").EnumerateArray()
            .ToDictionary(t => t.GetProperty("id").GetString()!, t => t.GetProperty("bytes").GetInt64());
    }

    [Fact]
    public void IssueExample_FullFlashCheckpointed_KeepsLayerInputsAndOneLayer()
    {
        var terms = Terms("train", "llama-3.1-8b", "--method", "full", "--precision", "mixed-bf16", "--batch", "2", "--seq", "4096",
            "--checkpointing", "full", "--attention", "flash");

        // 32 layers × 8,192 tokens × 4,096 × 2 B; one flash layer of 200,832 B per token. The peak is a layer's
        // recomputation late in the backward: the bf16 gradients (8,030,261,248 × 2 B) are live, the loss's tensors freed.
        Assert.Equal(2_147_483_648L, terms["activation_checkpoints"]);
        Assert.Equal(8192L * 200_832, terms["activations"]);
        Assert.Equal(8_030_261_248L * 2, terms["gradients"]);
        Assert.False(terms.ContainsKey("logits"));

        // Without the gradients (optimizer in the backward) the start of the backward, with the fp32 loss, is the peak.
        var inBackward = Terms("train", "llama-3.1-8b", "--method", "full", "--precision", "mixed-bf16", "--batch", "2", "--seq", "4096",
            "--checkpointing", "full", "--attention", "flash", "--optimizer-in-backward");
        Assert.Equal(8192L * (12 * 128_256 + 8 * 4096), inBackward["logits"]);
        Assert.False(inBackward.ContainsKey("activations"));
    }

    [Fact]
    public void IssueExample_LoraEager_KeepsTheScores()
    {
        var eager = Terms("train", "llama-3.1-8b", "--method", "lora", "--rank", "16", "--batch", "8", "--seq", "2048", "--checkpointing", "none", "--attention", "eager");
        var sdpa = Terms("train", "llama-3.1-8b", "--method", "lora", "--rank", "16", "--batch", "8", "--seq", "2048", "--checkpointing", "none", "--attention", "sdpa");

        // 32 layers × 16,384 tokens × (32 heads × 2,048 × 6 B of scores − 8,320 B SDPA output and log-sum-exp).
        Assert.Equal(32L * 16_384 * ((32 * 2048 * 6) - 8_320), eager["activations"] - sdpa["activations"]);
    }

    [Fact]
    public void IssueExample_70B_TensorPipelineSequenceParallel()
    {
        var (exit, output, error) = CliRunner.Run("train", "llama-3.1-70b", "--method", "full", "--tp", "8", "--pp", "4", "--sequence-parallel",
            "--micro-batches", "8", "--seq", "8192", "--gpu", "h100-80gb", "--format", "json");

        Assert.True(exit == 0, error);
        using var json = JsonDocument.Parse(output);
        var activations = json.RootElement.GetProperty("devices")[0].GetProperty("terms").EnumerateArray()
            .Single(t => t.GetProperty("id").GetString() == "activations").GetProperty("bytes").GetInt64();
        // 4 micro-batches in flight × 20 layers × 8,192 tokens × 442,624 B / 8 (a 70B SDPA layer, all divided by TP 8 under SP).
        Assert.Equal(4L * 20 * 8192 * (442_624 / 8), activations);
        Assert.Equal("8", json.RootElement.GetProperty("workload").GetProperty("settings").GetProperty("micro_batches").GetString());
    }

    [Fact]
    public void ChunkedLoss_IsSmallerThanStandard()
    {
        var standard = Terms("train", "llama-3.2-3b", "--batch", "2", "--seq", "4096");
        var chunked = Terms("train", "llama-3.2-3b", "--batch", "2", "--seq", "4096", "--loss", "chunked");

        // 8,192 tokens × 128,256 × (12 − 6.5) B.
        Assert.Equal(8192L * ((12 * 128_256) - ((6 * 128_256) + (128_256 / 2))), standard["logits"] - chunked["logits"]);
    }

    [Fact]
    public void LoraDropout_AndAnFp32Base_ReachTheEstimate()
    {
        var plain = Terms("train", "llama-3.1-8b", "--method", "lora", "--targets", "all-linear");
        var dropout = Terms("train", "llama-3.1-8b", "--method", "lora", "--targets", "all-linear", "--lora-dropout", "0.1");

        // PEFT's nn.Dropout keeps a 1-byte mask per element of each adapted module's input: 32 layers × 4,096 tokens ×
        // ((q, k, v, o, gate, up) 6 × 4,096 + down 14,336) B.
        Assert.Equal(32L * 4096 * ((6 * 4096) + 14_336), dropout["activations"] - plain["activations"]);

        var fp32 = Terms("train", "llama-3.1-8b", "--method", "lora", "--precision", "bf16", "--base-dtype", "fp32");
        Assert.Equal(8_030_261_248L * 4, fp32["weights"]);
    }

    [Fact]
    public void OffloadedActivations_AndGradAccum_Work()
    {
        var (exit, output, error) = CliRunner.Run("train", "llama-3.1-8b", "--checkpointing", "full", "--offload-activations", "--grad-accum", "4", "--format", "json");

        Assert.True(exit == 0, error);
        using var json = JsonDocument.Parse(output);
        var devices = json.RootElement.GetProperty("devices").EnumerateArray().ToList();
        Assert.Contains(devices.Single(d => d.GetProperty("name").GetString() == "cpu").GetProperty("terms").EnumerateArray(),
            t => t.GetProperty("id").GetString() == "activation_checkpoints");
        Assert.Contains(devices[0].GetProperty("terms").EnumerateArray(), t => t.GetProperty("id").GetString() == "gradients");
    }

    [Theory]
    [InlineData("--checkpointing", "sometimes", "Unknown --checkpointing 'sometimes'. Valid: none, full, selective.")]
    [InlineData("--attention", "paged", "Unknown --attention 'paged'. Valid: eager, sdpa, flash.")]
    [InlineData("--loss", "focal", "Unknown --loss 'focal'. Valid: standard, shifted, chunked.")]
    [InlineData("--dropout", "1.5", "--dropout '1.5' is not a probability")]
    [InlineData("--lora-dropout", "1", "--lora-dropout '1' is not a probability")]
    [InlineData("--micro-batches", "0", "--micro-batches")]
    public void BadValues_AreOneLine_ExitTwo(string option, string value, string message)
    {
        var (exit, _, error) = CliRunner.Run("train", "llama-3.1-8b", option, value);

        Assert.Equal(2, exit);
        Assert.Contains(message, error);
        Assert.Single(error.Trim().Split('\n'));
    }

    [Theory]
    [InlineData("--sequence-parallel", "--sequence-parallel divides activations over tensor-parallel GPUs: it needs --tp 2 or more.")]
    [InlineData("--virtual-stages=2", "--virtual-stages interleaves pipeline stages: it needs --pp 2 or more.")]
    public void ParallelOptions_WithoutTheirParallelism_AreRefused(string option, string message)
    {
        var (exit, _, error) = CliRunner.Run("train", "llama-3.1-8b", option);

        Assert.Equal(2, exit);
        Assert.Contains(message, error);
    }

    [Fact]
    public void Dpo_AddsTheReferenceModel()
    {
        var terms = Terms("train", "llama-3.1-8b", "--dpo");
        Assert.Equal(16_060_522_496L, terms["reference_model"]);
    }

    [Fact]
    public void ValidateTraining_ReportsMetricAndMethod()
    {
        var (exit, output, error) = CliRunner.Run("validate", "--engine", "training", "--format", "json");

        Assert.True(exit == 0, error);
        using var json = JsonDocument.Parse(output);
        var cases = json.RootElement.GetProperty("cases").EnumerateArray().ToList();
        Assert.Equal(68, cases.Count);
        var opt = cases.Single(c => c.GetProperty("id").GetString() == "torchtune-l32-3b-opt-in-bwd").GetProperty("comparisons")[0];
        Assert.Equal("active", opt.GetProperty("metric").GetString());
        Assert.Equal("full", opt.GetProperty("method").GetString());
        Assert.All(cases.Where(c => c.GetProperty("status").GetString() == "skipped"), c => Assert.False(string.IsNullOrEmpty(c.GetProperty("reason").GetString())));
    }
}
