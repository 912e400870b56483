using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace LlmMem.Web.Tests;

/// <summary>
/// Slow clients on a real Kestrel server (127.0.0.1): a socket that trickles its headers or its body is disconnected
/// within <see cref="ServerLimits"/>' bound, while a normal request sent meanwhile is answered at once.
/// </summary>
public sealed class SlowClientTests : LoopbackServer
{
    /// <summary>Kestrel checks its timeouts on a once-a-second heartbeat; and this machine may be busy.</summary>
    private static readonly TimeSpan Slack = TimeSpan.FromSeconds(3);

    /// <summary>The normal request's bound: an estimate takes milliseconds; seconds only on a machine under heavy load.</summary>
    private static readonly TimeSpan NormalBound = TimeSpan.FromSeconds(3);

    private const string Estimate = """{"model": "llama-3.1-8b", "engine": "vllm", "gpu": "h100-sxm-80gb"}""";

    [Fact]
    public async Task HeadersTrickledAByteAtATime_AreCutOffAtTheHeadersTimeout_WhileOthersAreServed()
    {
        using var socket = await ConnectAsync();
        await SendAsync(socket, $"GET / HTTP/1.1\r\nHost: {Url.Authority}\r\n");

        var (cutAfter, normal) = await TrickleUntilClosedAsync(socket, "X-Slow: a\r\n");

        Assert.InRange(cutAfter, ServerLimits.RequestHeadersTimeout - TimeSpan.FromSeconds(1), ServerLimits.RequestHeadersTimeout + Slack);
        Assert.True(normal < NormalBound, $"the normal request took {normal.TotalMilliseconds:0} ms");
    }

    [Fact]
    public async Task ABodyTrickledAByteAtATime_IsCutOffWhenItsGracePeriodEnds_WhileOthersAreServed()
    {
        using var socket = await ConnectAsync();
        await SendAsync(socket, $"POST /api/infer HTTP/1.1\r\nHost: {Url.Authority}\r\nContent-Type: application/json\r\nContent-Length: 4096\r\n\r\n");

        var (cutAfter, normal) = await TrickleUntilClosedAsync(socket, new string(' ', 64));

        // Well under the rate's 1 KiB/s: cut when the grace period ends (the rate is checked from then on).
        Assert.InRange(cutAfter, ServerLimits.BodyRateGracePeriod - TimeSpan.FromSeconds(1), ServerLimits.BodyRateGracePeriod + Slack);
        Assert.True(normal < NormalBound, $"the normal request took {normal.TotalMilliseconds:0} ms");
    }

    [Fact]
    public void TheLimits_AreKestrelsOwn_WhenTheServerIsBuilt()
    {
        var limits = App.Services.GetRequiredService<IOptions<KestrelServerOptions>>().Value.Limits;

        Assert.Equal(ServerLimits.RequestHeadersTimeout, limits.RequestHeadersTimeout);
        Assert.Equal(ServerLimits.KeepAliveTimeout, limits.KeepAliveTimeout);
        Assert.Equal(ServerLimits.MinBodyBytesPerSecond, limits.MinRequestBodyDataRate!.BytesPerSecond);
        Assert.Equal(ServerLimits.BodyRateGracePeriod, limits.MinRequestBodyDataRate.GracePeriod);
        Assert.Equal(ServerLimits.MaxConcurrentConnections, limits.MaxConcurrentConnections);
        Assert.Equal(ServerLimits.MaxRequestBodyBytes, limits.MaxRequestBodySize);
    }

    /// <summary>
    /// Sends <paramref name="piece"/> one byte every 200 ms until the server closes the socket; one second in, a normal
    /// estimate goes out on its own connection. Returns how long the slow socket lived and how long the estimate took.
    /// </summary>
    private async Task<(TimeSpan CutAfter, TimeSpan Normal)> TrickleUntilClosedAsync(Socket socket, string piece)
    {
        var clock = Stopwatch.StartNew();
        var closed = WaitForCloseAsync(socket);
        Task<TimeSpan>? normal = null;
        for (var i = 0; !closed.IsCompleted && clock.Elapsed < TimeSpan.FromSeconds(60); i++)
        {
            if (normal is null && clock.Elapsed > TimeSpan.FromSeconds(1))
            {
                normal = TimeNormalRequestAsync();
            }

            try
            {
                await SendAsync(socket, piece[i % piece.Length].ToString());
            }
            catch (SocketException)
            {
                break; // the server has closed it
            }

            await Task.WhenAny(closed, Task.Delay(200));
        }

        await closed.WaitAsync(TimeSpan.FromSeconds(10));
        return (clock.Elapsed, await normal!);
    }

    private async Task<TimeSpan> TimeNormalRequestAsync()
    {
        var clock = Stopwatch.StartNew();
        using var response = await Client.PostAsync("/api/infer", new StringContent(Estimate, Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return clock.Elapsed;
    }

    /// <summary>Completes when the server ends the connection: a read returns 0 bytes (after any answer, e.g. 408) or fails.</summary>
    private static async Task WaitForCloseAsync(Socket socket)
    {
        var buffer = new byte[4096];
        try
        {
            while (await socket.ReceiveAsync(buffer) > 0)
            {
            }
        }
        catch (SocketException)
        {
        }
    }

    private async Task<Socket> ConnectAsync()
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        await socket.ConnectAsync(IPAddress.Loopback, Url.Port);
        return socket;
    }

    private static async Task SendAsync(Socket socket, string text) => await socket.SendAsync(Encoding.ASCII.GetBytes(text));
}
