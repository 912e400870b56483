using System.Net;

namespace LlmMem.Formats.Hub;

/// <summary>
/// Retries and a per-attempt timeout around the socket handler: what the Hub client needs of a resilience library, by
/// hand, so the native binary does not carry Microsoft.Extensions.Http.Resilience's dependencies (DI, options, logging,
/// telemetry, Polly) whose data every command's start-up rehydrates (issue 12, docs/performance.md).
/// </summary>
/// <remarks>
/// Retried: a failed connection or request (<see cref="HttpRequestException"/>), an attempt past
/// <see cref="HubSettings.AttemptTimeout"/>, and the answers worth another try — 408, 429 and 5xx, the transient set of
/// Microsoft.Extensions.Http.Resilience's HttpClientResiliencePredicates. A 429 whose Retry-After is longer than
/// <see cref="HubSettings.MaxRetryAfter"/> is not waited out: it goes back to the caller at once, which reports it (a
/// failing server's is cut to MaxRetryAfter). The wait before a retry is the answer's Retry-After (RFC 9110 §10.2.3)
/// when it has one, else exponential backoff from
/// <see cref="HubSettings.RetryDelay"/> with "equal jitter" (half the delay fixed, half random; Brooker, "Exponential
/// Backoff And Jitter", AWS Architecture Blog, 2015), so clients that failed together do not retry together.
/// The caller's token bounds everything (<see cref="HubSettings.TotalTimeout"/>), the waits included. Requests are GETs
/// without a body, so the same message is sent again.
/// </remarks>
internal sealed class HubRetryHandler(HubSettings settings, HttpMessageHandler inner) : DelegatingHandler(inner)
{
    /// <summary>The most a backoff doubles (2^10 × the first delay), so a large MaxRetries cannot overflow the delay.</summary>
    private const int MaxDoublings = 10;

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        for (var attempt = 0; ; attempt++)
        {
            var last = attempt >= settings.MaxRetries;
            HttpResponseMessage response;
            using (var attemptCancel = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
            {
                attemptCancel.CancelAfter(settings.AttemptTimeout);
                try
                {
                    response = await base.SendAsync(request, attemptCancel.Token).ConfigureAwait(false);
                }
                catch (HttpRequestException) when (!last)
                {
                    await Task.Delay(Backoff(attempt), cancellationToken).ConfigureAwait(false);
                    continue;
                }
                catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
                {
                    // This attempt's own timeout, not the caller's.
                    if (last)
                    {
                        throw new TimeoutException($"no answer within {settings.AttemptTimeout.TotalSeconds:0.###} s");
                    }

                    await Task.Delay(Backoff(attempt), cancellationToken).ConfigureAwait(false);
                    continue;
                }
            }

            if (last || !IsTransient(response, out var retryAfter))
            {
                return response;
            }

            response.Dispose();
            await Task.Delay(retryAfter ?? Backoff(attempt), cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>An answer worth another try, with the wait it asks for (never negative).</summary>
    private bool IsTransient(HttpResponseMessage response, out TimeSpan? retryAfter)
    {
        retryAfter = RetryAfter(response) is { } wait ? (wait < TimeSpan.Zero ? TimeSpan.Zero : wait) : null;
        switch ((int)response.StatusCode)
        {
            case (int)HttpStatusCode.TooManyRequests:
                return retryAfter is not { } asked || asked <= settings.MaxRetryAfter;
            case (int)HttpStatusCode.RequestTimeout or >= 500:
                // A failing server is tried again in any case, waiting at most MaxRetryAfter of what it asks.
                retryAfter = retryAfter > settings.MaxRetryAfter ? settings.MaxRetryAfter : retryAfter;
                return true;
            default:
                return false;
        }
    }

    /// <summary>The Retry-After of an answer: seconds, or a date (then the time until it).</summary>
    public static TimeSpan? RetryAfter(HttpResponseMessage response) => response.Headers.RetryAfter switch
    {
        { Delta: { } delta } => delta,
        { Date: { } date } => date - DateTimeOffset.UtcNow,
        _ => null,
    };

    /// <summary>RetryDelay × 2^attempt, half of it fixed and half random ("equal jitter").</summary>
    private TimeSpan Backoff(int attempt)
    {
        var full = settings.RetryDelay * (1 << Math.Min(attempt, MaxDoublings));
        return full / 2 + full / 2 * Random.Shared.NextDouble();
    }
}
