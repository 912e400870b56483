using System.Net;
using System.Net.Http.Headers;
using System.Text.RegularExpressions;

namespace LlmMem.Formats.Hub;

/// <summary>
/// The three Hub calls llmem needs, over one HttpClient: a revision's commit, a revision's file tree, and byte ranges of
/// a file. Retries and per-attempt timeouts come from <see cref="HubRetryHandler"/>; redirects are followed here.
/// </summary>
/// <remarks>
/// URLs are huggingface_hub's (hf_api.py model_info and list_repo_tree; file_download.py hf_hub_url):
/// <c>/api/models/{repo}/revision/{revision}</c> (JSON with "sha"), <c>/api/models/{repo}/tree/{sha}?recursive=true</c>
/// (a JSON array of {"type", "path", "size"}, paginated by a Link header with rel="next"), and
/// <c>/{repo}/resolve/{sha}/{file}</c>, which redirects large (LFS) files to a CDN and honours Range.
/// Redirects are followed by hand because .NET's own handler drops Authorization on every redirect, even to the same
/// host, while the token must still reach the endpoint's host and must never reach another one (the CDN gets signed URLs).
/// </remarks>
public sealed partial class HubClient : IDisposable
{
    /// <summary>The largest JSON answer read (one page of a tree is about 1,000 entries, ~200 KB).</summary>
    private const int MaxJsonBytes = 32 << 20;

    /// <summary>Redirects followed for one request: the Hub uses one (resolve → CDN), renamed repositories one more.</summary>
    private const int MaxRedirects = 5;

    /// <summary>Tree pages followed: 1,000 pages of 1,000 files is far past any real repository.</summary>
    private const int MaxTreePages = 1_000;

    private readonly HttpClient http;
    private readonly HubSettings settings;

    public HubClient(HubSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        this.settings = settings;
        var sockets = new SocketsHttpHandler
        {
            AllowAutoRedirect = false,
            AutomaticDecompression = DecompressionMethods.None,
            ConnectTimeout = settings.AttemptTimeout,
            UseCookies = false,
        };
        http = new HttpClient(new HubRetryHandler(settings, sockets)) { Timeout = Timeout.InfiniteTimeSpan };
        http.DefaultRequestHeaders.UserAgent.Add(new ProductInfoHeaderValue("llmem", "0.1"));
    }

    [GeneratedRegex(@"<(?<url>[^>]+)>\s*;\s*rel=""?next""?", RegexOptions.CultureInvariant | RegexOptions.IgnoreCase)]
    private static partial Regex NextLink();

    /// <summary>The commit a branch, tag or commit names (the model-info API's "sha").</summary>
    public string ResolveRevision(HubRepoId id, string revision)
    {
        var what = $"the model info of revision '{revision}'";
        var uri = Url($"api/models/{id.Repo}/revision/{Uri.EscapeDataString(revision)}");
        return HubJson.Commit(GetJson(id, uri, what, out _), id, what);
    }

    /// <summary>Every file of the repository at <paramref name="sha"/>, with its size, following the tree's pages.</summary>
    public IReadOnlyList<HubFile> ListFiles(HubRepoId id, string sha)
    {
        var what = "the file tree";
        var files = new List<HubFile>();
        Uri? next = Url($"api/models/{id.Repo}/tree/{sha}", "recursive=true");
        for (var page = 0; next is not null; page++)
        {
            if (page == MaxTreePages)
            {
                throw HubErrors.Malformed(id, what, $"more than {MaxTreePages:N0} pages.");
            }

            HubJson.TreePage(GetJson(id, next, what, out var link), id, what, files);
            next = link is null ? null : NextPage(id, link, what);
        }

        return [.. files.OrderBy(f => f.Path, StringComparer.Ordinal)];
    }

    /// <summary>
    /// Bytes <paramref name="start"/> to <paramref name="start"/> + <paramref name="count"/> of a file whose length is
    /// <paramref name="length"/>, by a Range request; exactly that many bytes are read from the answer, whatever it offers.
    /// </summary>
    public byte[] ReadRange(HubRepoId id, string sha, string file, long start, int count, long length)
    {
        var what = $"file '{file}'";
        var end = start + count - 1;
        settings.Progress?.Invoke($"{id.Repo}: {file}, bytes {start:N0}–{end:N0}");
        var uri = Url($"{id.Repo}/resolve/{sha}/{string.Join('/', file.Split('/').Select(Uri.EscapeDataString))}");
        using var cancel = new CancellationTokenSource(settings.TotalTimeout);
        try
        {
            using var response = Send(id, uri, what, request => request.Headers.Range = new RangeHeaderValue(start, end), cancel.Token);
            var skip = 0L;
            if (response.StatusCode == HttpStatusCode.PartialContent)
            {
                if (response.Content.Headers.ContentRange is not { HasRange: true } range || range.From != start || (range.Length is { } total && total != length))
                {
                    throw HubErrors.Malformed(id, what, $"its Content-Range is not bytes {start}-{end}/{length} (the file's size in the tree).");
                }
            }
            else
            {
                // A server that ignores Range sends the whole file from byte 0: only what is needed is read, then the connection dropped.
                skip = start;
            }

            using var body = response.Content.ReadAsStream(cancel.Token);
            var buffer = new byte[count];
            var scratch = skip > 0 ? new byte[64 << 10] : [];
            while (skip > 0)
            {
                var n = body.ReadAsync(scratch.AsMemory(0, (int)Math.Min(scratch.Length, skip)), cancel.Token).AsTask().GetAwaiter().GetResult();
                if (n == 0)
                {
                    throw HubErrors.Malformed(id, what, $"the body ends before byte {start:N0}: it is truncated.");
                }

                skip -= n;
            }

            var filled = 0;
            while (filled < count)
            {
                var n = body.ReadAsync(buffer.AsMemory(filled), cancel.Token).AsTask().GetAwaiter().GetResult();
                if (n == 0)
                {
                    throw HubErrors.Malformed(id, what, $"the body ends after {filled:N0} of the {count:N0} bytes asked for: it is truncated.");
                }

                filled += n;
            }

            return buffer;
        }
        catch (Exception e) when (IsTimeout(e, cancel.Token))
        {
            throw HubErrors.Timeout(id, settings, what);
        }
        catch (Exception e) when (e is HttpRequestException or IOException)
        {
            throw HubErrors.Malformed(id, what, $"the body is truncated: the connection closed while it was read ({e.Message}).");
        }
    }

