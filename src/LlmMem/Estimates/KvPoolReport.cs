namespace LlmMem.Estimates;

/// <summary>
/// What a paged-KV engine (vLLM) reports after carving its pool: the answer platform teams size fleets by.
/// </summary>
/// <param name="Tokens">Tokens the pool holds ("GPU KV cache size: N tokens").</param>
/// <param name="MaxConcurrency">Requests of <paramref name="MaxModelLen"/> tokens that fit at once.</param>
/// <param name="BytesPerSequence">KV bytes one request of max_model_len tokens needs on one GPU.</param>
/// <param name="LongestSequence">The longest single request the pool holds; null when unbounded (sliding windows only) or no GPU was named.</param>
/// <param name="Blocks">KV blocks of <paramref name="BlockSize"/> tokens.</param>
public sealed record KvPoolReport(long? Tokens, double? MaxConcurrency, long MaxModelLen, long BytesPerSequence, long? LongestSequence, long? Blocks, int BlockSize);
