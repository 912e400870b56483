using System.Collections.Immutable;
using LlmMem.DataTypes;
using LlmMem.Models;
using LlmMem.Units;
using static LlmMem.Formats.Safetensors.SafetensorsText;

namespace LlmMem.Formats.Safetensors;

/// <summary>What a stored tensor is, for counting the parameters a loaded model holds.</summary>
public enum StoredTensorRole
{
    /// <summary>Ordinary weights, biases and norms: one parameter per stored element.</summary>
    Plain,

    /// <summary>I32 words packing 32 / bits low-bit weights each: GPTQ and AWQ <c>*.qweight</c>, compressed-tensors <c>*.weight_packed</c>.</summary>
    PackedInt32,

    /// <summary>U8 <c>*.weight</c> bytes holding two 4-bit values each: bitsandbytes 4-bit (NF4, FP4), and NVFP4.</summary>
    Packed4BitWeight,

    /// <summary>U8 <c>*_blocks</c> bytes holding two FP4 (E2M1) values each: MXFP4 experts (gpt-oss).</summary>
    Mxfp4Blocks,

    /// <summary>Scales, zero points, group indices, absmax and quant maps: how to dequantise, not parameters.</summary>
    QuantizationState,

    /// <summary>lm_head.weight stored beside the embedding it is tied to: in memory one matrix serves both.</summary>
    TiedDuplicate,
}

/// <summary>The tensors of one role: how many, their stored elements, and the parameters they stand for.</summary>
/// <param name="Rule">How stored elements become parameters, for display: "8 four-bit weights per I32 element".</param>
public sealed record ParameterGroup(StoredTensorRole Role, string Rule, int Tensors, long StoredElements, long Parameters);

/// <summary>A checkpoint's stored elements and the parameters a loaded model holds, with the breakdown between them.</summary>
/// <param name="StoredElements">The sum of every tensor's elements, as the files store them.</param>
/// <param name="InMemory">Parameters once loaded: packing undone, quantisation state and a stored copy of a tied matrix dropped.</param>
/// <param name="Groups">One group per role present, in <see cref="StoredTensorRole"/> order.</param>
/// <param name="StoredByType">Stored elements per storage type, most first.</param>
public sealed record SafetensorsParameterCount(long StoredElements, ParameterCount InMemory, ImmutableArray<ParameterGroup> Groups,
    ImmutableArray<(DataType Type, long Elements)> StoredByType)
{
    /// <summary>"stored: 751,632,384 elements; in memory: 596,049,920 parameters".</summary>
    public string Summary => $"stored: {N(StoredElements)} elements; in memory: {InMemory.FormatExact()} parameters";
}

/// <summary>
/// Counts parameters from stored tensors by their names and dtypes, undoing the packing of quantised checkpoints.
/// </summary>
/// <remarks>
/// Rules, by the layouts their writers use:
/// GPTQ / AWQ (AutoGPTQ, AutoAWQ): <c>qweight</c> I32 packs 32 / bits weights per element (8 at 4 bits);
/// <c>qzeros</c>, <c>scales</c>, <c>g_idx</c> are state.
/// bitsandbytes 4-bit (Params4bit): <c>weight</c> U8 holds two 4-bit codes per byte; <c>absmax</c>, <c>quant_map</c>,
/// <c>nested_absmax</c>, <c>nested_quant_map</c>, <c>quant_state.*</c> are state; 8-bit's <c>SCB</c> and <c>weight_format</c> too.
/// MXFP4 (gpt-oss, OCP Microscaling): <c>*_blocks</c> U8 holds two FP4 values per byte; <c>*_scales</c> are state.
/// FP8 and compressed-tensors: <c>weight_scale_inv</c>, <c>weight_scale</c>, <c>weight_scale_2</c>, <c>input_scale</c>,
/// <c>weight_zero_point</c>, <c>weight_global_scale</c>, <c>input_global_scale</c>, <c>weight_shape</c>, <c>k_scale</c>,
/// <c>v_scale</c> are state.
/// Any other tensor counts one parameter per element, whatever its dtype.
/// </remarks>
public static class SafetensorsParameters
{
    private static readonly string[] StateSuffixes =
    [
        ".qzeros", ".scales", ".g_idx",
        ".absmax", ".quant_map", ".nested_absmax", ".nested_quant_map", ".SCB", ".weight_format",
        "_scales",
        ".weight_scale_inv", ".weight_scale", ".weight_scale_2", ".input_scale", ".weight_zero_point",
        ".weight_global_scale", ".input_global_scale", ".weight_shape", ".k_scale", ".v_scale",
    ];

    /// <summary>The role of one tensor, from its name and dtype (a packed name with an unexpected dtype counts as plain).</summary>
    public static StoredTensorRole Classify(StoredTensor tensor)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        var name = tensor.Name;
        if (StateSuffixes.Any(s => name.EndsWith(s, StringComparison.Ordinal)) || name.Contains(".quant_state.", StringComparison.Ordinal))
        {
            return StoredTensorRole.QuantizationState;
        }

