using System.Text.Json.Nodes;
using LlmMem.Formats.Tests;
using LlmMem.Formats.Tests.Gguf;
using LlmMem.Formats.Tests.Hub;
using LlmMem.Formats.Tests.Safetensors;

namespace LlmMem.Cli.Tests;

/// <summary>
/// `llmem inspect|infer org/name` against a real Kestrel server on 127.0.0.1 posing as HF_ENDPOINT: the same answer as
/// the same files on disk, the source named, one line per failure, and the token never shown.
/// </summary>
public sealed class HubCommandTests : IAsyncLifetime
{
    private const string Token = "hf_SECRETtokenNeverPrinted42";
    private FakeHub hub = null!;
    private readonly TempFolder home = new();

    public async Task InitializeAsync() => hub = await FakeHub.StartAsync();

    public async Task DisposeAsync()
    {
        await hub.DisposeAsync();
        home.Dispose();
    }

    /// <summary>Runs llmem with the fake Hub as HF_ENDPOINT, a private HF_HOME, one quick retry, and <paramref name="extra"/> variables.</summary>
    private (int Exit, string Out, string Err) Run(string[] args, params (string Name, string Value)[] extra)
    {
        var variables = new Dictionary<string, string>
        {
            ["HF_ENDPOINT"] = hub.Endpoint.AbsoluteUri,
            ["HF_HOME"] = home.Path,
            ["LLMEM_HUB_RETRIES"] = "1",
        };
        foreach (var (name, value) in extra)
        {
            variables[name] = value;
        }

        using var stdout = new StringWriter { NewLine = "\n" };
        using var stderr = new StringWriter { NewLine = "\n" };
        var exit = CliApp.Run(args, stdout, stderr, CliRunner.Width, name => variables.GetValueOrDefault(name));
        return (exit, stdout.ToString(), stderr.ToString());
    }

    private string Endpoint => hub.Endpoint.AbsoluteUri.TrimEnd('/');

    /// <summary>The JSON without what names the source (name, origin, file paths), which differs between a folder and a repository by design.</summary>
    private static string WithoutSource(string json)
    {
        var node = JsonNode.Parse(json)!;
        var model = node["model"]!.AsObject();
        model.Remove("name");
        model.Remove("origin");
        (model["stored"] as JsonObject)?.Remove("files");
        return node.ToJsonString();
    }

    private FakeRepo SmolRepo(string id = "org/smol") =>
        HubFixtures.AddCheckpoint(hub.Repo(id), Fixtures.Path("HuggingFaceTB--SmolLM2-135M"), HubFixtures.SmolLm2Shards());

    [Fact]
    public void Inspect_HubId_MatchesTheSameFolderOnDisk_AndSaysTheHubAnswered()
    {
        var repo = SmolRepo();
        using var folder = new TempFolder();
        HubFixtures.WriteCheckpoint(folder, Fixtures.Path("HuggingFaceTB--SmolLM2-135M"), HubFixtures.SmolLm2Shards());

        var remote = Run(["inspect", "org/smol", "--format", "json"]);
        var local = Run(["inspect", folder.Path, "--format", "json"]);
        var table = Run(["inspect", "org/smol"]);

        Assert.Equal((0, ""), (remote.Exit, remote.Err));
        Assert.Equal(WithoutSource(local.Out), WithoutSource(remote.Out));
        Assert.Equal(2 * 134_515_008L, JsonNode.Parse(remote.Out)!["model"]!["weight_bytes"]!.GetValue<long>()); // SmolLM2-135M in bf16
        Assert.Equal($"hub ({Endpoint}, revision {repo.Sha})", JsonNode.Parse(remote.Out)!["model"]!["origin"]!.GetValue<string>());
        Assert.Equal($"local path ({folder.Path})", JsonNode.Parse(local.Out)!["model"]!["origin"]!.GetValue<string>());
        Assert.Contains($"from cache (revision {repo.Sha})", table.Out);
    }

