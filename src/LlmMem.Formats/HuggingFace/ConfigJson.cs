using System.Text.Json;

namespace LlmMem.Formats.HuggingFace;

/// <summary>
/// Typed, checked access to one level of a config.json. Every read names its field in the error, so a broken
/// config says which field is wrong instead of throwing a bare exception.
/// </summary>
internal sealed class ConfigJson(JsonElement root, string file, IReadOnlyDictionary<string, long>? defaults = null)
{
    /// <summary>This config with a family's defaults for the dimensions it leaves out (as transformers' config classes apply them).</summary>
    public ConfigJson WithDefaults(IReadOnlyDictionary<string, long> values) => new(Root, File, values);

    public string File { get; } = file;

    public JsonElement Root { get; } = root;

    public bool Has(string name) => Root.TryGetProperty(name, out var v) && v.ValueKind != JsonValueKind.Null;

    /// <summary>The first of <paramref name="names"/> present, as a positive integer; an error naming the first when none is.</summary>
    public long Dimension(string family, params string[] names) =>
        OptionalDimension(names) ?? throw Missing(family, names[0]);

    public long? OptionalDimension(params string[] names)
    {
        foreach (var name in names)
        {
            if (Root.TryGetProperty(name, out var v) && v.ValueKind != JsonValueKind.Null)
            {
                return ReadDimension(name, v);
            }
        }

        foreach (var name in names)
        {
            if (defaults?.TryGetValue(name, out var value) == true)
            {
                return value;
            }
        }

        return null;
    }

    public int Count(string family, params string[] names) => checked((int)Math.Min(Dimension(family, names), ConfigLimits.MaxLayers + 1L));

    public int? OptionalCount(params string[] names) => OptionalDimension(names) is { } v ? (int)Math.Min(v, int.MaxValue) : null;

    /// <summary>A non-negative integer (0 allowed), e.g. first_k_dense_replace.</summary>
    public long? OptionalNonNegative(string name)
    {
        if (!Root.TryGetProperty(name, out var v) || v.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        if (v.ValueKind != JsonValueKind.Number || !v.TryGetInt64(out var value) || value < 0 || value > ConfigLimits.MaxDimension)
        {
            throw new ModelFormatException(File, $"field '{name}' must be a whole number between 0 and {ConfigLimits.MaxDimension:N0}, not {Show(v)}.");
        }

        return value;
    }

    public bool? OptionalBool(string name)
    {
        if (!Root.TryGetProperty(name, out var v) || v.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        return v.ValueKind switch
        {
            JsonValueKind.True => true,
            JsonValueKind.False => false,
            _ => throw new ModelFormatException(File, $"field '{name}' must be true or false, not {Show(v)}."),
        };
    }

    public string? OptionalString(string name)
    {
        if (!Root.TryGetProperty(name, out var v) || v.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        return v.ValueKind == JsonValueKind.String
            ? v.GetString()
            : throw new ModelFormatException(File, $"field '{name}' must be a string, not {Show(v)}.");
    }

    public IReadOnlyList<string>? OptionalStringArray(string name)
    {
        if (!Root.TryGetProperty(name, out var v) || v.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        if (v.ValueKind != JsonValueKind.Array || v.EnumerateArray().Any(e => e.ValueKind != JsonValueKind.String))
        {
            throw new ModelFormatException(File, $"field '{name}' must be a list of strings.");
        }

        return v.EnumerateArray().Select(e => e.GetString()!).ToList();
    }

    public IReadOnlyList<long>? OptionalIntArray(string name)
    {
        if (!Root.TryGetProperty(name, out var v) || v.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        if (v.ValueKind != JsonValueKind.Array)
        {
            throw new ModelFormatException(File, $"field '{name}' must be a list of whole numbers.");
        }

        return v.EnumerateArray().Select(e => ReadNonNegative(name, e)).ToList();
    }

    public ConfigJson? OptionalObject(string name) =>
        Root.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Object ? new ConfigJson(v, File) : null;

    public ModelFormatException Missing(string family, string field) =>
        new(File, $"a {family} config needs '{field}', which is missing.");

    private long ReadDimension(string name, JsonElement v)
    {
        var value = ReadNonNegative(name, v);
        return value >= 1 ? value : throw new ModelFormatException(File, $"field '{name}' must be at least 1, not {Show(v)}.");
    }

    private long ReadNonNegative(string name, JsonElement v)
    {
        // Some configs write whole numbers as 4096.0; accept them, refuse fractions, strings and absurd sizes.
        if (v.ValueKind == JsonValueKind.Number)
        {
            if (v.TryGetInt64(out var i) && i >= 0 && i <= ConfigLimits.MaxDimension)
            {
                return i;
            }

            if (v.TryGetDouble(out var d) && d >= 0 && d <= ConfigLimits.MaxDimension && d == Math.Floor(d))
            {
                return (long)d;
            }
        }

        throw new ModelFormatException(File, $"field '{name}' must be a whole number between 0 and {ConfigLimits.MaxDimension:N0}, not {Show(v)}.");
    }

    /// <summary>
    /// A string from the config as a message quotes it: 'text', one line, at most 100 characters. AFL++ found a layer_types
    /// entry holding "\n" that split a message in two (docs/robustness.md).
    /// </summary>
    public static string Quote(string text) => JsonText.Quote(text, 100);

    /// <summary>A value as the file spells it, on one line (an object or array may span several; found by fuzzing) and at most 40 characters.</summary>
    private static string Show(JsonElement v)
    {
        var text = string.Join(' ', v.GetRawText().Split(['\n', '\r', '\t'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        return text.Length <= 40 ? text : text[..40] + "…";
    }
}
