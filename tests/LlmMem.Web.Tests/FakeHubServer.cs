using LlmMem.Cli;
using LlmMem.Formats.Tests.Hub;
using LlmMem.Formats.Tests.Safetensors;

namespace LlmMem.Web.Tests;

/// <summary>
/// The web API in-process with a loopback FakeHub as its HF_ENDPOINT (never the network), SmolLM2-135M published there
/// as org/smol, a temporary HF_HOME, and the CLI run as <c>llmem serve</c> runs it (no response files).
/// </summary>
public abstract class FakeHubServer : IAsyncLifetime
{
    private protected FakeHub Hub { get; private set; } = null!;
    private protected HttpClient Client { get; private set; } = null!;
    private readonly TempFolder home = new();
    private LlmMemWebFactory factory = null!;

    public async Task InitializeAsync()
    {
        Hub = await FakeHub.StartAsync();
        HubFixtures.AddCheckpoint(Hub.Repo("org/smol"), LlmMem.Formats.Tests.Fixtures.Path("HuggingFaceTB--SmolLM2-135M"), HubFixtures.SmolLm2Shards());
        var variables = new Dictionary<string, string> { ["HF_ENDPOINT"] = Hub.Endpoint.AbsoluteUri, ["HF_HOME"] = home.Path, ["LLMEM_HUB_RETRIES"] = "1" };
        factory = new LlmMemWebFactory { Cli = (args, stdout, stderr) => CliApp.Run(args, stdout, stderr, 120, name => variables.GetValueOrDefault(name), responseFiles: false) };
        Client = factory.CreateClient();
    }

    public async Task DisposeAsync()
    {
        Client.Dispose();
        await factory.DisposeAsync();
        await Hub.DisposeAsync();
        home.Dispose();
    }
}
