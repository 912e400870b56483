using LlmMem.Formats.Gguf;
using LlmMem.Formats.Hub;
using LlmMem.Formats.Tests.Gguf;
using LlmMem.Formats.Tests.Safetensors;

namespace LlmMem.Formats.Tests.Hub;

/// <summary>Each way the Hub fails is one clear line, never a hang, a stack trace or a leaked token.</summary>
public sealed class HubFailureTests : IAsyncLifetime
{
    private const string Token = "hf_doNotPrintMe0123456789";
    private FakeHub hub = null!;
    private readonly TempFolder cache = new();

    public async Task InitializeAsync() => hub = await FakeHub.StartAsync();

    public async Task DisposeAsync()
    {
        await hub.DisposeAsync();
        cache.Dispose();
    }

    private ResolveOptions Options(string? token = null) => new(HubFixtures.Settings(hub, cache.Path, token));

    private FakeRepo TinyRepo(string id = "org/tiny") => hub.Repo(id).Add("model.gguf", HubFixtures.Served(GgufModels.Tiny().Build()));

    [Theory]
    [InlineData(401)]
    [InlineData(403)]
    public void Gated_WithoutToken_SaysToSetHfToken(int status)
    {
        var repo = TinyRepo();
        (repo.Failure, repo.FailureStatus) = (Failure.Status, status);

        var error = Assert.Throws<HubException>(() => ModelResolver.Resolve("org/tiny", Options()));

        Assert.Equal($"org/tiny: the Hub refused access to the model info of revision 'main' (HTTP {status}): the model is gated or private; "
            + "set HF_TOKEN to a token that may read it (and accept the model's terms on its page).", error.Message);
        Assert.Single(hub.Requests); // no retry: asking again will not help
    }

    [Fact]
    public void Gated_WithAToken_SaysTheTokenMayNotRead_WithoutPrintingIt()
    {
        var repo = TinyRepo();
        (repo.Failure, repo.FailureStatus) = (Failure.Status, 403);

        var error = Assert.Throws<HubException>(() => ModelResolver.Resolve("org/tiny", Options(Token)));

        Assert.Contains("the token in HF_TOKEN may not read it", error.Message);
        Assert.DoesNotContain(Token, error.ToString());
        Assert.Equal($"Bearer {Token}", Assert.Single(hub.Requests).Authorization);
    }

    [Fact]
    public void NotFound_IsModelNotFound_NamingTheEndpoint()
    {
        var error = Assert.Throws<ModelNotFoundException>(() => ModelResolver.Resolve("org/missing", Options()));

        Assert.Equal($"org/missing: the model info of revision 'main' was not found on the Hub ({hub.Endpoint.AbsoluteUri.TrimEnd('/')}); "
            + "check the id, or set HF_TOKEN if the model is private.", error.Message);
    }

    [Fact]
    public void RevisionNotFound_SaysToCheckTheRevision()
    {
        TinyRepo();

        var error = Assert.Throws<ModelNotFoundException>(() => ModelResolver.Resolve("org/tiny@no-such-branch", Options()));

        Assert.StartsWith("org/tiny@no-such-branch: the model info of revision 'no-such-branch' was not found on the Hub", error.Message);
        Assert.Contains("check the id and the revision", error.Message);
    }

    [Fact]
    public void RateLimited_WithAShortRetryAfter_IsRetriedAndSucceeds()
    {
        var repo = TinyRepo();
        (repo.Failure, repo.RetryAfter, repo.FailuresBeforeSuccess) = (Failure.RateLimitedThenOk, "1", 1);

        var model = ModelResolver.Resolve("org/tiny", Options());

        Assert.Equal(GgufModel.FromFile(GgufModels.Tiny().Build().Read(), "x").Parameters, model.Parameters);
        Assert.Equal(2, hub.Requests.Count(r => r.Path.Contains("/revision/", StringComparison.Ordinal)));
    }

    [Fact]
    public void RateLimited_Always_FailsAfterTheRetries()
    {
        var repo = TinyRepo();
        (repo.Failure, repo.RetryAfter, repo.FailuresBeforeSuccess) = (Failure.RateLimitedThenOk, "0", int.MaxValue);

        var error = Assert.Throws<HubException>(() => ModelResolver.Resolve("org/tiny", Options()));

        Assert.Equal("org/tiny: the Hub is rate-limiting requests (HTTP 429) after 1 retry; try again later, or set HF_TOKEN (signed-in users get higher limits).", error.Message);
        Assert.Equal(2, hub.Requests.Count);
    }

    [Fact]
    public void RateLimited_WithARetryAfterPastTheBound_FailsAtOnce()
    {
        var repo = TinyRepo();
        (repo.Failure, repo.RetryAfter, repo.FailuresBeforeSuccess) = (Failure.RateLimitedThenOk, "3600", int.MaxValue);

        var error = Assert.Throws<HubException>(() => ModelResolver.Resolve("org/tiny", Options()));

        Assert.Equal("org/tiny: the Hub is rate-limiting requests (HTTP 429) and asks to wait 3600 s, longer than llmem waits (2 s); try again later.", error.Message);
        Assert.Single(hub.Requests);
    }

