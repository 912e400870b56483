namespace LlmMem.Units;

/// <summary>Which units a size is shown in.</summary>
public enum UnitSystem
{
    /// <summary>Decimal and binary side by side: "32.00 GB = 29.80 GiB".</summary>
    Both,

    /// <summary>Binary, IEC 80000-13: KiB, MiB, GiB (powers of 1024).</summary>
    Iec,

    /// <summary>Decimal, SI: kB, MB, GB (powers of 1000), as disk and GPU vendors use.</summary>
    Si,
}
