using System.Text.Json;

namespace LlmMem.Cli.Tests;

public class TrainCommandTests
{
    [Fact]
    public void Fp32AdamW_IsFourTimesTheWeights()
    {
        var (exit, output, _) = CliRunner.Run("train", "8B", "--precision", "fp32", "--optimizer", "adamw");

        Assert.Equal(0, exit);
        Assert.Contains("│ Optimizer states (adamw) │  64,000,000,000 │", output);
        Assert.Contains("│ Total                    │ 128,000,000,000 │ 119.21 GiB │ 128.00 GB │", output);
    }

    [Fact]
    public void MixedBf16_IsTheDefault_At16BytesPerParameter()
    {
        var (_, output, _) = CliRunner.Run("train", "1.5B", "--format", "json");

        using var json = JsonDocument.Parse(output);
        Assert.Equal(24_000_000_000, json.RootElement.GetProperty("total_bytes").GetInt64()); // ZeRO paper: GPT-2 1.5B needs 24 GB
        var ids = json.RootElement.GetProperty("devices")[0].GetProperty("terms").EnumerateArray().Select(t => t.GetProperty("id").GetString());
        Assert.Equal(["weights", "gradients", "master_weights", "optimizer_states"], ids);
        Assert.Contains("precision", json.RootElement.GetProperty("workload").GetProperty("defaults").EnumerateArray().Select(d => d.GetString()));
    }

    [Fact]
    public void MultiGpu_ExplainedTable_MatchesSnapshot()
    {
        var (exit, output, _) = CliRunner.Run("train", "70B", "--gpu", "h100", "--tp", "4", "--gpus", "8", "--explain");

        Assert.Equal(0, exit);
        Snapshot.Matches("train-70B-h100-tp4-gpus8-explain.txt", output);
    }

    [Fact]
    public void Lora_OnACatalogModel_TrainsOnlyTheAdapters()
    {
        var (exit, output, error) = CliRunner.Run("train", "llama-3.1-8b", "--method", "lora", "--rank", "16", "--targets", "all-linear", "--format", "json");

        Assert.True(exit == 0, error);
        using var json = JsonDocument.Parse(output);
        var terms = json.RootElement.GetProperty("devices")[0].GetProperty("terms").EnumerateArray()
            .ToDictionary(t => t.GetProperty("id").GetString()!, t => t.GetProperty("bytes").GetInt64());
        // Frozen bf16 base (Llama-3.1-8B's 16,060,522,496 B) + 41,943,040 fp32 adapters with fp32 gradients and AdamW's two states.
        Assert.Equal(16_060_522_496L, terms["weights"]);
        Assert.Equal(41_943_040L * 4, terms["adapter_weights"]);
        Assert.Equal(41_943_040L * 8, terms["optimizer_states"]);
        Assert.Equal("16", json.RootElement.GetProperty("workload").GetProperty("settings").GetProperty("rank").GetString());
    }

    [Fact]
    public void QloraKbitPreparation_UpcastsTheUnquantisedParameters_AndTheResidualStream()
    {
        Dictionary<string, long> Terms(string prep)
        {
            var (exit, output, error) = CliRunner.Run("train", "llama-3.1-8b", "--method", "qlora", "--checkpointing", "full", "--seq", "1024",
                "--kbit-prep", prep, "--format", "json");
            Assert.True(exit == 0, error);
            using var json = JsonDocument.Parse(output);
            Assert.Equal(prep, json.RootElement.GetProperty("workload").GetProperty("settings").GetProperty("kbit_prep").GetString());
            return json.RootElement.GetProperty("devices")[0].GetProperty("terms").EnumerateArray()
                .ToDictionary(t => t.GetProperty("id").GetString()!, t => t.GetProperty("bytes").GetInt64());
        }

        var on = Terms("on");
        var off = Terms("off");
        // PEFT's prepare_model_for_kbit_training: embeddings and LM head (2 × 128,256 × 4,096) and the 65 RMSNorm
        // weights (65 × 4,096) go from bf16 to fp32; the NF4 linears stay as they are.
        Assert.Equal(2 * (2L * 128_256 * 4_096 + 65 * 4_096), on["weights"] - off["weights"]);
        // The checkpointed layer inputs are the fp32 residual stream: 32 layers × 1,024 tokens × 4,096 × 4 B.
        Assert.Equal(32L * 1_024 * 4_096 * 4, on["activation_checkpoints"]);
        Assert.Equal(on["activation_checkpoints"] / 2, off["activation_checkpoints"]);
        Assert.Contains("--kbit-prep 'maybe'", CliRunner.Run("train", "llama-3.1-8b", "--method", "qlora", "--kbit-prep", "maybe").Err);
    }

