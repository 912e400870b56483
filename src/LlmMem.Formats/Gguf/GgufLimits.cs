namespace LlmMem.Formats.Gguf;

/// <summary>
/// Bounds on what a GGUF header may declare, each with its reason. Every declared length is also checked against the
/// bytes the file really has before anything is allocated; these limits catch what fits in a file but is still absurd.
/// </summary>
public static class GgufLimits
{
    /// <summary>Tensor dimensions: the spec (§File Structure, <c>gguf_tensor_info_t.n_dimensions</c>) allows at most 4, ggml's GGML_MAX_DIMS.</summary>
    public const int MaxDimensions = 4;

    /// <summary>Bytes in a tensor name: the spec (§File Structure, <c>gguf_tensor_info_t.name</c>) allows at most 64 (ggml's GGML_MAX_NAME).</summary>
    public const int MaxTensorNameBytes = 64;

    /// <summary>Bytes in a metadata key: the spec (§File Structure, <c>gguf_metadata_kv_t.key</c>) allows at most 2¹⁶ − 1.</summary>
    public const int MaxKeyBytes = 65_535;

    /// <summary>Tensors in one file: real files hold under 2,000 (DeepSeek-V3 with merged experts: ~1,150); old files with one tensor per expert, under 50,000.</summary>
    public const long MaxTensors = 1_000_000;

    /// <summary>Metadata pairs in one file: real files hold 20 to 60.</summary>
    public const long MaxMetadataEntries = 100_000;

    /// <summary>
    /// The longest array whose values are kept: per-layer arrays (KV heads, feed-forward widths, sliding-window flags) have one
    /// element per layer, at most a few hundred. Longer arrays (tokenizer tokens, scores and merges: 30,000 to 260,000) are counted and skipped.
    /// </summary>
    public const int MaxArrayElementsKept = 4_096;

    /// <summary>Array elements kept over the whole file: bounds the memory a header of many short arrays can cost (each kept element is an object).</summary>
    public const int MaxArrayElementsKeptInAll = 100_000;

    /// <summary>The longest string value kept: chat templates reach ~30 KB; longer strings (an embedded tokenizer.json) are measured and skipped.</summary>
    public const int MaxStringBytesKept = 1 << 20;

    /// <summary>Arrays nested in arrays: the spec allows nesting, real files never nest; a deep nest could only exhaust the stack.</summary>
    public const int MaxArrayDepth = 8;

    /// <summary>
    /// Bytes before the tensor data: real headers are under 20 MB (a 262,144-token vocabulary with its scores and merges). A larger one is refused,
    /// which also bounds the time spent skipping a hostile header's arrays.
    /// </summary>
    public const long MaxHeaderBytes = 256L << 20;

    /// <summary>The largest <c>general.alignment</c>: real files use 32 (the default) or 64; 1 GiB is a generous bound that keeps the padding arithmetic exact.</summary>
    public const long MaxAlignment = 1L << 30;

    /// <summary>Layers in a model: real models have up to ~200.</summary>
    public const int MaxLayers = 100_000;

    /// <summary>Parts of a split model: the file names carry five digits; real splits have 2 to ~50 parts.</summary>
    public const int MaxSplitParts = 9_999;

    /// <summary>Experts per MoE layer: real models have up to 512.</summary>
    public const long MaxExperts = 1_000_000;

    /// <summary>The reader's buffer: large enough that skipping a tokenizer's strings costs few reads, small enough to be negligible.</summary>
    internal const int ReadBufferBytes = 64 << 10;
}
