using System.Collections.Immutable;
using LlmMem.DataTypes;
using LlmMem.Formulas;
using LlmMem.Models;

namespace LlmMem.Tests.Formulas;

/// <summary>vLLM's page and token arithmetic, pinned on numbers printed by real vLLM logs (data/groundtruth/vllm.jsonl).</summary>
public class VllmKvCacheTests
{
    private static readonly AttentionShape Llama8B = new(AttentionKind.Full, 32, 8, 128, 128);

    private static readonly AttentionShape DeepSeekMla = new(AttentionKind.Latent, 128, 128, 192, 128, Latent: new LatentAttentionShape(1536, 512, 128, 64, 128));

    private static ImmutableArray<VllmKvSpec> Uniform(AttentionShape attention, int layers, int blockSize, DataType type, int tp = 1, DataType? pad = null) =>
        VllmKvCache.Specs(Enumerable.Repeat(new LayerShape(attention, new MlpShape(true, 1, false), 2), layers), blockSize, type, tp, slidingAware: true, pad);

    [Fact]
    public void Llama3_8B_Page_Is64KiB_PerLayer_And128KiB_PerToken()
    {
        // groundtruth/README.md: "Llama-3-8B: 128 KiB per token" = 2 × 32 layers × 8 KV heads × 128 × 2 B.
        Assert.Equal(65_536, VllmKvCache.PageBytes(Llama8B, 16, DataType.Bf16, 1));
        Assert.Equal(131_072, 32 * VllmKvCache.PageBytes(Llama8B, 16, DataType.Bf16, 1) / 16);
    }

    [Fact]
    public void TensorParallel_DividesKvHeads_ButNeverBelowOne()
    {
        Assert.Equal(65_536 / 4, VllmKvCache.PageBytes(Llama8B, 16, DataType.Bf16, 4));
        // 8 KV heads over 16 GPUs: each GPU keeps one (replicated), as vllm/config.py get_num_kv_heads does.
        Assert.Equal(65_536 / 8, VllmKvCache.PageBytes(Llama8B, 16, DataType.Bf16, 16));
    }

    [Fact]
    public void Fp8Cache_HalvesThePage()
    {
        Assert.Equal(32_768, VllmKvCache.PageBytes(Llama8B, 16, DataType.Fp8E4M3, 1));
    }

    [Fact]
    public void Mla_KeepsOneLatentOf576Values_OnEveryGpu()
    {
        // groundtruth/README.md: MLA stores kv_lora_rank + rope dim = 576 values per layer per token, once.
        Assert.Equal(64 * 576 * 2, VllmKvCache.PageBytes(DeepSeekMla, 64, DataType.Bf16, 1));
        Assert.Equal(64 * 576 * 2, VllmKvCache.PageBytes(DeepSeekMla, 64, DataType.Bf16, 8));
        // V0 ≈ 0.7.2–0.8.0 padded each entry to 256 bytes: 1,152 B → 1,280 B = 640 values.
        Assert.Equal(64 * 640 * 2, VllmKvCache.PageBytes(DeepSeekMla, 64, DataType.Bf16, 8, padLatentFor: DataType.Bf16));
    }

    [Fact]
    public void V1_Llama31_8B_A100_Log_460496Tokens_3Point51Concurrency()
    {
        // vLLM 0.31: "GPU KV cache size: 460,496 tokens", "Maximum concurrency for 131,072 tokens per request: 3.51x".
        var specs = Uniform(Llama8B, 32, 16, DataType.Bf16);
        var perBlock = 32L * 65_536;
        var pool = VllmKvCache.Pool(specs, 28_781 * perBlock + perBlock - 1, 16, 131_072, 2048, v1: true);
        Assert.Equal(28_781, pool.Blocks);
        Assert.Equal(460_496, pool.Tokens);
        Assert.Equal(3.51, Math.Round(pool.MaxConcurrency, 2));
        Assert.Equal(8_192 * perBlock, pool.BytesPerSequence);
    }

    [Fact]
    public void V0_Llama31_8B_Rtx3090_Log_1952Blocks_31232Tokens_1Point56x()
    {
        // vLLM ~0.6.4: "# GPU blocks: 1952", "Maximum concurrency for 20000 tokens per request: 1.56x".
        var specs = Uniform(Llama8B, 32, 16, DataType.Bf16);
        var pool = VllmKvCache.Pool(specs, 1_952L * 32 * 65_536, 16, 20_000, 20_000, v1: false);
        Assert.Equal(31_232, pool.Tokens);
        Assert.Equal(1.56, Math.Round(pool.MaxConcurrency, 2));
    }

    [Fact]
    public void V0_DeepSeekR1_Mla_Log_4739Blocks_Of64_1Point85x()
    {
        // vLLM ~0.8.0 V0, PR #14842's log: 4739 blocks × 64 = 303,296 tokens; 1.85x for 163,840 tokens.
        var specs = Uniform(DeepSeekMla, 61, 64, DataType.Bf16, 8, pad: DataType.Bf16);
        var pool = VllmKvCache.Pool(specs, 4_739L * 61 * 64 * 640 * 2, 64, 163_840, 163_840, v1: false);
        Assert.Equal(303_296, pool.Tokens);
        Assert.Equal(1.85, Math.Round(pool.MaxConcurrency, 2));
    }

    [Fact]
    public void V1_Example_127626Blocks_997x_For2048()
    {
        // vLLM PR #13596's example log: 2,042,016 tokens; 997.08x for 2,048 tokens per request.
        var specs = Uniform(Llama8B, 32, 16, DataType.Bf16);
        var pool = VllmKvCache.Pool(specs, 127_626L * 32 * 65_536, 16, 2_048, 2048, v1: true);
        Assert.Equal(2_042_016, pool.Tokens);
        Assert.Equal(997.08, Math.Round(pool.MaxConcurrency, 2));
    }

    [Fact]
    public void Hybrid_SlidingAndFull_ShareOnePoolInGroups()
    {
        // gpt-oss-20b: 12 sliding (128) + 12 full layers, equal pages → 2 groups of 12 layers sharing the pool's tensors.
        var sliding = new AttentionShape(AttentionKind.Sliding, 64, 8, 64, 64, SlidingWindow: 128);
        var full = new AttentionShape(AttentionKind.Full, 64, 8, 64, 64);
        var layers = Enumerable.Range(0, 24).Select(i => new LayerShape(i % 2 == 0 ? sliding : full, new MlpShape(true, 1, false), 2));
        var specs = VllmKvCache.Specs(layers, 16, DataType.Bf16, 1, slidingAware: true);
        var page = VllmKvCache.PageBytes(full, 16, DataType.Bf16, 1);
        var pool = VllmKvCache.Pool(specs, 10_000L * page * 12, 16, 131_072, 8192, v1: true);
        Assert.Equal(2, pool.Groups);
        Assert.Equal(12, pool.LayersPerGroup);
        Assert.Equal(10_000, pool.Blocks);
        Assert.Equal(5_000 * 16, pool.Tokens);
        // One request: ⌈131,072 / 16⌉ = 8,192 blocks (full) + ⌈(127 + 8,192) / 16⌉ + 1 = 521 blocks (sliding).
        Assert.Equal(10_000 / 8_713.0, pool.MaxConcurrency, 6);
    }

    [Fact]
    public void NothingLeft_GivesNoBlocks()
    {
        var pool = VllmKvCache.Pool(Uniform(Llama8B, 32, 16, DataType.Bf16), -5, 16, 8192, 8192, v1: true);
        Assert.Equal(0, pool.Blocks);
        Assert.Equal(0, pool.Tokens);
    }
}
