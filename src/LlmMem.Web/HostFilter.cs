using Microsoft.AspNetCore.Http;

namespace LlmMem.Web;

/// <summary>
/// The host names the server answers for, checked against every request's Host header before anything else runs.
/// A server on 127.0.0.1 is reachable from any page the user's browser opens: a page on evil.example can make its
/// own name resolve to 127.0.0.1 (DNS rebinding) and then read the API's answers as same-origin. Its requests still
/// say "Host: evil.example", so answering only for the names the server listens under stops it (the defence
/// ASP.NET Core's host filtering offers: learn.microsoft.com/aspnet/core/fundamentals/servers/kestrel/host-filtering).
/// Refused with 400 and one line of JSON, as that middleware answers 400.
/// </summary>
public sealed class HostFilter
{
    /// <summary>Names that always reach a server on this machine's loopback interface.</summary>
    private static readonly string[] LoopbackNames = ["localhost", "127.0.0.1", "[::1]"];

    /// <summary>Listen hosts that mean every interface: the names clients use are unknown, so any is allowed.</summary>
    private static readonly string[] WildcardHosts = ["0.0.0.0", "[::]", "*", "+"];

    private readonly HashSet<string> names = new(StringComparer.OrdinalIgnoreCase);
    private readonly bool any;

    /// <param name="urls">The listen URLs (<c>--urls</c>, ';' between several).</param>
    /// <param name="allowedHosts">Further names (<c>--allowed-hosts</c>), e.g. the name a reverse proxy forwards; "*" for any.</param>
    public HostFilter(string urls, IReadOnlyList<string>? allowedHosts = null)
    {
        names.UnionWith(LoopbackNames);
        var wildcard = false;
        foreach (var url in urls.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var host = HostOf(url);
            if (WildcardHosts.Contains(host))
            {
                wildcard = true;
            }
            else if (host.Length > 0)
            {
                names.Add(host);
            }
        }

        foreach (var name in allowedHosts ?? [])
        {
            names.Add(name.Trim());
        }

        // On every interface without --allowed-hosts, the names are unknown and any is allowed (a network server is
        // then protected by its own network, not by this); with --allowed-hosts, those names and loopback only.
        any = names.Contains("*") || (wildcard && allowedHosts is not { Count: > 0 });
    }

    /// <summary>The names allowed, for the refusal's message.</summary>
    public string Described => any ? "any host" : string.Join(", ", names.Order(StringComparer.Ordinal));

    /// <summary>True when <paramref name="host"/> (the Host header, port ignored) is one the server answers for.</summary>
    public bool Allows(HostString host) => any || (host.HasValue && names.Contains(host.Host));

    /// <summary>Answers 400 for a Host the server does not answer for; true when the request may go on.</summary>
    public async Task<bool> CheckAsync(HttpContext context)
    {
        if (Allows(context.Request.Host))
        {
            return true;
        }

        var shown = context.Request.Host.Host is { Length: > 0 } h ? h[..Math.Min(h.Length, 100)] : "(none)";
        await Api.Error(context, 400, $"Host '{shown}' is not served here: llmem serve answers for {Described} (add names with --allowed-hosts).");
        return false;
    }

    /// <summary>The host of a listen URL as a Host header spells it: "127.0.0.1", "[::1]", "example.org", "*".</summary>
    private static string HostOf(string url)
    {
        var rest = url.Contains("://", StringComparison.Ordinal) ? url[(url.IndexOf("://", StringComparison.Ordinal) + 3)..] : url;
        rest = rest.Split('/')[0];
        if (rest.StartsWith('['))
        {
            var close = rest.IndexOf(']', StringComparison.Ordinal);
            return close > 0 ? rest[..(close + 1)] : rest;
        }

        var colon = rest.LastIndexOf(':');
        return colon >= 0 ? rest[..colon] : rest;
    }
}
