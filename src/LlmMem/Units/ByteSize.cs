using System.Globalization;

namespace LlmMem.Units;

/// <summary>An exact number of bytes of memory.</summary>
/// <remarks>
/// Backed by a <see cref="long"/> with checked arithmetic: an overflow throws instead of silently
/// under-reporting memory. Display is separate from value: see <see cref="Format(UnitSystem, int)"/>.
/// </remarks>
public readonly record struct ByteSize : IComparable<ByteSize>
{
    public const long KiB = 1L << 10;
    public const long MiB = 1L << 20;
    public const long GiB = 1L << 30;
    public const long TiB = 1L << 40;
    public const long PiB = 1L << 50;
    public const long KB = 1_000L;
    public const long MB = 1_000_000L;
    public const long GB = 1_000_000_000L;
    public const long TB = 1_000_000_000_000L;
    public const long PB = 1_000_000_000_000_000L;

    public static readonly ByteSize Zero = default;

    public long Bytes { get; }

    private ByteSize(long bytes) => Bytes = bytes;

    /// <summary>A byte count; negative counts are a programming error.</summary>
    public static ByteSize FromBytes(long bytes) =>
        bytes >= 0 ? new ByteSize(bytes) : throw new ArgumentOutOfRangeException(nameof(bytes), bytes, "A memory size cannot be negative.");

    public static ByteSize FromMiB(long mebibytes) => FromBytes(checked(mebibytes * MiB));

    public static ByteSize FromGiB(long gibibytes) => FromBytes(checked(gibibytes * GiB));

    public static ByteSize operator +(ByteSize a, ByteSize b) => new(checked(a.Bytes + b.Bytes));

    public static ByteSize operator -(ByteSize a, ByteSize b) => FromBytes(checked(a.Bytes - b.Bytes));

    public static ByteSize operator *(ByteSize a, long factor) => FromBytes(checked(a.Bytes * factor));

    public static ByteSize operator *(long factor, ByteSize a) => a * factor;

    public static bool operator <(ByteSize a, ByteSize b) => a.Bytes < b.Bytes;

    public static bool operator >(ByteSize a, ByteSize b) => a.Bytes > b.Bytes;

    public static bool operator <=(ByteSize a, ByteSize b) => a.Bytes <= b.Bytes;

    public static bool operator >=(ByteSize a, ByteSize b) => a.Bytes >= b.Bytes;

    public int CompareTo(ByteSize other) => Bytes.CompareTo(other.Bytes);

    /// <summary>This size split evenly over <paramref name="parts"/>, rounded up so no byte is lost.</summary>
    public ByteSize DivideCeiling(long parts)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(parts);
        return new ByteSize(Bytes / parts + (Bytes % parts == 0 ? 0 : 1));
    }

    public double InGiB => (double)Bytes / GiB;

    public double InGB => (double)Bytes / GB;

    /// <summary>
    /// "29.80 GiB" (binary, 1024³), "32.00 GB" (decimal, 10⁹) or both ("32.00 GB = 29.80 GiB").
    /// The largest unit that keeps the number at or above one is chosen; the symbol is always printed.
    /// </summary>
    public string Format(UnitSystem units = UnitSystem.Both, int decimals = 2) => units switch
    {
        UnitSystem.Iec => FormatIn(Bytes, IecUnits, decimals),
        UnitSystem.Si => FormatIn(Bytes, SiUnits, decimals),
        _ => $"{FormatIn(Bytes, SiUnits, decimals)} = {FormatIn(Bytes, IecUnits, decimals)}",
    };

    /// <summary>Exact bytes with thousands separators: "32,000,000,000 B".</summary>
    public string FormatExact() => Bytes.ToString("N0", CultureInfo.InvariantCulture) + " B";

    public override string ToString() => Format(UnitSystem.Iec);

    private static readonly (long Size, string Symbol)[] IecUnits =
        [(PiB, "PiB"), (TiB, "TiB"), (GiB, "GiB"), (MiB, "MiB"), (KiB, "KiB")];

    private static readonly (long Size, string Symbol)[] SiUnits =
        [(PB, "PB"), (TB, "TB"), (GB, "GB"), (MB, "MB"), (KB, "kB")];

    private static string FormatIn(long bytes, (long Size, string Symbol)[] units, int decimals)
    {
        foreach (var (size, symbol) in units)
        {
            if (bytes >= size)
            {
                var value = (decimal)bytes / size;
                return value.ToString("F" + decimals, CultureInfo.InvariantCulture) + " " + symbol;
            }
        }

        return bytes.ToString(CultureInfo.InvariantCulture) + " B";
    }

    /// <summary>Formats in one fixed unit, e.g. every row of a table in GiB.</summary>
    public string FormatIn(ByteUnit unit, int decimals = 2) =>
        ((decimal)Bytes / unit.Size).ToString("N" + decimals, CultureInfo.InvariantCulture) + " " + unit.Symbol;

    /// <summary>
    /// Parses a size a user typed: "24GiB", "80 GB", "24576MiB", "1.5 TiB". A unit is required:
    /// a bare "24" could mean GB or GiB, and guessing is how calculators end up 7% wrong.
    /// </summary>
    public static bool TryParse(string? text, out ByteSize size, out string error)
    {
        size = Zero;
        var s = (text ?? "").Trim();
        var split = s.Length;
        while (split > 0 && char.IsLetter(s[split - 1]))
        {
            split--;
        }

        var number = s[..split].Trim();
        var symbol = s[split..];
        var unit = ByteUnit.All.FirstOrDefault(u => string.Equals(u.Symbol, symbol, StringComparison.OrdinalIgnoreCase));
        if (symbol.Length == 0 || unit.Symbol is null)
        {
            error = $"Cannot read memory size '{text}': give a number and a unit, e.g. 24GiB or 80GB (units: {string.Join(", ", ByteUnit.All.Select(u => u.Symbol))}).";
            return false;
        }

        if (!decimal.TryParse(number, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var value) || value <= 0)
        {
            error = $"Cannot read memory size '{text}': the amount must be a positive number.";
            return false;
        }

        // 8 EiB is the most a long holds; anything near it is a typo, not a GPU.
        if (value > long.MaxValue / unit.Size / 2)
        {
            error = $"Memory size '{text}' is absurdly large.";
            return false;
        }

        size = FromBytes((long)decimal.Round(value * unit.Size, MidpointRounding.AwayFromZero));
        error = "";
        return true;
    }
}

/// <summary>A named unit of memory, binary (KiB, MiB, …) or decimal (kB, MB, …).</summary>
public readonly record struct ByteUnit(long Size, string Symbol)
{
    public static readonly ByteUnit B = new(1, "B");
    public static readonly ByteUnit MiB = new(ByteSize.MiB, "MiB");
    public static readonly ByteUnit GiB = new(ByteSize.GiB, "GiB");
    public static readonly ByteUnit MB = new(ByteSize.MB, "MB");
    public static readonly ByteUnit GB = new(ByteSize.GB, "GB");

    public static readonly IReadOnlyList<ByteUnit> All =
    [
        B, new(ByteSize.KiB, "KiB"), MiB, GiB, new(ByteSize.TiB, "TiB"), new(ByteSize.PiB, "PiB"),
        new(ByteSize.KB, "kB"), MB, GB, new(ByteSize.TB, "TB"), new(ByteSize.PB, "PB"),
    ];
}
