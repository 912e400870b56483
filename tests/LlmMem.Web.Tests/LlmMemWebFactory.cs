using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace LlmMem.Web.Tests;

/// <summary>
/// The API in-process through Microsoft.AspNetCore.Mvc.Testing: a generic host with the server's own middleware and
/// endpoints (<see cref="WebServer.Configure"/>) over the real CLI, on the factory's TestServer. <c>llmem serve</c> has no
/// entry point of its own to hand the factory (it is a command of <c>llmem</c>), so the host is built here.
/// </summary>
public sealed class LlmMemWebFactory : WebApplicationFactory<Program>
{
    /// <summary>The CLI the server runs; the default has no Hub (HF_HUB_OFFLINE=1).</summary>
    public CliRunner Cli { get; init; } = WebHost.Cli;

    protected override IHostBuilder CreateHostBuilder() =>
        Host.CreateDefaultBuilder()
            .ConfigureWebHost(web => web
                .ConfigureServices(services => services.AddRouting())
                .Configure(app => WebServer.Configure(app, new WebServerOptions(), Cli)));
}
