using LlmMem.Formats.Gguf;
using LlmMem.Formats.Hub;
using LlmMem.Formats.Tests.Gguf;
using LlmMem.Formats.Tests.Safetensors;
using LlmMem.Inference;
using LlmMem.Models;

namespace LlmMem.Formats.Tests.Hub;

/// <summary>A Hub id served by a real loopback server reads as the same files do on disk, and only their headers are fetched.</summary>
public sealed class HubModelTests : IAsyncLifetime
{
    private FakeHub hub = null!;
    private readonly TempFolder cache = new();

    public async Task InitializeAsync() => hub = await FakeHub.StartAsync();

    public async Task DisposeAsync()
    {
        await hub.DisposeAsync();
        cache.Dispose();
    }

    private ResolveOptions Options(string? file = null, bool forceHub = false, string? revision = null) =>
        new(HubFixtures.Settings(hub, cache.Path), forceHub, revision, file);

    [Fact]
    public void ShardedCheckpoint_OfSixteenGigabytes_IsSizedFromKilobytesOfHeaders()
    {
        var shards = HubFixtures.Llama31_8BShards();
        var config = Fixtures.Path("meta-llama--Llama-3.1-8B");
        var repo = HubFixtures.AddCheckpoint(hub.Repo("org/llama"), config, shards);

        var model = ModelResolver.Resolve("org/llama", Options());

        // Published: 8,030,261,248 parameters; the bf16 index's total_size is 16,060,522,496 bytes.
        Assert.Equal(8_030_261_248, model.Parameters.Value);
        Assert.Equal(16_060_522_496, model.Stored!.TensorBytes.Bytes);
        Assert.Equal(16_060_522_496, repo.Files.Values.Where(f => f.Length > 1_000_000).Sum(f => f.Length - f.Head.Length));
        Assert.Equal(4, model.Stored.Files.Length);
        // Exactly config.json, the index, and 8 + N header bytes of each shard: nothing of the data.
        var expected = repo.Files["config.json"].Length + repo.Files["model.safetensors.index.json"].Length + shards.Sum(HubFixtures.HeaderBytes);
        Assert.Equal(expected, hub.BytesServed);
        Assert.True(hub.BytesServed < 200_000, $"{hub.BytesServed:N0} bytes served");
        Assert.Equal($"hub ({hub.Endpoint.AbsoluteUri.TrimEnd('/')}, revision {repo.Sha})", model.Origin);
        Assert.Equal("org/llama", model.Name);
    }

    [Fact]
    public void ShardedCheckpoint_OnTheHub_EstimatesExactlyAsTheSameFolderOnDisk()
    {
        var shards = HubFixtures.SmolLm2Shards();
        var config = Fixtures.Path("HuggingFaceTB--SmolLM2-135M");
        HubFixtures.AddCheckpoint(hub.Repo("org/SmolLM2-135M"), config, shards);
        using var folder = new TempFolder();
        HubFixtures.WriteCheckpoint(folder, config, shards);

        var remote = ModelResolver.Resolve("org/SmolLM2-135M", Options());
        var local = ModelResolver.Resolve(folder.Path);

        HubAssert.SameModel(local, remote);
        Assert.Equal(134_515_008L, remote.Parameters.Value);
    }

    [Fact]
    public void GgufRepository_WithOneFile_ReadsAsTheFileOnDisk_FetchingOnlyItsHeader()
    {
        // A 128,256-token vocabulary makes the metadata megabytes long: read in growing chunks, never the tensor data.
        var image = GgufModels.Llama3_8B().Build();
        hub.Repo("org/llama-gguf").Add("README.md", FakeFile.Text("# card")).Add("Meta-Llama-3-8B.Q4_K_M.gguf", HubFixtures.Served(image));
        using var folder = new TempFolder();
        var path = HubFixtures.WriteGguf(image, folder.File("Meta-Llama-3-8B.Q4_K_M.gguf"));

        var remote = ModelResolver.Resolve("org/llama-gguf", Options());
        var local = ModelResolver.Resolve(path);

        HubAssert.SameModel(local, remote);
        Assert.Equal("gguf", remote.Stored!.Format);
        Assert.True(image.Header.Length > 2_000_000, $"header {image.Header.Length:N0} bytes");
        Assert.InRange(hub.BytesServed, image.At["header_end"], image.Header.Length + (4 << 20));
        Assert.True(image.Length > 500 * hub.BytesServed, $"{hub.BytesServed:N0} of {image.Length:N0} bytes served");
    }

