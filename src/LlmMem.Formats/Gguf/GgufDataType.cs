using LlmMem.DataTypes;

namespace LlmMem.Formats.Gguf;

/// <summary>
/// The storage type of a GGUF tensor (<c>gguf_tensor_info_t.type</c>, a ggml_type id) and its exact size. Block sizes come
/// from <see cref="DataType"/>, which carries ggml's own; this adds the retired ids that files in circulation still use.
/// </summary>
internal static class GgufDataType
{
    /// <summary>
    /// Retired ggml ids of interleaved ("repacked") layouts that ggml wrote into GGUF files in late 2024 and later moved into the
    /// loader: the same blocks as their base type, reordered, so exactly the same bytes (ggml.h comments on the removed types).
    /// </summary>
    private static readonly Dictionary<int, (string Name, DataType Storage)> Retired = new()
    {
        [31] = ("Q4_0_4_4", DataType.Q4_0),
        [32] = ("Q4_0_4_8", DataType.Q4_0),
        [33] = ("Q4_0_8_8", DataType.Q4_0),
        [36] = ("IQ4_NL_4_4", DataType.IQ4_NL),
        [37] = ("IQ4_NL_4_8", DataType.IQ4_NL),
        [38] = ("IQ4_NL_8_8", DataType.IQ4_NL),
    };

    /// <summary>The type of ggml id <paramref name="id"/>, or null; <paramref name="retiredName"/> is set for a retired interleaved id.</summary>
    public static DataType? FromId(uint id, out string? retiredName)
    {
        retiredName = null;
        if (id > int.MaxValue)
        {
            return null;
        }

        if (Retired.TryGetValue((int)id, out var retired))
        {
            retiredName = retired.Name;
            return retired.Storage;
        }

        return DataType.FromGgmlId((int)id);
    }

    /// <summary>The ids llmem knows, for a message: "0 (fp32), 1 (fp16), 2 (Q4_0) …".</summary>
    public static string KnownIds() => string.Join(", ", DataType.All.Where(t => t.GgmlId is not null).OrderBy(t => t.GgmlId).Select(t => $"{t.GgmlId} ({t.Name})"));
}