    [Fact]
    public void ServerError_IsRetried_ThenReported()
    {
        var repo = TinyRepo();
        (repo.Failure, repo.FailureStatus) = (Failure.Status, 503);

        var error = Assert.Throws<HubException>(() => ModelResolver.Resolve("org/tiny", Options()));

        Assert.Equal("org/tiny: the Hub failed on the model info of revision 'main' (HTTP 503) after 1 retry; try again later.", error.Message);
        Assert.Equal(2, hub.Requests.Count);
    }

    [Fact]
    public void Stalling_Server_TimesOut()
    {
        TinyRepo().Failure = Failure.Stall;
        var settings = HubFixtures.Settings(hub, cache.Path) with { AttemptTimeout = TimeSpan.FromMilliseconds(400), TotalTimeout = TimeSpan.FromSeconds(3) };

        var error = Assert.Throws<HubException>(() => ModelResolver.Resolve("org/tiny", new ResolveOptions(settings)));

        Assert.Equal($"org/tiny: the Hub ({hub.Endpoint.AbsoluteUri.TrimEnd('/')}) did not answer the model info of revision 'main' in time "
            + "(timeout 0.4 s per attempt, 3 s in all); check the network or HF_ENDPOINT, or use --offline for a cached model.", error.Message);
        // At most the attempt and its one retry: retries are bounded. (A loaded machine may time out before Kestrel
        // dispatches a request, so fewer may arrive.)
        Assert.InRange(hub.Requests.Count, 0, 2);
    }

    [Fact]
    public void TruncatedFileBody_IsAMalformedAnswer()
    {
        TinyRepo().Failure = Failure.TruncatedFiles;

        var error = Assert.Throws<HubException>(() => ModelResolver.Resolve("org/tiny", Options()));

        Assert.StartsWith("org/tiny: the Hub sent a malformed answer to file 'model.gguf': the body is truncated", error.Message);
        Assert.Single(error.Message.Split('\n'));
    }

    [Fact]
    public void TruncatedJson_IsAMalformedAnswer()
    {
        TinyRepo().Failure = Failure.TruncatedInfo;

        var error = Assert.Throws<HubException>(() => ModelResolver.Resolve("org/tiny", Options()));

        Assert.StartsWith("org/tiny: the Hub sent a malformed answer to the model info of revision 'main': the body is truncated", error.Message);
    }

    [Fact]
    public void NotJson_IsAMalformedAnswer()
    {
        TinyRepo().Failure = Failure.MalformedInfo;

        var error = Assert.Throws<HubException>(() => ModelResolver.Resolve("org/tiny", Options()));

        Assert.Equal("org/tiny: the Hub sent a malformed answer to the model info of revision 'main': not valid JSON (line 1, byte 1).", error.Message);
    }

    [Fact]
    public void NoServer_IsUnreachable()
    {
        var settings = HubFixtures.Settings(hub, cache.Path) with { Endpoint = new Uri("http://127.0.0.1:9") };

        var error = Assert.Throws<HubException>(() => ModelResolver.Resolve("org/tiny", new ResolveOptions(settings)));

        Assert.StartsWith("org/tiny: cannot reach the Hub at http://127.0.0.1:9 (", error.Message);
    }

    [Fact]
    public void HostileHeaderLength_IsRefusedBeforeFetching()
    {
        // A safetensors file whose 8-byte length claims 90 GB of header: refused by the reader's limits, nothing more fetched.
        var file = new byte[8];
        System.Buffers.Binary.BinaryPrimitives.WriteUInt64LittleEndian(file, 90_000_000_000);
        hub.Repo("org/hostile").Add("model.safetensors", new FakeFile(file, 200_000_000_000));

        var error = Assert.Throws<ModelFormatException>(() => ModelResolver.Resolve("org/hostile", Options()));

        Assert.Equal("org/hostile/model.safetensors: header length 90,000,000,000 is over the 100,000,000-byte limit that the README's §Benefits sets to prevent parsing extremely large JSON.", error.Message);
        Assert.Equal(8, hub.BytesServed);
    }

    [Theory]
    [InlineData("org/a..b", "may not contain '--' or '..'")]
    [InlineData("org/../etc", "Unknown model 'org/../etc'")]
    [InlineData("org/na me", "may hold only letters, digits")]
    [InlineData("org/name@", "the revision after '@' is empty.")]
    [InlineData("org/name@a/../b", "has an empty, '.' or '..' segment")]
    [InlineData("org-/name", "may not start or end with '-' or '.'")]
    public void HostileIds_AreRefusedWithoutAsking(string text, string message)
    {
        var error = Assert.Throws<ModelNotFoundException>(() => ModelResolver.Resolve(text, Options()));

        Assert.Contains(message, error.Message);
        Assert.Empty(hub.Requests);
    }
}
