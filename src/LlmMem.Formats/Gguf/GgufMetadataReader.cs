using System.Collections.Immutable;

namespace LlmMem.Formats.Gguf;

/// <summary>
/// Reads the metadata key-value pairs (spec §File Structure, <c>gguf_metadata_kv_t</c>): a key, a value type, a value. Scalars
/// and short arrays are kept; long arrays are skipped after checking that every element they declare fits in the file.
/// </summary>
internal sealed class GgufMetadataReader(GgufCursor cursor)
{
    /// <summary>The smallest encoding of one element of each type: its fixed size; a string's 8-byte length; an array's type and count.</summary>
    private static long MinimumBytes(GgufValueType type) => type switch
    {
        GgufValueType.UInt8 or GgufValueType.Int8 or GgufValueType.Bool => 1,
        GgufValueType.UInt16 or GgufValueType.Int16 => 2,
        GgufValueType.UInt32 or GgufValueType.Int32 or GgufValueType.Float32 => 4,
        GgufValueType.String or GgufValueType.UInt64 or GgufValueType.Int64 or GgufValueType.Float64 => 8,
        _ => 12,
    };

    private const string StringLength = "a string's length";

    private static bool IsFixedSize(GgufValueType type) => type is not (GgufValueType.String or GgufValueType.Array);

    /// <summary>Array elements still allowed to be kept (<see cref="GgufLimits.MaxArrayElementsKeptInAll"/>).</summary>
    private long keepBudget = GgufLimits.MaxArrayElementsKeptInAll;

    /// <summary>Reads <paramref name="count"/> pairs, refusing a key that appears twice.</summary>
    public (ImmutableArray<string> Keys, Dictionary<string, GgufValue> Values) ReadAll(long count)
    {
        var keys = ImmutableArray.CreateBuilder<string>();
        var values = new Dictionary<string, GgufValue>(StringComparer.Ordinal);
        var firstSeen = new Dictionary<string, long>(StringComparer.Ordinal);
        for (long i = 0; i < count; i++)
        {
            var key = cursor.ReadUniqueName(firstSeen, "metadata key", "metadata key", GgufLimits.MaxKeyBytes);
            var type = ReadType($"the type of metadata '{key}'", key);
            values[key] = ReadValue(type, key, depth: 0);
            keys.Add(key);
        }

        return (keys.ToImmutable(), values);
    }

    private GgufValueType ReadType(string what, string key)
    {
        var at = cursor.Position;
        var id = cursor.ReadU32(what);
        return id <= (uint)GgufValueType.Float64
            ? (GgufValueType)id
            : throw cursor.Error(at, $"metadata '{key}' has value type {id}; GGUF value types are 0 to 12.");
    }

    private GgufValue ReadValue(GgufValueType type, string key, int depth)
    {
        var at = cursor.Position;
        var what = $"the value of metadata '{key}'";
        switch (type)
        {
            case GgufValueType.UInt8:
                return GgufValue.Integer(type, at, cursor.ReadU8(what));
            case GgufValueType.Int8:
                return GgufValue.Integer(type, at, unchecked((ulong)(sbyte)cursor.ReadU8(what)));
            case GgufValueType.UInt16:
                return GgufValue.Integer(type, at, cursor.ReadU16(what));
            case GgufValueType.Int16:
                return GgufValue.Integer(type, at, unchecked((ulong)(short)cursor.ReadU16(what)));
            case GgufValueType.UInt32:
                return GgufValue.Integer(type, at, cursor.ReadU32(what));
            case GgufValueType.Int32:
                return GgufValue.Integer(type, at, unchecked((ulong)(int)cursor.ReadU32(what)));
            case GgufValueType.UInt64:
            case GgufValueType.Int64:
                return GgufValue.Integer(type, at, cursor.ReadU64(what));
            case GgufValueType.Float32:
                return GgufValue.Float(type, at, BitConverter.UInt32BitsToSingle(cursor.ReadU32(what)));
            case GgufValueType.Float64:
                return GgufValue.Float(type, at, BitConverter.UInt64BitsToDouble(cursor.ReadU64(what)));
            case GgufValueType.Bool:
                // Spec §File Structure: one byte, 0 or 1; anything else makes the file invalid.
                var b = cursor.ReadU8(what);
                return b <= 1 ? GgufValue.Boolean(at, b == 1) : throw cursor.Error(at, $"metadata '{key}' is a bool of value {b}; a bool must be 0 or 1.");
            case GgufValueType.String:
                var (text, length) = cursor.ReadText($"metadata '{key}'", GgufLimits.MaxStringBytesKept);
                return GgufValue.String(at, text, length);
            default:
                return ReadArray(key, depth);
        }
    }

