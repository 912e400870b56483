using System.Text.Json;

namespace LlmMem.Cli.Tests;

/// <summary>`inspect`, `models`, and `infer`/`train` on real architectures from the offline catalog.</summary>
public class ModelCommandsTests
{
    [Fact]
    public void Inspect_CatalogModel_ShowsArchitectureAndComponents()
    {
        var (exit, output, error) = CliRunner.Run("inspect", "meta-llama/Llama-3.1-8B");

        Assert.True(exit == 0, error);
        Assert.Contains("meta-llama/Llama-3.1-8B · llama · 8,030,261,248 parameters (8.03B)", output);
        Assert.Contains("│ KV heads        │ 8 ", output);
        Assert.Contains("│ embeddings     │   525,336,576 │ bf16      │  1,050,673,152 │", output);
        Assert.Contains("16,060,522,496", output); // total_size of the Llama-3-8B bf16 index
    }

    [Fact]
    public void Inspect_Json_FollowsTheContract_WithPerLayerKinds()
    {
        var (exit, output, _) = CliRunner.Run("inspect", "deepseek-ai/DeepSeek-V3", "--format", "json");

        Assert.Equal(0, exit);
        using var json = JsonDocument.Parse(output);
        var model = json.RootElement.GetProperty("model");
        Assert.Equal("deepseek_v3", model.GetProperty("architecture").GetString());
        Assert.Equal(671_026_419_200, model.GetProperty("parameters").GetInt64());
        Assert.Equal(37_552_297_472, model.GetProperty("active_parameters").GetInt64());
        Assert.Equal(61, model.GetProperty("layers").GetInt32());
        Assert.Equal(128, model.GetProperty("kv_heads").GetInt32());
        Assert.Equal(129_280, model.GetProperty("vocab_size").GetInt64());
        var mtp = model.GetProperty("components").EnumerateArray().Single(c => c.GetProperty("name").GetString() == "mtp");
        Assert.False(mtp.GetProperty("loaded").GetBoolean());
        var layers = model.GetProperty("layer_kinds");
        Assert.Equal(61, layers.GetArrayLength());
        Assert.Equal("latent", layers[0].GetProperty("attention").GetString());
        Assert.Equal("dense", layers[2].GetProperty("mlp").GetString());
        Assert.Equal("moe", layers[3].GetProperty("mlp").GetString());
        Assert.Equal(256, layers[3].GetProperty("experts").GetInt32());
    }

