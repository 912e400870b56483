using System.Collections.Immutable;
using System.Text;
using System.Text.Json;
using LlmMem.DataTypes;
using static LlmMem.Formats.Safetensors.SafetensorsText;

namespace LlmMem.Formats.Safetensors;

/// <summary>A tensor entry as the JSON states it, before its offsets are checked against the data section.</summary>
/// <param name="At">The file offset of the entry's name, for messages.</param>
internal sealed record SafetensorsEntry(string Name, long At, string Dtype, DataType Type, ImmutableArray<long> Shape, ulong Begin, ulong End);

/// <summary>
/// Reads header JSON token by token, so every error names the file offset of the token at fault, duplicate keys are
/// caught (JSON parsers keep the last one silently), and nothing is built that the header does not spell out.
/// </summary>
/// <remarks>
/// What is accepted follows the safetensors README §Format: a JSON object starting with '{' (trailing spaces
/// allowed); one entry per tensor with "dtype", "shape" and "data_offsets"; an optional "__metadata__" map of
/// strings; no duplicate keys (§Format, Notes). Unknown fields inside a tensor entry are skipped, as the reference
/// loader's deserialiser does.
/// </remarks>
internal static class SafetensorsHeaderJson
{
    private const string Dtype = "dtype";
    private const string ShapeField = "shape";
    private const string Offsets = "data_offsets";

    public static (List<SafetensorsEntry> Entries, ImmutableDictionary<string, string> Metadata) Read(ReadOnlySpan<byte> json, string file)
    {
        var start = SafetensorsHeader.LengthPrefixBytes;
        if (json.IsEmpty)
        {
            throw At(file, start, "the header is empty; it must be a JSON object starting with '{' (README §Format).");
        }

        if (json[0] != (byte)'{')
        {
            throw At(file, start, $"the header must start with '{{' (README §Format), not byte 0x{json[0]:X2}.");
        }

        if (JsonText.FirstInvalidUtf8(json) is var bad and >= 0)
        {
            throw At(file, start + bad, "the header is not valid UTF-8 (README §Format: \"a JSON UTF-8 string\").");
        }

        var reader = new Utf8JsonReader(json, new JsonReaderOptions { MaxDepth = SafetensorsLimits.MaxDepth });
        try
        {
            return ReadRoot(ref reader, file);
        }
        catch (JsonException e)
        {
            throw At(file, start + Position(json, e), $"the header is not valid JSON: {Describe(e)}");
        }
    }

    private static (List<SafetensorsEntry>, ImmutableDictionary<string, string>) ReadRoot(ref Utf8JsonReader reader, string file)
    {
        reader.Read();
        var entries = new List<SafetensorsEntry>();
        var seen = new Dictionary<string, long>(StringComparer.Ordinal);
        var metadata = ImmutableDictionary<string, string>.Empty;
        while (NextProperty(ref reader, file))
        {
            var at = Offset(ref reader);
            var name = Text(ref reader, file);
            if (!seen.TryAdd(name, at))
            {
                throw At(file, at, $"{Quote(name)} appears twice in the header (first at byte {N(seen[name])}); "
                    + "the README's §Format notes disallow duplicate keys.");
            }

            reader.Read();
            if (name == SafetensorsHeader.MetadataKey)
            {
                metadata = ReadMetadata(ref reader, at, file);
            }
            else
            {
                entries.Add(ReadTensor(ref reader, name, at, file));
            }
        }

        // Past the root object only whitespace may follow (§Format: "MAY be trailing padded with whitespace");
        // anything else makes the reader throw.
        reader.Read();
        return (entries, metadata);
    }

    private static ImmutableDictionary<string, string> ReadMetadata(ref Utf8JsonReader reader, long at, string file)
    {
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            throw At(file, at, $"\"__metadata__\" must be an object of strings (README §Format), not {Show(ref reader)}.");
        }

