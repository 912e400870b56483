using System.Globalization;
using LlmMem.Units;

namespace LlmMem.DataTypes;

/// <summary>How values of a type are stored.</summary>
public enum DataTypeFamily
{
    /// <summary>One floating-point value per element (fp32, bf16, fp8 …).</summary>
    Float,

    /// <summary>Plain integers, possibly packed several to a byte (int8, int4).</summary>
    Integer,

    /// <summary>Blocks of low-bit values sharing scales (GGML quants, NF4, MXFP4, GPTQ groups).</summary>
    BlockQuantized,
}

/// <summary>
/// A storage type for tensor elements, exact to the byte: <see cref="ElementsPerBlock"/> elements are stored in
/// <see cref="BytesPerBlock"/> bytes. Bits per element are derived from these, never typed in by hand.
/// </summary>
/// <param name="Name">Canonical name: lower case for framework types (fp32, bf16), ggml's spelling for GGML types (Q4_K).</param>
/// <param name="Family">Float, integer or block-quantised.</param>
/// <param name="ElementsPerBlock">Elements that share one block (1 for plain types).</param>
/// <param name="BytesPerBlock">Bytes one block occupies, scales included.</param>
/// <param name="Layout">What a block holds, e.g. "fp16 scale + fp16 min + 12 B of 6-bit sub-scales + 256 × 4-bit".</param>
/// <param name="Source">Where the layout is defined.</param>
/// <param name="GgmlId">The <c>ggml_type</c> number in GGUF files, where ggml has this type.</param>
/// <param name="Aliases">Other names users write, matched case-insensitively.</param>
public sealed partial record DataType(
    string Name,
    DataTypeFamily Family,
    int ElementsPerBlock,
    int BytesPerBlock,
    string Layout,
    string Source,
    int? GgmlId = null,
    IReadOnlyList<string>? Aliases = null)
{
    public IReadOnlyList<string> Aliases { get; init; } = Aliases ?? [];

    /// <summary>Bits of storage per element, scales included: Q4_K = 144 × 8 / 256 = 4.5.</summary>
    public double BitsPerElement => BytesPerBlock * 8.0 / ElementsPerBlock;

    /// <summary>Bits per element as text without rounding error: "4.5", "6.5625", "4.127".</summary>
    public string BitsPerElementText =>
        ((decimal)BytesPerBlock * 8 / ElementsPerBlock).ToString("0.######", CultureInfo.InvariantCulture);

    /// <summary>True when one element fills whole bytes on its own (fp32, bf16, int8 …).</summary>
    public bool IsPlain => ElementsPerBlock == 1;

    /// <summary>Bytes for <paramref name="elements"/> elements: whole blocks, the last one rounded up.</summary>
    /// <remarks>ggml requires each row to be a whole number of blocks; a partial block still costs a whole one.</remarks>
    public ByteSize SizeOf(long elements)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(elements);
        if (IsPlain)
        {
            // One element per block: no 64-bit division (two per call otherwise). Estimates call this once per layer
            // and term, so it was a visible share of a Transformers estimate (docs/performance.md, Run 2).
            return ByteSize.FromBytes(checked(elements * BytesPerBlock));
        }

        var blocks = elements / ElementsPerBlock + (elements % ElementsPerBlock == 0 ? 0 : 1);
        return ByteSize.FromBytes(checked(blocks * BytesPerBlock));
    }

    /// <summary>"4 B" for plain types, "144 B per 256 elements" for block types.</summary>
    public string StorageText => IsPlain
        ? $"{BytesPerBlock} B"
        : $"{BytesPerBlock} B per {ElementsPerBlock} elements";

    /// <summary>Matches the canonical name or an alias, ignoring case, '-' versus '_', and spaces.</summary>
    public bool Matches(string text)
    {
        var key = Normalise(text);
        return Normalise(Name) == key || Aliases.Any(a => Normalise(a) == key);
    }

    internal static string Normalise(string text) => Text.NameSuggestion.Key(text);

    public override string ToString() => Name;
}
