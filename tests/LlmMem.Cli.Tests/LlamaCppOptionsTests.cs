using System.Text.Json;

namespace LlmMem.Cli.Tests;

/// <summary>llama.cpp's own flag names shape the KV cache term.</summary>
public class LlamaCppOptionsTests
{
    private static JsonElement KvTerm(params string[] args)
    {
        var (exit, output, error) = CliRunner.Run([.. args, "--format", "json"]);
        Assert.True(exit == 0, error);
        var json = JsonDocument.Parse(output).RootElement.Clone();
        return json.GetProperty("devices")[0].GetProperty("terms").EnumerateArray().Single(t => t.GetProperty("id").GetString() == "kv_cache");
    }

    [Fact]
    public void KvCache_Llama31_8B_At2048Tokens_Is256MiB() =>
        // llama.cpp: "KV self size = 256.00 MiB" for Llama-3.1-8B at n_ctx 2048 (ground truth gt023): 32 × 2,048 × 8 × 128 × 2 × 2 B.
        Assert.Equal(256L << 20, KvTerm("infer", "llama-3.1-8b", "--engine", "llamacpp", "-c", "2048").GetProperty("bytes").GetInt64());

    [Fact]
    public void NoMmap_ReadsTheHostWeightsIntoRam_SameBytes_AndOnlyMmapWarnsOfThePageCache()
    {
        JsonElement Run(params string[] extra)
        {
            var (exit, output, error) = CliRunner.Run(["infer", "llama-3.1-8b", "--engine", "llamacpp", "--quant", "Q4_K_M", "-ngl", "20", .. extra, "--format", "json"]);
            Assert.True(exit == 0, error);
            return JsonDocument.Parse(output).RootElement.Clone();
        }

        static JsonElement HostWeights(JsonElement e) => e.GetProperty("devices").EnumerateArray().Single(d => d.GetProperty("name").GetString() == "cpu")
            .GetProperty("terms").EnumerateArray().Single(t => t.GetProperty("id").GetString() == "weights");
        static bool Warns(JsonElement e) => e.GetProperty("warnings").EnumerateArray().Any(w => w.GetProperty("code").GetString() == "host_weights_mapped");

        var mapped = Run();
        var read = Run("--no-mmap");
        // llama.cpp logs "CPU_Mapped model buffer size" with mmap and "CPU model buffer size" with --no-mmap (gt001, Ollama's runner): the same tensors.
        Assert.Equal(HostWeights(mapped).GetProperty("bytes").GetInt64(), HostWeights(read).GetProperty("bytes").GetInt64());
        Assert.Contains("CPU_Mapped", HostWeights(mapped).GetProperty("label").GetString());
        Assert.Contains("--no-mmap", HostWeights(read).GetProperty("label").GetString());
        Assert.True(Warns(mapped));
        Assert.False(Warns(read));
    }

    [Theory]
    [InlineData("llamacpp")]
    [InlineData("transformers")]
    public void AppleUnifiedMemory_CountsNoCudaContext_AndSaysTheHostSharesTheRam(string engine)
    {
        JsonElement Run(string gpu)
        {
            var (exit, output, error) = CliRunner.Run("infer", "llama-3.1-8b", "--engine", engine, "-c", "4096", "--gpu", gpu, "--format", "json");
            Assert.True(exit == 0, error);
            return JsonDocument.Parse(output).RootElement.Clone();
        }

        static bool HasContext(JsonElement e) => e.GetProperty("devices").EnumerateArray().Any(d => d.GetProperty("terms").EnumerateArray().Any(t => t.GetProperty("id").GetString() == "cuda_context"));
        static bool Warns(JsonElement e) => e.GetProperty("warnings").EnumerateArray().Any(w => w.GetProperty("code").GetString() == "unified_memory");

        var apple = Run("m3-max");
        var nvidia = Run("rtx-4090");
        Assert.False(HasContext(apple));
        Assert.True(Warns(apple));
        Assert.True(HasContext(nvidia));
        Assert.False(Warns(nvidia));
    }

