using LlmMem.Formats.Hub;
using LlmMem.Formats.Tests.Gguf;
using LlmMem.Formats.Tests.Safetensors;

namespace LlmMem.Formats.Tests.Hub;

/// <summary>What the Hub answered once answers again from llmem's cache, with the network off.</summary>
public sealed class HubCacheTests : IAsyncLifetime
{
    private FakeHub hub = null!;
    private readonly TempFolder cache = new();

    public async Task InitializeAsync() => hub = await FakeHub.StartAsync();

    public async Task DisposeAsync()
    {
        await hub.DisposeAsync();
        cache.Dispose();
    }

    private ResolveOptions Options(bool offline = false, string? file = null) =>
        new(HubFixtures.Settings(hub, cache.Path) with { Offline = offline }, File: file);

    [Fact]
    public void SecondRun_Offline_ReadsTheCache_WithTheSameAnswer()
    {
        var shards = HubFixtures.SmolLm2Shards();
        var repo = HubFixtures.AddCheckpoint(hub.Repo("org/smol"), Fixtures.Path("HuggingFaceTB--SmolLM2-135M"), shards);
        var online = ModelResolver.Resolve("org/smol", Options());
        var requests = hub.Requests.Count;

        var offline = ModelResolver.Resolve("org/smol", Options(offline: true));

        HubAssert.SameModel(online, offline);
        Assert.Equal($"cache (revision {repo.Sha})", offline.Origin);
        Assert.Equal(requests, hub.Requests.Count);
        Assert.True(File.Exists(Path.Combine(cache.Path, "models--org--smol", "refs", "main")));
        Assert.Equal(repo.Sha, File.ReadAllText(Path.Combine(cache.Path, "models--org--smol", "refs", "main")));
    }

    [Fact]
    public void SecondRun_Online_IsAnsweredByTheCacheWithoutTheNetwork()
    {
        var image = GgufModels.Llama3_8B().Build();
        var repo = hub.Repo("org/gguf").Add("model.gguf", HubFixtures.Served(image));
        ModelResolver.Resolve("org/gguf", Options());
        var served = hub.BytesServed;
        var requests = hub.Requests.Count;

        var again = ModelResolver.Resolve("org/gguf", Options());

        Assert.Equal($"cache (revision {repo.Sha})", again.Origin);
        Assert.Equal(requests, hub.Requests.Count);
        Assert.Equal(served, hub.BytesServed);
        Assert.Equal(image.Read().Tensors.Length, again.Stored!.Tensors.Length);
    }

    [Fact]
    public void Offline_ByCommitSha_ReadsTheCache()
    {
        var repo = hub.Repo("org/tiny").Add("model.gguf", HubFixtures.Served(GgufModels.Tiny().Build()));
        ModelResolver.Resolve("org/tiny", Options());

        var model = ModelResolver.Resolve($"org/tiny@{repo.Sha}", Options(offline: true));

        Assert.Equal($"cache (revision {repo.Sha})", model.Origin);
    }

    [Fact]
    public void Offline_WithNothingCached_SaysSo()
    {
        var error = Assert.Throws<ModelNotFoundException>(() => ModelResolver.Resolve("org/never", Options(offline: true)));

        Assert.Equal($"org/never: revision 'main' is not in llmem's cache ({cache.Path}) and the network is off (--offline or HF_HUB_OFFLINE); run once online to cache it.", error.Message);
        Assert.Empty(hub.Requests);
    }

    [Fact]
    public void Offline_AnotherFileThanCached_SaysWhatIsMissing()
    {
        hub.Repo("org/quants").Add("a.gguf", HubFixtures.Served(GgufModels.Tiny().Build())).Add("b.gguf", HubFixtures.Served(GgufModels.Tiny().Build()));
        ModelResolver.Resolve("org/quants", Options(file: "a.gguf"));

        var error = Assert.Throws<ModelNotFoundException>(() => ModelResolver.Resolve("org/quants", Options(offline: true, file: "b.gguf")));

        Assert.StartsWith("org/quants/b.gguf: bytes 0–", error.Message);
        Assert.Contains("are not in the cache", error.Message);
        Assert.EndsWith("The network is off (--offline or HF_HUB_OFFLINE); run once online to cache what this needs.", error.Message);
    }

    [Fact]
    public void CachedButIncomplete_Online_FallsBackToTheHub()
    {
        hub.Repo("org/quants").Add("a.gguf", HubFixtures.Served(GgufModels.Tiny().Build())).Add("b.gguf", HubFixtures.Served(GgufModels.Tiny().Build()));
        ModelResolver.Resolve("org/quants", Options(file: "a.gguf"));

        var model = ModelResolver.Resolve("org/quants", Options(file: "b.gguf"));

        Assert.StartsWith("hub (", model.Origin);
    }

    [Fact]
    public void Cache_IsUnderItsOwnFolder_NeverTheHubCachesLayout()
    {
        var settings = HubSettings.FromEnvironment(name => name == "HF_HOME" ? "/data/hf" : null);

        Assert.Equal(Path.Combine("/data/hf", "llmem"), settings.CacheFolder);
        Assert.Equal(HubSettings.DefaultEndpoint, settings.Endpoint);
        Assert.False(settings.Offline);
    }
}
