using LlmMem.Units;

namespace LlmMem.Cli.Rendering;

internal enum OutputFormat
{
    Table,
    Json,
    Markdown,
}

/// <summary>How to show an estimate: format, units, and whether to print formulas.</summary>
internal sealed record RenderOptions(OutputFormat Format, UnitSystem Units, bool Explain)
{
    public static RenderOptions Default { get; } = new(OutputFormat.Table, UnitSystem.Both, false);

    /// <summary>The fixed units of the size columns: GiB and GB side by side by default.</summary>
    public IReadOnlyList<ByteUnit> Columns => ColumnsFor(Units);

    public static ByteUnit[] ColumnsFor(UnitSystem units) => units switch
    {
        UnitSystem.Iec => [ByteUnit.GiB],
        UnitSystem.Si => [ByteUnit.GB],
        _ => [ByteUnit.GiB, ByteUnit.GB],
    };
}
