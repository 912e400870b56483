using LlmMem.DataTypes;

namespace LlmMem.Formats.Safetensors;

/// <summary>The safetensors dtype names ("F32", "BF16" …) and the llmem <see cref="DataType"/> each one stores.</summary>
/// <remarks>
/// The names are those of the reference implementation's <c>Dtype</c> enum, which the README's §Format header
/// example ("dtype": "F16") draws from. Every type read here stores whole bytes per element.
/// </remarks>
public static class SafetensorsDataType
{
    private static readonly (string Name, DataType Type)[] Read =
    [
        ("F64", DataType.Fp64),
        ("F32", DataType.Fp32),
        ("F16", DataType.Fp16),
        ("BF16", DataType.Bf16),
        ("F8_E4M3", DataType.Fp8E4M3),
        ("F8_E5M2", DataType.Fp8E5M2),
        ("I64", DataType.Int64),
        ("I32", DataType.Int32),
        ("I16", DataType.Int16),
        ("I8", DataType.Int8),
        ("U8", DataType.UInt8),
        ("BOOL", DataType.Bool),
    ];

    /// <summary>
    /// dtypes the format defines that llmem has no storage type for yet: unsigned 16/32/64-bit, complex, the E8M0
    /// scale type, and the sub-byte float types (which the README's §Format notes say make alignment tricky).
    /// </summary>
    private static readonly string[] NotRead = ["U16", "U32", "U64", "C64", "F8_E8M0", "F4", "F6_E2M3", "F6_E3M2"];

    /// <summary>The dtype names this reader accepts, widest first.</summary>
    public static IReadOnlyList<string> Names { get; } = [.. Read.Select(r => r.Name)];

    /// <summary>The storage type of a safetensors dtype name (exact, case-sensitive, as the format spells it).</summary>
    /// <param name="name">The header's "dtype" value.</param>
    /// <param name="type">The storage type when known.</param>
    /// <param name="error">Why the name is refused: a format dtype llmem does not read yet, or not a dtype at all.</param>
    public static bool TryFromName(string name, out DataType type, out string error)
    {
        foreach (var (known, stored) in Read)
        {
            if (string.Equals(known, name, StringComparison.Ordinal))
            {
                (type, error) = (stored, "");
                return true;
            }
        }

        type = DataType.UInt8;
        var quoted = SafetensorsText.Quote(name);
        error = NotRead.Contains(name, StringComparer.Ordinal)
            ? $"dtype {quoted} is a safetensors type llmem does not read yet (it reads {string.Join(", ", Names)})."
            : $"dtype {quoted} is not a safetensors dtype (known: {string.Join(", ", Names)}, {string.Join(", ", NotRead)}).";
        return false;
    }

    /// <summary>The safetensors name of a storage type, or null when the format has none for it (GGML quants, NF4 …).</summary>
    public static string? NameOf(DataType type)
    {
        foreach (var (known, stored) in Read)
        {
            if (stored == type)
            {
                return known;
            }
        }

        return null;
    }
}
