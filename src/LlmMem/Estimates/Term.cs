using LlmMem.Units;

namespace LlmMem.Estimates;

/// <summary>One line of a breakdown: exact bytes, what they are, where the rule comes from, and how they were computed.</summary>
/// <remarks>
/// The formula text is rendered only when a front end asks for it (<see cref="Formula"/>): building the string
/// costs more than the arithmetic, and most estimates (a fit search, a benchmark) never show it.
/// </remarks>
public sealed class Term
{
    private readonly Func<string> formula;

    public Term(TermId id, string label, ByteSize bytes, string source, Func<string> formula)
    {
        Id = id;
        Label = label;
        Bytes = bytes;
        Source = source;
        this.formula = formula;
    }

    public TermId Id { get; }

    /// <summary>Human words for the term: "Weights (bf16)".</summary>
    public string Label { get; }

    public ByteSize Bytes { get; }

    /// <summary>Where the rule comes from: a paper, an engine source file, a measurement.</summary>
    public string Source { get; }

    /// <summary>The formula with the numbers substituted, without its result: "8,000,000,000 params × 4 B (fp32)".</summary>
    public string Formula => formula();

    /// <summary>This term split evenly over <paramref name="devices"/> (rounded up), its formula saying so.</summary>
    public Term DivideOver(long devices) => devices == 1
        ? this
        : new Term(Id, Label, Bytes.DivideCeiling(devices), Source, () => $"({formula()}) / {devices}");

    /// <summary>This term <paramref name="times"/> over (one host holding the states of several GPUs).</summary>
    public Term Times(long times) => times == 1 ? this : new Term(Id, $"{Label} × {times}", Bytes * times, Source, () => $"{times} × ({formula()})");

    /// <summary>The same term under another label.</summary>
    public Term WithLabel(string label) => new(Id, label, Bytes, Source, formula);

    public override string ToString() => $"{Id}: {Bytes.FormatExact()}";
}
