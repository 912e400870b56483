using System.Globalization;
using LlmMem.Estimates;
using LlmMem.Units;

namespace LlmMem.Cli.Rendering;

/// <summary>The lines under a breakdown: the KV pool in the words vLLM logs it, and the decode-speed bound.</summary>
internal static class PoolText
{
    /// <summary>"Decode: at most 60.7 tokens/s on gpu0 (memory-bandwidth bound: …)".</summary>
    public static string Describe(DecodeBound decode) =>
        $"Decode: at most {decode.TokensPerSecond.ToString("N1", CultureInfo.InvariantCulture)} tokens/s"
        + (decode.Sequences > 1 ? $" over {decode.Sequences.ToString("N0", CultureInfo.InvariantCulture)} sequences" : "")
        + $" on {decode.Device} — a memory-bandwidth bound, not a prediction: {decode.Formula}.";

    public static string Describe(KvPoolReport pool)
    {
        var perRequest = ByteSize.FromBytes(pool.BytesPerSequence).Format();
        var len = pool.MaxModelLen.ToString("N0", CultureInfo.InvariantCulture);
        if (pool.Tokens is not { } tokens)
        {
            return $"KV cache: one request of {len} tokens needs {perRequest} per GPU.";
        }

        var concurrency = (pool.MaxConcurrency ?? 0).ToString("0.00", CultureInfo.InvariantCulture);
        return $"KV cache: {tokens.ToString("N0", CultureInfo.InvariantCulture)} tokens ({pool.Blocks:N0} blocks of {pool.BlockSize}) per GPU; "
            + $"maximum concurrency for {len} tokens per request: {concurrency}x; one such request needs {perRequest}.";
    }
}
