using System.Globalization;

namespace LlmMem.Formats.Hub;

/// <summary>Where the Hub is, who asks, where answers are cached, and how long to wait: read once from the environment.</summary>
/// <remarks>
/// The variables are huggingface_hub's own (constants.py), so a mirror or a token set up for the Python tools works
/// here unchanged: HF_ENDPOINT, HF_TOKEN, HF_HOME (else $XDG_CACHE_HOME/huggingface, else ~/.cache/huggingface) and
/// HF_HUB_OFFLINE. llmem keeps its cache in $HF_HOME/llmem, never in the hub/ folder whose layout the Python tools own.
/// </remarks>
public sealed record HubSettings
{
    /// <summary>The public Hub.</summary>
    public static readonly Uri DefaultEndpoint = new("https://huggingface.co");

    public Uri Endpoint { get; init; } = DefaultEndpoint;

    /// <summary>Sent as "Authorization: Bearer" to the endpoint's own host only; never printed.</summary>
    public string? Token { get; init; }

    /// <summary>llmem's cache folder ($HF_HOME/llmem).</summary>
    public required string CacheFolder { get; init; }

    /// <summary>No network: only the cache answers.</summary>
    public bool Offline { get; init; }

    /// <summary>One request, until its response headers arrive.</summary>
    public TimeSpan AttemptTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>One request with its retries and its body.</summary>
    public TimeSpan TotalTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>Retries after a failed attempt (timeout, 429, 5xx, connection error).</summary>
    public int MaxRetries { get; init; } = 3;

    /// <summary>The first retry's wait; later ones double (with jitter).</summary>
    public TimeSpan RetryDelay { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>The longest Retry-After honoured: a 429 asking for longer is reported at once rather than waited out.</summary>
    public TimeSpan MaxRetryAfter { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Told what is being fetched (a file and its byte range), for a progress display; null for none.</summary>
    public Action<string>? Progress { get; init; }

    /// <summary>
    /// The settings the environment gives. Besides huggingface_hub's variables, LLMEM_HUB_TIMEOUT (seconds per
    /// attempt; the total is six times it) and LLMEM_HUB_RETRIES let tests and slow links change the waits.
    /// </summary>
    /// <exception cref="ArgumentException">A variable holds a value that cannot be used; the message names it.</exception>
    public static HubSettings FromEnvironment(Func<string, string?> variable)
    {
        ArgumentNullException.ThrowIfNull(variable);
        var endpointText = NonEmpty(variable("HF_ENDPOINT"));
        var endpoint = DefaultEndpoint;
        if (endpointText is not null
            && (!Uri.TryCreate(endpointText.TrimEnd('/'), UriKind.Absolute, out endpoint!) || endpoint.Scheme is not ("https" or "http")
                || !string.IsNullOrEmpty(endpoint.Query) || !string.IsNullOrEmpty(endpoint.Fragment) || endpoint.UserInfo.Length > 0))
        {
            throw new ArgumentException($"HF_ENDPOINT '{endpointText}' is not an http(s) URL such as https://huggingface.co.");
        }

        var home = NonEmpty(variable("HF_HOME"))
            ?? Path.Combine(NonEmpty(variable("XDG_CACHE_HOME")) ?? Path.Combine(NonEmpty(variable("HOME")) ?? Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache"), "huggingface");
        var settings = new HubSettings
        {
            Endpoint = endpoint,
            Token = NonEmpty(variable("HF_TOKEN")),
            CacheFolder = Path.Combine(home, "llmem"),
            Offline = IsTrue(variable("HF_HUB_OFFLINE")),
        };

        if (NonEmpty(variable("LLMEM_HUB_TIMEOUT")) is { } timeoutText)
        {
            if (!double.TryParse(timeoutText, NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds) || !(seconds is > 0 and <= 3600))
            {
                throw new ArgumentException($"LLMEM_HUB_TIMEOUT '{timeoutText}' is not a number of seconds between 0 and 3600.");
            }

            settings = settings with { AttemptTimeout = TimeSpan.FromSeconds(seconds), TotalTimeout = TimeSpan.FromSeconds(seconds * 6) };
        }

        if (NonEmpty(variable("LLMEM_HUB_RETRIES")) is { } retriesText)
        {
            if (!int.TryParse(retriesText, NumberStyles.None, CultureInfo.InvariantCulture, out var retries) || retries > 10)
            {
                throw new ArgumentException($"LLMEM_HUB_RETRIES '{retriesText}' is not a whole number from 0 to 10.");
            }

            settings = settings with { MaxRetries = retries, RetryDelay = retries == 0 ? settings.RetryDelay : TimeSpan.FromMilliseconds(100) };
        }

        return settings;
    }

    /// <summary>huggingface_hub's _is_true: "1", "ON", "YES", "TRUE", any case.</summary>
    public static bool IsTrue(string? value) =>
        value?.Trim().ToUpperInvariant() is "1" or "ON" or "YES" or "TRUE";

    /// <summary>Whether <paramref name="uri"/> is on the endpoint's own scheme, host and port: only there is the token sent.</summary>
    public bool IsEndpointHost(Uri uri) =>
        Uri.Compare(uri, Endpoint, UriComponents.SchemeAndServer, UriFormat.UriEscaped, StringComparison.OrdinalIgnoreCase) == 0;

    private static string? NonEmpty(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();
}
