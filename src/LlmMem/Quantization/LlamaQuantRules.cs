using LlmMem.DataTypes;

namespace LlmMem.Quantization;

/// <summary>
/// The per-tensor type choices of llama.cpp's quantiser, re-stated from src/llama-quant.cpp
/// (llama_tensor_get_type and the fallback for rows not divisible by the block size), as of the late-2025 tree
/// vendored by Ollama (commit 02725d3; includes MXFP4_MOE). The K-quant mixture rules have been stable since 2024.
/// </summary>
internal sealed class LlamaQuantRules(LlamaFileType fileType, int layers, int experts, int gqa, bool is70BClass, bool hasOutput, int attentionValueTensors, bool imatrix)
{
    private int attentionValueIndex;
    private int ffnDownIndex;

    private string F => fileType.Name;

    /// <summary>
    /// "More bits" layers of the K-quant mixtures: the first and last eighth, and every third layer in between.
    /// </summary>
    private static bool UseMoreBits(int layer, int count) => layer < count / 8 || layer >= 7 * count / 8 || (layer - count / 8) % 3 == 2;

    public DataType TypeOf(PlannedTensor tensor)
    {
        var type = Choose(tensor, fileType.DefaultType);
        return FallBack(tensor.Ne[0], type);
    }

    private DataType Choose(PlannedTensor t, DataType type)
    {
        var name = t.Name;
        var layer = t.Layer ?? 0;
        bool Is(params string[] names) => names.Contains(F);

        if (name == "output.weight" || (!hasOutput && name == "token_embd.weight"))
        {
            if (F == "MXFP4_MOE" || t.Ne[0] % type.ElementsPerBlock != 0)
            {
                return DataType.Q8_0;
            }

            if (Is("IQ2_XXS", "IQ2_XS", "IQ3_XXS", "IQ1_S", "IQ2_S", "IQ2_M", "IQ1_M"))
            {
                return DataType.Q5_K;
            }

            return type == DataType.Q8_0 ? type : DataType.Q6_K;
        }

        if (F == "MXFP4_MOE")
        {
            // Expert tensors (3-D) in MXFP4, every other matrix in Q8_0.
            return t.Ne.Length > 2 && t.Ne[2] > 1 ? DataType.Mxfp4 : DataType.Q8_0;
        }

        if (name == "token_embd.weight")
        {
            return F switch
            {
                "IQ2_XXS" or "IQ2_XS" or "IQ1_S" or "IQ1_M" => DataType.Q2_K,
                "IQ2_S" or "IQ2_M" or "IQ3_XXS" => DataType.IQ3_S,
                "TQ1_0" or "TQ2_0" => DataType.Q4_K,
                _ => type,
            };
        }

        if (Is("IQ2_XXS", "IQ2_XS", "IQ1_S", "IQ2_S", "IQ2_M", "IQ1_M"))
        {
            var iq2sm = Is("IQ2_S", "IQ2_M");
            if (name.Contains("attn_v.weight", StringComparison.Ordinal))
            {
                attentionValueIndex++;
                return gqa >= 4 || experts >= 4 ? DataType.Q4_K : iq2sm ? DataType.IQ3_S : DataType.Q2_K;
            }

            if (experts == 8 && name.Contains("attn_k.weight", StringComparison.Ordinal))
            {
                return DataType.Q4_K;
            }

            if (name.Contains("ffn_down", StringComparison.Ordinal))
            {
                var result = ffnDownIndex < layers / 8 ? (iq2sm ? DataType.IQ3_S : DataType.Q2_K) : type;
                ffnDownIndex++;
                return result;
            }

            if (name.Contains("attn_output.weight", StringComparison.Ordinal))
            {
                if (experts == 8)
                {
                    return DataType.Q5_K;
                }

                return Is("IQ1_S", "IQ1_M") ? DataType.IQ2_XXS : iq2sm ? DataType.IQ3_S : type;
            }

            return type;
        }

        if (name.Contains("attn_v.weight", StringComparison.Ordinal))
        {
            var i = attentionValueIndex++;
            var result = F switch
            {
                "Q2_K" => gqa >= 4 ? DataType.Q4_K : DataType.Q3_K,
                "Q2_K_S" when gqa >= 4 => DataType.Q4_K,
                "IQ3_XXS" => gqa >= 4 ? DataType.Q4_K : !imatrix ? DataType.IQ3_S : DataType.IQ3_XXS,
                "IQ3_XS" or "IQ3_S" when gqa >= 4 => DataType.Q4_K,
                "IQ3_M" => DataType.Q4_K,
                "Q3_K_M" => i < 2 ? DataType.Q5_K : DataType.Q4_K,
                "Q3_K_L" => DataType.Q5_K,
                "IQ4_NL" or "IQ4_XS" when gqa >= 4 => DataType.Q5_K,
                "Q4_K_M" or "Q5_K_M" when UseMoreBits(i, attentionValueTensors) => DataType.Q6_K,
                "Q4_K_S" when i < 4 => DataType.Q5_K,
                _ => type,
            };

            // llama.cpp: in 70B-class models 8 heads share attn_v, so it gets more bits at little cost.
            if (is70BClass && (result == DataType.Q3_K || result == DataType.Q4_K))
            {
                result = DataType.Q5_K;
            }

            return experts == 8 ? DataType.Q8_0 : result;
        }

        if (name.Contains("attn_k.weight", StringComparison.Ordinal))
        {
            return experts == 8 ? DataType.Q8_0 : F switch { "IQ3_XS" => DataType.IQ3_XXS, "IQ3_XXS" => DataType.IQ2_S, _ => type };
        }

        if (name.Contains("attn_q.weight", StringComparison.Ordinal))
        {
            return F switch { "IQ3_XS" => DataType.IQ3_XXS, "IQ3_XXS" => DataType.IQ2_S, _ => type };
        }

        if (name.Contains("ffn_down", StringComparison.Ordinal))
        {
            // Dense models count ffn_down tensors in order; MoE models (experts > 1) read the layer from the name.
            var i = experts > 1 ? layer : ffnDownIndex;
            ffnDownIndex++;
            var n = layers;
            return F switch
            {
                "Q2_K" => DataType.Q3_K,
                "Q2_K_S" => i < n / 8 ? DataType.Q4_K : type,
                "IQ3_XXS" when !imatrix => i < n / 8 ? DataType.Q4_K : DataType.Q3_K,
                "Q3_K_M" => i < n / 16 ? DataType.Q5_K : DataType.Q4_K,
                "IQ3_M" when i < n / 8 || (experts == 8 && UseMoreBits(i, n)) => DataType.Q4_K,
                "Q3_K_L" => DataType.Q5_K,
                "Q4_K_M" => UseMoreBits(i, n) ? DataType.Q6_K : type,
                "IQ4_NL" or "IQ4_XS" when i < n / 8 && !imatrix => DataType.Q5_K,
                "Q5_K_M" when UseMoreBits(i, n) => DataType.Q6_K,
                "Q4_K_S" when i < n / 8 => DataType.Q5_K,
                "Q4_0" when imatrix && i < n / 8 => DataType.Q4_1,
                "Q5_0" when imatrix && i < n / 8 => DataType.Q5_1,
                _ => type,
            };
        }

        if (name.Contains("attn_output.weight", StringComparison.Ordinal))
        {
            if (experts == 8)
            {
                return Is("Q2_K", "IQ3_XS", "IQ3_XXS", "Q3_K_S", "Q3_K_M", "IQ4_NL", "Q4_K_S", "Q4_K_M", "IQ3_S", "IQ3_M", "IQ4_XS")
                    ? DataType.Q5_K
                    : type;
            }

            return F switch
            {
                "Q2_K" => DataType.Q3_K,
                "IQ3_XXS" => DataType.IQ3_S,
                "Q3_K_M" => DataType.Q4_K,
                "Q3_K_L" => DataType.Q5_K,
                "IQ3_M" => DataType.Q4_K,
                _ => type,
            };
        }

        if (name.Contains("attn_qkv.weight", StringComparison.Ordinal))
        {
            return F switch
            {
                "Q3_K_M" or "Q3_K_L" or "IQ3_M" => DataType.Q4_K,
                "Q4_K_M" => DataType.Q5_K,
                "Q5_K_M" => DataType.Q6_K,
                _ => type,
            };
        }

        if ((name.Contains("ffn_gate", StringComparison.Ordinal) || name.Contains("ffn_up", StringComparison.Ordinal))
            && F == "IQ3_XS" && layer >= layers / 8 && layer < 7 * layers / 8)
        {
            return DataType.IQ3_XXS;
        }

        return type;
    }

