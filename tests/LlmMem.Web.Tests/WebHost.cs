using LlmMem.Cli;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;

namespace LlmMem.Web.Tests;

/// <summary>The server as <c>llmem serve</c> builds it, over the real CLI, either in memory (TestServer) or on a loopback port.</summary>
internal static class WebHost
{
    /// <summary>The CLI in-process, with no Hub: HF_HUB_OFFLINE=1 so no test can reach the network.</summary>
    public static int Cli(string[] args, TextWriter stdout, TextWriter stderr) =>
        CliApp.Run(args, stdout, stderr, 120, name => name == "HF_HUB_OFFLINE" ? "1" : name == "HF_HOME" ? Path.Combine(Path.GetTempPath(), "llmem-web-tests-hf") : null);

    /// <summary>An in-memory server (Microsoft.AspNetCore.TestHost, from Microsoft.AspNetCore.Mvc.Testing) and its client.</summary>
    public static async Task<(WebApplication App, HttpClient Client)> StartInMemoryAsync(CliRunner? cli = null)
    {
        var app = WebServer.Create(new WebServerOptions(), cli ?? Cli, b => b.WebHost.UseTestServer());
        await app.StartAsync();
        return (app, app.GetTestClient());
    }

    /// <summary>A real Kestrel server on 127.0.0.1 and a free port, for the browser.</summary>
    public static async Task<(WebApplication App, string Url)> StartOnLoopbackAsync()
    {
        var app = WebServer.Create(new WebServerOptions("http://127.0.0.1:0"), Cli);
        await app.StartAsync();
        return (app, app.Urls.First());
    }
}