        var metadata = ImmutableDictionary.CreateBuilder<string, string>(StringComparer.Ordinal);
        while (NextProperty(ref reader, file))
        {
            var keyAt = Offset(ref reader);
            var key = Text(ref reader, file);
            reader.Read();
            if (reader.TokenType != JsonTokenType.String)
            {
                throw At(file, Offset(ref reader), $"\"__metadata__\" value of {Quote(key)} must be a string "
                    + $"(README §Format: \"arbitrary JSON is not allowed\"), not {Show(ref reader)}.");
            }

            if (!metadata.TryAdd(key, Text(ref reader, file)))
            {
                throw At(file, keyAt, $"\"__metadata__\" lists {Quote(key)} twice; the README's §Format notes disallow duplicate keys.");
            }
        }

        return metadata.ToImmutable();
    }

    private static SafetensorsEntry ReadTensor(ref Utf8JsonReader reader, string name, long at, string file)
    {
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            throw Tensor(file, at, name, $"must be an object with \"dtype\", \"shape\" and \"data_offsets\", not {Show(ref reader)}.");
        }

        string? dtype = null;
        DataType? type = null;
        ImmutableArray<long>? shape = null;
        (ulong Begin, ulong End)? offsets = null;
        while (NextProperty(ref reader, file))
        {
            var fieldAt = Offset(ref reader);
            var field = Text(ref reader, file);
            reader.Read();
            var repeated = field switch
            {
                Dtype => dtype is not null,
                ShapeField => shape is not null,
                Offsets => offsets is not null,
                _ => false,
            };
            if (repeated)
            {
                throw Tensor(file, fieldAt, name, $"lists \"{field}\" twice; the README's §Format notes disallow duplicate keys.");
            }

            switch (field)
            {
                case Dtype:
                    (dtype, type) = ReadDtype(ref reader, name, file);
                    break;
                case ShapeField:
                    shape = ReadShape(ref reader, name, file);
                    break;
                case Offsets:
                    offsets = ReadOffsets(ref reader, name, file);
                    break;
                default:
                    reader.Skip();
                    break;
            }
        }

        var missing = dtype is null ? Dtype : shape is null ? ShapeField : offsets is null ? Offsets : null;
        if (missing is not null)
        {
            throw Tensor(file, at, name, $"has no \"{missing}\" (README §Format: each tensor has dtype, shape and data_offsets).");
        }

        return new SafetensorsEntry(name, at, dtype!, type!, shape!.Value, offsets!.Value.Begin, offsets.Value.End);
    }

    private static (string, DataType) ReadDtype(ref Utf8JsonReader reader, string name, string file)
    {
        var at = Offset(ref reader);
        if (reader.TokenType != JsonTokenType.String)
        {
            throw Tensor(file, at, name, $"\"dtype\" must be a string such as \"BF16\", not {Show(ref reader)}.");
        }

        var dtype = Text(ref reader, file);
        return SafetensorsDataType.TryFromName(dtype, out var type, out var error) ? (dtype, type) : throw Tensor(file, at, name, error);
    }

    private static ImmutableArray<long> ReadShape(ref Utf8JsonReader reader, string name, string file)
    {
        if (reader.TokenType != JsonTokenType.StartArray)
        {
            throw Tensor(file, Offset(ref reader), name, $"\"shape\" must be an array of whole numbers, not {Show(ref reader)}.");
        }

        var dimensions = ImmutableArray.CreateBuilder<long>();
        var elements = 1L;
        var overflowed = false;
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            var at = Offset(ref reader);
            if (dimensions.Count == SafetensorsLimits.MaxRank)
            {
                throw Tensor(file, at, name, $"\"shape\" has more than {SafetensorsLimits.MaxRank} dimensions (the limit; real checkpoints use at most 5).");
            }

            if (reader.TokenType != JsonTokenType.Number || !reader.TryGetInt64(out var dimension))
            {
                throw Tensor(file, at, name, $"shape dimensions must be whole numbers of at most {N(long.MaxValue)}, not {Show(ref reader)}.");
            }

            if (dimension < 0)
            {
                throw Tensor(file, at, name, $"shape dimension {N(dimension)} is negative.");
            }

            // The same left-to-right product StoredTensor.Elements takes, so a shape accepted here never overflows there.
            overflowed |= !TryMultiply(elements, dimension, out elements);
            dimensions.Add(dimension);
        }

        var shape = dimensions.ToImmutable();
        return overflowed
            ? throw Tensor(file, Offset(ref reader), name, $"shape {ShapeText(shape)} has more elements than a 64-bit count holds.")
            : shape;
    }

    private static (ulong, ulong) ReadOffsets(ref Utf8JsonReader reader, string name, string file)
    {
        var at = Offset(ref reader);
        var wrong = $"\"data_offsets\" must be [begin, end], two whole numbers of bytes (README §Format)";
        if (reader.TokenType != JsonTokenType.StartArray)
        {
            throw Tensor(file, at, name, $"{wrong}, not {Show(ref reader)}.");
        }

        Span<ulong> values = stackalloc ulong[2];
        var count = 0;
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            if (count == 2)
            {
                throw Tensor(file, Offset(ref reader), name, $"{wrong}; it has more than two values.");
            }

            if (reader.TokenType != JsonTokenType.Number || !reader.TryGetUInt64(out values[count]))
            {
                throw Tensor(file, Offset(ref reader), name, $"{wrong}, not {Show(ref reader)}.");
            }

            count++;
        }

        return count == 2 ? (values[0], values[1]) : throw Tensor(file, at, name, $"{wrong}; it has {count}.");
    }

    /// <summary>Moves to the next property name of the current object; false at its end.</summary>
    private static bool NextProperty(ref Utf8JsonReader reader, string file)
    {
        if (!reader.Read())
        {
            throw At(file, Offset(ref reader), "the header ends inside an object.");
        }

        return reader.TokenType == JsonTokenType.PropertyName;
    }

    /// <summary>The current string, unescaped; an escaped lone surrogate cannot become text and is refused.</summary>
    private static string Text(ref Utf8JsonReader reader, string file)
    {
        try
        {
            return reader.GetString()!;
        }
        catch (InvalidOperationException)
        {
            throw At(file, Offset(ref reader), "a string holds an escape that is not valid text (an unpaired surrogate).");
        }
    }

    private static bool TryMultiply(long a, long b, out long product)
    {
        var wide = Math.BigMul(a, b, out long low);
        product = low;
        return (wide == 0 && low >= 0) || (wide == -1 && low < 0);
    }

    internal static string ShapeText(ImmutableArray<long> shape) => "[" + string.Join(", ", shape.Select(d => N(d))) + "]";

    private static long Offset(ref Utf8JsonReader reader) => SafetensorsHeader.LengthPrefixBytes + reader.TokenStartIndex;

    /// <summary>What a token is, for messages: a number's own text (cut short), otherwise its kind.</summary>
    private static string Show(ref Utf8JsonReader reader) => reader.TokenType switch
    {
        JsonTokenType.Number => Encoding.UTF8.GetString(reader.ValueSpan[..Math.Min(reader.ValueSpan.Length, 40)]),
        JsonTokenType.String => "a string",
        JsonTokenType.StartArray => "an array",
        JsonTokenType.StartObject => "an object",
        JsonTokenType.True or JsonTokenType.False => "a boolean",
        JsonTokenType.Null => "null",
        _ => reader.TokenType.ToString(),
    };

    /// <summary>The header offset a reader exception points at, from its line and byte in line.</summary>
    internal static long Position(ReadOnlySpan<byte> json, JsonException e)
    {
        long line = 0;
        var index = 0;
        while (line < (e.LineNumber ?? 0) && index < json.Length)
        {
            var next = json[index..].IndexOf((byte)'\n');
            if (next < 0)
            {
                break;
            }

            index += next + 1;
            line++;
        }

        return Math.Min(index + (e.BytePositionInLine ?? 0), json.Length);
    }

    /// <summary>The reader's own explanation, without its line numbers (the message gives a file offset instead).</summary>
    internal static string Describe(JsonException e)
    {
        var message = e.Message;
        var cut = message.IndexOf(" LineNumber:", StringComparison.Ordinal);
        message = new string([.. (cut >= 0 ? message[..cut] : message).Select(c => char.IsControl(c) ? ' ' : c)]).Trim();
        return message.Length > 200 ? message[..200] + "…" : message;
    }
}
