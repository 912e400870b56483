using LlmMem.DataTypes;
using LlmMem.Formats.Safetensors;
using LlmMem.Models;

namespace LlmMem.Formats.Tests.Safetensors;

/// <summary>Stored elements versus parameters in memory: packing undone, quantisation state and tied copies dropped.</summary>
public class SafetensorsParametersTests
{
    /// <summary>Qwen3-0.6B as its model.safetensors stores it (BF16): 28 layers, d 1024, 16 × 128 query and 8 × 128 KV heads, FFN 3072, vocabulary 151,936, and lm_head.weight saved although tied.</summary>
    private static SafetensorsBuilder Qwen3_0_6B()
    {
        var builder = new SafetensorsBuilder().Meta("format", "pt").Add("model.embed_tokens.weight", "BF16", 151_936, 1024);
        for (var i = 0; i < 28; i++)
        {
            var layer = $"model.layers.{i}.";
            builder.Add(layer + "input_layernorm.weight", "BF16", 1024)
                .Add(layer + "mlp.down_proj.weight", "BF16", 1024, 3072)
                .Add(layer + "mlp.gate_proj.weight", "BF16", 3072, 1024)
                .Add(layer + "mlp.up_proj.weight", "BF16", 3072, 1024)
                .Add(layer + "post_attention_layernorm.weight", "BF16", 1024)
                .Add(layer + "self_attn.k_norm.weight", "BF16", 128)
                .Add(layer + "self_attn.k_proj.weight", "BF16", 1024, 1024)
                .Add(layer + "self_attn.o_proj.weight", "BF16", 1024, 2048)
                .Add(layer + "self_attn.q_norm.weight", "BF16", 128)
                .Add(layer + "self_attn.q_proj.weight", "BF16", 2048, 1024)
                .Add(layer + "self_attn.v_proj.weight", "BF16", 1024, 1024);
        }

        return builder.Add("model.norm.weight", "BF16", 1024).Add("lm_head.weight", "BF16", 151_936, 1024);
    }

    [Fact]
    public void Qwen3_0_6B_StoresTheTiedHeadTwice_ButHoldsItOnceInMemory()
    {
        using var stream = Qwen3_0_6B().ToStream();
        var weights = SafetensorsReader.Read(stream, "model.safetensors");

        var count = SafetensorsParameters.Count(weights.Tensors, tieWordEmbeddings: true);

        // Stored: the Hub's safetensors total and the model-info report (data/hf-configs/INDEX.md); in memory:
        // transformers' model.num_parameters() = 596,049,920, the stored sum less one 151,936 × 1,024 matrix.
        Assert.Equal(311, weights.Tensors.Length);
        Assert.Equal(751_632_384L, count.StoredElements);
        Assert.Equal(596_049_920L, count.InMemory.Value);
        Assert.Equal(2 * 751_632_384L, weights.TensorBytes.Bytes);
        Assert.Equal("stored: 751,632,384 elements; in memory: 596,049,920 parameters", count.Summary);
        var tied = Assert.Single(count.Groups, g => g.Role == StoredTensorRole.TiedDuplicate);
        Assert.Equal((1, 155_582_464L, 0L), (tied.Tensors, tied.StoredElements, tied.Parameters));
        Assert.Equal([(DataType.Bf16, 751_632_384L)], count.StoredByType.ToArray());
    }

    [Fact]
    public void Qwen3_0_6B_WithUntiedEmbeddings_CountsTheHead() =>
        Assert.Equal(751_632_384L, SafetensorsParameters.Count(Stored(Qwen3_0_6B()), tieWordEmbeddings: false).InMemory.Value);

    [Fact]
    public void TiedEmbeddingNote_SaysTheMatrixIsStoredTwice()
    {
        var names = Stored(Qwen3_0_6B()).Select(t => t.Name).ToList();

        Assert.Equal(
            "lm_head.weight is stored although tie_word_embeddings is true: the checkpoint holds the tied matrix twice; in memory it is one.",
            SafetensorsParameters.TiedEmbeddingNote(names, tieWordEmbeddings: true));
        Assert.Null(SafetensorsParameters.TiedEmbeddingNote(names, tieWordEmbeddings: false));
        Assert.Null(SafetensorsParameters.TiedEmbeddingNote(names.Where(n => n != "lm_head.weight"), tieWordEmbeddings: true));
    }

    [Fact]
    public void TiedHeadWithoutAnEmbedding_IsTheOnlyCopy_AndCounts() =>
        Assert.Equal(6L, SafetensorsParameters.Count(Stored(new SafetensorsBuilder().Add("lm_head.weight", "F16", 2, 3)), tieWordEmbeddings: true).InMemory.Value);

