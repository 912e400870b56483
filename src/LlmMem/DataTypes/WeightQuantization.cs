using LlmMem.Text;

namespace LlmMem.DataTypes;

/// <summary>
/// How a model's weights are stored once quantised: what <c>--quant</c> names. A scheme (gptq, awq, bnb-nf4 …),
/// a llama.cpp file type (Q4_K_M …) or a bare storage type (Q4_K, fp8).
/// </summary>
/// <param name="Name">What the user asked for, canonically spelled.</param>
/// <param name="WeightType">The storage type of the quantised weight matrices.</param>
/// <param name="QuantisesOnlyLinearLayers">
/// True for schemes that leave embeddings, norms and usually the LM head in 16 bits (GPTQ, AWQ, bitsandbytes, FP8).
/// </param>
/// <param name="FileType">The llama.cpp file type, when one was named.</param>
/// <param name="Description">One line for tables and explanations.</param>
public sealed record WeightQuantization(
    string Name,
    DataType WeightType,
    bool QuantisesOnlyLinearLayers,
    LlamaFileType? FileType,
    string Description)
{
    /// <summary>Named schemes of the Transformers / vLLM world.</summary>
    public static IReadOnlyList<WeightQuantization> Schemes { get; } =
    [
        new("gptq", DataType.Int4G128, true, null, "GPTQ 4-bit, group size 128"),
        new("awq", DataType.Int4G128, true, null, "AWQ 4-bit, group size 128"),
        new("bnb-nf4", DataType.Nf4, true, null, "bitsandbytes NF4 (load_in_4bit, no double quantisation)"),
        new("bnb-nf4-dq", DataType.Nf4DoubleQuant, true, null, "bitsandbytes NF4 with double quantisation (QLoRA)"),
        new("bnb-int8", DataType.Int8, true, null, "bitsandbytes LLM.int8() (per-row fp32 scales not counted)"),
        new("fp8", DataType.Fp8E4M3, true, null, "FP8 E4M3 weights (vLLM / compressed-tensors)"),
        new("mxfp4", DataType.Mxfp4, true, null, "OCP MXFP4: 32 FP4 values + one E8M0 scale"),
    ];

    private static readonly string[] SchemeAliases = ["bitsandbytes-nf4:bnb-nf4", "nf4:bnb-nf4", "qlora:bnb-nf4-dq", "bitsandbytes-int8:bnb-int8", "int8:bnb-int8", "llm.int8:bnb-int8"];

    /// <summary>Every name <c>--quant</c> accepts, for help and error messages.</summary>
    public static IReadOnlyList<string> ValidNames { get; } =
        [.. Schemes.Select(s => s.Name), .. LlamaFileType.All.Select(f => f.Name), .. DataType.GgmlQuants.Select(t => t.Name)];

    /// <summary>Resolves a <c>--quant</c> value: a scheme, then a llama.cpp file type, then a storage type.</summary>
    public static bool TryParse(string? text, out WeightQuantization quantization, out string error)
    {
        var key = DataType.Normalise(text ?? "");
        var alias = SchemeAliases.Select(a => a.Split(':')).FirstOrDefault(a => DataType.Normalise(a[0]) == key);
        if (alias is not null)
        {
            key = DataType.Normalise(alias[1]);
        }

        var scheme = Schemes.FirstOrDefault(s => DataType.Normalise(s.Name) == key);
        if (scheme is not null)
        {
            (quantization, error) = (scheme, "");
            return true;
        }

        var fileType = LlamaFileType.Find(text);
        if (fileType is not null)
        {
            quantization = new WeightQuantization(fileType.Name, fileType.DefaultType, false, fileType,
                $"llama.cpp file type {fileType.Name} (mostly {fileType.DefaultType.Name})");
            error = "";
            return true;
        }

        if (text is not null && DataType.All.FirstOrDefault(t => t.Matches(text)) is { } type)
        {
            quantization = new WeightQuantization(type.Name, type, false, null, $"every weight in {type.Name}");
            error = "";
            return true;
        }

        quantization = Schemes[0];
        error = NameSuggestion.UnknownMessage("quantisation", text ?? "", ValidNames);
        return false;
    }
}
