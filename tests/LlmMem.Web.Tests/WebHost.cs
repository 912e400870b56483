using LlmMem.Cli;
using Microsoft.AspNetCore.Builder;

namespace LlmMem.Web.Tests;

/// <summary>The server as <c>llmem serve</c> builds it, over the real CLI, on a loopback port (the in-memory one is LlmMemWebFactory).</summary>
internal static class WebHost
{
    /// <summary>The CLI in-process, with no Hub: HF_HUB_OFFLINE=1 so no test can reach the network.</summary>
    public static int Cli(string[] args, TextWriter stdout, TextWriter stderr) =>
        CliApp.Run(args, stdout, stderr, 120, name => name == "HF_HUB_OFFLINE" ? "1" : name == "HF_HOME" ? Path.Combine(Path.GetTempPath(), "llmem-web-tests-hf") : null, responseFiles: false);

    /// <summary>A real Kestrel server on 127.0.0.1 and a free port, for the browser.</summary>
    public static async Task<(WebApplication App, string Url)> StartOnLoopbackAsync()
    {
        var app = WebServer.Create(new WebServerOptions("http://127.0.0.1:0"), Cli);
        await app.StartAsync();
        return (app, app.Urls.First());
    }
}
