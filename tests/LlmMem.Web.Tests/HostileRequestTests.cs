using System.Net;
using System.Text;
using System.Text.Json;
using LlmMem.Cli;
using LlmMem.Formats.Tests.Hub;
using LlmMem.Formats.Tests.Safetensors;

namespace LlmMem.Web.Tests;

/// <summary>
/// Requests that try to make the server reach a host other than its Hub (HF_ENDPOINT), read one of its own files or
/// smuggle command-line options through values: each is a 400 with one line, and the Hub (a loopback FakeHub) sees nothing.
/// </summary>
public sealed class HostileRequestTests : FakeHubServer
{
    [Theory]
    [InlineData("http://169.254.169.254/latest/meta-data/iam", "names a URL")] // a cloud metadata service
    [InlineData("https://evil.example/org/model", "names a URL")]
    [InlineData("https://huggingface.co/org/smol", "names a URL")] // even the Hub's own site: the endpoint is the server's setting
    [InlineData("file:///etc/passwd", "names a URL")]
    [InlineData("file:/etc/passwd", "names a URL")]
    [InlineData("HTTP:evil.example", "names a URL")]
    [InlineData("/etc/passwd", "looks like a path")]
    [InlineData("../../../../etc/passwd", "looks like a path")]
    [InlineData("org/../../etc/passwd", "looks like a path")]
    [InlineData("@/etc/passwd", "may not start with '@'")] // System.CommandLine reads "@file" as arguments
    [InlineData("--help", "may not start with '-'")]
    [InlineData("-c", "may not start with '-'")]
    [InlineData("org/smol\n--hub", "control character")]
    public async Task AHostileModel_Is400_AndNoHostIsAsked(string model, string expected)
    {
        var (status, error) = await InferAsync(new Dictionary<string, object> { ["model"] = model });

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Contains(expected, error);
        Assert.Empty(Hub.Requests);
    }

    [Theory]
    [InlineData("gpu", "--format", "may not start with '-'")]
    [InlineData("context", "-c", "may not start with '-'")]
    [InlineData("context", "@/etc/passwd", "may not start with '@'")]
    [InlineData("engine", "vllm\r\nX-Injected: 1", "control character")]
    [InlineData("revision", "http://evil.example/x", "names a URL")]
    [InlineData("hf_endpoint", "http://evil.example", "names a URL")] // no option changes the Hub: HF_ENDPOINT is the server's
    [InlineData("hf_endpoint", "evil.example", "hf-endpoint")] // the CLI has no such option
    [InlineData("endpoint", "evil.example", "endpoint")]
    [InlineData("revision", "../../../etc", "revision")] // validated as a Hub revision by the CLI
    [InlineData("file", "../../../../etc/passwd", "--file")] // a file inside the repository only
    public async Task AHostileOption_Is400_AndNoHostIsAsked(string key, string value, string expected)
    {
        var (status, error) = await InferAsync(new Dictionary<string, object> { ["model"] = "org/smol", [key] = value });

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Contains(expected, error);
        Assert.DoesNotContain("\n", error);
        Assert.Empty(Hub.Requests);
    }

    [Fact]
    public async Task ANegativeNumber_StaysAValue_ForTheClisOwnMessage()
    {
        var (status, error) = await InferAsync(new Dictionary<string, object> { ["model"] = "llama-3.1-8b", ["context"] = "-5" });

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.DoesNotContain("may not start with '-'", error);
    }

    [Fact]
    public async Task AHubId_StillGoesToTheConfiguredHub_Only()
    {
        var (status, _) = await InferAsync(new Dictionary<string, object> { ["model"] = "org/smol" });

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.NotEmpty(Hub.Requests);
    }

    [Fact]
    public void TheCli_ForTheServer_ReadsNoResponseFile()
    {
        using var folder = new TempFolder();
        var file = Path.Combine(folder.Path, "secret.txt");
        File.WriteAllText(file, "secret-line-1234");

        var served = Run(responseFiles: false, "infer", "@" + file);
        var shell = Run(responseFiles: true, "infer", "@" + file);

        Assert.Equal(2, served.Exit);
        Assert.DoesNotContain("secret-line-1234", served.Out);
        Assert.Contains("secret-line-1234", shell.Out); // what a request could have read without the guard
    }

    private static (int Exit, string Out) Run(bool responseFiles, params string[] args)
    {
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        var exit = CliApp.Run(args, stdout, stderr, 120, _ => null, responseFiles);
        return (exit, stdout + stderr.ToString());
    }

    private async Task<(HttpStatusCode Status, string Error)> InferAsync(Dictionary<string, object> body)
    {
        using var response = await Client.PostAsync("/api/infer", new StringContent(JsonSerializer.Serialize(body), Encoding.UTF8, "application/json"));
        var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        return (response.StatusCode, json.TryGetProperty("error", out var error) ? error.GetString()! : "");
    }
}
