using LlmMem.Formats.Hub;

namespace LlmMem.Formats.Tests.Hub;

/// <summary>The environment variables huggingface_hub defines mean the same here.</summary>
public class HubSettingsTests
{
    private static HubSettings From(params (string Name, string Value)[] variables) =>
        HubSettings.FromEnvironment(name => variables.FirstOrDefault(v => v.Name == name).Value);

    [Fact]
    public void Defaults_AreThePublicHub_AndTheXdgCache()
    {
        var settings = From(("HOME", "/home/u"));

        Assert.Equal(new Uri("https://huggingface.co"), settings.Endpoint);
        Assert.Equal("/home/u/.cache/huggingface/llmem", settings.CacheFolder);
        Assert.Null(settings.Token);
        Assert.Equal(TimeSpan.FromSeconds(10), settings.AttemptTimeout);
        Assert.Equal(TimeSpan.FromSeconds(60), settings.TotalTimeout);
    }

    [Fact]
    public void Variables_SetEndpointTokenCacheAndOffline()
    {
        var settings = From(("HF_ENDPOINT", "https://mirror.example/hf/"), ("HF_TOKEN", "hf_x"), ("XDG_CACHE_HOME", "/c"), ("HF_HUB_OFFLINE", "yes"),
            ("LLMEM_HUB_TIMEOUT", "0.5"), ("LLMEM_HUB_RETRIES", "2"));

        Assert.Equal("https://mirror.example/hf", HubErrors.Endpoint(settings));
        Assert.Equal("hf_x", settings.Token);
        Assert.Equal("/c/huggingface/llmem", settings.CacheFolder);
        Assert.True(settings.Offline);
        Assert.Equal(TimeSpan.FromSeconds(0.5), settings.AttemptTimeout);
        Assert.Equal(TimeSpan.FromSeconds(3), settings.TotalTimeout);
        Assert.Equal(2, settings.MaxRetries);
    }

    [Theory]
    [InlineData("HF_ENDPOINT", "ftp://x", "HF_ENDPOINT 'ftp://x' is not an http(s) URL such as https://huggingface.co.")]
    [InlineData("HF_ENDPOINT", "https://user:pw@x", "HF_ENDPOINT 'https://user:pw@x' is not an http(s) URL")]
    [InlineData("LLMEM_HUB_TIMEOUT", "-1", "LLMEM_HUB_TIMEOUT '-1' is not a number of seconds between 0 and 3600.")]
    [InlineData("LLMEM_HUB_RETRIES", "99", "LLMEM_HUB_RETRIES '99' is not a whole number from 0 to 10.")]
    public void BadValues_AreRefusedNamingTheVariable(string name, string value, string message)
    {
        var error = Assert.Throws<ArgumentException>(() => From((name, value)));

        Assert.StartsWith(message, error.Message);
    }

    [Theory]
    [InlineData("https://huggingface.co/api/x", true)]
    [InlineData("https://HUGGINGFACE.CO/x", true)]
    [InlineData("https://cdn-lfs.huggingface.co/x", false)]
    [InlineData("http://huggingface.co/x", false)]
    [InlineData("https://huggingface.co:8443/x", false)]
    public void Token_GoesOnlyToTheEndpointsOwnHost(string url, bool sent) =>
        Assert.Equal(sent, new HubSettings { CacheFolder = "/c" }.IsEndpointHost(new Uri(url)));

    [Theory]
    [InlineData("Qwen/Qwen2.5-Coder-32B-Instruct", "Qwen", "Qwen2.5-Coder-32B-Instruct", null)]
    [InlineData("bartowski/Meta-Llama-3.1-8B-Instruct-GGUF@main", "bartowski", "Meta-Llama-3.1-8B-Instruct-GGUF", "main")]
    [InlineData("org/model@refs/pr/12", "org", "model", "refs/pr/12")]
    public void RepoId_Parses(string text, string organization, string name, string? revision)
    {
        Assert.True(HubRepoId.TryParse(text, out var id, out var error), error);
        Assert.Equal(new HubRepoId(organization, name, revision), id);
    }

    [Theory]
    [InlineData("llama-3.1-8b", false)]
    [InlineData("./models/x", false)]
    [InlineData("/abs/path", false)]
    [InlineData("models/config.json", false)]
    [InlineData("dir/model.gguf", false)]
    [InlineData("a/b/c", false)]
    [InlineData("https://huggingface.co/org/x", false)]
    [InlineData("org/name", true)]
    [InlineData("org/name@v1", true)]
    public void LooksLikeId_LeavesPathsAndAliasesAlone(string text, bool expected) => Assert.Equal(expected, HubRepoId.LooksLikeId(text));
}
