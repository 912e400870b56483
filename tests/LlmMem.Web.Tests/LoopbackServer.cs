using Microsoft.AspNetCore.Builder;

namespace LlmMem.Web.Tests;

/// <summary>A real Kestrel server on 127.0.0.1 and a free port (<see cref="WebHost.StartOnLoopbackAsync"/>) with a client pointed at it.</summary>
public abstract class LoopbackServer : IAsyncLifetime
{
    private protected WebApplication App { get; private set; } = null!;
    private protected Uri Url { get; private set; } = null!;
    private protected HttpClient Client { get; } = new();

    public async Task InitializeAsync()
    {
        (App, var address) = await WebHost.StartOnLoopbackAsync();
        Url = new Uri(address);
        Client.BaseAddress = Url;
    }

    public async Task DisposeAsync()
    {
        Client.Dispose();
        await App.DisposeAsync();
    }
}