    [Fact]
    public void Gptq4Bit_QweightHoldsEightWeightsPerInt32_StateIsDropped()
    {
        // Llama-2-7B q_proj, 4096 × 4096, GPTQ 4-bit, group size 128 (AutoGPTQ layout): qweight [4096 / 8, 4096] I32,
        // qzeros [4096 / 128, 4096 / 8] I32, scales [32, 4096] F16, g_idx [4096] I32; plus an unquantised F16 norm.
        var tensors = Stored(new SafetensorsBuilder()
            .Add("model.layers.0.self_attn.q_proj.qweight", "I32", 512, 4096)
            .Add("model.layers.0.self_attn.q_proj.qzeros", "I32", 32, 512)
            .Add("model.layers.0.self_attn.q_proj.scales", "F16", 32, 4096)
            .Add("model.layers.0.self_attn.q_proj.g_idx", "I32", 4096)
            .Add("model.layers.0.input_layernorm.weight", "F16", 4096));

        var count = SafetensorsParameters.Count(tensors);

        Assert.Equal(4096L * 4096 + 4096, count.InMemory.Value);
        Assert.Equal(512L * 4096 + 32 * 512 + 32 * 4096 + 4096 + 4096, count.StoredElements);
        Assert.Equal([StoredTensorRole.Plain, StoredTensorRole.PackedInt32, StoredTensorRole.QuantizationState], count.Groups.Select(g => g.Role));
        var packed = count.Groups[1];
        Assert.Equal((1, 2_097_152L, 16_777_216L), (packed.Tensors, packed.StoredElements, packed.Parameters));
        Assert.Equal("8 4-bit weights per I32 element (GPTQ/AWQ qweight)", packed.Rule);
        Assert.Equal(3, count.Groups[2].Tensors);
    }

    [Fact]
    public void Gptq8Bit_QweightHoldsFourWeightsPerInt32() =>
        Assert.Equal(4096L * 4096, SafetensorsParameters.Count(Stored(new SafetensorsBuilder().Add("q.qweight", "I32", 1024, 4096)), packedBits: 8).InMemory.Value);

    [Fact]
    public void Awq_QweightPackedAlongOutputs_CountsTheSame()
    {
        // AutoAWQ packs along the output dimension: qweight [in, out / 8], qzeros [in / 128, out / 8], scales [in / 128, out].
        var tensors = Stored(new SafetensorsBuilder()
            .Add("model.layers.0.mlp.down_proj.qweight", "I32", 11008, 512)
            .Add("model.layers.0.mlp.down_proj.qzeros", "I32", 86, 512)
            .Add("model.layers.0.mlp.down_proj.scales", "F16", 86, 4096));

        Assert.Equal(11008L * 4096, SafetensorsParameters.Count(tensors).InMemory.Value);
    }

    [Fact]
    public void BitsAndBytes4Bit_TwoValuesPerByte_AbsmaxAndQuantStateDropped()
    {
        // down_proj 4096 × 11008 = 45,088,768 weights as bitsandbytes NF4 with double quantisation (blocksize 64, nested 256):
        // weight [45,088,768 / 2, 1] U8, absmax 704,512 U8 (quantised), nested_absmax 2,752 F32, quant maps 256 and 16 F32,
        // and the packed quant_state dictionary as U8.
        var tensors = Stored(new SafetensorsBuilder()
            .Add("model.layers.0.mlp.down_proj.weight", "U8", 22_544_384, 1)
            .Add("model.layers.0.mlp.down_proj.weight.absmax", "U8", 704_512)
            .Add("model.layers.0.mlp.down_proj.weight.nested_absmax", "F32", 2_752)
            .Add("model.layers.0.mlp.down_proj.weight.nested_quant_map", "F32", 256)
            .Add("model.layers.0.mlp.down_proj.weight.quant_map", "F32", 16)
            .Add("model.layers.0.mlp.down_proj.weight.quant_state.bitsandbytes__nf4", "U8", 108)
            .Add("model.norm.weight", "BF16", 4096));

        var count = SafetensorsParameters.Count(tensors);

        Assert.Equal(45_088_768L + 4096, count.InMemory.Value);
        Assert.Equal(5, Assert.Single(count.Groups, g => g.Role == StoredTensorRole.QuantizationState).Tensors);
        Assert.Equal(StoredTensorRole.Packed4BitWeight, SafetensorsParameters.Classify(tensors[0]));
    }