    [Fact]
    public void AdapterDtype_Bf16_HalvesTheAdaptersAndTheirStates_AsTorchtuneKeepsThem()
    {
        var (exit, output, error) = CliRunner.Run("train", "llama-3.1-8b", "--method", "lora", "--rank", "16", "--targets", "all-linear",
            "--precision", "bf16", "--adapter-dtype", "bf16", "--format", "json");

        Assert.True(exit == 0, error);
        using var json = JsonDocument.Parse(output);
        var terms = json.RootElement.GetProperty("devices")[0].GetProperty("terms").EnumerateArray()
            .ToDictionary(t => t.GetProperty("id").GetString()!, t => t.GetProperty("bytes").GetInt64());
        Assert.Equal(41_943_040L * 2, terms["adapter_weights"]);
        Assert.Equal(41_943_040L * 2 * 2, terms["optimizer_states"]); // AdamW's zeros_like(param): two bf16 moments
        Assert.Equal("bf16", json.RootElement.GetProperty("workload").GetProperty("settings").GetProperty("adapter_dtype").GetString());
        Assert.Contains("Unknown --adapter-dtype 'int8'", CliRunner.Run("train", "llama-3.1-8b", "--method", "lora", "--adapter-dtype", "int8").Err);
    }

    [Fact]
    public void Zero3_WithOffload_ShardsPerGpu_AndFillsEachNodesHost()
    {
        var (exit, output, error) = CliRunner.Run("train", "llama-3.1-70b", "--zero", "3", "--gpus", "16", "--nodes", "2", "--offload", "optimizer", "--format", "json");

        Assert.True(exit == 0, error);
        using var json = JsonDocument.Parse(output);
        var devices = json.RootElement.GetProperty("devices").EnumerateArray().ToList();
        Assert.Equal(18, devices.Count); // 16 GPUs and one host per node
        const long p = 70_553_706_496L;
        var gpu = devices[0].GetProperty("terms").EnumerateArray().ToDictionary(t => t.GetProperty("id").GetString()!, t => t.GetProperty("bytes").GetInt64());
        Assert.Equal((p + 15) / 16 * 2, gpu["weights"]); // bf16 weights, 1/16
        Assert.False(gpu.ContainsKey("gradients")); // ZeRO-Offload keeps the gradient partitions on the host
        // One decoder layer gathered with its gradients in bf16 (DeepSpeed: 4 × largest layer):
        // attention 8192 × (8192 + 1024 + 1024) + 8192² and MLP 3 × 8192 × 28,672.
        Assert.Equal(855_638_016L * 4, gpu["gathered_parameters"]);
        var host = devices.Single(d => d.GetProperty("name").GetString() == "cpu0").GetProperty("total_bytes").GetInt64();
        Assert.Equal(8 * (12 + 2) * ((p + 15) / 16), host); // 8 GPUs' fp32 master weights and Adam states, bf16 gradients
    }

    [Fact]
    public void Fsdp_NamesMapToZeroStages()
    {
        long Total(params string[] extra)
        {
            var (_, output, _) = CliRunner.Run(["train", "llama-3.1-8b", "--gpus", "8", .. extra, "--format", "json"]);
            using var json = JsonDocument.Parse(output);
            return json.RootElement.GetProperty("devices")[0].GetProperty("total_bytes").GetInt64();
        }

        // FSDP also holds the next decoder layer it prefetches: 218,103,808 bf16 parameters (Llama-3.1-8B's layer), and
        // its root unit stays gathered from the forward to the backward: embeddings and LM head 2 × 525,336,576 + norm 4,096;
        // DeepSpeed ZeRO holds its reduce bucket instead (5e8 bf16 elements), FSDP none.
        const long bucket = 1_000_000_000;
        Assert.Equal(Total("--zero", "3") - bucket + (218_103_808L * 2) + (1_050_677_248L * 2), Total("--fsdp", "full-shard"));
        Assert.Equal(Total("--zero", "2") - bucket, Total("--fsdp", "shard-grad-op"));
        Assert.Contains("disagree", CliRunner.Run("train", "llama-3.1-8b", "--zero", "2", "--fsdp", "full-shard").Err);
    }
}