    public void Dispose() => http.Dispose();

    /// <summary>The body of a JSON answer, at most <see cref="MaxJsonBytes"/>, as <see cref="HubJson"/> parses it.</summary>
    private byte[] GetJson(HubRepoId id, Uri uri, string what, out string? link)
    {
        using var cancel = new CancellationTokenSource(settings.TotalTimeout);
        try
        {
            using var response = Send(id, uri, what, null, cancel.Token);
            link = response.Headers.TryGetValues("Link", out var links) ? string.Join(",", links) : null;
            if (response.Content.Headers.ContentLength > MaxJsonBytes)
            {
                throw HubErrors.Malformed(id, what, $"{response.Content.Headers.ContentLength:N0} bytes is more than the {MaxJsonBytes:N0} llmem reads.");
            }

            using var body = response.Content.ReadAsStream(cancel.Token);
            var bytes = ReadAtMost(body, MaxJsonBytes, cancel.Token) ?? throw HubErrors.Malformed(id, what, $"more than the {MaxJsonBytes:N0} bytes llmem reads.");
            if (response.Content.Headers.ContentLength is { } declared && declared != bytes.Length)
            {
                throw HubErrors.Malformed(id, what, $"the body ends after {bytes.Length:N0} of its {declared:N0} bytes: it is truncated.");
            }

            return bytes;
        }
        catch (Exception e) when (IsTimeout(e, cancel.Token))
        {
            throw HubErrors.Timeout(id, settings, what);
        }
        catch (Exception e) when (e is HttpRequestException or IOException)
        {
            throw HubErrors.Malformed(id, what, $"the body is truncated: the connection closed while it was read ({e.Message}).");
        }
    }

    /// <summary>Sends a GET, following redirects; the token goes to the endpoint's host only. A failure status becomes its error.</summary>
    private HttpResponseMessage Send(HubRepoId id, Uri uri, string what, Action<HttpRequestMessage>? configure, CancellationToken cancel)
    {
        for (var hop = 0; ; hop++)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, uri);
            configure?.Invoke(request);
            if (settings.Token is { } token && settings.IsEndpointHost(uri))
            {
                request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
            }

            HttpResponseMessage response;
            try
            {
                response = http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancel).GetAwaiter().GetResult();
            }
            catch (HttpRequestException e)
            {
                throw HubErrors.Unreachable(id, settings, e.InnerException?.Message ?? e.Message);
            }

            var status = (int)response.StatusCode;
            if (status is 301 or 302 or 303 or 307 or 308)
            {
                var location = response.Headers.Location;
                response.Dispose();
                if (location is null || hop == MaxRedirects)
                {
                    throw HubErrors.Malformed(id, what, location is null ? $"a redirect (HTTP {status}) without a Location." : $"more than {MaxRedirects} redirects.");
                }

                uri = location.IsAbsoluteUri ? location : new Uri(uri, location);
                if (uri.Scheme is not ("https" or "http"))
                {
                    throw HubErrors.Malformed(id, what, $"a redirect to a {uri.Scheme}: URL.");
                }

                continue;
            }

            if (response.IsSuccessStatusCode)
            {
                return response;
            }

            var retryAfter = HubRetryHandler.RetryAfter(response);
            response.Dispose();
            throw HubErrors.Status(id, settings, response.StatusCode, what, retryAfter, settings.MaxRetries);
        }
    }

    private static bool IsTimeout(Exception e, CancellationToken cancel) =>
        e is TimeoutException || (e is OperationCanceledException && cancel.IsCancellationRequested);

    private Uri? NextPage(HubRepoId id, string link, string what)
    {
        var match = NextLink().Match(link);
        if (!match.Success)
        {
            return null;
        }

        return Uri.TryCreate(match.Groups["url"].Value, UriKind.Absolute, out var next) && settings.IsEndpointHost(next)
            ? next
            : throw HubErrors.Malformed(id, what, "its next page is not on the endpoint's host.");
    }

    /// <summary>The endpoint (with any path a mirror has) and <paramref name="path"/>, whose parts the callers have escaped.</summary>
    private Uri Url(string path, string? query = null) =>
        new(HubErrors.Endpoint(settings) + "/" + path + (query is null ? "" : "?" + query));

    /// <summary>The whole body if it is at most <paramref name="limit"/> bytes; null if longer (reading stops there).</summary>
    private static byte[]? ReadAtMost(Stream body, int limit, CancellationToken cancel)
    {
        using var copy = new MemoryStream();
        var buffer = new byte[64 << 10];
        while (true)
        {
            var n = body.ReadAsync(buffer, cancel).AsTask().GetAwaiter().GetResult();
            if (n == 0)
            {
                return copy.ToArray();
            }

            if (copy.Length + n > limit)
            {
                return null;
            }

            copy.Write(buffer, 0, n);
        }
    }

}