    [Fact]
    public void Mxfp4_GptOssExperts_BlocksHoldTwoValuesPerByte_ScalesDropped()
    {
        // gpt-oss-20b layer 0 experts: 32 experts, d 2880, expert FFN 2880. gate_up_proj_blocks [32, 5760, 90, 16] U8
        // (90 blocks of 32 FP4 values in 16 bytes per row), gate_up_proj_scales [32, 5760, 90] U8 (E8M0), biases BF16.
        var tensors = Stored(new SafetensorsBuilder()
            .Add("model.layers.0.mlp.experts.gate_up_proj_blocks", "U8", 32, 5760, 90, 16)
            .Add("model.layers.0.mlp.experts.gate_up_proj_scales", "U8", 32, 5760, 90)
            .Add("model.layers.0.mlp.experts.gate_up_proj_bias", "BF16", 32, 5760)
            .Add("model.layers.0.mlp.experts.down_proj_blocks", "U8", 32, 2880, 90, 16)
            .Add("model.layers.0.mlp.experts.down_proj_scales", "U8", 32, 2880, 90)
            .Add("model.layers.0.mlp.experts.down_proj_bias", "BF16", 32, 2880));

        var count = SafetensorsParameters.Count(tensors);

        // 32 × 5760 × 2880 + 32 × 2880 × 2880 weights, plus 32 × 5760 + 32 × 2880 biases.
        Assert.Equal(530_841_600L + 265_420_800 + 184_320 + 92_160, count.InMemory.Value);
        var blocks = Assert.Single(count.Groups, g => g.Role == StoredTensorRole.Mxfp4Blocks);
        Assert.Equal((2, 398_131_200L, 796_262_400L), (blocks.Tensors, blocks.StoredElements, blocks.Parameters));
    }

    [Fact]
    public void Fp8_BlockScalesAndInputScalesAreState()
    {
        // DeepSeek-V3 style: an F8_E4M3 weight [7168, 2048] with 128 × 128 block scales weight_scale_inv [56, 16] F32;
        // a per-tensor style layer (weight_scale, input_scale scalars).
        var tensors = Stored(new SafetensorsBuilder()
            .Add("model.layers.0.self_attn.o_proj.weight", "F8_E4M3", 7168, 2048)
            .Add("model.layers.0.self_attn.o_proj.weight_scale_inv", "F32", 56, 16)
            .Add("model.layers.1.self_attn.o_proj.weight", "F8_E4M3", 7168, 2048)
            .Add("model.layers.1.self_attn.o_proj.weight_scale", "F32")
            .Add("model.layers.1.self_attn.o_proj.input_scale", "F32"));

        var count = SafetensorsParameters.Count(tensors);

        Assert.Equal(2L * 7168 * 2048, count.InMemory.Value);
        Assert.Equal(2L * 7168 * 2048 + 56 * 16 + 2, count.StoredElements);
        Assert.Equal([(DataType.Fp8E4M3, 2L * 7168 * 2048), (DataType.Fp32, 56L * 16 + 2)], count.StoredByType.ToArray());
    }

    [Theory]
    [InlineData("x.qweight", "F16", StoredTensorRole.Plain)]
    [InlineData("x.qweight", "I32", StoredTensorRole.PackedInt32)]
    [InlineData("x.weight_packed", "I32", StoredTensorRole.PackedInt32)]
    [InlineData("x.weight", "I8", StoredTensorRole.Plain)]
    [InlineData("x.weight", "U8", StoredTensorRole.Packed4BitWeight)]
    [InlineData("x.SCB", "F32", StoredTensorRole.QuantizationState)]
    [InlineData("x_blocks", "U8", StoredTensorRole.Mxfp4Blocks)]
    [InlineData("x_blocks", "BF16", StoredTensorRole.Plain)]
    [InlineData("x.weight_scale_2", "F32", StoredTensorRole.QuantizationState)]
    [InlineData("x.k_scale", "F32", StoredTensorRole.QuantizationState)]
    [InlineData("model.embed_tokens.weight", "BF16", StoredTensorRole.Plain)]
    public void Classify_UsesNameAndDtype(string name, string dtype, StoredTensorRole role) =>
        Assert.Equal(role, SafetensorsParameters.Classify(Stored(new SafetensorsBuilder().Add(name, dtype, 8))[0]));

    [Fact]
    public void UnsupportedPackedBits_AreAProgrammingError() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => SafetensorsParameters.Count([], packedBits: 5));

    private static IReadOnlyList<StoredTensor> Stored(SafetensorsBuilder builder)
    {
        using var stream = builder.ToStream();
        return SafetensorsReader.Read(stream, "model.safetensors").Tensors;
    }
}
