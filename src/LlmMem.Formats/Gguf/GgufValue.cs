using System.Collections.Immutable;
using System.Globalization;

namespace LlmMem.Formats.Gguf;

/// <summary>The type of a metadata value: <c>gguf_metadata_value_type</c> (spec §File Structure), ids 0 to 12.</summary>
public enum GgufValueType : uint
{
    UInt8 = 0,
    Int8 = 1,
    UInt16 = 2,
    Int16 = 3,
    UInt32 = 4,
    Int32 = 5,
    Float32 = 6,
    Bool = 7,
    String = 8,
    Array = 9,
    UInt64 = 10,
    Int64 = 11,
    Float64 = 12,
}

/// <summary>
/// One metadata value as the file stores it. Scalars are always kept; a string longer than the reader keeps has only its
/// <see cref="Length"/>, and an array longer than the reader keeps (a tokenizer's tokens) has only its element count.
/// </summary>
public sealed class GgufValue
{
    /// <summary>Integers as two's complement (signed types sign-extended), bools as 0 or 1.</summary>
    private readonly ulong bits;
    private readonly double number;

    private GgufValue(GgufValueType type, long offset, ulong bits = 0, double number = 0, string? text = null, long length = 0,
        GgufValueType? elementType = null, ImmutableArray<GgufValue> items = default)
    {
        Type = type;
        Offset = offset;
        this.bits = bits;
        this.number = number;
        Text = text;
        Length = length;
        ElementType = elementType;
        Items = items.IsDefault ? [] : items;
    }

    public GgufValueType Type { get; }

    /// <summary>Where the value's bytes start in the file (after its type id), for messages.</summary>
    public long Offset { get; }

    /// <summary>A string's text, when kept (null for other types and for strings longer than the reader keeps).</summary>
    public string? Text { get; }

    /// <summary>A string's length in bytes, or an array's element count; 0 for other scalars.</summary>
    public long Length { get; }

    /// <summary>The type of an array's elements; null for scalars and strings.</summary>
    public GgufValueType? ElementType { get; }

    /// <summary>An array's elements, when kept; empty otherwise (see <see cref="IsKept"/>).</summary>
    public ImmutableArray<GgufValue> Items { get; }

    /// <summary>False for a string or array the reader measured but did not keep.</summary>
    public bool IsKept => Type switch
    {
        GgufValueType.String => Text is not null,
        GgufValueType.Array => Items.Length == Length,
        _ => true,
    };

    public bool IsInteger => IsIntegerType(Type);

    internal static bool IsIntegerType(GgufValueType type) => type is GgufValueType.UInt8 or GgufValueType.Int8 or GgufValueType.UInt16
        or GgufValueType.Int16 or GgufValueType.UInt32 or GgufValueType.Int32 or GgufValueType.UInt64 or GgufValueType.Int64;

    private bool IsSigned => Type is GgufValueType.Int8 or GgufValueType.Int16 or GgufValueType.Int32 or GgufValueType.Int64;

    internal static GgufValue Integer(GgufValueType type, long offset, ulong bits) => new(type, offset, bits);

    internal static GgufValue Float(GgufValueType type, long offset, double value) => new(type, offset, number: value);

    internal static GgufValue Boolean(long offset, bool value) => new(GgufValueType.Bool, offset, value ? 1UL : 0UL);

    internal static GgufValue String(long offset, string? text, long length) => new(GgufValueType.String, offset, text: text, length: length);

    internal static GgufValue Array(long offset, GgufValueType elementType, long count, ImmutableArray<GgufValue> items) =>
        new(GgufValueType.Array, offset, length: count, elementType: elementType, items: items);

    /// <summary>An integer value that fits a <see cref="long"/>; false for other types and for UINT64 values above 2⁶³ − 1.</summary>
    public bool TryGetInteger(out long value)
    {
        value = unchecked((long)bits);
        return IsInteger && (IsSigned || bits <= long.MaxValue);
    }

    /// <summary>A FLOAT32 or FLOAT64 value.</summary>
    public bool TryGetFloat(out double value)
    {
        value = number;
        return Type is GgufValueType.Float32 or GgufValueType.Float64;
    }

    public bool TryGetBool(out bool value)
    {
        value = bits != 0;
        return Type == GgufValueType.Bool;
    }

    /// <summary>The spec's name of a type, lower case: "uint32", "string", "array".</summary>
    public static string TypeName(GgufValueType type) => type switch
    {
        GgufValueType.UInt8 => "uint8",
        GgufValueType.Int8 => "int8",
        GgufValueType.UInt16 => "uint16",
        GgufValueType.Int16 => "int16",
        GgufValueType.UInt32 => "uint32",
        GgufValueType.Int32 => "int32",
        GgufValueType.Float32 => "float32",
        GgufValueType.Bool => "bool",
        GgufValueType.String => "string",
        GgufValueType.Array => "array",
        GgufValueType.UInt64 => "uint64",
        GgufValueType.Int64 => "int64",
        GgufValueType.Float64 => "float64",
        _ => $"type {(uint)type}",
    };

    /// <summary>The type as a message names it: "uint32", "an array of 151,936 string values".</summary>
    public string Describe() => Type == GgufValueType.Array
        ? $"an array of {Length.ToString("N0", CultureInfo.InvariantCulture)} {TypeName(ElementType!.Value)} values"
        : TypeName(Type);

    /// <summary>The value as text: 4096, -1, 0.5, true, "llama", [32, 32, 8], or [151,936 × string, not kept].</summary>
    public override string ToString() => Type switch
    {
        GgufValueType.Bool => bits != 0 ? "true" : "false",
        GgufValueType.Float32 or GgufValueType.Float64 => number.ToString("R", CultureInfo.InvariantCulture),
        GgufValueType.String => Text is null ? $"<{Length.ToString("N0", CultureInfo.InvariantCulture)} bytes, not kept>" : $"\"{Text}\"",
        GgufValueType.Array => IsKept
            ? $"[{string.Join(", ", Items)}]"
            : $"[{Length.ToString("N0", CultureInfo.InvariantCulture)} × {TypeName(ElementType!.Value)}, not kept]",
        _ => IsSigned ? unchecked((long)bits).ToString(CultureInfo.InvariantCulture) : bits.ToString(CultureInfo.InvariantCulture),
    };
}
