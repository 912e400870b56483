using LlmMem.DataTypes;
using LlmMem.Formats.Gguf;
using LlmMem.Formats.Hub;
using LlmMem.Formats.Tests.Gguf;
using LlmMem.Formats.Tests.Safetensors;

namespace LlmMem.Formats.Tests.Hub;

/// <summary>A split GGUF in a repository's subfolder (as quantisers publish large quants): any part reads every part beside it.</summary>
public sealed class HubSplitGgufTests : IAsyncLifetime
{
    private FakeHub hub = null!;
    private readonly TempFolder cache = new();

    public async Task InitializeAsync() => hub = await FakeHub.StartAsync();

    public async Task DisposeAsync()
    {
        await hub.DisposeAsync();
        cache.Dispose();
    }

    /// <summary>Part <paramref name="number"/> of 3, metadata in the first, as gguf-split writes them (see GgufSplitTests).</summary>
    private static GgufImage Part(int number)
    {
        var b = new GgufBuilder();
        if (number == 1)
        {
            b.Str("general.architecture", "llama").Str("general.name", "split-test");
        }

        return b.Set("split.no", GgufValueType.UInt16, (ushort)(number - 1)).Set("split.count", GgufValueType.UInt16, (ushort)3)
            .Set("split.tensors.count", GgufValueType.Int32, 6)
            .Tensor($"blk.{number}.attn_q.weight", DataType.Q4_K, 256, 4).Tensor($"blk.{number}.ffn_norm.weight", DataType.Fp32, 256)
            .Build();
    }

    [Fact]
    public void AnyPart_ReadsEveryPartInItsFolder()
    {
        var repo = hub.Repo("org/big-GGUF").Add("README.md", FakeFile.Text("card"));
        for (var n = 1; n <= 3; n++)
        {
            repo.Add($"Q4_K_M/model-{n:D5}-of-00003.gguf", HubFixtures.Served(Part(n)));
        }

        var id = new HubRepoId("org", "big-GGUF", null);
        using var client = new HubClient(HubFixtures.Settings(hub, cache.Path));
        var files = new HubRepoFiles(id, repo.Sha, client.ListFiles(id, repo.Sha), client, new HubCache(cache.Path));

        var file = GgufReader.Read(files, "Q4_K_M/model-00002-of-00003.gguf");

        Assert.Equal(Enumerable.Range(1, 3).Select(n => $"org/big-GGUF/Q4_K_M/model-{n:D5}-of-00003.gguf"), file.Files);
        Assert.Equal("split-test", file.GetString("general.name"));
        Assert.Equal(6, file.Tensors.Length);
        // Parts this small are read whole (the reader asks for 64 KiB at a time); each once, none twice.
        var parts = Enumerable.Range(1, 3).Select(Part).ToList();
        Assert.Equal(parts.Sum(p => p.Length), hub.BytesServed);
        Assert.Equal(3, hub.Requests.Count(r => r.Path.Contains("/resolve/", StringComparison.Ordinal)));
    }
}
