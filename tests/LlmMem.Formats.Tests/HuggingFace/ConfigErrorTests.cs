namespace LlmMem.Formats.Tests.HuggingFace;

/// <summary>Broken, hostile and unsupported configs: one clear message naming the file and the problem.</summary>
public class ConfigErrorTests
{
    private const string Llama = """{"model_type": "llama", "hidden_size": 4096, "num_hidden_layers": 32, "num_attention_heads": 32, "intermediate_size": 11008, "vocab_size": 32000, "max_position_embeddings": 4096, "torch_dtype": "float16"}""";

    [Fact]
    public void ValidMinimalConfig_IsLlama2_7B() =>
        Assert.Equal(6_738_415_616L, Fixtures.Parse(Llama).Parameters.Value);

    [Theory]
    [InlineData("{\"model_type\": \"llama\",", "not valid JSON")]
    [InlineData("[1, 2, 3]", "must be a JSON object")]
    [InlineData("{\"hidden_size\": 4096}", "no 'model_type'")]
    [InlineData("{\"model_type\": \"t5\"}", "unsupported model_type 't5'. Supported: bert, cohere, deepseek_v3")]
    [InlineData("{\"model_type\": \"mamba\"}", "recurrent or linear-attention")]
    [InlineData("{\"model_type\": \"llama\", \"hidden_size\": 4096}", "a llama config needs 'num_hidden_layers', which is missing")]
    [InlineData("{\"model_type\": \"llama\", \"hidden_size\": \"big\"}", "field 'hidden_size' must be a whole number")]
    [InlineData("{\"model_type\": \"llama\", \"hidden_size\": -5}", "field 'hidden_size' must be a whole number")]
    [InlineData("{\"model_type\": \"llama\", \"hidden_size\": 4096.5}", "field 'hidden_size' must be a whole number")]
    [InlineData("{\"model_type\": \"llama\", \"hidden_size\": 1e300}", "field 'hidden_size' must be a whole number")]
    [InlineData("{\"model_type\": \"llama\", \"hidden_size\": 4096, \"num_hidden_layers\": 2000000000}", "layers is absurd")]
    public void BadConfig_OneLineErrorNamingTheProblem(string json, string message)
    {
        var error = Assert.Throws<ModelFormatException>(() => Fixtures.Parse(json));

        Assert.StartsWith("config.json: ", error.Message);
        Assert.Contains(message, error.Message);
        Assert.DoesNotContain("\n", error.Message);
    }

    [Fact]
    public void KvHeadsThatDoNotDivideHeads_AreRefused()
    {
        var json = Llama.Replace("\"torch_dtype\"", "\"num_key_value_heads\": 5, \"torch_dtype\"", StringComparison.Ordinal);

        Assert.Contains("num_key_value_heads 5 does not divide num_attention_heads 32", Assert.Throws<ModelFormatException>(() => Fixtures.Parse(json)).Message);
    }

    [Fact]
    public void DeeplyNestedJson_IsRefused_NotAStackOverflow()
    {
        var json = "{\"model_type\": \"llama\", \"x\": " + new string('[', 100_000) + new string(']', 100_000) + "}";

        Assert.Contains("not valid JSON", Assert.Throws<ModelFormatException>(() => Fixtures.Parse(json)).Message);
    }

    [Theory]
    [InlineData("Qwen--Qwen3-Next-80B-A3B-Thinking.json", "'qwen3_next' is a recurrent or linear-attention (hybrid) model")]
    [InlineData("Qwen--Qwen3.5-9B.json", "is a recurrent or linear-attention (hybrid) model")]
    [InlineData("tiiuae--falcon-40b.json", "unsupported model_type 'RefinedWeb'")]
    public void RealHybridAndLegacyConfigs_AreRefused(string file, string message)
    {
        var path = Path.Combine(AppContext.BaseDirectory, "TestData", "refused", file);

        Assert.Contains(message, Assert.Throws<ModelFormatException>(() => ModelResolver.FromPath(path)).Message);
    }
}
