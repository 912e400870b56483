using System.Diagnostics;
using System.Net;
using LlmMem.Formats.Hub;

namespace LlmMem.Formats.Tests.Hub;

/// <summary>
/// The retry loop on its own, over a scripted handler (no sockets): which failures are retried, how often, how long
/// it waits, and that the caller's deadline bounds it. HubFailureTests runs the same rules against a real server.
/// </summary>
public sealed class HubRetryHandlerTests
{
    private static HubSettings Settings(int retries = 2) => new()
    {
        CacheFolder = "unused",
        AttemptTimeout = TimeSpan.FromMilliseconds(300),
        MaxRetries = retries,
        RetryDelay = TimeSpan.FromMilliseconds(10),
        MaxRetryAfter = TimeSpan.FromMilliseconds(50),
    };

    private static (HttpClient Client, Scripted Inner) Client(HubSettings settings, params Func<CancellationToken, Task<HttpResponseMessage>>[] answers)
    {
        var inner = new Scripted(answers);
        return (new HttpClient(new HubRetryHandler(settings, inner)) { Timeout = Timeout.InfiniteTimeSpan }, inner);
    }

    private static Func<CancellationToken, Task<HttpResponseMessage>> Status(int status, string? retryAfter = null) => _ =>
    {
        var response = new HttpResponseMessage((HttpStatusCode)status);
        if (retryAfter is not null)
        {
            response.Headers.TryAddWithoutValidation("Retry-After", retryAfter);
        }

        return Task.FromResult(response);
    };

    private static readonly Func<CancellationToken, Task<HttpResponseMessage>> Stall = async cancel =>
    {
        await Task.Delay(Timeout.Infinite, cancel);
        throw new InvalidOperationException("unreachable");
    };

    private static readonly Func<CancellationToken, Task<HttpResponseMessage>> Refused = _ => throw new HttpRequestException("connection refused");

    private static Task<HttpResponseMessage> Get(HttpClient client, CancellationToken cancel = default) =>
        client.GetAsync(new Uri("http://hub.invalid/api/models/org/x"), cancel);

    [Fact]
    public async Task ServerError_IsRetried_ThenSucceeds()
    {
        var (client, inner) = Client(Settings(), Status(503), Status(200));

        using var response = await Get(client);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(2, inner.Calls);
    }

    [Fact]
    public async Task FailedConnection_IsRetried_ThenSucceeds()
    {
        var (client, inner) = Client(Settings(), Refused, Status(200));

        using var response = await Get(client);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(2, inner.Calls);
    }

    [Fact]
    public async Task SlowAttempt_TimesOut_AndTheNextOneAnswers()
    {
        var (client, inner) = Client(Settings(), Stall, Status(200));

        using var response = await Get(client);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(2, inner.Calls);
    }

    [Fact]
    public async Task EveryAttemptTimingOut_IsATimeout_AfterTheRetries()
    {
        var (client, inner) = Client(Settings(retries: 2), Stall, Stall, Stall, Status(200));

        await Assert.ThrowsAsync<TimeoutException>(() => Get(client));
        Assert.Equal(3, inner.Calls);
    }

    [Fact]
    public async Task LastFailure_IsReturned_WhenTheRetriesAreSpent()
    {
        var (client, inner) = Client(Settings(retries: 1), Status(500), Status(502), Status(200));

        using var response = await Get(client);

        Assert.Equal(HttpStatusCode.BadGateway, response.StatusCode);
        Assert.Equal(2, inner.Calls);
    }

    [Fact]
    public async Task NoRetries_SendsOnce()
    {
        var (client, inner) = Client(Settings(retries: 0), Status(503), Status(200));

        using var response = await Get(client);

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Equal(1, inner.Calls);
    }

    [Theory]
    [InlineData(404)]
    [InlineData(401)]
    public async Task ClientErrors_AreNotRetried(int status)
    {
        var (client, inner) = Client(Settings(), Status(status), Status(200));

        using var response = await Get(client);

        Assert.Equal(status, (int)response.StatusCode);
        Assert.Equal(1, inner.Calls);
    }

    [Fact]
    public async Task RateLimit_AskingPastTheBound_IsReturnedAtOnce()
    {
        var (client, inner) = Client(Settings(), Status(429, "3600"), Status(200));

        using var response = await Get(client);

        Assert.Equal(HttpStatusCode.TooManyRequests, response.StatusCode);
        Assert.Equal(1, inner.Calls);
    }

    [Fact]
    public async Task ServerError_AskingPastTheBound_WaitsOnlyTheBound()
    {
        var (client, inner) = Client(Settings(), Status(503, "3600"), Status(200));
        var clock = Stopwatch.StartNew();

        using var response = await Get(client);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(2, inner.Calls);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(30), $"waited {clock.Elapsed}");
    }

    [Fact]
    public async Task CallersDeadline_StopsTheWaits()
    {
        var settings = Settings(retries: 5) with { RetryDelay = TimeSpan.FromSeconds(30) };
        var (client, _) = Client(settings, Status(503), Status(503), Status(200));
        using var deadline = new CancellationTokenSource(TimeSpan.FromMilliseconds(200));
        var clock = Stopwatch.StartNew();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => Get(client, deadline.Token));
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(15), $"waited {clock.Elapsed}");
    }

    /// <summary>Answers each request with the next scripted answer and counts them.</summary>
    private sealed class Scripted(Func<CancellationToken, Task<HttpResponseMessage>>[] answers) : HttpMessageHandler
    {
        private int calls;

        public int Calls => calls;

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken) =>
            answers[Math.Min(Interlocked.Increment(ref calls) - 1, answers.Length - 1)](cancellationToken);
    }
}
