using System.Collections.Immutable;
using LlmMem.DataTypes;
using LlmMem.Models;

namespace LlmMem.Formulas;

/// <summary>One kind of KV page in vLLM's pool: the layers that share it and what one block of one layer holds.</summary>
/// <param name="Kind">"full", "sliding" or "latent" attention.</param>
/// <param name="Layers">Layers of this kind on one GPU (pipeline stages hold a share).</param>
/// <param name="PageBytes">Bytes of one block of one layer (vllm/v1/kv_cache_interface.py page_size_bytes).</param>
/// <param name="SlidingWindow">Tokens a sliding layer sees; null otherwise.</param>
public sealed record VllmKvSpec(string Kind, int Layers, long PageBytes, long? SlidingWindow);

/// <summary>
/// vLLM's paged KV pool: how many blocks the available memory gives, how many tokens they hold, and how many
/// requests of <c>max_model_len</c> tokens fit at once.
/// </summary>
/// <param name="Blocks">GPU blocks ("# GPU blocks" in V0 logs; num_blocks in V1).</param>
/// <param name="Tokens">"GPU KV cache size: N tokens".</param>
/// <param name="MaxConcurrency">"Maximum concurrency for max_model_len tokens per request".</param>
/// <param name="BytesPerSequence">KV bytes one request of max_model_len tokens needs.</param>
/// <param name="LongestSequence">The longest single request the pool holds (vLLM's "estimated maximum model length").</param>
public sealed record VllmKvPool(
    long Blocks,
    int BlockSize,
    long Tokens,
    double MaxConcurrency,
    long MaxModelLen,
    long BytesPerSequence,
    long LongestSequence,
    ImmutableArray<VllmKvSpec> Specs,
    int Groups,
    int LayersPerGroup)
{
    /// <summary>Bytes of one block: every layer's page, or one group's layers' pages when groups share the pool.</summary>
    public long BytesPerBlock => Groups == 1 ? Specs.Sum(s => s.PageBytes * s.Layers) : Specs[0].PageBytes * LayersPerGroup;
}

/// <summary>The arithmetic of vLLM's paged KV cache, V0 (vllm/worker/cache_engine.py) and V1 (vllm/v1/core/kv_cache_utils.py).</summary>
public static class VllmKvCache
{
    /// <summary>
    /// Bytes of one block of one layer. Standard attention keeps K and V: 2 × block_size × KV heads on this GPU ×
    /// head_size × dtype bytes (vllm/v1/kv_cache_interface.py AttentionSpec.page_size_bytes). Tensor parallelism
    /// divides the KV heads, but never below one: with fewer KV heads than GPUs each head is replicated
    /// (vllm/config.py get_num_kv_heads). MLA keeps one latent per token, kv_lora_rank + qk_rope_head_dim values,
    /// the same on every GPU (MLAAttentionSpec: no factor 2).
    /// Example: Llama-3-8B, block 16, bf16, TP 1: 2 × 16 × 8 × 128 × 2 B = 65,536 B per layer.
    /// </summary>
    public static long PageBytes(AttentionShape attention, int blockSize, DataType kvType, int tensorParallel, DataType? padLatentFor = null)
    {
        if (attention.Latent is { } latent)
        {
            // V0 ≈ 0.7.2–0.8.0 (PR #12676) rounded each entry up to 256 bytes of the model's dtype: 576 → 640 values in bf16.
            long values = latent.KvRank + latent.RopeHeadDim;
            if (padLatentFor is { } model)
            {
                var bytes = model.SizeOf(values).Bytes;
                values = (bytes + 255) / 256 * 256 / model.BytesPerBlock;
            }

            return kvType.SizeOf(blockSize * values).Bytes;
        }

        var heads = Math.Max(1, attention.KvHeads / tensorParallel);
        return checked(2 * kvType.SizeOf((long)blockSize * heads * attention.HeadDim).Bytes);
    }

    /// <summary>The layers' page kinds. V0 and V1 without the hybrid allocator treat sliding layers as full ones.</summary>
    public static ImmutableArray<VllmKvSpec> Specs(IEnumerable<LayerShape> layers, int blockSize, DataType kvType, int tensorParallel, bool slidingAware,
        DataType? padLatentFor = null)
    {
        return [.. layers
            .Select(l => (Kind: Kind(l.Attention, slidingAware), Window: slidingAware ? l.Attention.SlidingWindow : null,
                Page: PageBytes(l.Attention, blockSize, kvType, tensorParallel, padLatentFor)))
            .Select(x => x.Kind == "sliding" ? x : x with { Window = null })
            .GroupBy(x => x)
            .Select(g => new VllmKvSpec(g.Key.Kind, g.Count(), g.Key.Page, g.Key.Window))];
    }

