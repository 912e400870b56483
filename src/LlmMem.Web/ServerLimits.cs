using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace LlmMem.Web;

/// <summary>
/// Kestrel's limits for <c>llmem serve</c>, so a slow or greedy client is cut off without holding what others need
/// (issue 13: "slow clients and oversized bodies are cut off without hurting others"). Kestrel checks its timeouts and
/// data rates on a heartbeat once a second, so each bound holds to within about a second
/// (learn.microsoft.com/aspnet/core/fundamentals/servers/kestrel/options, "Timeouts" and "Minimum request body data rate").
/// Every request here is small: a JSON body of at most 64 KiB, or an uploaded header of at most 64 MiB.
/// </summary>
public static class ServerLimits
{
    /// <summary>
    /// The longest a client may take to send a request's line and headers (Kestrel's default is 30 s). A browser or a
    /// script sends them in one packet; 10 s is generous for any real client and cuts a slowloris trickling one header
    /// line at a time three times sooner than the default.
    /// </summary>
    public static readonly TimeSpan RequestHeadersTimeout = TimeSpan.FromSeconds(10);

    /// <summary>
    /// How long an idle kept-alive connection stays open (default 130 s). The page sends its requests in bursts when a
    /// setting changes; 30 s keeps its connection between edits without letting idle sockets pile up.
    /// </summary>
    public static readonly TimeSpan KeepAliveTimeout = TimeSpan.FromSeconds(30);

    /// <summary>
    /// The slowest a request body may arrive once its grace period is over (default 240 B/s), in bytes per second.
    /// 1 KiB/s is slower than any working network link; a 64 KiB JSON body arrives at it in about a minute, and a client
    /// trickling a byte a second is cut off when the grace period ends.
    /// </summary>
    public const double MinBodyBytesPerSecond = 1024;

    /// <summary>
    /// The time a body gets before its rate is checked (default 5 s): TCP slow start and a browser's first write need a
    /// moment; 5 s is Kestrel's own choice and is kept.
    /// </summary>
    public static readonly TimeSpan BodyRateGracePeriod = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Open connections at most (default: unlimited). Beyond it Kestrel closes new connections at once (and logs it),
    /// so a flood of idle sockets costs memory up to this many; the timeouts above free them within seconds. 1,000 is
    /// far above what the page (a browser opens about 6 per host) or the load test (64) uses.
    /// </summary>
    public const long MaxConcurrentConnections = 1000;

    /// <summary>The largest body any request may send: the JSON limit (the upload endpoint raises its own to <see cref="Uploads.MaxBytes"/>).</summary>
    public const long MaxRequestBodyBytes = WebServer.MaxJsonBytes + 1;

    /// <summary>Sets the limits above on Kestrel's options.</summary>
    public static void Apply(KestrelServerLimits limits)
    {
        limits.RequestHeadersTimeout = RequestHeadersTimeout;
        limits.KeepAliveTimeout = KeepAliveTimeout;
        limits.MinRequestBodyDataRate = new MinDataRate(MinBodyBytesPerSecond, BodyRateGracePeriod);
        limits.MaxConcurrentConnections = MaxConcurrentConnections;
        limits.MaxRequestBodySize = MaxRequestBodyBytes;
    }
}
