namespace LlmMem.Formats.Safetensors;

/// <summary>Bounds on what a safetensors file or index may declare, each with its reason.</summary>
/// <remarks>
/// Every declared size is checked against the file's real length first; these limits bound what a file that is
/// long enough may still ask of the reader.
/// </remarks>
public static class SafetensorsLimits
{
    /// <summary>The largest JSON header read: 100,000,000 bytes.</summary>
    /// <remarks>
    /// The safetensors README (§Benefits, "Prevent DOS attacks") sets "a limit on the size of the header of 100MB to
    /// prevent parsing extremely large JSON", and its reference loader refuses a longer header, so no loader could use
    /// such a file. Real headers hold about 150 bytes per tensor: under 15 MB for 90,000 tensors.
    /// </remarks>
    public const long MaxHeaderBytes = 100_000_000;

    /// <summary>The largest model.safetensors.index.json read: 100,000,000 bytes.</summary>
    /// <remarks>
    /// An index holds one line of about 100 bytes per tensor, less than the headers it points at; the header limit
    /// is the natural bound for it too.
    /// </remarks>
    public const long MaxIndexBytes = 100_000_000;

    /// <summary>JSON nesting depth: a header nests three levels (header → tensor → shape); an index, three.</summary>
    /// <remarks>Deeper JSON can only be an unknown field's value; refusing it keeps a hostile file from exhausting the stack.</remarks>
    public const int MaxDepth = 16;

    /// <summary>Most dimensions a tensor may have: 64, NumPy 2's limit (NPY_MAXDIMS). Real checkpoints use at most 5.</summary>
    public const int MaxRank = 64;

    /// <summary>Longest tensor name or dtype quoted in an error message; longer ones are cut so a message stays one short line.</summary>
    internal const int MaxQuotedLength = 120;
}
