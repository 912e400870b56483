using System.Collections.Immutable;
using System.Collections.ObjectModel;
using LlmMem.Models;

namespace LlmMem.Formats.Gguf;

/// <summary>
/// The header of a GGUF model — one file, or every part of a split one — as read: version, alignment, metadata and tensors.
/// Metadata getters return null for an absent key and throw a <see cref="ModelFormatException"/> naming the key when its
/// value has another type.
/// </summary>
public sealed class GgufFile
{
    private readonly Dictionary<string, GgufValue> values;
    private readonly ReadOnlyDictionary<string, GgufValue> metadata;
    private readonly Dictionary<string, int> tensorIndex;

    internal GgufFile(string file, ImmutableArray<string> files, GgufHeader header, long alignment, long dataOffset, long length,
        ImmutableArray<string> keys, Dictionary<string, GgufValue> values, ImmutableArray<StoredTensor> tensors, ImmutableArray<long> tensorOffsets,
        ImmutableArray<string> notes)
    {
        File = file;
        Files = files;
        Header = header;
        Alignment = alignment;
        DataOffset = dataOffset;
        Length = length;
        Keys = keys;
        this.values = values;
        metadata = new ReadOnlyDictionary<string, GgufValue>(values);
        Tensors = tensors;
        TensorOffsets = tensorOffsets;
        Notes = notes;
        tensorIndex = new Dictionary<string, int>(tensors.Length, StringComparer.Ordinal);
        for (var i = 0; i < tensors.Length; i++)
        {
            tensorIndex[tensors[i].Name] = i;
        }
    }

    /// <summary>The file the metadata came from: the first part of a split model.</summary>
    public string File { get; }

    /// <summary>Every file read, in part order (one for an unsplit model).</summary>
    public ImmutableArray<string> Files { get; }

    /// <summary>The first file's header.</summary>
    public GgufHeader Header { get; }

    /// <summary>2 or 3.</summary>
    public int Version => Header.Version;

    /// <summary><c>general.alignment</c>, or the spec's default of 32.</summary>
    public long Alignment { get; }

    /// <summary>Where the first file's tensor data starts: the end of its tensor infos rounded up to <see cref="Alignment"/>.</summary>
    public long DataOffset { get; }

    /// <summary>The first file's length in bytes.</summary>
    public long Length { get; }

    /// <summary>The metadata keys in file order.</summary>
    public ImmutableArray<string> Keys { get; }

    /// <summary>Every metadata value by key.</summary>
    public IReadOnlyDictionary<string, GgufValue> Metadata => metadata;

    /// <summary>Every tensor in file order (a split model's parts one after another), each naming the file that holds it.</summary>
    public ImmutableArray<StoredTensor> Tensors { get; }

    /// <summary>Where each tensor's data starts in its own file (parallel to <see cref="Tensors"/>).</summary>
    public ImmutableArray<long> TensorOffsets { get; }

    /// <summary>What reading noticed: split parts, retired tensor types, file type.</summary>
    public ImmutableArray<string> Notes { get; }

    /// <summary><c>general.architecture</c>: "llama", "qwen3moe" …</summary>
    public string? Architecture => GetString("general.architecture");

    /// <summary>The tensors as <see cref="StoredWeights"/>: format "gguf", every part, the tensors in file order.</summary>
    public StoredWeights ToStoredWeights() => new(GgufReader.Format, Files, Tensors, Notes);

    public bool Has(string key) => values.ContainsKey(key);

    public GgufValue? Find(string key) => values.GetValueOrDefault(key);

    public StoredTensor? FindTensor(string name) => tensorIndex.TryGetValue(name, out var i) ? Tensors[i] : null;

    public bool HasTensor(string name) => tensorIndex.ContainsKey(name);

    public string? GetString(string key) => Get(key, GgufValueType.String, "a string") is { } v
        ? v.Text ?? throw Error(v, key, $"is a string of {GgufCursor.N(v.Length)} bytes, longer than the {GgufCursor.N(GgufLimits.MaxStringBytesKept)} llmem keeps.")
        : null;

    /// <summary>Any integer type, as a <see cref="long"/>.</summary>
    public long? GetInteger(string key)
    {
        if (Find(key) is not { } v)
        {
            return null;
        }

        if (v.TryGetInteger(out var value))
        {
            return value;
        }

        throw Error(v, key, v.IsInteger ? $"is {v}, too large for llmem." : $"is {Article(v)}, not an integer.");
    }

    /// <summary>A FLOAT32 or FLOAT64 value (an integer is accepted and widened).</summary>
    public double? GetFloat(string key)
    {
        if (Find(key) is not { } v)
        {
            return null;
        }

        if (v.TryGetFloat(out var f))
        {
            return f;
        }

        return v.TryGetInteger(out var i) ? i : throw Error(v, key, $"is {Article(v)}, not a number.");
    }

    public bool? GetBool(string key) => Get(key, GgufValueType.Bool, "a bool") is { } v && v.TryGetBool(out var b) ? b : null;

    /// <summary>An array's element count, whether or not its elements were kept.</summary>
    public long? GetArrayLength(string key) => Get(key, GgufValueType.Array, "an array")?.Length;

    /// <summary>An array of integers, every element kept.</summary>
    public ImmutableArray<long>? GetIntegerArray(string key)
    {
        if (KeptArray(key, "integers") is not { } v)
        {
            return null;
        }

        var result = ImmutableArray.CreateBuilder<long>(v.Items.Length);
        foreach (var item in v.Items)
        {
            result.Add(item.TryGetInteger(out var n) ? n : throw Error(v, key, $"is {Article(v)}, not an array of integers."));
        }

        return result.MoveToImmutable();
    }

    /// <summary>An array of strings, every element kept.</summary>
    public ImmutableArray<string>? GetStringArray(string key)
    {
        if (KeptArray(key, "strings") is not { } v)
        {
            return null;
        }

        return v.ElementType == GgufValueType.String && v.Items.All(i => i.Text is not null)
            ? [.. v.Items.Select(i => i.Text!)]
            : throw Error(v, key, $"is {Article(v)}, not an array of strings.");
    }

    /// <summary>An error about one value: "offset 1,234: metadata 'llama.block_count' is a string, not an integer."</summary>
    internal ModelFormatException Error(GgufValue value, string key, string problem) =>
        new(File, $"offset {GgufCursor.N(value.Offset)}: metadata '{key}' {problem}");

    private GgufValue? KeptArray(string key, string what)
    {
        if (Get(key, GgufValueType.Array, $"an array of {what}") is not { } v)
        {
            return null;
        }

        return v.IsKept
            ? v
            : throw Error(v, key, $"has {GgufCursor.N(v.Length)} elements, more than the {GgufCursor.N(GgufLimits.MaxArrayElementsKept)} llmem keeps.");
    }

    private GgufValue? Get(string key, GgufValueType type, string expected)
    {
        var v = Find(key);
        return v is null || v.Type == type ? v : throw Error(v, key, $"is {Article(v)}, not {expected}.");
    }

    /// <summary>"a uint32", "an int32", "a string", "an array of 3 uint32".</summary>
    private static string Article(GgufValue v) => v.Type switch
    {
        GgufValueType.Array => v.Describe(),
        GgufValueType.Int8 or GgufValueType.Int16 or GgufValueType.Int32 or GgufValueType.Int64 => "an " + v.Describe(),
        _ => "a " + v.Describe(),
    };
}
