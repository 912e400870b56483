using System.Collections.Immutable;
using System.Text.Json;
using static LlmMem.Formats.Safetensors.SafetensorsText;

namespace LlmMem.Formats.Safetensors;

/// <summary>
/// A sharded checkpoint's model.safetensors.index.json: which shard file holds each tensor, and the total size the
/// writer recorded.
/// </summary>
/// <remarks>
/// The index is not part of the safetensors format itself (the README's §Format describes one file); it is how
/// Hugging Face transformers' save_pretrained splits a checkpoint: {"metadata": {"total_size": bytes},
/// "weight_map": {tensor: shard file}}. Other metadata fields are ignored.
/// </remarks>
/// <param name="TotalSize">metadata.total_size in bytes, when the index states it.</param>
/// <param name="WeightMap">Tensor name → shard file name, in the index's order.</param>
public sealed record SafetensorsIndex(long? TotalSize, ImmutableArray<KeyValuePair<string, string>> WeightMap)
{
    /// <summary>The index's file name in a checkpoint folder.</summary>
    public const string FileName = "model.safetensors.index.json";

    /// <summary>Every shard file the weight map names, each once, sorted (model-00001-of-00004 … first).</summary>
    public ImmutableArray<string> Shards { get; } =
        [.. WeightMap.Select(p => p.Value).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal)];

    /// <summary>Reads an index file, refusing one past <see cref="SafetensorsLimits.MaxIndexBytes"/> before reading it.</summary>
    /// <exception cref="ModelFormatException">Too large, not JSON, or a field of the wrong kind.</exception>
    public static SafetensorsIndex Read(string path)
    {
        var (source, name) = LocalFolderFiles.Of(path);
        return Read(source, name);
    }

    /// <summary>Reads the index of a checkpoint's files (local or on the Hub), refusing one past the limit before reading it.</summary>
    /// <exception cref="ModelFormatException">Too large, not JSON, or a field of the wrong kind.</exception>
    public static SafetensorsIndex Read(IModelFiles source, string name = FileName)
    {
        ArgumentNullException.ThrowIfNull(source);
        var path = source.Label(name);
        var length = source.Length(name);
        if (length > SafetensorsLimits.MaxIndexBytes)
        {
            throw new ModelFormatException(path, $"{N(length)} bytes is too large for a safetensors index (the limit is "
                + $"{N(SafetensorsLimits.MaxIndexBytes)}; an index holds about 100 bytes per tensor).");
        }

        return Parse(source.ReadAll(name, SafetensorsLimits.MaxIndexBytes, "a safetensors index"), path);
    }

    /// <summary>Parses index JSON; <paramref name="file"/> names it in errors.</summary>
    /// <exception cref="ModelFormatException">Not JSON, a duplicate key, no weight_map, or a shard that is not a plain file name.</exception>
    public static SafetensorsIndex Parse(ReadOnlySpan<byte> json, string file)
    {
        if (json.Length > SafetensorsLimits.MaxIndexBytes)
        {
            throw new ModelFormatException(file, $"{N(json.Length)} bytes is too large for a safetensors index (the limit is {N(SafetensorsLimits.MaxIndexBytes)}).");
        }

        if (JsonText.FirstInvalidUtf8(json) is var bad and >= 0)
        {
            throw At(file, bad, "the index is not valid UTF-8.");
        }

        JsonDocument? document = null;
        try
        {
            var reader = new Utf8JsonReader(json, new JsonReaderOptions { MaxDepth = SafetensorsLimits.MaxDepth });
            document = JsonDocument.ParseValue(ref reader);
            reader.Read(); // only whitespace may follow the object
        }
        catch (JsonException e)
        {
            document?.Dispose();
            throw At(file, SafetensorsHeaderJson.Position(json, e), $"the index is not valid JSON: {SafetensorsHeaderJson.Describe(e)}");
        }

        using (document)
        {
            try
            {
                return FromJson(document.RootElement, file);
            }
            catch (InvalidOperationException)
            {
                throw new ModelFormatException(file, "the index holds a string escape that is not valid text (an unpaired surrogate).");
            }
        }
    }

    private static SafetensorsIndex FromJson(JsonElement root, string file)
    {
        var fields = Properties(root, "the index", file);
        long? totalSize = null;
        if (fields.TryGetValue("metadata", out var metadata) && metadata.ValueKind != JsonValueKind.Null
            && Properties(metadata, "\"metadata\"", file).TryGetValue("total_size", out var total) && total.ValueKind != JsonValueKind.Null)
        {
            totalSize = WholeBytes(total) ?? throw new ModelFormatException(file,
                $"metadata.total_size must be a whole number of bytes, not {Kind(total)}.");
        }

        if (!fields.TryGetValue("weight_map", out var map))
        {
            throw new ModelFormatException(file, "the index has no \"weight_map\": it does not say which shard holds which tensor.");
        }

        var weightMap = ImmutableArray.CreateBuilder<KeyValuePair<string, string>>();
        foreach (var (tensor, shard) in Properties(map, "\"weight_map\"", file))
        {
            if (shard.ValueKind != JsonValueKind.String)
            {
                throw new ModelFormatException(file, $"weight_map: tensor {Quote(tensor)} must name a shard file, not {Kind(shard)}.");
            }

            var name = shard.GetString()!;
            if (!IsPlainFileName(name))
            {
                throw new ModelFormatException(file, $"weight_map: tensor {Quote(tensor)} names shard {Quote(name)}, "
                    + "which is not a plain file name in the index's folder.");
            }

            weightMap.Add(new(tensor, name));
        }

        return weightMap.Count == 0
            ? throw new ModelFormatException(file, "the index's \"weight_map\" is empty: it names no tensor.")
            : new SafetensorsIndex(totalSize, weightMap.ToImmutable());
    }

    /// <summary>An object's properties, in order; a duplicate key is an error (JSON parsers would keep one silently).</summary>
    private static Dictionary<string, JsonElement> Properties(JsonElement element, string what, string file)
    {
        if (element.ValueKind != JsonValueKind.Object)
        {
            throw new ModelFormatException(file, $"{what} must be a JSON object, not {Kind(element)}.");
        }

        var properties = new Dictionary<string, JsonElement>(StringComparer.Ordinal);
        foreach (var property in element.EnumerateObject())
        {
            if (!properties.TryAdd(property.Name, property.Value))
            {
                throw new ModelFormatException(file, $"{what} lists {Quote(property.Name)} twice.");
            }
        }

        return properties;
    }

    /// <summary>A whole, non-negative number; some writers store total_size as a float such as 1.5e10, which is accepted when whole.</summary>
    private static long? WholeBytes(JsonElement value)
    {
        if (value.ValueKind != JsonValueKind.Number)
        {
            return null;
        }

        if (value.TryGetInt64(out var exact))
        {
            return exact >= 0 ? exact : null;
        }

        return value.TryGetDouble(out var real) && real >= 0 && real < 9e18 && Math.Floor(real) == real ? (long)real : null;
    }

    /// <summary>No folder part, no parent reference: a shard must be a file next to the index.</summary>
    private static bool IsPlainFileName(string name) =>
        name.Length > 0 && name is not "." and not ".." && name.IndexOfAny(['/', '\\', ':', '\0']) < 0
        && name.IndexOfAny(Path.GetInvalidFileNameChars()) < 0;

    private static string Kind(JsonElement element) => element.ValueKind switch
    {
        JsonValueKind.Object => "an object",
        JsonValueKind.Array => "an array",
        JsonValueKind.String => "a string",
        JsonValueKind.Number => "the number " + Quote(element.GetRawText()),
        JsonValueKind.True or JsonValueKind.False => "a boolean",
        _ => "null",
    };
}
