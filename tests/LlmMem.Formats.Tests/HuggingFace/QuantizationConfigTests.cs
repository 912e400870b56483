using LlmMem.DataTypes;
using LlmMem.Models;

namespace LlmMem.Formats.Tests.HuggingFace;

/// <summary>quantization_config blocks as GPTQ, AWQ and bitsandbytes checkpoints write them, on Llama-2-7B's shape.</summary>
public class QuantizationConfigTests
{
    private static ModelSpec Llama2With(string quantizationConfig) => Fixtures.Parse(
        """{"model_type": "llama", "hidden_size": 4096, "num_hidden_layers": 32, "num_attention_heads": 32, "num_key_value_heads": 32, "intermediate_size": 11008, "vocab_size": 32000, "max_position_embeddings": 4096, "torch_dtype": "float16", "quantization_config": """
        + quantizationConfig + "}");

    [Theory]
    [InlineData("""{"quant_method": "gptq", "bits": 4, "group_size": 128, "desc_act": false}""", "gptq", "int4_g128")]
    [InlineData("""{"quant_method": "awq", "bits": 4, "group_size": 128, "version": "gemm", "zero_point": true}""", "awq", "int4_g128")]
    [InlineData("""{"quant_method": "bitsandbytes", "load_in_4bit": true, "bnb_4bit_quant_type": "nf4", "bnb_4bit_use_double_quant": true}""", "bitsandbytes", "nf4_dq")]
    [InlineData("""{"quant_method": "bitsandbytes", "load_in_8bit": true}""", "bitsandbytes", "int8")]
    public void LinearLayers_TakeTheSchemesType_TheRestKeepsTheStoredDtype(string config, string method, string type)
    {
        var model = Llama2With(config);
        var quantization = model.Shape!.Quantization!;

        Assert.Equal(method, quantization.Method);
        Assert.Equal(type, quantization.WeightType.Name);
        var layout = WeightLayout.For(model.Shape, model.Breakdown!, null, null).ToDictionary(s => s.Component, s => s.Type);
        Assert.Equal(type, layout["attention"].Name);
        Assert.Equal(type, layout["mlp"].Name);
        Assert.Equal(DataType.Fp16, layout["embeddings"]);
        Assert.Equal(DataType.Fp16, layout["lm_head"]);
        Assert.Equal(DataType.Fp16, layout["norms"]);
    }

    [Fact]
    public void Gptq_WithGroup64_CostsMoreBits()
    {
        var model = Llama2With("""{"quant_method": "gptq", "bits": 4, "group_size": 64}""");

        // Per 64 weights: 32 B of 4-bit values + fp16 scale + 4-bit zero = 34.5 B, 4.3125 bits.
        Assert.Equal(4.3125, model.Shape!.Quantization!.WeightType.BitsPerElement);
    }

    [Fact]
    public void RequestedDtype_DequantisesEverything()
    {
        var model = Llama2With("""{"quant_method": "gptq", "bits": 4, "group_size": 128}""");

        Assert.All(WeightLayout.For(model.Shape!, model.Breakdown!, DataType.Bf16, null), s => Assert.Equal(DataType.Bf16, s.Type));
    }

    [Fact]
    public void UnknownMethod_IsNotedAndIgnored()
    {
        var model = Llama2With("""{"quant_method": "hqq"}""");

        Assert.Null(model.Shape!.Quantization);
        Assert.Contains(model.Notes, n => n.Code == "unknown_quantization");
    }
}