    [Fact]
    public void Inspect_ConfigJsonPath_AndItsFolder()
    {
        var folder = Directory.CreateTempSubdirectory("llmem-cli-");
        try
        {
            var config = Path.Combine(folder.FullName, "config.json");
            File.WriteAllText(config, """{"model_type": "llama", "hidden_size": 576, "intermediate_size": 1536, "num_hidden_layers": 30, "num_attention_heads": 9, "num_key_value_heads": 3, "vocab_size": 49152, "tie_word_embeddings": true, "max_position_embeddings": 8192, "torch_dtype": "bfloat16"}""");

            // SmolLM2-135M's shape: 134,515,008 parameters (Hub safetensors.total).
            Assert.Contains("134,515,008 parameters", CliRunner.Run("inspect", config).Out);
            Assert.Contains("134,515,008 parameters", CliRunner.Run("inspect", folder.FullName).Out);
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }

    [Fact]
    public void Models_ListsTheCatalog_AndSearches()
    {
        var (exit, all, _) = CliRunner.Run("models");
        Assert.Equal(0, exit);
        Assert.Contains("meta-llama/Llama-3.1-8B", all);

        var (_, json, _) = CliRunner.Run("models", "--search", "qwen3", "--format", "json");
        using var document = JsonDocument.Parse(json);
        var ids = document.RootElement.EnumerateArray().Select(e => e.GetProperty("id").GetString()).ToList();
        Assert.Equal(["Qwen/Qwen3-0.6B", "Qwen/Qwen3-8B", "Qwen/Qwen3-14B", "Qwen/Qwen3-32B", "Qwen/Qwen3-30B-A3B", "Qwen/Qwen3-235B-A22B",
            "Qwen/Qwen3-235B-A22B-FP8"], ids);
        var moe = document.RootElement.EnumerateArray().Single(e => e.GetProperty("id").GetString() == "Qwen/Qwen3-30B-A3B");
        Assert.Equal(3_353_032_704, moe.GetProperty("active_parameters").GetInt64());
        Assert.Equal("qwen3_moe", moe.GetProperty("architecture").GetString());
        Assert.Equal(40_960, moe.GetProperty("context_length").GetInt64());
        Assert.False(string.IsNullOrEmpty(moe.GetProperty("source").GetString()));
    }

    [Fact]
    public void Infer_CatalogName_WeightsFromTheRealShape()
    {
        var (exit, output, _) = CliRunner.Run("infer", "qwen2.5-7b-instruct", "--dtype", "bf16", "--format", "json");

        Assert.Equal(0, exit);
        using var json = JsonDocument.Parse(output);
        Assert.Equal("Qwen/Qwen2.5-7B-Instruct", json.RootElement.GetProperty("model").GetProperty("name").GetString());
        Assert.Equal(7_615_616_512, json.RootElement.GetProperty("model").GetProperty("parameters").GetInt64());
        Assert.Equal(2 * 7_615_616_512L, json.RootElement.GetProperty("total_bytes").GetInt64());
    }

    [Fact]
    public void Infer_QuantisedCheckpoint_KeepsItsOwnStorage()
    {
        var (_, output, _) = CliRunner.Run("infer", "gpt-oss-20b", "--format", "json");

        using var json = JsonDocument.Parse(output);
        // MXFP4 experts (32 values in 17 B) and everything else in bf16 (the checkpoint gives no torch_dtype; assumed bf16, and said so).
        const long experts = 19_116_933_120L;
        const long rest = 20_914_757_184L - experts;
        Assert.Equal((experts / 32 * 17) + (rest * 2), json.RootElement.GetProperty("total_bytes").GetInt64());
        Assert.Contains(json.RootElement.GetProperty("warnings").EnumerateArray(), w => w.GetProperty("code").GetString() == "assumed_dtype");
    }

    [Fact]
    public void Train_CatalogName_UsesTheExactCount()
    {
        var (_, output, _) = CliRunner.Run("train", "llama-3.1-8b", "--precision", "fp32", "--format", "json");

        using var json = JsonDocument.Parse(output);
        var weights = json.RootElement.GetProperty("devices")[0].GetProperty("terms").EnumerateArray().Single(t => t.GetProperty("id").GetString() == "weights");
        Assert.Equal(4 * 8_030_261_248L, weights.GetProperty("bytes").GetInt64());
    }

    [Fact]
    public void VariantlessName_SaysWhichVariantWasUsed()
    {
        var (_, output, _) = CliRunner.Run("infer", "qwen2.5-72b", "--format", "markdown");

        Assert.Contains("> **Warning** (`catalog_variant`): 'qwen2.5-72b' names no single variant; the catalog has only Qwen/Qwen2.5-72B-Instruct, which is used.", output);
    }

    [Theory]
    [InlineData(2, "Unknown model 'lama-3.1-8b'", "Did you mean 'llama-3.1-8b'?", "infer", "lama-3.1-8b")]
    [InlineData(2, "is a bare parameter count: inspect needs an architecture", "", "inspect", "8B")]
    [InlineData(1, "unsupported model_type", "Supported: bert", "inspect", "CONFIG")]
    public void BadModels_OneLineErrors(int code, string message, string more, params string[] args)
    {
        var file = Path.GetTempFileName();
        try
        {
            File.WriteAllText(file, """{"model_type": "t5", "d_model": 512}""");
            var (exit, output, error) = CliRunner.Run(args.Select(a => a == "CONFIG" ? file : a).ToArray());

            Assert.Equal(code, exit);
            Assert.Empty(output);
            Assert.Contains(message, error);
            Assert.Contains(more, error);
            Assert.Single(error.TrimEnd('\n').Split('\n'));
        }
        finally
        {
            File.Delete(file);
        }
    }
}
