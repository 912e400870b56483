using System.Globalization;

namespace LlmMem.Units;

/// <summary>An exact number of model parameters (elements), kept apart from <see cref="ByteSize"/>.</summary>
public readonly record struct ParameterCount : IComparable<ParameterCount>
{
    /// <summary>
    /// The largest count accepted from a user: 100 trillion. The largest published models are near
    /// 2 trillion; a count far past that is a typo, and would overflow byte arithmetic at fp32.
    /// </summary>
    public const long Max = 100_000_000_000_000L;

    public long Value { get; }

    private ParameterCount(long value) => Value = value;

    public static ParameterCount Of(long value) =>
        value >= 0 ? new ParameterCount(value) : throw new ArgumentOutOfRangeException(nameof(value), value, "A parameter count cannot be negative.");

    public static ParameterCount operator +(ParameterCount a, ParameterCount b) => new(checked(a.Value + b.Value));

    public int CompareTo(ParameterCount other) => Value.CompareTo(other.Value);

    /// <summary>This count split evenly over <paramref name="parts"/> shards, rounded up.</summary>
    public ParameterCount DivideCeiling(long parts)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(parts);
        return new ParameterCount(Value / parts + (Value % parts == 0 ? 0 : 1));
    }

    /// <summary>"8,000,000,000".</summary>
    public string FormatExact() => Value.ToString("N0", CultureInfo.InvariantCulture);

    /// <summary>"8.03B", "135M", "1.5T": how model cards name sizes (decimal, not binary).</summary>
    public string FormatShort()
    {
        foreach (var (size, suffix) in Suffixes)
        {
            if (Value >= size)
            {
                var value = (decimal)Value / size;
                return value.ToString(value >= 100 ? "0.#" : "0.##", CultureInfo.InvariantCulture) + suffix;
            }
        }

        return Value.ToString(CultureInfo.InvariantCulture);
    }

    public override string ToString() => FormatExact();

    private static readonly (long Size, string Suffix)[] Suffixes =
        [(1_000_000_000_000L, "T"), (1_000_000_000L, "B"), (1_000_000L, "M"), (1_000L, "K")];

    /// <summary>
    /// Parses a bare size as people write it: "8B", "70b", "1.5B", "135M", "2851M", "7e9", "405000000000".
    /// Suffixes are decimal (K = 10³, M = 10⁶, B or G = 10⁹, T = 10¹²), as on model cards.
    /// </summary>
    public static bool TryParse(string? text, out ParameterCount count, out string error)
    {
        count = default;
        var s = (text ?? "").Trim().Replace("_", "", StringComparison.Ordinal);
        long multiplier = 1;
        if (s.Length > 1)
        {
            multiplier = char.ToUpperInvariant(s[^1]) switch
            {
                'K' => 1_000L,
                'M' => 1_000_000L,
                'B' or 'G' => 1_000_000_000L,
                'T' => 1_000_000_000_000L,
                _ => 1,
            };
            if (multiplier != 1)
            {
                s = s[..^1];
            }
        }

        const NumberStyles styles = NumberStyles.AllowDecimalPoint | NumberStyles.AllowExponent | NumberStyles.AllowLeadingSign;
        if (double.TryParse(s, styles, CultureInfo.InvariantCulture, out var magnitude) && magnitude > (double)Max / multiplier)
        {
            error = $"Parameter count '{text}' is absurd: the most accepted is {new ParameterCount(Max).FormatShort()}.";
            return false;
        }

        if (!decimal.TryParse(s, styles, CultureInfo.InvariantCulture, out var value))
        {
            error = $"Cannot read parameter count '{text}': write it like 8B, 1.5B, 135M, 7e9 or 8000000000.";
            return false;
        }

        if (value > Max / multiplier)
        {
            error = $"Parameter count '{text}' is absurd: the most accepted is {new ParameterCount(Max).FormatShort()}.";
            return false;
        }

        var exact = value * multiplier;
        if (exact != decimal.Truncate(exact))
        {
            error = $"Parameter count '{text}' is not a whole number of parameters.";
            return false;
        }

        if (exact < 1)
        {
            error = $"Parameter count '{text}' must be at least one parameter.";
            return false;
        }

        count = new ParameterCount((long)exact);
        error = "";
        return true;
    }
}
