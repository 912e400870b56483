namespace LlmMem.Estimates;

/// <summary>
/// What a paged-KV engine (vLLM) reports after carving its pool: the answer platform teams size fleets by.
/// </summary>
/// <param name="Tokens">Tokens the pool holds ("GPU KV cache size: N tokens").</param>
/// <param name="MaxConcurrency">Requests of <paramref name="MaxModelLen"/> tokens that fit at once.</param>
/// <param name="BytesPerSequence">KV bytes one request of max_model_len tokens needs on one GPU.</param>
/// <param name="LongestSequence">The longest single request the pool holds; null when unbounded (sliding windows only) or no GPU was named.</param>
/// <param name="Blocks">KV blocks of <paramref name="BlockSize"/> tokens.</param>
/// <param name="BytesPerBlock">Bytes of one block across the layers that share it (every layer; a group's layers in hybrid models).</param>
/// <param name="Groups">KV groups sharing the pool (1 unless sliding and full layers are grouped).</param>
public sealed record KvPoolReport(long? Tokens, double? MaxConcurrency, long MaxModelLen, long BytesPerSequence, long? LongestSequence, long? Blocks, int BlockSize,
    long BytesPerBlock, int Groups)
{
    /// <summary>The tokens a pool of <paramref name="poolBytes"/> holds: whole blocks, shared by the groups.</summary>
    public long TokensIn(long poolBytes) => BytesPerBlock == 0 ? 0 : Math.Max(0, poolBytes) / BytesPerBlock / Groups * BlockSize;
}
