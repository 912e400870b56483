using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.Http;

namespace LlmMem.Web.Tests;

/// <summary>DNS rebinding: a request naming a Host the server does not listen under is refused, on a real Kestrel server.</summary>
public sealed class HostHeaderTests : LoopbackServer
{
    [Theory]
    [InlineData("evil.example")] // a page on evil.example whose name now resolves to 127.0.0.1
    [InlineData("evil.example:{port}")]
    [InlineData("127.0.0.1.evil.example")]
    [InlineData("localhost.evil.example:{port}")]
    public async Task AForeignHost_Is400WithOneLine_ForThePageAndTheApi(string host)
    {
        foreach (var path in new[] { "/", "/api/gpus" })
        {
            var (status, body) = await GetAsync(path, host.Replace("{port}", Url.Port.ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal));

            Assert.Equal(HttpStatusCode.BadRequest, status);
            var error = JsonDocument.Parse(body).RootElement.GetProperty("error").GetString()!;
            Assert.StartsWith($"Host '{host.Split(':')[0]}' is not served here", error);
            Assert.DoesNotContain("\n", error);
        }
    }

    [Theory]
    [InlineData("127.0.0.1:{port}")]
    [InlineData("localhost:{port}")]
    [InlineData("LOCALHOST")]
    [InlineData("[::1]:{port}")]
    public async Task TheListenAddressAndLoopbackNames_AreServed(string host)
    {
        var (status, _) = await GetAsync("/api/gpus", host.Replace("{port}", Url.Port.ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal));

        Assert.Equal(HttpStatusCode.OK, status);
    }

    [Theory]
    [InlineData("http://127.0.0.1:5178", null, "evil.example", false)]
    [InlineData("http://127.0.0.1:5178", null, "127.0.0.1", true)]
    [InlineData("http://llmem.lan:8080", null, "llmem.lan", true)]
    [InlineData("http://llmem.lan:8080", null, "other.lan", false)]
    [InlineData("http://[::1]:8080", null, "[::1]", true)]
    [InlineData("http://0.0.0.0:8080", null, "machine.lan", true)] // every interface: the names clients use are unknown
    [InlineData("http://0.0.0.0:8080", "machine.lan", "machine.lan", true)]
    [InlineData("http://0.0.0.0:8080", "machine.lan", "evil.example", false)]
    [InlineData("http://[::]:8080", "machine.lan", "localhost", true)]
    [InlineData("http://127.0.0.1:5178", "*", "anything.example", true)]
    [InlineData("http://127.0.0.1:5178;http://10.0.0.5:5178", null, "10.0.0.5", true)]
    [InlineData("http://127.0.0.1:5178", null, "", false)] // HTTP/1.0 without a Host header
    public void TheFilter_FollowsTheListenUrlsAndAllowedHosts(string urls, string? allowed, string host, bool allows)
    {
        var filter = new HostFilter(urls, allowed?.Split(','));

        Assert.Equal(allows, filter.Allows(host.Length == 0 ? default : new HostString(host)));
    }

    private async Task<(HttpStatusCode Status, string Body)> GetAsync(string path, string host)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(Url, path));
        request.Headers.Host = host;
        using var response = await Client.SendAsync(request);
        return (response.StatusCode, await response.Content.ReadAsStringAsync());
    }
}
