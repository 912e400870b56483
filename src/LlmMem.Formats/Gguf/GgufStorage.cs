using System.Collections.Immutable;
using LlmMem.DataTypes;
using LlmMem.Estimates;
using LlmMem.Formulas;
using LlmMem.Models;

namespace LlmMem.Formats.Gguf;

/// <summary>
/// The stored dtype and quantisation a GGUF's shape reports. A quantised GGUF has no single dtype: the shape says fp16 (what
/// its weights dequantise to) and names the quantisation; the exact type of every tensor stays in <see cref="StoredWeights"/>.
/// </summary>
internal static class GgufStorage
{
    /// <summary><c>general.file_type</c> (llama.cpp include/llama.h, llama_ftype), when the file states a known one.</summary>
    public static LlamaFileType? FileType(GgufFile file) =>
        file.GetInteger("general.file_type") is { } id && id is >= 0 and <= int.MaxValue ? LlamaFileType.FromId((int)id) : null;

    /// <summary>fp32, fp16 or bf16 when the file type says so (or, without one, when every matrix is stored in it); otherwise fp16.</summary>
    public static DataType StoredDtype(GgufFile file, List<EstimateWarning> notes)
    {
        var fileType = FileType(file);
        if (fileType?.DefaultType is { IsPlain: true, Family: DataTypeFamily.Float } plain)
        {
            return plain;
        }

        var matrices = file.Tensors.Where(t => t.Shape.Length >= 2).ToList();
        if (fileType is null && matrices.Count > 0 && matrices.All(t => t.Type.IsPlain && t.Type.Family == DataTypeFamily.Float))
        {
            return matrices.GroupBy(t => t.Type).MaxBy(g => g.Sum(t => (decimal)t.Elements))!.Key;
        }

        notes.Add(new("gguf_dequantised_dtype",
            $"The GGUF is quantised ({fileType?.Name ?? "mixed types"}): its unquantised dtype is taken as fp16; each tensor's own type is in the file's tensor list.",
            "dtype"));
        return DataType.Fp16;
    }

    /// <summary>
    /// The quantisation as a shape can say it: the block type holding the most elements, over the components whose elements are
    /// mostly block-quantised. Null when no tensor is block-quantised.
    /// </summary>
    public static CheckpointQuantization? Quantization(GgufFile file)
    {
        var quantised = file.Tensors.Where(t => t.Type.Family == DataTypeFamily.BlockQuantized).ToList();
        if (quantised.Count == 0)
        {
            return null;
        }

        var weightType = quantised.GroupBy(t => t.Type).MaxBy(g => g.Sum(t => (decimal)t.Elements))!.Key;
        ImmutableArray<string> components =
        [
            .. file.Tensors.GroupBy(t => GgufTensorNames.Component(t.Name))
                .Where(g => ParameterFormulas.ComponentNames.Contains(g.Key))
                .Where(g => 2 * g.Where(t => t.Type.Family == DataTypeFamily.BlockQuantized).Sum(t => (decimal)t.Elements) >= g.Sum(t => (decimal)t.Elements))
                .Select(g => g.Key)
                .OrderBy(c => ParameterFormulas.ComponentNames.IndexOf(c)),
        ];
        var name = FileType(file)?.Name ?? "quantised";
        return new CheckpointQuantization("gguf", weightType, components,
            $"llama.cpp {name} GGUF: {weightType.Name} holds the most weights; every tensor's own type is in the file's tensor list.");
    }
}