    [Fact]
    public void QuantisedCacheTypes_UseTheirBlockSizes() =>
        // 64 layers × 8,192 cells × 2 × 1,024 values as q8_0 (34 B per 32): 1,088 MiB, as llama.cpp printed for QwQ-32B (gt032).
        Assert.Equal(1088L << 20, KvTerm("infer", "qwen2.5-32b", "--engine", "llamacpp", "--ctx-size", "8192", "-ctk", "q8_0", "-ctv", "q8_0").GetProperty("bytes").GetInt64());

    [Fact]
    public void QuantisedVCache_WithoutFlashAttention_FallsBackToF16()
    {
        var (_, output, _) = CliRunner.Run("infer", "llama-3.1-8b", "--engine", "llamacpp", "-c", "2048", "-ctv", "q4_0", "-fa", "off", "--format", "json");

        using var json = JsonDocument.Parse(output);
        Assert.Contains(json.RootElement.GetProperty("warnings").EnumerateArray(), w => w.GetProperty("code").GetString() == "v_cache_needs_flash_attention");
        Assert.Equal(256L << 20, json.RootElement.GetProperty("devices")[0].GetProperty("terms")[1].GetProperty("bytes").GetInt64());
    }

    [Fact]
    public void SlidingWindowLayers_KeepWindowPlusUbatchCells_UnlessSwaFull()
    {
        // gpt-oss-20b at 131,072 tokens, n_ubatch 2048: 3,072 MiB for the 12 full layers + 54 MiB for 12 × 2,304 sliding cells (gt020).
        Assert.Equal(3126L << 20, KvTerm("infer", "gpt-oss-20b", "--engine", "llamacpp", "-c", "131072", "-ub", "2048").GetProperty("bytes").GetInt64());
        Assert.Equal(6144L << 20, KvTerm("infer", "gpt-oss-20b", "--engine", "llamacpp", "-c", "131072", "--swa-full").GetProperty("bytes").GetInt64());
    }

    [Theory]
    [InlineData("Unknown cache type 'q9_0'", "-ctk", "q9_0")]
    [InlineData("Unknown --flash-attn 'maybe'. Valid: on, off, auto.", "-fa", "maybe")]
    [InlineData("--parallel must be at least 1", "-np", "0")]
    public void BadLlamaCppOptions_OneLineErrors(string message, string option, string value)
    {
        var (exit, _, error) = CliRunner.Run("infer", "llama-3.1-8b", "--engine", "llamacpp", option, value);

        Assert.Equal(2, exit);
        Assert.Contains(message, error);
    }

    [Fact]
    public void GpuLayers_PutTheRestOnTheHost()
    {
        var (exit, output, error) = CliRunner.Run("infer", "llama-3.1-8b", "--engine", "llamacpp", "--quant", "Q4_K_M", "-c", "8192", "-ngl", "20", "--format", "json");

        Assert.True(exit == 0, error);
        using var json = JsonDocument.Parse(output);
        var devices = json.RootElement.GetProperty("devices").EnumerateArray().ToDictionary(d => d.GetProperty("name").GetString()!);
        long Term(string device, string id) => devices[device].GetProperty("terms").EnumerateArray().Single(t => t.GetProperty("id").GetString() == id).GetProperty("bytes").GetInt64();
        // 20 of 32 layers on the GPU: 20/32 of the 1 GiB KV cache at 8,192 tokens there, 12/32 on the host.
        Assert.Equal(640L << 20, Term("gpu0", "kv_cache"));
        Assert.Equal(384L << 20, Term("cpu", "kv_cache"));
        // Nothing is lost: the two model buffers add up to the whole predicted file (4.58 GiB).
        Assert.Equal(4_912_898_304L, Term("gpu0", "weights") + Term("cpu", "weights"));
    }

    [Fact]
    public void NoKvOffload_KeepsTheCacheOnTheHost()
    {
        var (_, output, _) = CliRunner.Run("infer", "llama-3.1-8b", "--engine", "llamacpp", "-c", "2048", "-nkvo", "--format", "json");

        using var json = JsonDocument.Parse(output);
        var host = json.RootElement.GetProperty("devices").EnumerateArray().Single(d => d.GetProperty("name").GetString() == "cpu");
        Assert.Contains(host.GetProperty("terms").EnumerateArray(), t => t.GetProperty("id").GetString() == "kv_cache" && t.GetProperty("bytes").GetInt64() == 256L << 20);
    }

