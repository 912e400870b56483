using LlmMem.Text;

namespace LlmMem.DataTypes;

/// <summary>
/// A llama.cpp file type (<c>general.file_type</c>, the "Q4_K_M" in a GGUF's name): a recipe that gives most
/// weight tensors <see cref="DefaultType"/> and some tensors other types.
/// </summary>
/// <remarks>
/// Ids from llama.cpp include/llama.h (enum llama_ftype); default types from src/llama-quant.cpp
/// (llama_model_quantize_impl). Which tensors get more bits (attn_v, ffn_down, output, token_embd …) is decided
/// per tensor by llama_tensor_get_type and needs the model's tensor list.
/// </remarks>
public sealed record LlamaFileType(string Name, int Id, DataType DefaultType)
{
    /// <summary>True when llama.cpp gives some tensors a type other than <see cref="DefaultType"/> (all quantised file types).</summary>
    public bool IsMixture => DefaultType.Family == DataTypeFamily.BlockQuantized;

    /// <summary>
    /// True when llama-quantize refuses to make this type without an importance matrix
    /// (llama-quant.cpp: "Missing importance matrix for tensor … in a very low-bit quantization").
    /// </summary>
    public bool RequiresImportanceMatrix => Name is "IQ1_S" or "IQ1_M" or "IQ2_XXS" or "IQ2_XS" or "IQ2_S" or "IQ2_M" or "Q2_K_S";

    public override string ToString() => Name;

    public static IReadOnlyList<LlamaFileType> All { get; } =
    [
        new("F32", 0, DataType.Fp32),
        new("F16", 1, DataType.Fp16),
        new("Q4_0", 2, DataType.Q4_0),
        new("Q4_1", 3, DataType.Q4_1),
        new("Q8_0", 7, DataType.Q8_0),
        new("Q5_0", 8, DataType.Q5_0),
        new("Q5_1", 9, DataType.Q5_1),
        new("Q2_K", 10, DataType.Q2_K),
        new("Q3_K_S", 11, DataType.Q3_K),
        new("Q3_K_M", 12, DataType.Q3_K),
        new("Q3_K_L", 13, DataType.Q3_K),
        new("Q4_K_S", 14, DataType.Q4_K),
        new("Q4_K_M", 15, DataType.Q4_K),
        new("Q5_K_S", 16, DataType.Q5_K),
        new("Q5_K_M", 17, DataType.Q5_K),
        new("Q6_K", 18, DataType.Q6_K),
        new("IQ2_XXS", 19, DataType.IQ2_XXS),
        new("IQ2_XS", 20, DataType.IQ2_XS),
        new("Q2_K_S", 21, DataType.Q2_K),
        new("IQ3_XS", 22, DataType.IQ3_S),
        new("IQ3_XXS", 23, DataType.IQ3_XXS),
        new("IQ1_S", 24, DataType.IQ1_S),
        new("IQ4_NL", 25, DataType.IQ4_NL),
        new("IQ3_S", 26, DataType.IQ3_S),
        new("IQ3_M", 27, DataType.IQ3_S),
        new("IQ2_S", 28, DataType.IQ2_XS),
        new("IQ2_M", 29, DataType.IQ2_S),
        new("IQ4_XS", 30, DataType.IQ4_XS),
        new("IQ1_M", 31, DataType.IQ1_M),
        new("BF16", 32, DataType.Bf16),
        new("TQ1_0", 36, DataType.TQ1_0),
        new("TQ2_0", 37, DataType.TQ2_0),
        new("MXFP4_MOE", 38, DataType.Mxfp4),
    ];

    /// <summary>The file type with this <c>general.file_type</c> number, or null.</summary>
    public static LlamaFileType? FromId(int id) => All.FirstOrDefault(f => f.Id == id);

    /// <summary>Finds a file type by name, ignoring case: "q4_k_m", "Q4_K_M", "q4-k-m".</summary>
    public static LlamaFileType? Find(string? text) =>
        text is null ? null : All.FirstOrDefault(f => DataType.Normalise(f.Name) == DataType.Normalise(text));

    public static bool TryParse(string? text, out LlamaFileType fileType, out string error)
    {
        var found = Find(text);
        fileType = found ?? All[0];
        error = found is null ? NameSuggestion.UnknownMessage("llama.cpp file type", text ?? "", All.Select(f => f.Name).ToArray()) : "";
        return found is not null;
    }
}
