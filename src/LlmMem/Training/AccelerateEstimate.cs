using System.Collections.Immutable;
using System.Globalization;
using LlmMem.Models;

namespace LlmMem.Training;

/// <summary>One row of <c>accelerate estimate-memory</c>: a dtype, its largest layer, total size and training peak (bytes; null: "N/A").</summary>
public sealed record AccelerateRow(string Dtype, double LargestLayer, double TotalSize, double? Training);

/// <summary>
/// Hugging Face Accelerate's <c>estimate-memory</c> rule, reproduced for <c>--compat accelerate</c>
/// (accelerate/commands/estimate.py): the model's fp32 size on the meta device — parameters × 4 plus registered buffers —
/// divided by 2, 4 and 8 for float16, int8 and int4; the largest layer likewise; training with Adam is the largest of its
/// steps (float32: 4× the fp32 size; float16: 2×), "N/A" for int8 and int4. Sizes print 1024-based, labelled "MB"/"GB".
/// </summary>
public static class AccelerateEstimate
{
    /// <summary>
    /// Registered buffers Accelerate counts with the parameters: BERT's position_ids and token_type_ids (int64, one per
    /// position each; transformers modeling_bert.py BertEmbeddings). Other families' buffers are not modelled.
    /// </summary>
    public static long BufferBytes(ModelShape shape) =>
        shape.Architecture == "bert" ? checked(2 * 8 * shape.Embeddings.LearnedPositions) : 0;

    /// <summary>The module with the most parameters of its own: an embedding or LM head, or the largest linear layer (with its bias).</summary>
    public static long LargestLayerParameters(ModelShape shape) =>
        Math.Max(checked(shape.VocabSize * shape.HiddenSize), LoraAdapters.Modules(shape).Max(m => checked(m.In * m.Out)));

    public static ImmutableArray<AccelerateRow> Rows(ModelShape shape, long parameters)
    {
        double total = checked(parameters * 4 + BufferBytes(shape));
        double largest = checked(LargestLayerParameters(shape) * 4);
        return
        [
            new("float32", largest, total, total * 4),
            new("float16", largest / 2, total / 2, total * 2),
            new("int8", largest / 4, total / 4, null),
            new("int4", largest / 8, total / 8, null),
        ];
    }

    /// <summary>accelerate.utils.convert_bytes: 1024-based steps labelled bytes, KB, MB, GB, TB; Python's round(x, 2) printed as str.</summary>
    public static string ConvertBytes(double size)
    {
        foreach (var unit in new[] { "bytes", "KB", "MB", "GB", "TB" })
        {
            if (size < 1024.0)
            {
                return $"{PythonRound(size)} {unit}";
            }

            size /= 1024.0;
        }

        return $"{PythonRound(size)} PB";
    }

    private static string PythonRound(double value)
    {
        var rounded = Math.Round(value, 2, MidpointRounding.ToEven);
        var text = rounded.ToString("0.##", CultureInfo.InvariantCulture);
        return text.Contains('.', StringComparison.Ordinal) ? text : text + ".0";
    }
}
