using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace LlmMem.Formats.Tests.Hub;

/// <summary>A file a fake repository serves: its leading bytes (the header) and its declared length; the rest is zeros, made as served.</summary>
internal sealed record FakeFile(byte[] Head, long Length)
{
    public static FakeFile Whole(byte[] bytes) => new(bytes, bytes.Length);

    public static FakeFile Text(string text) => Whole(Encoding.UTF8.GetBytes(text));
}

/// <summary>How a fake repository misbehaves.</summary>
internal enum Failure
{
    None,

    /// <summary>Every request answers this status (see <see cref="FakeRepo.FailureStatus"/>).</summary>
    Status,

    /// <summary>The first <see cref="FakeRepo.FailuresBeforeSuccess"/> requests answer 429 with Retry-After, then normally.</summary>
    RateLimitedThenOk,

    /// <summary>File bodies stop halfway, with the connection closed.</summary>
    TruncatedFiles,

    /// <summary>The model-info answer is cut short of its Content-Length.</summary>
    TruncatedInfo,

    /// <summary>Requests never answer.</summary>
    Stall,

    /// <summary>The model-info answer is not JSON.</summary>
    MalformedInfo,
}

/// <summary>A repository of the fake Hub: branches → commit, files, and how it fails.</summary>
internal sealed class FakeRepo
{
    public string Sha { get; init; } = "0123456789abcdef0123456789abcdef01234567";

    public Dictionary<string, string> Refs { get; } = new(StringComparer.Ordinal);

    public Dictionary<string, FakeFile> Files { get; } = new(StringComparer.Ordinal);

    public Failure Failure { get; set; }

    public int FailureStatus { get; set; } = 401;

    public string RetryAfter { get; set; } = "1";

    public int FailuresBeforeSuccess { get; set; } = 1;

    /// <summary>Large files are redirected to the CDN listener, as the Hub redirects LFS files.</summary>
    public bool RedirectToCdn { get; set; }

    public FakeRepo Add(string path, FakeFile file)
    {
        Files[path] = file;
        return this;
    }
}

/// <summary>A request the fake Hub saw.</summary>
internal sealed record SeenRequest(string Path, string? Range, string? Authorization, bool ToCdn);

/// <summary>
/// A real Kestrel server on 127.0.0.1 (random ports) that serves fake repositories under the Hub's own URL paths
/// (huggingface_hub hf_api.py and file_download.py): /api/models/{repo}/revision/{rev}, /api/models/{repo}/tree/{rev},
/// /{repo}/resolve/{rev}/{file} with Range support, and a second listener standing in for the CDN that LFS files
/// redirect to. It counts the file bytes it serves, so a test can prove that only headers were read.
/// </summary>
internal sealed class FakeHub : IAsyncDisposable
{
    private readonly WebApplication app;
    private readonly ConcurrentDictionary<string, int> failures = new();
    private long bytesServed;

    private FakeHub(WebApplication app) => this.app = app;

    public Dictionary<string, FakeRepo> Repos { get; } = new(StringComparer.Ordinal);

    public ConcurrentQueue<SeenRequest> Requests { get; } = new();

    /// <summary>Tree entries per page; more entries get a Link: rel="next" header, as the Hub paginates.</summary>
    public int TreePageSize { get; set; } = 1_000;

    public Uri Endpoint { get; private set; } = null!;

    public Uri Cdn { get; private set; } = null!;

    /// <summary>Bytes of file bodies served, headers and JSON not counted.</summary>
    public long BytesServed => Interlocked.Read(ref bytesServed);