    [Fact]
    public void GgufRepository_WithSeveralFiles_AsksForFile_ThenReadsTheOneNamed()
    {
        var small = GgufModels.Tiny().Build();
        var large = GgufModels.Qwen25_05B().Build();
        hub.Repo("org/quants").Add("model-Q4_K_M.gguf", HubFixtures.Served(small)).Add("model-Q8_0.gguf", HubFixtures.Served(large));

        var error = Assert.Throws<ModelFormatException>(() => ModelResolver.Resolve("org/quants", Options()));
        var model = ModelResolver.Resolve("org/quants", Options(file: "model-Q8_0.gguf"));

        Assert.Equal("org/quants: holds 2 GGUF models; pick one with --file: model-Q4_K_M.gguf, model-Q8_0.gguf.", error.Message);
        Assert.Equal(large.Read().Tensors.Length, model.Stored!.Tensors.Length);
        Assert.Equal(GgufModel.FromFile(large.Read(), "x").Parameters, model.Parameters);
    }

    [Fact]
    public void File_NamingAMissingFile_ListsTheGgufFiles()
    {
        hub.Repo("org/quants").Add("a.gguf", HubFixtures.Served(GgufModels.Tiny().Build()));

        var error = Assert.Throws<ModelFormatException>(() => ModelResolver.Resolve("org/quants", Options(file: "b.gguf")));

        Assert.Equal("org/quants/b.gguf: no such file. The GGUF files are: a.gguf.", error.Message);
    }

    [Fact]
    public void File_NamingOneSafetensorsFile_ReadsThatFileWithTheConfig()
    {
        var shards = HubFixtures.SmolLm2Shards();
        var repo = HubFixtures.AddCheckpoint(hub.Repo("org/smol"), Fixtures.Path("HuggingFaceTB--SmolLM2-135M"), shards);
        repo.Add("consolidated.safetensors", HubFixtures.Served(new SafetensorsBuilder().Add("w", "F32", 3, 5)));

        var model = ModelResolver.Resolve("org/smol", Options(file: "consolidated.safetensors"));

        Assert.Equal("org/smol/consolidated.safetensors", Assert.Single(model.Stored!.Files));
        Assert.Equal(60, model.Stored.TensorBytes.Bytes);
        Assert.Equal("llama", model.Shape!.Architecture);
        Assert.Contains(model.Notes, n => n.Code == "count_mismatch");
    }

    [Fact]
    public void CatalogId_IsTheCatalogsUnlessHubIsForced()
    {
        var shards = HubFixtures.Llama31_8BShards();
        var repo = HubFixtures.AddCheckpoint(hub.Repo("meta-llama/Llama-3.1-8B"), Fixtures.Path("meta-llama--Llama-3.1-8B"), shards);

        var catalog = ModelResolver.Resolve("meta-llama/Llama-3.1-8B", Options());
        var forced = ModelResolver.Resolve("meta-llama/Llama-3.1-8B", Options(forceHub: true));

        Assert.StartsWith("catalog (", catalog.Origin);
        Assert.Null(catalog.Stored);
        Assert.Equal($"hub ({hub.Endpoint.AbsoluteUri.TrimEnd('/')}, revision {repo.Sha})", forced.Origin);
        Assert.Equal(16_060_522_496, forced.Stored!.TensorBytes.Bytes);
        Assert.Equal(catalog.Parameters, forced.Parameters);
    }

    [Fact]
    public void Revision_ABranchName_IsResolvedToItsCommit()
    {
        var other = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";
        var repo = hub.Repo("org/tiny").Add("model.gguf", HubFixtures.Served(GgufModels.Tiny().Build()));
        repo.Refs["v1.0"] = other;
        repo.Refs["refs/pr/1"] = other;

        var byOption = ModelResolver.Resolve("org/tiny", Options(revision: "v1.0"));
        var byId = ModelResolver.Resolve("org/tiny@refs/pr/1", Options());

        Assert.EndsWith($"revision {other})", byOption.Origin);
        Assert.EndsWith($"revision {other})", byId.Origin);
        Assert.Contains(hub.Requests, r => r.Path.EndsWith("/revision/refs%2Fpr%2F1", StringComparison.Ordinal));
    }

