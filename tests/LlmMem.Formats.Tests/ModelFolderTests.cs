using LlmMem.Formats.Tests.Safetensors;
using LlmMem.Inference;
using LlmMem.Models;

namespace LlmMem.Formats.Tests;

/// <summary>A model folder as users download it: config.json beside safetensors shards, read headers-only.</summary>
public class ModelFolderTests
{
    /// <summary>SmolLM2-135M's real tensor list (30 layers, hidden 576, 9 heads, 3 KV heads, MLP 1536, vocab 49,152, tied).</summary>
    private static SafetensorsBuilder SmolLm2(bool storeTiedHead)
    {
        var builder = new SafetensorsBuilder().Add("model.embed_tokens.weight", "BF16", 49_152, 576).Add("model.norm.weight", "BF16", 576);
        for (var i = 0; i < 30; i++)
        {
            var p = $"model.layers.{i}.";
            builder.Add(p + "input_layernorm.weight", "BF16", 576).Add(p + "post_attention_layernorm.weight", "BF16", 576)
                .Add(p + "self_attn.q_proj.weight", "BF16", 576, 576).Add(p + "self_attn.k_proj.weight", "BF16", 192, 576)
                .Add(p + "self_attn.v_proj.weight", "BF16", 192, 576).Add(p + "self_attn.o_proj.weight", "BF16", 576, 576)
                .Add(p + "mlp.gate_proj.weight", "BF16", 1536, 576).Add(p + "mlp.up_proj.weight", "BF16", 1536, 576)
                .Add(p + "mlp.down_proj.weight", "BF16", 576, 1536);
        }

        return storeTiedHead ? builder.Add("lm_head.weight", "BF16", 49_152, 576) : builder;
    }

    [Fact]
    public void Folder_ConfigAndSafetensors_AgreeToTheByte()
    {
        using var folder = new TempFolder();
        File.Copy(Fixtures.Path("HuggingFaceTB--SmolLM2-135M"), folder.File("config.json"));
        SmolLm2(storeTiedHead: false).WriteTo(folder.File("model.safetensors"));

        var model = ModelResolver.Resolve(folder.Path);

        Assert.Equal(134_515_008L, model.Parameters.Value);
        Assert.Equal("safetensors", model.Stored!.Format);
        Assert.Equal(2 * 134_515_008L, model.Stored.TensorBytes.Bytes);
        Assert.DoesNotContain(model.Notes, n => n.Code is "count_mismatch" or "tied_stored_twice");
        var weights = InferenceEstimator.Estimate(new InferenceRequest(model)).Devices[0].Terms[0];
        Assert.Equal(2 * 134_515_008L, weights.Bytes.Bytes);
    }

    [Fact]
    public void TiedHeadStoredTwice_IsNoted_AndNotLoadedTwice()
    {
        using var folder = new TempFolder();
        File.Copy(Fixtures.Path("HuggingFaceTB--SmolLM2-135M"), folder.File("config.json"));
        SmolLm2(storeTiedHead: true).WriteTo(folder.File("model.safetensors"));

        var model = ModelResolver.Resolve(folder.Path);

        Assert.Equal(134_515_008L, model.Parameters.Value);
        Assert.Contains(model.Notes, n => n.Code == "tied_stored_twice");
        Assert.Equal(2 * (134_515_008L + 49_152 * 576), model.Stored!.TensorBytes.Bytes);
        Assert.Equal(2 * 134_515_008L, model.Stored.LoadedBytes.Bytes);
    }

    [Fact]
    public void ConfigThatDisagreesWithTheTensors_IsNoted()
    {
        using var folder = new TempFolder();
        File.Copy(Fixtures.Path("HuggingFaceTB--SmolLM2-135M"), folder.File("config.json"));
        new SafetensorsBuilder().Add("model.embed_tokens.weight", "BF16", 49_152, 576).WriteTo(folder.File("model.safetensors"));

        var model = ModelResolver.Resolve(folder.Path);

        Assert.Contains(model.Notes, n => n.Code == "count_mismatch" && n.Message.Contains("config.json gives 134,515,008"));
    }

    [Fact]
    public void SafetensorsWithoutConfig_GivesTheExactCount()
    {
        using var folder = new TempFolder();
        var file = SmolLm2(storeTiedHead: false).WriteTo(folder.File("model.safetensors"));

        var model = ModelResolver.Resolve(file);

        Assert.Equal(134_515_008L, model.Parameters.Value);
        Assert.Null(model.Shape);
    }

    [Fact]
    public void MissingFolder_IsAFormatErrorNotACrash() =>
        Assert.Throws<ModelNotFoundException>(() => ModelResolver.Resolve("./no/such/folder"));
}