    public static async Task<FakeHub> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.Listen(IPAddress.Loopback, 0);
            k.Listen(IPAddress.Loopback, 0);
        });
        var app = builder.Build();
        var hub = new FakeHub(app);
        app.Run(hub.HandleAsync);
        await app.StartAsync();
        var addresses = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Select(a => new Uri(a)).ToList();
        hub.Endpoint = addresses[0];
        hub.Cdn = addresses[1];
        return hub;
    }

    public FakeRepo Repo(string id)
    {
        var repo = new FakeRepo();
        Repos[id] = repo;
        return repo;
    }

    public async ValueTask DisposeAsync()
    {
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(2));
        await app.StopAsync(stop.Token);
        await app.DisposeAsync();
    }

    private async Task HandleAsync(HttpContext context)
    {
        var request = context.Request;
        var toCdn = request.Host.Port == Cdn.Port;
        var path = request.Path.Value ?? "";
        var raw = context.Features.Get<Microsoft.AspNetCore.Http.Features.IHttpRequestFeature>()!.RawTarget;
        Requests.Enqueue(new SeenRequest(raw, request.Headers.Range.ToString() is { Length: > 0 } r ? r : null,
            request.Headers.Authorization.ToString() is { Length: > 0 } a ? a : null, toCdn));
        var parts = path.Trim('/').Split('/').Select(Uri.UnescapeDataString).ToArray();

        if (toCdn)
        {
            // /cdn/{org}/{name}/{sha}/{file…}
            if (parts.Length >= 5 && parts[0] == "cdn" && Repos.TryGetValue($"{parts[1]}/{parts[2]}", out var cdnRepo))
            {
                await ServeFile(context, cdnRepo, string.Join('/', parts[4..]));
                return;
            }

            context.Response.StatusCode = 404;
            return;
        }

        var isApi = parts.Length >= 5 && parts[0] == "api" && parts[1] == "models";
        var repoId = isApi ? $"{parts[2]}/{parts[3]}" : parts.Length >= 2 ? $"{parts[0]}/{parts[1]}" : "";
        if (!Repos.TryGetValue(repoId, out var repo))
        {
            await Json(context, 404, """{"error":"Repository not found"}""");
            return;
        }

        switch (repo.Failure)
        {
            case Failure.Status:
                await Json(context, repo.FailureStatus, """{"error":"Access to model is restricted"}""");
                return;
            case Failure.Stall:
                await Task.Delay(Timeout.Infinite, context.RequestAborted).ContinueWith(_ => { }, TaskScheduler.Default);
                return;
            case Failure.RateLimitedThenOk when failures.AddOrUpdate(repoId, 1, (_, n) => n + 1) <= repo.FailuresBeforeSuccess:
                context.Response.Headers.RetryAfter = repo.RetryAfter;
                await Json(context, 429, """{"error":"rate limited"}""");
                return;
        }

        if (isApi && parts[4] == "revision" && parts.Length >= 6)
        {
            var revision = string.Join('/', parts[5..]);
            if (Commit(repo, revision) is not { } sha)
            {
                await Json(context, 404, """{"error":"Invalid rev id"}""");
                return;
            }

            var siblings = string.Join(",", repo.Files.Keys.Select(f => $"{{\"rfilename\":{JsonSerializer.Serialize(f)}}}"));
            var body = repo.Failure == Failure.MalformedInfo ? "<html>Bad gateway</html>" : $$"""{"id":"{{repoId}}","sha":"{{sha}}","siblings":[{{siblings}}]}""";
            if (repo.Failure == Failure.TruncatedInfo)
            {
                context.Response.ContentLength = body.Length + 100;
                await context.Response.WriteAsync(body);
                await context.Response.Body.FlushAsync();
                await AbortSoon(context);
                return;
            }

            await Json(context, 200, body);
            return;
        }

        if (isApi && parts[4] == "tree" && parts.Length >= 6)
        {
            if (Commit(repo, parts[5]) is null || request.Query["recursive"] != "true")
            {
                await Json(context, 404, """{"error":"Invalid rev id"}""");
                return;
            }

            var start = int.Parse(request.Query["cursor"].FirstOrDefault() ?? "0", CultureInfo.InvariantCulture);
            var entries = repo.Files.OrderBy(f => f.Key, StringComparer.Ordinal).ToList();
            var page = entries.Skip(start).Take(TreePageSize).Select(f =>
                $$"""{"type":"file","oid":"x","size":{{f.Value.Length}},"path":{{JsonSerializer.Serialize(f.Key)}}}""");
            var folders = start == 0 ? entries.Select(f => f.Key).Where(f => f.Contains('/')).Select(f => f[..f.LastIndexOf('/')]).Distinct()
                .Select(d => $$"""{"type":"directory","oid":"y","size":0,"path":{{JsonSerializer.Serialize(d)}}}""") : [];
            if (start + TreePageSize < entries.Count)
            {
                context.Response.Headers.Link = $"<{Endpoint.AbsoluteUri.TrimEnd('/')}{path}?recursive=true&cursor={start + TreePageSize}>; rel=\"next\"";
            }

            await Json(context, 200, "[" + string.Join(",", folders.Concat(page)) + "]");
            return;
        }

        if (!isApi && parts.Length >= 5 && parts[2] == "resolve")
        {
            var file = string.Join('/', parts[4..]);
            if (Commit(repo, parts[3]) is not { } sha || !repo.Files.ContainsKey(file))
            {
                await Json(context, 404, """{"error":"Entry not found"}""");
                return;
            }

            if (repo.RedirectToCdn)
            {
                context.Response.StatusCode = 302;
                context.Response.Headers.Location = $"{Cdn.AbsoluteUri.TrimEnd('/')}/cdn/{repoId}/{sha}/{Uri.EscapeDataString(file).Replace("%2F", "/", StringComparison.Ordinal)}";
                return;
            }

            await ServeFile(context, repo, file);
            return;
        }

        await Json(context, 404, """{"error":"no such route"}""");
    }

    private static string? Commit(FakeRepo repo, string revision) =>
        revision == repo.Sha || repo.Refs.ContainsValue(revision) ? revision : repo.Refs.TryGetValue(revision, out var sha) ? sha : revision == "main" ? repo.Sha : null;

    /// <summary>Serves a file or the one range asked for (RFC 9110 §14), making the zeros past its head as it writes.</summary>
    private async Task ServeFile(HttpContext context, FakeRepo repo, string name)
    {
        var file = repo.Files[name];
        long start = 0, end = file.Length - 1;
        var range = context.Request.Headers.Range.ToString();
        if (range.StartsWith("bytes=", StringComparison.Ordinal))
        {
            var bounds = range["bytes=".Length..].Split('-');
            start = long.Parse(bounds[0], CultureInfo.InvariantCulture);
            end = bounds[1].Length == 0 ? file.Length - 1 : Math.Min(long.Parse(bounds[1], CultureInfo.InvariantCulture), file.Length - 1);
            context.Response.StatusCode = 206;
            context.Response.Headers.ContentRange = $"bytes {start}-{end}/{file.Length}";
        }

        var count = end - start + 1;
        context.Response.ContentLength = count;
        var limit = repo.Failure == Failure.TruncatedFiles ? count / 2 : count;
        var buffer = new byte[64 << 10];
        for (var at = start; at < start + limit;)
        {
            var n = (int)Math.Min(buffer.Length, start + limit - at);
            Array.Clear(buffer);
            if (at < file.Head.Length)
            {
                file.Head.AsSpan((int)at, (int)Math.Min(n, file.Head.Length - at)).CopyTo(buffer);
            }

            await context.Response.Body.WriteAsync(buffer.AsMemory(0, n), context.RequestAborted);
            Interlocked.Add(ref bytesServed, n);
            at += n;
        }

        if (limit < count)
        {
            await context.Response.Body.FlushAsync();
            await AbortSoon(context);
        }
    }

    /// <summary>
    /// Closes the connection mid-body. It waits first: a reset that arrives with data still unread makes the client's
    /// TCP stack discard that data, headers included, and the test would see a refused connection instead.
    /// </summary>
    private static async Task AbortSoon(HttpContext context)
    {
        await Task.Delay(200);
        context.Abort();
    }

    private static async Task Json(HttpContext context, int status, string body)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json";
        await context.Response.WriteAsync(body);
    }
}