    [Fact]
    public void Tree_OverSeveralPages_IsFollowedByItsLinkHeader()
    {
        hub.TreePageSize = 2;
        var shards = HubFixtures.SmolLm2Shards();
        var repo = HubFixtures.AddCheckpoint(hub.Repo("org/smol"), Fixtures.Path("HuggingFaceTB--SmolLM2-135M"), shards);
        repo.Add("README.md", FakeFile.Text("card")).Add("tokenizer.json", FakeFile.Text("{}"));

        var model = ModelResolver.Resolve("org/smol", Options());

        Assert.Equal(2, model.Stored!.Files.Length);
        Assert.Equal(3, hub.Requests.Count(r => r.Path.Contains("/tree/", StringComparison.Ordinal)));
    }

    [Fact]
    public void Redirect_ToTheCdn_IsFollowed_AndTheTokenStaysOnTheEndpoint()
    {
        var shards = HubFixtures.SmolLm2Shards();
        var repo = HubFixtures.AddCheckpoint(hub.Repo("org/gated"), Fixtures.Path("HuggingFaceTB--SmolLM2-135M"), shards);
        repo.RedirectToCdn = true;
        var options = Options() with { Hub = HubFixtures.Settings(hub, cache.Path, token: "hf_secret_token") };

        var model = ModelResolver.Resolve("org/gated", options);

        Assert.Equal(134_515_008L, model.Parameters.Value);
        var toCdn = hub.Requests.Where(r => r.ToCdn).ToList();
        var toHub = hub.Requests.Where(r => !r.ToCdn).ToList();
        Assert.Equal(repo.Files.Count + shards.Count, toCdn.Count); // config and index once each, each shard twice (its 8-byte length, then its header)
        Assert.All(toCdn, r => Assert.Null(r.Authorization));
        Assert.All(toHub, r => Assert.Equal("Bearer hf_secret_token", r.Authorization));
        Assert.All(toCdn, r => Assert.StartsWith("bytes=", r.Range));
    }
}

/// <summary>Two reads of the same model agree on everything an estimate uses.</summary>
internal static class HubAssert
{
    public static void SameModel(ModelSpec expected, ModelSpec actual)
    {
        Assert.Equal(expected.Parameters, actual.Parameters);
        Assert.Equal(expected.Breakdown!.Total, actual.Breakdown!.Total);
        Assert.Equal(expected.Breakdown.Active, actual.Breakdown.Active);
        Assert.Equal(expected.Shape!.Architecture, actual.Shape!.Architecture);
        Assert.NotNull(expected.Stored);
        Assert.NotNull(actual.Stored);
        Assert.Equal(expected.Stored.Format, actual.Stored.Format);
        Assert.Equal(expected.Stored.TensorBytes, actual.Stored.TensorBytes);
        Assert.Equal(expected.Stored.LoadedBytes, actual.Stored.LoadedBytes);
        Assert.Equal(expected.Stored.Files.Select(Path.GetFileName), actual.Stored.Files.Select(Path.GetFileName));
        Assert.Equal(
            expected.Stored.Tensors.Select(t => (t.Name, t.Type, string.Join('x', t.Shape), t.Bytes)),
            actual.Stored.Tensors.Select(t => (t.Name, t.Type, string.Join('x', t.Shape), t.Bytes)));
        Assert.Equal(expected.Notes.Select(n => n.Code), actual.Notes.Select(n => n.Code));
        var local = InferenceEstimator.Estimate(new InferenceRequest(expected));
        var remote = InferenceEstimator.Estimate(new InferenceRequest(actual));
        Assert.Equal(
            local.Devices.SelectMany(d => d.Terms).Select(t => (t.Id, t.Bytes)),
            remote.Devices.SelectMany(d => d.Terms).Select(t => (t.Id, t.Bytes)));
        Assert.True(local.Devices.SelectMany(d => d.Terms).Sum(t => t.Bytes.Bytes) > 0);
    }
}
