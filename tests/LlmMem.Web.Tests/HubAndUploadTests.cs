using System.Net;
using System.Text;
using System.Text.Json;
using LlmMem.Formats.Tests.Hub;

namespace LlmMem.Web.Tests;

/// <summary>A Hub id the server fetches (from a loopback FakeHub posing as HF_ENDPOINT, never the network), and dropped headers.</summary>
public sealed class HubAndUploadTests : FakeHubServer
{
    private async Task<(HttpStatusCode Status, JsonElement Body)> PostAsync(string path, HttpContent content)
    {
        using var response = await Client.PostAsync(path, content);
        return (response.StatusCode, JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone());
    }

    private Task<(HttpStatusCode Status, JsonElement Body)> InferAsync(string model) =>
        PostAsync("/api/infer", new StringContent(JsonSerializer.Serialize(new Dictionary<string, string> { ["model"] = model }), Encoding.UTF8, "application/json"));

    [Fact]
    public async Task Infer_AHubId_IsFetchedByTheServer_HeadersOnly()
    {
        var (status, body) = await InferAsync("org/smol");

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.StartsWith($"hub ({Hub.Endpoint.AbsoluteUri.TrimEnd('/')}, revision ", body.GetProperty("model").GetProperty("origin").GetString());
        Assert.Equal(134_515_008L, body.GetProperty("model").GetProperty("parameters").GetInt64()); // SmolLM2-135M
        Assert.True(Hub.BytesServed < 64 << 10, $"{Hub.BytesServed} bytes fetched"); // config.json and two safetensors headers
    }

    [Fact]
    public async Task Infer_AHubIdTheHubLacks_Is400WithOneLine()
    {
        var (status, body) = await InferAsync("org/missing");

        Assert.Equal(HttpStatusCode.BadRequest, status); // the CLI's exit 2: a name nobody has
        Assert.Contains("org/missing", body.GetProperty("error").GetString());
        Assert.DoesNotContain("\n", body.GetProperty("error").GetString());
    }

    [Fact]
    public async Task Upload_ASafetensorsHeader_WithTheFilesSize_IsEstimated_AndNoServerPathIsShown()
    {
        var shard = HubFixtures.Served(HubFixtures.SmolLm2Shards()[0]);

        var (uploadStatus, upload) = await PostAsync($"/api/upload?name=SmolLM2-part1.safetensors&size={shard.Length}", new ByteArrayContent(shard.Head));
        var (status, body) = await InferAsync(upload.GetProperty("model").GetString()!);

        Assert.Equal(HttpStatusCode.OK, uploadStatus);
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("SmolLM2-part1", body.GetProperty("model").GetProperty("name").GetString());
        Assert.DoesNotContain(Path.GetTempPath(), body.GetRawText());
        Assert.Contains("upload:", body.GetProperty("model").GetProperty("origin").GetString());
    }

    [Fact]
    public async Task Upload_AHeaderWithoutTheFilesSize_SaysTheFileLooksTruncated()
    {
        var shard = HubFixtures.Served(HubFixtures.SmolLm2Shards()[0]);

        var (_, upload) = await PostAsync("/api/upload?name=part.safetensors", new ByteArrayContent(shard.Head));
        var (status, body) = await InferAsync(upload.GetProperty("model").GetString()!);

        Assert.Equal(HttpStatusCode.UnprocessableEntity, status);
        Assert.Contains("truncated", body.GetProperty("error").GetString());
        Assert.DoesNotContain(Path.GetTempPath(), body.GetProperty("error").GetString());
    }

    [Fact]
    public async Task Upload_OverTheLimit_Is413WithAClearMessage()
    {
        using var content = new ByteArrayContent(new byte[(64 << 20) + 1]);

        var (status, body) = await PostAsync("/api/upload?name=big.gguf&size=100000000000", content);

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, status);
        Assert.Contains("64 MiB", body.GetProperty("error").GetString());
    }
}
