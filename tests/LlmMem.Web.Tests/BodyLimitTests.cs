using System.Net;
using System.Text;
using System.Text.Json;

namespace LlmMem.Web.Tests;

/// <summary>Oversized bodies on a real Kestrel server: 413 with one line of JSON, with a length declared or not (chunked).</summary>
public sealed class BodyLimitTests : LoopbackServer
{
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task AJsonBodyOverItsLimit_Is413(bool declaredLength)
    {
        var json = "{\"model\": \"" + new string('a', WebServer.MaxJsonBytes) + "\"}";

        var (status, error) = await PostAsync("/api/infer", Body(Encoding.UTF8.GetBytes(json), declaredLength));

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, status);
        Assert.Equal($"The JSON body is larger than {WebServer.MaxJsonBytes >> 10} KiB.", error);
    }

    [Fact]
    public async Task AJsonBodyJustUnderItsLimit_IsRead()
    {
        var json = "{\"model\": \"llama-3.1-8b\", \"gpu\": \"h100-sxm-80gb\"}" + new string(' ', WebServer.MaxJsonBytes - 100);

        using var response = await Client.PostAsync("/api/infer", Body(Encoding.UTF8.GetBytes(json), declaredLength: false));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task AnUploadOverItsLimit_Is413(bool declaredLength)
    {
        var (status, error) = await PostAsync("/api/upload?name=big.gguf&size=100000000000", Body(new byte[Uploads.MaxBytes + 1], declaredLength));

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, status);
        Assert.Contains($"larger than {Uploads.MaxBytes >> 20} MiB", error);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task AnUploadOverTheJsonLimit_IsReadWhole_ForTheUploadRaisesItsOwnLimit(bool declaredLength)
    {
        using var response = await Client.PostAsync("/api/upload?name=big.gguf&size=4194304", Body(new byte[1 << 20], declaredLength));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.StartsWith("upload:", JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("model").GetString());
    }

    /// <summary>The bytes as a body with a Content-Length, or as a stream of unknown length (Transfer-Encoding: chunked).</summary>
    private static HttpContent Body(byte[] bytes, bool declaredLength)
    {
        HttpContent content = declaredLength ? new ByteArrayContent(bytes) : new StreamContent(new UnknownLengthStream(bytes));
        content.Headers.ContentType = new("application/json");
        return content;
    }

    /// <summary>
    /// Posts with "Expect: 100-continue" (as curl does for large bodies): a server that refuses a declared length answers
    /// before the body is sent and closes, and a client still sending would only see the closed socket.
    /// </summary>
    private async Task<(HttpStatusCode Status, string Error)> PostAsync(string path, HttpContent content)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = content };
        request.Headers.ExpectContinue = true;
        using var response = await Client.SendAsync(request);
        return (response.StatusCode, ErrorOf(await response.Content.ReadAsStringAsync()));
    }

    private static string ErrorOf(string body) => JsonDocument.Parse(body).RootElement.GetProperty("error").GetString()!;

    /// <summary>A stream that cannot say its length, so HttpClient sends it chunked.</summary>
    private sealed class UnknownLengthStream(byte[] bytes) : MemoryStream(bytes)
    {
        public override bool CanSeek => false;

        public override long Length => throw new NotSupportedException();
    }
}