    [Fact]
    public void Infer_GgufRepo_WithFile_EstimatesAsTheFileOnDisk_AndASecondRunWorksOffline()
    {
        var image = GgufModels.Llama3_8B().Build();
        var repo = hub.Repo("bartowski/Meta-Llama-3-8B-GGUF").Add("Meta-Llama-3-8B-Q4_K_M.gguf", HubFixtures.Served(image))
            .Add("Meta-Llama-3-8B-Q8_0.gguf", HubFixtures.Served(GgufModels.Tiny().Build()));
        using var folder = new TempFolder();
        var path = HubFixtures.WriteGguf(image, folder.File("Meta-Llama-3-8B-Q4_K_M.gguf"));
        string[] options = ["--engine", "llamacpp", "-c", "8192", "--format", "json"];

        var remote = Run(["infer", "bartowski/Meta-Llama-3-8B-GGUF", "--file", "Meta-Llama-3-8B-Q4_K_M.gguf", .. options]);
        var local = Run(["infer", path, .. options]);
        var served = hub.BytesServed;
        var offline = Run(["infer", "bartowski/Meta-Llama-3-8B-GGUF", "--file", "Meta-Llama-3-8B-Q4_K_M.gguf", "--offline", .. options]);

        Assert.Equal((0, ""), (remote.Exit, remote.Err));
        Assert.Equal(WithoutSource(local.Out), WithoutSource(remote.Out));
        Assert.Equal((0, ""), (offline.Exit, offline.Err));
        Assert.Equal(WithoutSource(local.Out), WithoutSource(offline.Out));
        Assert.Equal($"cache (revision {repo.Sha})", JsonNode.Parse(offline.Out)!["model"]!["origin"]!.GetValue<string>());
        Assert.Equal(served, hub.BytesServed);
        Assert.True(served < image.Length / 500, $"{served:N0} of {image.Length:N0} bytes served");
    }

    [Fact]
    public void Infer_GgufRepoWithSeveralFiles_AsksForFile()
    {
        hub.Repo("org/quants").Add("a-Q4_K_M.gguf", HubFixtures.Served(GgufModels.Tiny().Build())).Add("a-Q8_0.gguf", HubFixtures.Served(GgufModels.Tiny().Build()));

        var (exit, output, error) = Run(["infer", "org/quants", "--engine", "llamacpp"]);

        Assert.Equal(1, exit);
        Assert.Empty(output);
        Assert.Equal("error: org/quants: holds 2 GGUF models; pick one with --file: a-Q4_K_M.gguf, a-Q8_0.gguf.\n", error);
    }

    [Fact]
    public void Hub_ForcesTheHubForACatalogId()
    {
        var repo = HubFixtures.AddCheckpoint(hub.Repo("meta-llama/Llama-3.1-8B"), Fixtures.Path("meta-llama--Llama-3.1-8B"), HubFixtures.Llama31_8BShards());

        var catalog = Run(["inspect", "meta-llama/Llama-3.1-8B", "--format", "json"]);
        var forced = Run(["inspect", "meta-llama/Llama-3.1-8B", "--hub", "--revision", "main", "--format", "json"]);

        Assert.StartsWith("catalog (", JsonNode.Parse(catalog.Out)!["model"]!["origin"]!.GetValue<string>());
        Assert.Equal($"hub ({Endpoint}, revision {repo.Sha})", JsonNode.Parse(forced.Out)!["model"]!["origin"]!.GetValue<string>());
        Assert.Equal(16_060_522_496, JsonNode.Parse(forced.Out)!["model"]!["stored"]!["bytes"]!.GetValue<long>());
        Assert.True(hub.BytesServed < 200_000);
    }

    [Fact]
    public void Infer_Table_SaysWhichSourceAnswered()
    {
        var repo = SmolRepo();

        var first = Run(["infer", "org/smol"]);
        var second = Run(["infer", "org/smol"]);

        Assert.Equal($"from hub ({Endpoint}, revision {repo.Sha})", first.Out.Split('\n')[1]);
        Assert.Equal($"from cache (revision {repo.Sha})", second.Out.Split('\n')[1]);
    }

    [Fact]
    public void Train_HubId_ReadsTheModel()
    {
        SmolRepo();

        var (exit, output, error) = Run(["train", "org/smol", "--format", "json"]);

        Assert.Equal((0, ""), (exit, error));
        Assert.Equal(134_515_008, JsonNode.Parse(output)!["model"]!["parameters"]!.GetValue<long>());
    }

    [Fact]
    public void Offline_ByEnvironment_WithNothingCached_IsAUsageError()
    {
        SmolRepo();

        var (exit, output, error) = Run(["inspect", "org/smol"], ("HF_HUB_OFFLINE", "1"));

        Assert.Equal(2, exit);
        Assert.Empty(output);
        Assert.Equal($"error: org/smol: revision 'main' is not in llmem's cache ({Path.Combine(home.Path, "llmem")}) and the network is off (--offline or HF_HUB_OFFLINE); run once online to cache it.\n", error);
        Assert.Empty(hub.Requests);
    }

