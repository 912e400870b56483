using System.Globalization;
using LlmMem.Estimates;
using LlmMem.Units;

namespace LlmMem.Cli.Rendering;

/// <summary>The KV pool in the words vLLM logs it: tokens, and requests of max_model_len at once.</summary>
internal static class PoolText
{
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