        if (tensor.Type == DataType.Int32 && (name.EndsWith(".qweight", StringComparison.Ordinal) || name.EndsWith(".weight_packed", StringComparison.Ordinal)))
        {
            return StoredTensorRole.PackedInt32;
        }

        if (tensor.Type == DataType.UInt8 && name.EndsWith("_blocks", StringComparison.Ordinal))
        {
            return StoredTensorRole.Mxfp4Blocks;
        }

        return tensor.Type == DataType.UInt8 && (name == "weight" || name.EndsWith(".weight", StringComparison.Ordinal))
            ? StoredTensorRole.Packed4BitWeight
            : StoredTensorRole.Plain;
    }

    /// <summary>Stored elements and in-memory parameters of <paramref name="tensors"/>.</summary>
    /// <param name="tensors">Every tensor of the checkpoint.</param>
    /// <param name="tieWordEmbeddings">The config's tie_word_embeddings: when true, a stored lm_head.weight beside an embedding is not counted again.</param>
    /// <param name="packedBits">Bits per weight in I32-packed tensors (the quantization_config's "bits"): 2, 3, 4 or 8.</param>
    public static SafetensorsParameterCount Count(IEnumerable<StoredTensor> tensors, bool tieWordEmbeddings = false, int packedBits = 4)
    {
        ArgumentNullException.ThrowIfNull(tensors);
        if (packedBits is not (2 or 3 or 4 or 8))
        {
            throw new ArgumentOutOfRangeException(nameof(packedBits), packedBits, "GPTQ and AWQ pack 2, 3, 4 or 8 bits per weight.");
        }

        var list = tensors.ToList();
        var tied = tieWordEmbeddings && list.Any(t => IsEmbedding(t.Name));
        var roles = list.Select(t => tied && IsLmHead(t.Name) ? StoredTensorRole.TiedDuplicate : Classify(t)).ToList();
        var groups = Enum.GetValues<StoredTensorRole>()
            .Select(role =>
            {
                var members = list.Where((_, i) => roles[i] == role).ToList();
                var stored = members.Sum(t => t.Elements);
                return new ParameterGroup(role, Rule(role, packedBits), members.Count, stored, Parameters(role, stored, packedBits));
            })
            .Where(g => g.Tensors > 0)
            .ToImmutableArray();
        var byType = list.GroupBy(t => t.Type)
            .Select(g => (g.Key, g.Sum(t => t.Elements)))
            .OrderByDescending(g => g.Item2)
            .ToImmutableArray();
        return new SafetensorsParameterCount(groups.Sum(g => g.StoredElements), ParameterCount.Of(groups.Sum(g => g.Parameters)), groups, byType);
    }

    /// <summary>
    /// A note when the checkpoint and config.json disagree about tied embeddings: a stored lm_head.weight although the
    /// config ties it to the embedding (Qwen3-0.6B stores 751,632,384 elements; in memory 596,049,920 parameters). Null when they agree.
    /// </summary>
    public static string? TiedEmbeddingNote(IEnumerable<string> tensorNames, bool tieWordEmbeddings)
    {
        ArgumentNullException.ThrowIfNull(tensorNames);
        var head = tieWordEmbeddings ? tensorNames.FirstOrDefault(IsLmHead) : null;
        return head is null
            ? null
            : $"{head} is stored although tie_word_embeddings is true: the checkpoint holds the tied matrix twice; in memory it is one.";
    }

    private static bool IsLmHead(string name) => name == "lm_head.weight" || name.EndsWith(".lm_head.weight", StringComparison.Ordinal);

    /// <summary>The input embedding a head is tied to: embed_tokens, wte, word_embeddings, tok_embeddings, embed_in …</summary>
    private static bool IsEmbedding(string name) =>
        (!IsLmHead(name) && name.EndsWith(".weight", StringComparison.Ordinal) && name.Contains("embed", StringComparison.Ordinal))
        || name.EndsWith("wte.weight", StringComparison.Ordinal);

    private static long Parameters(StoredTensorRole role, long stored, int packedBits) => role switch
    {
        StoredTensorRole.Plain => stored,
        StoredTensorRole.PackedInt32 => checked(stored * 32) / packedBits,
        StoredTensorRole.Packed4BitWeight or StoredTensorRole.Mxfp4Blocks => checked(stored * 2),
        _ => 0,
    };

    private static string Rule(StoredTensorRole role, int packedBits) => role switch
    {
        StoredTensorRole.Plain => "one parameter per element",
        StoredTensorRole.PackedInt32 => $"{32.0 / packedBits:0.##} {packedBits}-bit weights per I32 element (GPTQ/AWQ qweight)",
        StoredTensorRole.Packed4BitWeight => "two 4-bit values per U8 byte (bitsandbytes 4-bit weight)",
        StoredTensorRole.Mxfp4Blocks => "two FP4 values per U8 byte (MXFP4 blocks)",
        StoredTensorRole.QuantizationState => "quantisation state (scales, zero points, absmax): not parameters",
        _ => "a stored copy of the tied embedding: not counted again",
    };
}
