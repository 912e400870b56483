using LlmMem.DataTypes;

namespace LlmMem.Inference;

/// <summary>llama.cpp's own context options that shape its buffers. Null means "llama.cpp's default".</summary>
/// <param name="UBatch">Tokens per micro-batch (<c>-ub</c>, default 512).</param>
/// <param name="Sequences">Parallel sequences sharing the cache (<c>-np</c>, default 1).</param>
/// <param name="CacheTypeK">K cache type (<c>-ctk</c>, default f16).</param>
/// <param name="CacheTypeV">V cache type (<c>-ctv</c>, default f16).</param>
/// <param name="FlashAttention">Flash attention (<c>-fa on|off|auto</c>; auto counts as on, as llama.cpp enables it where the backend supports it).</param>
/// <param name="SwaFull">Keep full-size caches for sliding-window layers (<c>--swa-full</c>).</param>
/// <param name="GpuLayers">Layers offloaded to the GPU (<c>-ngl</c>); null: all of them and the output layer.</param>
/// <param name="NoKvOffload">Keep the whole KV cache in host memory (<c>-nkvo</c>).</param>
/// <param name="CpuMoeLayers">Keep the expert tensors of the first N layers in host memory (<c>--n-cpu-moe</c>).</param>
/// <param name="Embeddings">Also output embeddings (<c>--embedding</c>; Ollama's runner enables it).</param>
/// <param name="TensorSplit">Shares of the offloaded layers per GPU (<c>-ts 3,2</c>); null: in proportion to each GPU's memory.</param>
/// <param name="NoMmap">Read the weights kept on the host into allocated RAM (<c>--no-mmap</c>) instead of mapping the file.</param>
/// <param name="KvUnified">
/// One KV buffer shared by all sequences (<c>-kvu</c>) or one stream per sequence (<c>-no-kvu</c>); null: the build's
/// default — split from b6071 (llama-cli, and llama-server given -np N), unified before. llama-server started without -np
/// runs 4 slots unified (b6925 on): <c>-np 4 -kvu</c>.
/// </param>
/// <param name="NoRepack">Keep the host's weights out of the CPU backend's repacked buffer (<c>--no-repack</c>, <c>-nr</c>).</param>
/// <param name="Version">Whose allocation rules apply (<c>--engine-version b5622</c>); null: <see cref="LlamaCppVersion.Latest"/>.</param>
public sealed record LlamaCppSettings(
    long? UBatch = null,
    int? Sequences = null,
    DataType? CacheTypeK = null,
    DataType? CacheTypeV = null,
    bool? FlashAttention = null,
    bool SwaFull = false,
    int? GpuLayers = null,
    bool NoKvOffload = false,
    bool Embeddings = false,
    int CpuMoeLayers = 0,
    System.Collections.Immutable.ImmutableArray<double>? TensorSplit = null,
    bool NoMmap = false,
    LlamaCppVersion? Version = null,
    bool? KvUnified = null,
    bool NoRepack = false)
{
    public const long DefaultUBatch = 512;

    /// <summary>The K/V cache types llama.cpp accepts (common/arg.cpp kv_cache_types).</summary>
    public static IReadOnlyList<DataType> CacheTypes { get; } =
        [DataType.Fp32, DataType.Fp16, DataType.Bf16, DataType.Q8_0, DataType.Q4_0, DataType.Q4_1, DataType.IQ4_NL, DataType.Q5_0, DataType.Q5_1];
}
