using System.Globalization;
using LlmMem.DataTypes;

namespace LlmMem.Formulas;

/// <summary>Shared wording for formulas, so every term explains itself the same way.</summary>
internal static class FormulaText
{
    public static string Count(long value) => value.ToString("N0", CultureInfo.InvariantCulture);

    /// <summary>
    /// "8,000,000,000 params × 4 B (fp32)" for a plain type;
    /// "⌈8,000,000,000 params / 256⌉ blocks × 144 B (Q4_K, 4.5 bits each)" for a block type.
    /// </summary>
    /// <remarks>With <paramref name="shards"/> above one the count reads "(⌈8,000,000,000 / 4⌉ = 2,000,000,000)".</remarks>
    public static string Storage(long total, long shards, long elements, string noun, DataType type)
    {
        var count = shards == 1 ? Count(elements) : $"(⌈{Count(total)} / {shards}⌉ = {Count(elements)})";
        if (type.IsPlain)
        {
            return $"{count} {noun} × {type.BytesPerBlock} B ({type.Name})";
        }

        return $"⌈{count} {noun} / {type.ElementsPerBlock}⌉ blocks × {type.BytesPerBlock} B ({type.Name}, {type.BitsPerElementText} bits per element)";
    }
}