    [Fact]
    public void CpuMoe_KeepsTheFirstLayersExpertsOnTheHost()
    {
        long Weights(string device, params string[] extra)
        {
            var (_, output, _) = CliRunner.Run(["infer", "qwen3-30b-a3b", "--engine", "llamacpp", "--quant", "Q4_K_M", .. extra, "--format", "json"]);
            using var json = JsonDocument.Parse(output);
            return json.RootElement.GetProperty("devices").EnumerateArray().Single(d => d.GetProperty("name").GetString() == device)
                .GetProperty("terms").EnumerateArray().Single(t => t.GetProperty("id").GetString() == "weights").GetProperty("bytes").GetInt64();
        }

        var moved = Weights("cpu", "--n-cpu-moe", "24") - Weights("cpu");
        // Qwen3-30B-A3B Q4_K_M: each layer's 128 experts (gate, up, down of 768 × 2,048) move; half the 48 layers' expert bytes.
        Assert.Equal(Weights("gpu0") - Weights("gpu0", "--n-cpu-moe", "24"), moved);
        Assert.InRange(moved, 7_000_000_000L, 9_000_000_000L);
    }
}

/// <summary>llama.cpp's layer split over several GPUs (-ts, mixed cards), worked out by hand.</summary>
public class LlamaCppSplitTests
{
    private static long[] KvPerGpu(params string[] args)
    {
        var (exit, output, error) = CliRunner.Run([.. args, "--format", "json"]);
        Assert.True(exit == 0, error);
        using var json = JsonDocument.Parse(output);
        return [.. json.RootElement.GetProperty("devices").EnumerateArray()
            .Where(d => d.GetProperty("name").GetString()!.StartsWith("gpu", StringComparison.Ordinal))
            .Select(d => d.GetProperty("terms").EnumerateArray().Single(t => t.GetProperty("id").GetString() == "kv_cache").GetProperty("bytes").GetInt64())];
    }

    [Fact]
    public void EvenSplit_OfLlama8B_Gives17And15Layers()
    {
        // 33 offloaded layers (32 + output); layer i goes to the first GPU whose cumulative share exceeds i / 33:
        // i ≤ 16 on gpu0 (17 layers), 17–31 on gpu1 (15 layers). 16 MiB of KV per layer at 4,096 tokens.
        Assert.Equal([17L * 16 << 20, 15L * 16 << 20], KvPerGpu("infer", "llama-3.1-8b", "--engine", "llamacpp", "--gpu", "rtx-4090", "--gpus", "2"));
    }

    [Fact]
    public void TensorSplit_3To1_Gives25And7Layers()
    {
        // Cumulative shares 0.75, 1: i / 33 < 0.75 for i ≤ 24.
        Assert.Equal([25L * 16 << 20, 7L * 16 << 20], KvPerGpu("infer", "llama-3.1-8b", "--engine", "llamacpp", "--gpu", "rtx-4090,rtx-3090", "-ts", "3,1"));
    }

    [Fact]
    public void MixedCards_WithoutASplit_ShareByMemory()
    {
        // An RTX 4060 Ti 16GB (16,380 MiB) and an RTX 4090 (24,564 MiB): 40% and 60% → i / 33 < 0.40 for i ≤ 13.
        Assert.Equal([14L * 16 << 20, 18L * 16 << 20], KvPerGpu("infer", "llama-3.1-8b", "--engine", "llamacpp", "--gpu", "rtx-4060-ti,rtx-4090"));
    }
}

/// <summary>-b caps the micro-batch as llama.cpp does (n_ubatch = min(n_batch, n_ubatch)).</summary>
public class LlamaCppBatchSizeTests
{
    [Theory]
    [InlineData("256", null, "256")]
    [InlineData("4096", null, "512")]
    [InlineData("128", "1024", "128")]
    public void BatchSize_CapsTheMicroBatch(string batch, string? ubatch, string expected)
    {
        string[] args = ["infer", "llama-3.1-8b", "--engine", "llamacpp", "-b", batch, "--format", "json", .. ubatch is null ? Array.Empty<string>() : ["-ub", ubatch]];
        var (exit, output, error) = CliRunner.Run(args);
        Assert.True(exit == 0, error);
        using var json = JsonDocument.Parse(output);
        Assert.Equal(expected, json.RootElement.GetProperty("workload").GetProperty("settings").GetProperty("ubatch").GetString());
    }