    [Theory]
    [InlineData(401)]
    [InlineData(403)]
    public void Gated_WithAToken_OneLine_AndTheTokenAppearsNowhere(int status)
    {
        var repo = SmolRepo("org/gated");
        (repo.Failure, repo.FailureStatus) = (Failure.Status, status);

        var (exit, output, error) = Run(["inspect", "org/gated"], ("HF_TOKEN", Token));

        Assert.Equal(1, exit);
        Assert.Empty(output);
        Assert.Equal($"error: org/gated: the Hub refused access to the model info of revision 'main' (HTTP {status}): the model is gated or private; "
            + "the token in HF_TOKEN may not read it (accept the model's terms on its page, or use a token that may).\n", error);
        Assert.DoesNotContain(Token, output + error);
        Assert.DoesNotContain("SECRET", output + error, StringComparison.OrdinalIgnoreCase);
        Assert.Equal($"Bearer {Token}", Assert.Single(hub.Requests).Authorization);
    }

    [Fact]
    public void NotFound_IsAUsageError()
    {
        var (exit, _, error) = Run(["infer", "org/nothing"]);

        Assert.Equal(2, exit);
        Assert.Equal($"error: org/nothing: the model info of revision 'main' was not found on the Hub ({Endpoint}); check the id, or set HF_TOKEN if the model is private.\n", error);
    }

    [Fact]
    public void RateLimited_OneLine()
    {
        var repo = SmolRepo();
        (repo.Failure, repo.RetryAfter, repo.FailuresBeforeSuccess) = (Failure.RateLimitedThenOk, "86400", int.MaxValue);

        var (exit, _, error) = Run(["inspect", "org/smol"]);

        Assert.Equal(1, exit);
        Assert.Equal("error: org/smol: the Hub is rate-limiting requests (HTTP 429) and asks to wait 86400 s, longer than llmem waits (30 s); try again later.\n", error);
    }

    [Fact]
    public void StallingHub_TimesOut_WithOneLine()
    {
        SmolRepo().Failure = Failure.Stall;

        var (exit, _, error) = Run(["inspect", "org/smol"], ("LLMEM_HUB_TIMEOUT", "0.3"));

        Assert.Equal(1, exit);
        Assert.StartsWith($"error: org/smol: the Hub ({Endpoint}) did not answer the model info of revision 'main' in time (timeout 0.3 s per attempt, 1.8 s in all)", error);
        Assert.Single(error.TrimEnd('\n').Split('\n'));
    }

    [Theory]
    [InlineData("org/a..b", "'org/a..b' is not a Hub id: 'a..b' may not contain '--' or '..'.")]
    [InlineData("org/name@", "the revision after '@' is empty.")]
    public void HostileIds_AreUsageErrors(string text, string message)
    {
        var (exit, _, error) = Run(["inspect", text]);

        Assert.Equal((2, $"error: {message}\n"), (exit, error));
        Assert.Empty(hub.Requests);
    }

    [Theory]
    [InlineData("--revision", "../x", "error: --revision: revision '../x' has an empty, '.' or '..' segment.\n")]
    [InlineData("--file", "../config.json", "error: --file '../config.json' must be a path inside the repository, without empty, '.' or '..' parts.\n")]
    public void HostileOptions_AreUsageErrors(string option, string value, string message)
    {
        var (exit, _, error) = Run(["inspect", "org/smol", option, value]);

        Assert.Equal((2, message), (exit, error));
        Assert.Empty(hub.Requests);
    }

    [Fact]
    public void BadEndpoint_IsAUsageError()
    {
        var (exit, _, error) = Run(["inspect", "org/smol"], ("HF_ENDPOINT", "file:///etc"));

        Assert.Equal((2, "error: HF_ENDPOINT 'file:///etc' is not an http(s) URL such as https://huggingface.co.\n"), (exit, error));
    }

    [Fact]
    public void BadEndpoint_DoesNotMatter_WhenTheHubIsNotAsked()
    {
        var count = Run(["infer", "8B"], ("HF_ENDPOINT", "file:///etc"));
        var catalog = Run(["infer", "meta-llama/Llama-3.1-8B"], ("HF_ENDPOINT", "file:///etc"));

        Assert.Equal((0, ""), (count.Exit, count.Err));
        Assert.Equal((0, ""), (catalog.Exit, catalog.Err));
        Assert.StartsWith("meta-llama/Llama-3.1-8B · 8,030,261,248 parameters", catalog.Out);
    }
}
