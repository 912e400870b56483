using LlmMem.Models;

namespace LlmMem.Formats.Gguf;

/// <summary>
/// Checked access to one architecture's metadata keys (<c>{arch}.block_count</c>, <c>{arch}.attention.head_count</c> …; spec
/// §Standardized key-value pairs, LLM). Every error names the key and the offset of its value.
/// </summary>
internal sealed class GgufHyperparameters(GgufFile file, string architecture)
{
    public GgufFile File { get; } = file;

    public string Architecture { get; } = architecture;

    public string Key(string suffix) => $"{Architecture}.{suffix}";

    public ModelFormatException Missing(string suffix) =>
        new(File.File, $"a {Architecture} GGUF needs '{Key(suffix)}', which is missing.");

    /// <summary>A positive size (hidden size, head dimension, window) up to 2³¹ − 1; null when absent.</summary>
    public long? OptionalDimension(string suffix) => Ranged(suffix, 1);

    public long Dimension(string suffix) => OptionalDimension(suffix) ?? throw Missing(suffix);

    /// <summary>A count that may be 0 (experts, leading dense blocks, q_lora_rank); null when absent.</summary>
    public long? OptionalNonNegative(string suffix) => Ranged(suffix, 0);

    /// <summary><c>{arch}.block_count</c>, at most <see cref="GgufLimits.MaxLayers"/>.</summary>
    public int Layers()
    {
        var layers = Dimension("block_count");
        return layers <= GgufLimits.MaxLayers
            ? (int)layers
            : throw Error("block_count", $"is {GgufCursor.N(layers)} layers, absurd (the most accepted is {GgufCursor.N(GgufLimits.MaxLayers)}).");
    }

    /// <summary>
    /// A per-layer value, stored either as one integer for every layer or as an array with one element per layer (llama.cpp
    /// reads head counts and feed-forward widths either way). Null when absent.
    /// </summary>
    public long[]? PerLayer(string suffix, int layers, bool allowZero = false)
    {
        var key = Key(suffix);
        if (File.Find(key) is not { } value)
        {
            return null;
        }

        long[] values;
        if (value.Type == GgufValueType.Array)
        {
            var array = File.GetIntegerArray(key)!.Value;
            if (array.Length != layers)
            {
                throw Error(suffix, $"has {GgufCursor.N(array.Length)} values but {Key("block_count")} is {GgufCursor.N(layers)}.");
            }

            values = [.. array];
        }
        else
        {
            values = Enumerable.Repeat(File.GetInteger(key)!.Value, layers).ToArray();
        }

        var minimum = allowZero ? 0 : 1;
        foreach (var v in values)
        {
            if (v < minimum || v > int.MaxValue)
            {
                throw Error(suffix, $"holds {GgufCursor.N(v)}; each value must be between {minimum} and {GgufCursor.N(int.MaxValue)}.");
            }
        }

        return values;
    }

    public ModelFormatException Error(string suffix, string problem) => File.Error(File.Find(Key(suffix))!, Key(suffix), problem);

    private long? Ranged(string suffix, long minimum)
    {
        if (File.GetInteger(Key(suffix)) is not { } value)
        {
            return null;
        }

        return value >= minimum && value <= int.MaxValue
            ? value
            : throw Error(suffix, $"is {GgufCursor.N(value)}; it must be between {minimum} and {GgufCursor.N(int.MaxValue)}.");
    }
}
