using LlmMem.DataTypes;
using LlmMem.Units;

namespace LlmMem.Inference;

/// <summary>vLLM's engine arguments that shape its memory. Null means "vLLM's default" (which may depend on the version).</summary>
/// <param name="GpuMemoryUtilization">Share of the GPU's total memory vLLM may use (<c>--gpu-memory-utilization</c>, default 0.9).</param>
/// <param name="MaxModelLen">Longest request (<c>--max-model-len</c>; default: the model's context length).</param>
/// <param name="MaxNumSeqs">Requests in one batch (<c>--max-num-seqs</c>).</param>
/// <param name="MaxNumBatchedTokens">Tokens in one step (<c>--max-num-batched-tokens</c>): the profiling forward pass's size.</param>
/// <param name="BlockSize">Tokens per KV block (<c>--block-size</c>, default 16).</param>
/// <param name="KvCacheDtype">KV cache type (<c>--kv-cache-dtype</c>); null is "auto", the model's dtype.</param>
/// <param name="EnforceEager">No CUDA graphs (<c>--enforce-eager</c>).</param>
/// <param name="Version">Which vLLM's rules apply (<c>--engine-version</c>).</param>
/// <param name="RuntimeTotal">The GPU total as CUDA reports it to vLLM, when known better than the catalog's.</param>
public sealed record VllmSettings(
    double? GpuMemoryUtilization = null,
    long? MaxModelLen = null,
    int? MaxNumSeqs = null,
    long? MaxNumBatchedTokens = null,
    int? BlockSize = null,
    DataType? KvCacheDtype = null,
    bool EnforceEager = false,
    VllmVersion? Version = null,
    ByteSize? RuntimeTotal = null)
{
    /// <summary>vllm/config.py CacheConfig.gpu_memory_utilization.</summary>
    public const double DefaultGpuMemoryUtilization = 0.9;

    /// <summary>vllm/config.py CacheConfig.block_size default for CUDA.</summary>
    public const int DefaultBlockSize = 16;

    /// <summary>The KV cache types vLLM accepts (<c>--kv-cache-dtype</c>: auto, fp8, fp8_e4m3, fp8_e5m2, bfloat16/float16 in newer versions).</summary>
    public static IReadOnlyList<DataType> KvCacheTypes { get; } = [DataType.Fp8E4M3, DataType.Fp8E5M2, DataType.Fp16, DataType.Bf16];
}