    private static JsonElement Json(params string[] args)
    {
        var (exit, output, error) = CliRunner.Run([.. args, "--format", "json"]);
        Assert.True(exit == 0, error);
        return JsonDocument.Parse(output).RootElement.Clone();
    }

    [Fact]
    public void Parallel_SplitCacheByDefault_PadsEachStream_AndKvUnifiedSharesOne()
    {
        // Llama-3.1-8B (32 layers × 8 KV heads × 128 × 2 × 2 B = 128 KiB per cell), n_ctx 5,000, -np 3, b10221:
        // split, 3 streams × pad(⌊5,120 / 3⌋, 256) = 5,376 cells (672 MiB); -kvu: pad(5,000, 256) = 5,120 cells (640 MiB).
        string[] args = ["infer", "llama-3.1-8b", "--engine", "llamacpp", "-c", "5000", "-np", "3"];
        var split = Json(args);
        var unified = Json([.. args, "-kvu"]);
        static JsonElement Kv(JsonElement e) => e.GetProperty("devices")[0].GetProperty("terms").EnumerateArray().Single(t => t.GetProperty("id").GetString() == "kv_cache");
        Assert.Equal(672L << 20, Kv(split).GetProperty("bytes").GetInt64());
        Assert.Equal(640L << 20, Kv(unified).GetProperty("bytes").GetInt64());
        Assert.Contains("3 streams × 1,792 cells", Kv(split).GetProperty("formula").GetString());
        Assert.Contains("PR #14363", Kv(split).GetProperty("formula").GetString());
        Assert.Equal("off", split.GetProperty("workload").GetProperty("settings").GetProperty("kv_unified").GetString());
        Assert.Equal("on", unified.GetProperty("workload").GetProperty("settings").GetProperty("kv_unified").GetString());
        Assert.Equal(672L << 20, Kv(Json([.. args, "--no-kv-unified"])).GetProperty("bytes").GetInt64());
        // Before PR #14959 (b6071) llama.cpp forced one unified cache unless LLAMA_SET_ROWS=1.
        Assert.Equal(640L << 20, Kv(Json([.. args, "--engine-version", "b6000"])).GetProperty("bytes").GetInt64());
    }

    [Theory]
    [InlineData("--kv-unified and --no-kv-unified contradict each other: give one.", "-kvu", "-no-kvu")]
    [InlineData("--no-kv-unified needs llama.cpp b5913 or later (PR #14363); b5000 keeps one cache for all sequences.", "-no-kvu", "--engine-version", "b5000")]
    [InlineData("--no-repack needs llama.cpp b6049 or later (PR #14990); --engine-version is b5000.", "--no-repack", "--engine-version", "b5000")]
    public void KvUnifiedAndRepack_BadCombinations_AreOneLineErrors(string message, params string[] extra)
    {
        var (exit, _, error) = CliRunner.Run(["infer", "llama-3.1-8b", "--engine", "llamacpp", "-np", "2", .. extra]);
        Assert.Equal(2, exit);
        Assert.Contains(message, error);
        Assert.Single(error.Trim().Split('\n'));
    }

    [Fact]
    public void CpuOnly_RepacksTheQ4KMatrices_IntoTheirOwnTerm_SameTotal()
    {
        static JsonElement[] Weights(JsonElement e) => [.. e.GetProperty("devices").EnumerateArray().Single(d => d.GetProperty("name").GetString() == "cpu")
            .GetProperty("terms").EnumerateArray().Where(t => t.GetProperty("id").GetString() == "weights")];
        string[] args = ["infer", "llama-3.1-8b", "--engine", "llamacpp", "--quant", "Q4_K_M", "-ngl", "0"];
        var repacked = Weights(Json(args));
        var kept = Weights(Json([.. args, "-nr"]));
        Assert.Equal(2, repacked.Length);
        Assert.Contains("CPU_REPACK", repacked[1].GetProperty("label").GetString());
        Assert.Contains("CPU_Mapped", repacked[0].GetProperty("label").GetString());
        Assert.Single(kept);
        Assert.Equal(kept[0].GetProperty("bytes").GetInt64(), repacked.Sum(t => t.GetProperty("bytes").GetInt64()));
    }
}
