using System.Globalization;
using System.Net;

namespace LlmMem.Formats.Hub;

/// <summary>
/// The Hub could not answer: access refused, rate-limited, timed out, unreachable, or a malformed response. The
/// message is one line that starts with the repository and says what to do; it never holds the token.
/// </summary>
public sealed class HubException(string message) : Exception(message);

/// <summary>A file the cache does not hold, read while the network is off or before the Hub is asked.</summary>
internal sealed class HubNotCachedException(string message) : Exception(message);

/// <summary>One message per failure, so every caller words the same failure the same way.</summary>
internal static class HubErrors
{
    public static Exception Status(HubRepoId id, HubSettings settings, HttpStatusCode status, string what, TimeSpan? retryAfter, int retries)
    {
        var code = (int)status;
        return code switch
        {
            401 or 403 => new HubException($"{id.Repo}: the Hub refused access to {what} (HTTP {code}): the model is gated or private; "
                + (settings.Token is null
                    ? "set HF_TOKEN to a token that may read it (and accept the model's terms on its page)."
                    : "the token in HF_TOKEN may not read it (accept the model's terms on its page, or use a token that may).")),
            404 => new ModelNotFoundException($"{id}: {what} was not found on the Hub ({Endpoint(settings)}); check the id{(id.Revision is null ? "" : " and the revision")}, "
                + "or set HF_TOKEN if the model is private."),
            429 => new HubException($"{id.Repo}: the Hub is rate-limiting requests (HTTP 429)"
                + (retryAfter is { } wait && wait > settings.MaxRetryAfter
                    ? $" and asks to wait {Seconds(wait)}, longer than llmem waits ({Seconds(settings.MaxRetryAfter)}); try again later."
                    : $"{(retries > 0 ? $" after {retries} {(retries == 1 ? "retry" : "retries")}" : "")}; try again later, or set HF_TOKEN (signed-in users get higher limits).")),
            >= 500 => new HubException($"{id.Repo}: the Hub failed on {what} (HTTP {code}){(retries > 0 ? $" after {retries} {(retries == 1 ? "retry" : "retries")}" : "")}; try again later."),
            _ => new HubException($"{id.Repo}: the Hub answered {what} with HTTP {code}, which llmem does not expect."),
        };
    }

    public static HubException Timeout(HubRepoId id, HubSettings settings, string what) =>
        new($"{id.Repo}: the Hub ({Endpoint(settings)}) did not answer {what} in time (timeout {Seconds(settings.AttemptTimeout)} per attempt, "
            + $"{Seconds(settings.TotalTimeout)} in all); check the network or HF_ENDPOINT, or use --offline for a cached model.");

    public static HubException Unreachable(HubRepoId id, HubSettings settings, string why) =>
        new($"{id.Repo}: cannot reach the Hub at {Endpoint(settings)} ({OneLine(why)}); check the network or HF_ENDPOINT, or use --offline for a cached model.");

    public static HubException Malformed(HubRepoId id, string what, string why) =>
        new($"{id.Repo}: the Hub sent a malformed answer to {what}: {OneLine(why)}");

    public static string Endpoint(HubSettings settings) => settings.Endpoint.GetLeftPart(UriPartial.Path).TrimEnd('/');

    public static string Seconds(TimeSpan time) => time.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture) + " s";

    private static string OneLine(string text)
    {
        var line = string.Concat(text.Select(c => char.IsControl(c) ? ' ' : c)).Trim();
        return line.Length > 200 ? line[..200] + "…" : line;
    }
}