    private GgufValue ReadArray(string key, int depth)
    {
        var at = cursor.Position;
        var (elementType, n) = ReadArrayHeader($"array '{key}'", key, depth);
        if (n <= GgufLimits.MaxArrayElementsKept && n <= keepBudget)
        {
            keepBudget -= n;
            var items = ImmutableArray.CreateBuilder<GgufValue>((int)n);
            for (var i = 0; i < n; i++)
            {
                items.Add(ReadValue(elementType, key, depth + 1));
            }

            return GgufValue.Array(at, elementType, n, items.MoveToImmutable());
        }

        SkipElements(elementType, n, key, depth + 1);
        return GgufValue.Array(at, elementType, n, []);
    }

    /// <summary>Moves past <paramref name="count"/> elements, checking each string's and nested array's declared length.</summary>
    private void SkipElements(GgufValueType type, long count, string key, int depth)
    {
        if (IsFixedSize(type))
        {
            cursor.Skip(count * MinimumBytes(type));
            return;
        }

        for (long i = 0; i < count; i++)
        {
            if (type == GgufValueType.String)
            {
                // A tokenizer holds up to ~260,000 strings: messages are formatted only when one is wrong.
                var at = cursor.Position;
                var length = cursor.ReadU64(cursor.Fits(8) ? StringLength : $"the length of string {GgufCursor.N(i)} of array '{key}'");
                if (!cursor.Fits(length))
                {
                    throw cursor.Error(at, cursor.Beyond($"array '{key}': string {GgufCursor.N(i)} length {GgufCursor.N(length)}"));
                }

                cursor.Skip((long)length);
                continue;
            }

            var (elementType, inner) = ReadArrayHeader($"an array in '{key}'", key, depth);
            SkipElements(elementType, inner, key, depth + 1);
        }
    }

    /// <summary>
    /// Reads an array's element type and count, refusing one nested too deep or declaring more elements than the file can
    /// hold at their smallest encoding. <paramref name="label"/> names the array in messages.
    /// </summary>
    private (GgufValueType ElementType, long Count) ReadArrayHeader(string label, string key, int depth)
    {
        if (depth >= GgufLimits.MaxArrayDepth)
        {
            throw cursor.Error(cursor.Position, $"metadata '{key}' nests arrays more than {GgufLimits.MaxArrayDepth} deep.");
        }

        var elementType = ReadType($"the element type of {label}", key);
        var countAt = cursor.Position;
        var count = cursor.ReadU64($"the length of {label}");
        var minimum = MinimumBytes(elementType);
        if (count > (ulong)(long.MaxValue / minimum))
        {
            throw cursor.Error(countAt, cursor.Beyond($"{label} of {GgufCursor.N(count)} {GgufValue.TypeName(elementType)} values"));
        }

        cursor.RequireDeclared(count * (ulong)minimum, countAt,
            $"{label} of {GgufCursor.N(count)} {GgufValue.TypeName(elementType)} values (at least {GgufCursor.N(count * (ulong)minimum)} bytes)");
        return (elementType, (long)count);
    }
}
