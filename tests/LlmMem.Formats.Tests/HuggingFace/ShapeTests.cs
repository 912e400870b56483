using LlmMem.DataTypes;
using LlmMem.Models;

namespace LlmMem.Formats.Tests.HuggingFace;

public class ShapeTests
{
    [Fact]
    public void Gemma2_EvenLayersSlide_OddLayersAreGlobal()
    {
        var layers = Fixtures.Read("google--gemma-2-9b").Shape!.Layers;

        Assert.Equal(4096, layers[0].Attention.SlidingWindow);
        Assert.Equal(AttentionKind.Full, layers[1].Attention.Kind);
        Assert.Equal(21, layers.Count(l => l.Attention.Kind == AttentionKind.Sliding));
    }

    [Fact]
    public void GptOss_FollowsItsLayerTypes_AndItsMxfp4CoversOnlyTheExperts()
    {
        var shape = Fixtures.Read("openai--gpt-oss-20b").Shape!;

        Assert.Equal(128, shape.Layers[0].Attention.SlidingWindow);
        Assert.Null(shape.Layers[1].Attention.SlidingWindow);
        Assert.Equal("mxfp4", shape.Quantization!.Method);
        Assert.Equal(["experts"], shape.Quantization.QuantisedComponents.ToArray());
        Assert.Equal(DataType.Mxfp4, shape.Quantization.WeightType);
    }

    [Fact]
    public void Qwen25_SlidingWindowIsOff_WhenUseSlidingWindowIsFalse() =>
        Assert.All(Fixtures.Read("Qwen--Qwen2.5-7B").Shape!.Layers, l => Assert.Equal(AttentionKind.Full, l.Attention.Kind));

    [Fact]
    public void Mistral_SlidesOnEveryLayer() =>
        Assert.All(Fixtures.Read("mistralai--Mistral-7B-v0.1").Shape!.Layers, l => Assert.Equal(4096, l.Attention.SlidingWindow));

    [Fact]
    public void DeepSeekV3_HasThreeDenseLayers_ThenMoe_AndLatentAttention()
    {
        var shape = Fixtures.Read("deepseek-ai--DeepSeek-V3").Shape!;

        Assert.All(shape.Layers.Take(3), l => Assert.Null(l.Mlp.Moe));
        Assert.All(shape.Layers.Skip(3), l => Assert.Equal(256, l.Mlp.Moe!.Experts));
        Assert.Equal(new LatentAttentionShape(1536, 512, 128, 64, 128), shape.Layers[0].Attention.Latent);
        Assert.Equal("fp8", shape.Quantization!.Method);
    }

    [Theory]
    [InlineData("meta-llama--Llama-2-7b-hf", "fp16")]
    [InlineData("google--gemma-2-9b", "fp32")]
    [InlineData("Qwen--Qwen3-8B", "bf16")]
    public void StoredDtype_ComesFromTorchDtype(string fixture, string dtype) =>
        Assert.Equal(dtype, Fixtures.Read(fixture).Shape!.StoredDtype.Name);

    [Fact]
    public void MissingKvHeads_MeansMultiHeadAttention_AndSaysSo()
    {
        var model = Fixtures.Parse("""{"model_type": "llama", "hidden_size": 4096, "num_hidden_layers": 32, "num_attention_heads": 32, "intermediate_size": 11008, "vocab_size": 32000, "torch_dtype": "float16"}""");

        Assert.Equal(32, model.Shape!.Layers[0].Attention.KvHeads);
        Assert.Contains(model.Notes, n => n.Code == "assumed_kv_heads");
    }
}