/// <summary>PyTorch DDP's all-reduce buckets: a second copy of the gradients unless gradient_as_bucket_view.</summary>
public class DdpBucketTests
{
    private static Dictionary<string, long> Terms(params string[] args)
    {
        var (exit, output, error) = CliRunner.Run(["train", "llama-3.1-8b", "--gpu", "h100", .. args, "--format", "json"]);
        Assert.True(exit == 0, error);
        using var json = System.Text.Json.JsonDocument.Parse(output);
        return json.RootElement.GetProperty("devices")[0].GetProperty("terms").EnumerateArray()
            .GroupBy(t => t.GetProperty("id").GetString()!).ToDictionary(g => g.Key, g => g.Sum(t => t.GetProperty("bytes").GetInt64()));
    }

    [Fact]
    public void PlainDdp_HoldsTheGradientsTwice_BucketViewOnce_ZeroNone()
    {
        var ddp = Terms("--gpus", "8");
        // 8,030,261,248 bf16 gradients = 16,060,522,496 B, copied into the buckets, live in both phases of the step.
        Assert.Equal(16_060_522_496L, ddp["framework_overhead"]);
        Assert.False(Terms("--gpus", "8", "--ddp-bucket-view").ContainsKey("framework_overhead"));
        // ZeRO replaces DDP's buckets by its own reduce bucket (0.13 on for stage 1): 5e8 bf16 elements, not a gradient copy.
        Assert.Equal(1_000_000_000L, Terms("--gpus", "8", "--zero", "1")["framework_overhead"]);
        Assert.False(Terms("--gpus", "8", "--zero", "1", "--deepspeed-version", "0.12.6").ContainsKey("framework_overhead"));
        Assert.False(Terms().ContainsKey("framework_overhead"));
    }

    [Fact]
    public void ZeroBucketOptions_SizeTheBucket_AndShowInTheSettings()
    {
        // 2e8 elements (the bucket Transformers' DeepSpeed docs suggest for small GPUs) × 2 buffers (overlap_comm) × 2 B.
        Assert.Equal(800_000_000L, Terms("--gpus", "8", "--zero", "2", "--zero-bucket-size", "2e8", "--overlap-comm", "on")["framework_overhead"]);
        Assert.Equal(400_000_000L, Terms("--gpus", "8", "--zero", "3", "--reduce-bucket-size", "200M")["framework_overhead"]);

        var (_, output, _) = CliRunner.Run("train", "llama-3.1-8b", "--gpus", "8", "--zero", "2", "--format", "json");
        using var json = JsonDocument.Parse(output);
        var settings = json.RootElement.GetProperty("workload").GetProperty("settings").ToString();
        Assert.Contains("zero_bucket_size", settings);
        Assert.Contains("overlap_comm", settings);
    }

    [Theory]
    [InlineData("--zero-bucket-size", "lots", "--zero-bucket-size 'lots'")]
    [InlineData("--zero-bucket-size", "1e13", "--zero-bucket-size '1e13'")]
    [InlineData("--overlap-comm", "sometimes", "--overlap-comm 'sometimes'")]
    [InlineData("--deepspeed-version", "latest", "--deepspeed-version 'latest'")]
    public void ZeroBucketOptions_RefuseBadValues_InOneLine(string option, string value, string expected)
    {
        var (exit, output, error) = CliRunner.Run("train", "llama-3.1-8b", "--gpus", "8", "--zero", "2", option, value);

        Assert.Equal(2, exit);
        Assert.Equal("", output);
        Assert.Single(error.Trim().Split('\n'));
        Assert.Contains(expected, error);
    }

    [Fact]
    public void ZeroBucketOptions_NeedDeepSpeedZero()
    {
        var (exit, _, error) = CliRunner.Run("train", "llama-3.1-8b", "--gpus", "8", "--fsdp", "full-shard", "--overlap-comm", "on");

        Assert.Equal(2, exit);
        Assert.Contains("need --zero 1, 2 or 3", error);
    }
}
