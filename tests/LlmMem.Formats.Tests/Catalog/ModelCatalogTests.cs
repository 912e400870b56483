using LlmMem.Formats.Catalog;

namespace LlmMem.Formats.Tests.Catalog;

public class ModelCatalogTests
{
    [Theory]
    [InlineData("meta-llama/Llama-3.1-8B", "meta-llama/Llama-3.1-8B")]
    [InlineData("llama-3.1-8b", "meta-llama/Llama-3.1-8B")]
    [InlineData("LLAMA3.1:8B", "meta-llama/Llama-3.1-8B")]
    [InlineData("llama-3-8b", "meta-llama/Meta-Llama-3-8B")]
    [InlineData("llama-2-7b", "meta-llama/Llama-2-7b-hf")]
    [InlineData("qwen2.5-7b-instruct", "Qwen/Qwen2.5-7B-Instruct")]
    [InlineData("qwen2.5-7b", "Qwen/Qwen2.5-7B")]
    [InlineData("deepseek-ai/deepseek-v3", "deepseek-ai/DeepSeek-V3")]
    [InlineData("gpt-oss-20b", "openai/gpt-oss-20b")]
    public void Find_ByIdOrAlias_CaseInsensitive(string text, string id)
    {
        var match = ModelCatalog.Find(text);

        Assert.NotNull(match);
        Assert.Equal(id, match.Entry.Id);
        Assert.Null(match.Note);
    }

    [Fact]
    public void VariantlessAlias_PointsAtTheOnlyVariant_AndSaysSo()
    {
        var match = ModelCatalog.Find("qwen2.5-72b");

        Assert.NotNull(match);
        Assert.Equal("Qwen/Qwen2.5-72B-Instruct", match.Entry.Id);
        Assert.Contains("the catalog has only Qwen/Qwen2.5-72B-Instruct", match.Note);
    }

    [Fact]
    public void EveryEntry_Loads_AndHasItsSource()
    {
        foreach (var entry in ModelCatalog.Entries)
        {
            var model = ModelCatalog.Load(entry);
            Assert.True(model.Parameters.Value > 0, entry.Id);
            Assert.False(string.IsNullOrWhiteSpace(entry.Source));
        }

        Assert.Equal(44, ModelCatalog.Entries.Count); // 33 shared fixtures + 5 found for llmem + 6 for the vLLM logs
    }

    [Fact]
    public void Resolver_TriesPathThenCatalogThenCount()
    {
        Assert.Equal("meta-llama/Llama-3.1-8B", ModelResolver.Resolve("llama-3.1-8b").Name);
        Assert.Equal(8_000_000_000, ModelResolver.Resolve("8B").Parameters.Value);
        Assert.Equal(8_030_261_248, ModelResolver.Resolve(Fixtures.Path("meta-llama--Llama-3.1-8B")).Parameters.Value);
        var error = Assert.Throws<ModelNotFoundException>(() => ModelResolver.Resolve("lama-3.1-8b"));
        Assert.Contains("Did you mean 'llama-3.1-8b'?", error.Message);
    }

    [Fact]
    public void Resolver_ModelFolder_ReadsItsConfigJson()
    {
        var folder = Directory.CreateTempSubdirectory("llmem-model-");
        try
        {
            File.Copy(Fixtures.Path("Qwen--Qwen3-0.6B"), Path.Combine(folder.FullName, "config.json"));

            var model = ModelResolver.Resolve(folder.FullName);

            Assert.Equal(596_049_920L, model.Parameters.Value);
            Assert.Equal(folder.Name, model.Name);
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }
}
