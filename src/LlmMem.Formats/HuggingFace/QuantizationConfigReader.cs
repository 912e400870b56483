using System.Collections.Immutable;
using LlmMem.DataTypes;
using LlmMem.Estimates;
using LlmMem.Models;

namespace LlmMem.Formats.HuggingFace;

/// <summary>
/// config.json's <c>quantization_config</c>: which tensors a checkpoint stores quantised, and in what. Everything
/// not listed keeps the stored dtype (embeddings, norms, routers and usually the LM head).
/// </summary>
internal static class QuantizationConfigReader
{
    /// <summary>The decoder's linear layers: what GPTQ, AWQ, bitsandbytes and FP8 quantise by default.</summary>
    private static readonly ImmutableArray<string> LinearLayers = ["attention", "mlp", "experts", "shared_experts"];

    /// <summary>
    /// FP8 E4M3 weights with one fp32 scale (weight_scale_inv) per 128 × 128 block: 16,384 elements in 16,388 B.
    /// Source: DeepSeek-V3 README ("FP8 ... 128x128 block scaling"); vLLM fp8.py block-quantised Linear.
    /// Edge blocks of dimensions that are not multiples of 128 are not counted separately (a few MB in 671B).
    /// </summary>
    internal static readonly DataType Fp8Block128 = new("fp8_block128", DataTypeFamily.BlockQuantized, 128 * 128, 128 * 128 + 4,
        "FP8 E4M3 weights + fp32 scale per 128 × 128 block", "DeepSeek-V3 README; vLLM model_executor/layers/quantization/fp8.py");

    public static CheckpointQuantization? Read(ConfigJson? config, List<EstimateWarning> notes)
    {
        if (config is null)
        {
            return null;
        }

        var method = (config.OptionalString("quant_method") ?? "").ToLowerInvariant();
        switch (method)
        {
            case "fp8":
                var block = config.OptionalIntArray("weight_block_size");
                var type = block is [128, 128] ? Fp8Block128 : DataType.Fp8E4M3;
                return new CheckpointQuantization("fp8", type, LinearLayers,
                    block is null ? "FP8 E4M3 linear layers" : $"FP8 E4M3 linear layers, {string.Join(" × ", block)} blocks");
            case "mxfp4":
                // transformers integrations/mxfp4.py replaces only the expert modules (gpt-oss keeps attention, router,
                // embeddings and LM head in bf16, as its modules_to_not_convert also says).
                return new CheckpointQuantization("mxfp4", DataType.Mxfp4, ["experts"], "MXFP4 experts");
            case "gptq" or "awq":
                var bits = config.OptionalCount("bits", "w_bit") ?? 4;
                var group = config.OptionalCount("group_size", "q_group_size") ?? 128;
                if (bits != 4)
                {
                    notes.Add(new("quant_bits", $"{method} with {bits}-bit weights is counted as 4-bit groups.", "quant"));
                }

                return new CheckpointQuantization(method, IntGroup(group), LinearLayers, $"{method.ToUpperInvariant()} {bits}-bit, group size {group}");
            case "bitsandbytes":
                if (config.OptionalBool("load_in_4bit") == true)
                {
                    var doubleQuant = config.OptionalBool("bnb_4bit_use_double_quant") == true;
                    return new CheckpointQuantization("bitsandbytes", doubleQuant ? DataType.Nf4DoubleQuant : DataType.Nf4, LinearLayers,
                        doubleQuant ? "bitsandbytes NF4 with double quantisation" : "bitsandbytes NF4");
                }

                return new CheckpointQuantization("bitsandbytes", DataType.Int8, LinearLayers, "bitsandbytes LLM.int8()");
            default:
                notes.Add(new("unknown_quantization", $"quantization_config method {ConfigJson.Quote(method)} is not modelled; weights are counted in the stored dtype.", "quant"));
                return null;
        }
    }

    /// <summary>AutoGPTQ/AutoAWQ layout for 4-bit groups of <paramref name="group"/>: g/2 B of weights + fp16 scale + 4-bit zero per group.</summary>
    private static DataType IntGroup(int group) => group == 128
        ? DataType.Int4G128
        : new DataType($"int4_g{group}", DataTypeFamily.BlockQuantized, 2 * group, group + 5,
            $"per {group} elements: {group / 2} B of 4-bit weights + fp16 scale + 4-bit zero", DataType.Int4G128.Source);
}