    /// <summary>
    /// Rows whose length is not a multiple of the chosen type's block fall back to a type with 32-element blocks
    /// (llama-quant.cpp: Q4_K → Q5_0, Q5_K → Q5_1, Q6_K → Q8_0, 2–3-bit and IQ types → IQ4_NL), else F16.
    /// Example: Qwen2-0.5B's hidden size 896 is not a multiple of 256, so its Q5_K_M file holds Q5_1 and Q8_0 tensors.
    /// </summary>
    internal static DataType FallBack(long rowLength, DataType type)
    {
        if (rowLength % type.ElementsPerBlock == 0)
        {
            return type;
        }

        var fallback = type.Name switch
        {
            "TQ1_0" or "TQ2_0" => DataType.Q4_0,
            "IQ2_XXS" or "IQ2_XS" or "IQ2_S" or "IQ3_XXS" or "IQ3_S" or "IQ1_S" or "IQ1_M" or "Q2_K" or "Q3_K" or "IQ4_XS" => DataType.IQ4_NL,
            "Q4_K" => DataType.Q5_0,
            "Q5_K" => DataType.Q5_1,
            "Q6_K" => DataType.Q8_0,
            _ => DataType.Fp16,
        };
        return rowLength % fallback.ElementsPerBlock == 0 ? fallback : DataType.Fp16;
    }
}
