using System.Globalization;
using System.Reflection;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace LlmMem.Web;

/// <summary>Settings of <c>llmem serve</c>.</summary>
/// <param name="Urls">Where to listen (default http://127.0.0.1:5178).</param>
/// <param name="Timeout">The longest one estimate may take before the request answers with an error (a Hub fetch included).</param>
/// <param name="AllowedHosts">Host names answered besides the listen address and loopback (<see cref="HostFilter"/>); "*" for any.</param>
public sealed record WebServerOptions(string Urls = WebServer.DefaultUrls, TimeSpan? Timeout = null, IReadOnlyList<string>? AllowedHosts = null);

/// <summary>
/// The web calculator: the page (embedded assets) and the JSON API under /api/. Every estimate is the CLI's own:
/// the request's options become its command line (<see cref="OptionBag"/>) and the answer is its <c>--format json</c>.
/// </summary>
public static class WebServer
{
    public const string DefaultUrls = "http://127.0.0.1:5178";

    /// <summary>The largest JSON body the API reads.</summary>
    public const int MaxJsonBytes = 64 << 10;

    /// <summary>Points of the memory-versus-context chart at most.</summary>
    public const int MaxSweepPoints = 16;

    private static readonly Assembly Self = typeof(WebServer).Assembly;

    /// <summary>Builds the server; <paramref name="configure"/> lets tests swap in a test server.</summary>
    public static WebApplication Create(WebServerOptions options, CliRunner cli, Action<WebApplicationBuilder>? configure = null)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { ContentRootPath = AppContext.BaseDirectory });
        builder.WebHost.UseUrls(options.Urls);
        builder.WebHost.ConfigureKestrel(k =>
        {
            ServerLimits.Apply(k.Limits);
            k.AddServerHeader = false;
        });
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        configure?.Invoke(builder);
        var app = builder.Build();
        Configure(app, options, cli);
        return app;
    }

    /// <summary>
    /// The middleware and endpoints on any host (WebApplication above, or a test's generic host through
    /// WebApplicationFactory); the host needs routing services.
    /// </summary>
    public static void Configure(IApplicationBuilder app, WebServerOptions options, CliRunner cli)
    {
        var uploads = new Uploads();
        app.ApplicationServices.GetRequiredService<IHostApplicationLifetime>().ApplicationStopped.Register(uploads.Dispose);
        var api = new Api(cli, uploads, options.Timeout ?? TimeSpan.FromSeconds(120));
        var hosts = new HostFilter(options.Urls, options.AllowedHosts);

        app.Use(async (context, next) =>
        {
            context.Response.Headers["X-Content-Type-Options"] = "nosniff";
            context.Response.Headers["Content-Security-Policy"] = "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; connect-src 'self'";
            try
            {
                if (await hosts.CheckAsync(context))
                {
                    await next(context);
                }
            }
            catch (BadHttpRequestException e)
            {
                await Api.Error(context, e.StatusCode, e.StatusCode == 413 ? "The request body is too large." : e.Message);
            }
            catch (Exception e) when (!context.Response.HasStarted && e is not OperationCanceledException)
            {
                await Api.Error(context, 500, $"internal error ({e.GetType().Name}); please report it.");
            }
        });
        app.UseRouting();
        app.UseEndpoints(endpoints =>
        {
            endpoints.MapGet("/", (RequestDelegate)(c => Asset(c, "index.html")));
            endpoints.MapGet("/assets/{name}", (RequestDelegate)(c => Asset(c, (string)c.Request.RouteValues["name"]!)));
            endpoints.MapGet("/openapi/v1.json", (RequestDelegate)(c => Asset(c, "openapi.json")));
            endpoints.MapPost("/api/infer", (RequestDelegate)(c => api.Estimate(c, "infer")));
            endpoints.MapPost("/api/train", (RequestDelegate)(c => api.Estimate(c, "train")));
            endpoints.MapPost("/api/fit", (RequestDelegate)(c => api.Estimate(c, "fit")));
            endpoints.MapPost("/api/sweep", (RequestDelegate)api.Sweep);
            endpoints.MapPost("/api/fits", (RequestDelegate)api.FitsMatrix);
            endpoints.MapPost("/api/upload", (RequestDelegate)api.Upload);
            endpoints.MapGet("/api/models", (RequestDelegate)api.Models);
            endpoints.MapGet("/api/gpus", (RequestDelegate)(c => api.Plain(c, ["gpus", "--format", "json"])));
            endpoints.MapGet("/api/accuracy", (RequestDelegate)(c => Json(c, 200, Accuracy.Table())));
            endpoints.MapFallback((RequestDelegate)(c => c.Request.Path.StartsWithSegments("/api")
                ? Api.Error(c, 404, $"No endpoint {c.Request.Method} {c.Request.Path}; see /openapi/v1.json.")
                : Api.Error(c, 404, "Not found.")));
        });
    }

    private static async Task Asset(HttpContext context, string name)
    {
        await using var stream = Self.GetManifestResourceStream("wwwroot/" + name);
        if (stream is null)
        {
            await Api.Error(context, 404, "Not found.");
            return;
        }

        context.Response.ContentType = Path.GetExtension(name) switch
        {
            ".html" => "text/html; charset=utf-8",
            ".css" => "text/css; charset=utf-8",
            ".js" => "text/javascript; charset=utf-8",
            ".json" => "application/json; charset=utf-8",
            ".svg" => "image/svg+xml",
            _ => "application/octet-stream",
        };
        context.Response.Headers.CacheControl = "no-cache";
        await stream.CopyToAsync(context.Response.Body);
    }

    internal static Task Json(HttpContext context, int status, JsonNode node)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json; charset=utf-8";
        return context.Response.WriteAsync(node.ToJsonString(JsonOptions));
    }

    /// <summary>One instance for every answer: System.Text.Json caches its work per options instance, so a new one per request redoes it.</summary>
    private static readonly JsonSerializerOptions JsonOptions = new() { WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>The measured accuracy per engine, read from the embedded docs/accuracy.md (the output of <c>llmem validate</c>).</summary>
    internal static class Accuracy
    {
        private static readonly Lazy<string> Text = new(() =>
        {
            using var reader = new StreamReader(Self.GetManifestResourceStream("accuracy.md")!, Encoding.UTF8);
            return reader.ReadToEnd();
        });

        public static JsonArray Table()
        {
            var rows = new JsonArray();
            foreach (var line in Text.Value.Split('\n'))
            {
                var cells = line.Trim().Trim('|').Split('|', StringSplitOptions.TrimEntries);
                if (cells.Length == 7 && int.TryParse(cells[3], CultureInfo.InvariantCulture, out var cases))
                {
                    rows.Add((JsonNode)new JsonObject
                    {
                        ["engine"] = cells[0],
                        ["group"] = cells[1],
                        ["term"] = cells[2],
                        ["cases"] = cases,
                        ["exact"] = int.TryParse(cells[4], CultureInfo.InvariantCulture, out var exact) ? exact : 0,
                        ["median_abs_error"] = cells[5],
                        ["p90_abs_error"] = cells[6],
                    });
                }
            }

            return rows;
        }
    }
}
