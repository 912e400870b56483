using System.Collections.Immutable;
using LlmMem.DataTypes;
using LlmMem.Models;
using LlmMem.Units;

namespace LlmMem.Quantization;

/// <summary>One tensor of a predicted GGUF: its type and exact bytes.</summary>
public sealed record PredictedTensor(PlannedTensor Tensor, DataType Type, ByteSize Bytes);

/// <summary>A predicted GGUF file: every tensor's type as llama.cpp's quantiser would choose it.</summary>
public sealed record GgufPrediction(LlamaFileType FileType, ImmutableArray<PredictedTensor> Tensors)
{
    /// <summary>The sum of the tensors' bytes: what llama.cpp prints as "model size" / "file size" (headers excluded).</summary>
    public ByteSize TotalBytes { get; } = Tensors.Aggregate(ByteSize.Zero, (sum, t) => sum + t.Bytes);

    public long Elements => Tensors.Sum(t => t.Tensor.Elements);

    /// <summary>Bits per weight over all tensors, as llama.cpp's "BPW".</summary>
    public double BitsPerWeight => TotalBytes.Bytes * 8.0 / Elements;

    /// <summary>Tensor count per type, as llama.cpp's loader lists "type q4_K: 289 tensors".</summary>
    public ImmutableSortedDictionary<string, int> TypeCounts =>
        Tensors.GroupBy(t => t.Type.Name).ToImmutableSortedDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal);
}

/// <summary>Predicts the size of a GGUF file of any llama.cpp file type for a model nobody has quantised yet.</summary>
public static class GgufSizePredictor
{
    /// <param name="imatrix">Whether an importance matrix was used: it changes a few choices (Q4_0's first ffn_down layers, IQ3_XXS).</param>
    public static GgufPrediction Predict(ModelShape shape, LlamaFileType fileType, bool imatrix = false)
    {
        var plan = GgufTensorPlan.For(shape);
        var first = shape.Layers[0].Attention;
        var experts = shape.Layers.Select(l => l.Mlp.Moe?.Experts ?? 0).Max();
        var arch = GgufTensorPlan.ArchitectureOf(shape);
        var rules = new LlamaQuantRules(
            fileType,
            shape.LayerCount,
            Math.Max(1, experts),
            first.KvHeads == 0 ? 1 : first.Heads / first.KvHeads,
            // llama-model.cpp: llama and qwen2 with 80 layers are LLM_TYPE_70B.
            is70BClass: arch is "llama" or "qwen2" && shape.LayerCount == 80,
            hasOutput: plan.Any(t => t.Name == "output.weight"),
            attentionValueTensors: plan.Count(t => t.Name.EndsWith("attn_v.weight", StringComparison.Ordinal)
                || t.Name.EndsWith("attn_qkv.weight", StringComparison.Ordinal) || t.Name.EndsWith("attn_kv_b.weight", StringComparison.Ordinal)),
            imatrix);

        var quantised = fileType.DefaultType.Family == DataTypeFamily.BlockQuantized;
        var predicted = ImmutableArray.CreateBuilder<PredictedTensor>(plan.Length);
        foreach (var tensor in plan)
        {
            DataType type;
            if (!IsQuantisable(tensor))
            {
                type = tensor.SourceType;
            }
            else if (quantised)
            {
                type = rules.TypeOf(tensor);
            }
            else
            {
                type = fileType.DefaultType;
            }

            predicted.Add(new PredictedTensor(tensor, type, SizeOf(tensor, type)));
        }

        return new GgufPrediction(fileType, predicted.MoveToImmutable());
    }

    /// <summary>
    /// llama-quant.cpp quantises 2-D and 3-D tensors named "*weight", except norms, the MoE router (ffn_gate_inp)
    /// and position or token-type tables; everything else keeps its type.
    /// </summary>
    internal static bool IsQuantisable(PlannedTensor t) =>
        t.Name.EndsWith("weight", StringComparison.Ordinal)
        && t.Ne.Length >= 2
        && !t.Name.Contains("_norm.weight", StringComparison.Ordinal)
        && !t.Name.Contains("ffn_gate_inp.weight", StringComparison.Ordinal)
        && t.Name is not ("position_embd.weight" or "token_types.weight");

    /// <summary>ggml_nbytes: rows of ne0 elements stored as whole blocks, times the other dimensions.</summary>
    internal static ByteSize SizeOf(PlannedTensor t, DataType type)
    {
        var rows = t.Ne.Skip(1).Aggregate(1L, (p, d) => checked(p * d));
        return ByteSize.FromBytes(checked(type.SizeOf(t.Ne[0]).Bytes * rows));
    }
}