    private static string Kind(AttentionShape attention, bool slidingAware) => attention.Kind switch
    {
        AttentionKind.Latent => "latent",
        AttentionKind.Sliding when slidingAware && attention.SlidingWindow is not null => "sliding",
        _ => "full",
    };

    /// <summary>
    /// Blocks, tokens and concurrency from the bytes left for the cache.
    /// V0 (vllm/worker/worker.py determine_num_available_blocks): one block holds block_size tokens of every layer;
    /// blocks = ⌊available / (block_size × Σ layers' bytes per token)⌋; concurrency = tokens / max_model_len.
    /// V1 (vllm/v1/core/kv_cache_utils.py): layers of one kind form groups of equal size that share the pool's tensors;
    /// blocks = ⌊available / page / layers per group⌋, tokens = ⌊blocks / groups⌋ × block_size, and a request needs
    /// ⌈max_model_len / block_size⌉ blocks per full-attention group, ⌈(window − 1 + batched tokens) / block_size⌉ + 1 per
    /// sliding group (get_max_concurrency_for_kv_cache_config).
    /// Example (vLLM 0.31 log, Llama-3.1-8B on an A100): 28,781 blocks × 16 = 460,496 tokens; 28,781 / 8,192 = 3.51 requests of 131,072.
    /// </summary>
    public static VllmKvPool Pool(ImmutableArray<VllmKvSpec> specs, long availableBytes, int blockSize, long maxModelLen, long maxBatchedTokens, bool v1)
    {
        var available = Math.Max(0, availableBytes);
        if (!v1 || specs.Length <= 1 || specs.Select(s => s.PageBytes).Distinct().Count() > 1)
        {
            // One block spans every layer: V0 always, and V1 for a single kind (or, as a fallback, kinds whose pages differ).
            var blockBytes = specs.Sum(s => checked(s.PageBytes * s.Layers));
            var blocks = blockBytes == 0 ? 0 : available / blockBytes;
            var perRequest = Math.Max(1, PerRequestBlocks(specs, blockSize, maxModelLen, maxBatchedTokens, v1));
            var tokens = checked(blocks * blockSize);
            var concurrency = v1 ? (double)blocks / perRequest : (double)tokens / maxModelLen;
            return new VllmKvPool(blocks, blockSize, tokens, concurrency, maxModelLen, checked(perRequest * blockBytes),
                LongestSequence(specs, blocks, blockSize), specs, 1, specs.Sum(s => s.Layers));
        }

        // Several kinds with one page size: groups of the smallest kind's layer count (vLLM's uniform-page-size path).
        var groupSize = specs.Min(s => s.Layers);
        var groups = specs.Sum(s => (s.Layers + groupSize - 1) / groupSize);
        var page = specs[0].PageBytes;
        var pooled = available / checked(page * groupSize);
        var requestBlocks = specs.Sum(s => checked(PerRequestBlocks([s], blockSize, maxModelLen, maxBatchedTokens, true) * ((s.Layers + groupSize - 1) / groupSize)));
        return new VllmKvPool(pooled, blockSize, checked(pooled / groups * blockSize), (double)pooled / Math.Max(1, requestBlocks), maxModelLen,
            checked(requestBlocks * page * groupSize), LongestSequence(specs, pooled / groups, blockSize), specs, groups, groupSize);
    }

    /// <summary>Blocks one request of max_model_len tokens holds in each group (the largest over kinds: one block spans every layer).</summary>
    private static long PerRequestBlocks(ImmutableArray<VllmKvSpec> specs, int blockSize, long maxModelLen, long maxBatchedTokens, bool v1) =>
        specs.Select(s => s.SlidingWindow is { } window && v1
                ? CeilDiv(Math.Min(window - 1 + maxBatchedTokens, maxModelLen), blockSize) + 1
                : CeilDiv(maxModelLen, blockSize))
            .DefaultIfEmpty(0)
            .Max();

    /// <summary>The longest request whose full-attention blocks fit (sliding layers need only their window).</summary>
    private static long LongestSequence(ImmutableArray<VllmKvSpec> specs, long blocks, int blockSize) =>
        specs.Any(s => s.SlidingWindow is null) ? checked(blocks * blockSize) : long.MaxValue;

    private static long CeilDiv(long a, long b) => (a + b - 1) / b;
}
