using Microsoft.AspNetCore.Builder;
using Microsoft.Playwright;

namespace LlmMem.Web.Tests;

/// <summary>
/// One server on 127.0.0.1 and one headless Chromium (the system's /usr/bin/chromium, never a downloaded one) for all browser tests.
/// </summary>
public sealed class BrowserFixture : IAsyncLifetime
{
    /// <summary>The browser the tests drive; .ci/run installs the Debian package when it is missing.</summary>
    public const string ChromiumPath = "/usr/bin/chromium";

    private IPlaywright? playwright;

    public WebApplication App { get; private set; } = null!;

    public string Url { get; private set; } = "";

    public IBrowser Browser { get; private set; } = null!;

    /// <summary>Where screenshots go: the test output folder's screenshots/ (test artifacts).</summary>
    public static string Screenshots { get; } = Path.Combine(AppContext.BaseDirectory, "screenshots");

    public async Task InitializeAsync()
    {
        Environment.SetEnvironmentVariable("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1");
        if (!File.Exists(ChromiumPath))
        {
            throw new InvalidOperationException($"{ChromiumPath} is missing: install Debian's chromium (apt-get install -y chromium; .ci/run does this).");
        }

        Directory.CreateDirectory(Screenshots);
        (App, Url) = await WebHost.StartOnLoopbackAsync();
        playwright = await Playwright.CreateAsync();
        Browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = ChromiumPath,
            Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
        });
    }

    public async Task DisposeAsync()
    {
        if (Browser is not null)
        {
            await Browser.DisposeAsync();
        }

        playwright?.Dispose();
        if (App is not null)
        {
            await App.DisposeAsync();
        }
    }
}

[CollectionDefinition("browser")]
public sealed class BrowserCollection : ICollectionFixture<BrowserFixture>;

[Collection("browser")]
public sealed class BrowserTests(BrowserFixture fixture)
{
    private async Task<IPage> OpenAsync(string query = "", bool dark = false)
    {
        var context = await fixture.Browser.NewContextAsync(new BrowserNewContextOptions
        {
            ViewportSize = new ViewportSize { Width = 1280, Height = 900 },
            ColorScheme = dark ? ColorScheme.Dark : ColorScheme.Light,
        });
        var page = await context.NewPageAsync();
        var errors = new List<string>();
        page.PageError += (_, e) => errors.Add(e);
        await page.GotoAsync(fixture.Url + "/" + query);
        await WaitReadyAsync(page);
        Assert.Empty(errors);
        return page;
    }

    private static async Task WaitReadyAsync(IPage page) =>
        await page.WaitForFunctionAsync("() => document.body.dataset.state === 'ready' || document.body.dataset.state === 'error'", null, new PageWaitForFunctionOptions { Timeout = 30_000 });

    private static async Task ScreenshotAsync(IPage page, string name) =>
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(BrowserFixture.Screenshots, name + ".png"), FullPage = true });

    [Fact]
    public async Task Page_OpensWithTheDefaultEstimate_Llama31_8B_OnAnRtx4090()
    {
        var page = await OpenAsync();
        await ScreenshotAsync(page, "default-llama-3.1-8b-rtx-4090");
        // The README's picture (docs/images/web-llama-3.1-8b-rtx-4090.png is a copy): the first screen only.
        await page.SetViewportSizeAsync(1280, 1040);
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(BrowserFixture.Screenshots, "web-llama-3.1-8b-rtx-4090.png") });

        Assert.Equal("ready", await page.EvaluateAsync<string>("document.body.dataset.state"));
        Assert.Contains("meta-llama/Llama-3.1-8B", await page.InnerTextAsync("#summary"));
        Assert.Equal("fits", await page.InnerTextAsync("#verdict"));
        Assert.Contains("NVIDIA GeForce RTX 4090", await page.InnerTextAsync("#devices"));
        Assert.Equal("14.96 GiB", await page.InnerTextAsync("tr[data-term=weights] td:nth-child(2)")); // 8,030,261,248 × 2 B
        Assert.Equal("16.06 GB", await page.InnerTextAsync("tr[data-term=weights] td:nth-child(3)"));
        Assert.Equal("right", await page.EvalOnSelectorAsync<string>("tr[data-term=weights] td:nth-child(2)", "e => getComputedStyle(e).textAlign"));
        Assert.Equal(1, await page.Locator("#context-chart").CountAsync());
        Assert.True(await page.Locator("#context-chart line.capacity").CountAsync() == 1);
        Assert.True(await page.Locator("#fits-table tbody tr").CountAsync() >= 30);
        Assert.Contains("tok/s", await page.InnerTextAsync("#fits-table tr[data-gpu=h100-sxm-80gb]"));
        Assert.Contains("llmem infer llama-3.1-8b --gpu rtx-4090-24gb", await page.InnerTextAsync("#cli"));
        Assert.Contains("mode=infer", page.Url);
    }

    [Fact]
    public async Task ChangingTheContext_UpdatesTheNumbers_TheChart_AndTheUrl()
    {
        var page = await OpenAsync();
        var kvBefore = await page.InnerTextAsync("tr[data-term=kv_cache] td:nth-child(2)");
        var pointsBefore = await page.GetAttributeAsync("#context-chart polyline", "points");

        await page.FillAsync("#context", "32768");
        await page.WaitForFunctionAsync("() => document.body.dataset.state === 'busy'", null, new PageWaitForFunctionOptions { Timeout = 5_000 });
        await WaitReadyAsync(page);
        await ScreenshotAsync(page, "context-32k");

        Assert.Equal("0.50 GiB", kvBefore); // 32 layers × 4,096 tokens × 2,048 values × 2 B
        Assert.Equal("4.00 GiB", await page.InnerTextAsync("tr[data-term=kv_cache] td:nth-child(2)")); // × 8
        Assert.NotEqual(pointsBefore, await page.GetAttributeAsync("#context-chart polyline", "points"));
        Assert.Contains("context=32768", page.Url);
        Assert.Contains("--context 32768", await page.InnerTextAsync("#cli"));
    }

    [Fact]
    public async Task ASharedLink_ReproducesTheResult()
    {
        var page = await OpenAsync("?mode=infer&model=qwen2.5-7b-instruct&gpu=h100-sxm-80gb&engine=vllm&context=16384&kv=fp8");
        await ScreenshotAsync(page, "shared-link-vllm");

        Assert.Equal("vllm", await page.InputValueAsync("#engine"));
        Assert.Equal("16384", await page.InputValueAsync("#context"));
        Assert.Equal("fp8", await page.InputValueAsync("#kv"));
        Assert.Contains("Qwen/Qwen2.5-7B-Instruct", await page.InnerTextAsync("#summary"));
        Assert.Contains("KV pool", await page.InnerTextAsync("#summary"));
        Assert.Contains("--engine vllm", await page.InnerTextAsync("#cli"));
        Assert.Contains("--kv-cache-dtype fp8", await page.InnerTextAsync("#cli"));
        Assert.Contains("kv_tokens_of_logged_pool", await page.InnerTextAsync("#accuracy")); // vLLM's measured accuracy
    }

    [Fact]
    public async Task PickingAModelFromTheCatalog_AndTraining_ShowsTheTrainingPeak()
    {
        var page = await OpenAsync();
        await page.FillAsync("#model", "mistral");
        var options = await page.EvalOnSelectorAllAsync<string[]>("#models option", "os => os.map(o => o.value)");
        var mistral = options.First(o => o.Contains("mistral", StringComparison.OrdinalIgnoreCase));
        await page.FillAsync("#model", mistral);
        await page.CheckAsync("input[name=mode][value=train]");
        await page.SelectOptionAsync("#method", "qlora");
        await page.WaitForTimeoutAsync(400);
        await WaitReadyAsync(page);
        await ScreenshotAsync(page, "train-qlora");

        Assert.Contains("mode=train", page.Url);
        Assert.Contains("method=qlora", page.Url);
        Assert.True(await page.IsVisibleAsync("#method"));
        Assert.False(await page.IsVisibleAsync("#engine"));
        Assert.Contains("llmem train", await page.InnerTextAsync("#cli"));
        Assert.Contains("training", await page.InnerTextAsync("#accuracy"));
    }

    [Fact]
    public async Task AnUnknownModel_ShowsTheMessage_NotAnErrorPage()
    {
        var page = await OpenAsync("?mode=infer&model=no-such-model-anywhere");

        Assert.Equal("error", await page.EvaluateAsync<string>("document.body.dataset.state"));
        Assert.False(string.IsNullOrWhiteSpace(await page.InnerTextAsync("#status")));
        Assert.Equal("status error", await page.GetAttributeAsync("#status", "class"));
    }

    [Fact]
    public async Task DroppingAConfigJson_SendsItAndEstimatesIt()
    {
        var page = await OpenAsync();
        await page.SetInputFilesAsync("#file", Path.Combine(AppContext.BaseDirectory, "hf-configs", "meta-llama--Llama-3.1-8B.json"));
        await page.WaitForFunctionAsync("() => document.getElementById('model').value.startsWith('upload:')", null, new PageWaitForFunctionOptions { Timeout = 10_000 });
        await WaitReadyAsync(page);

        Assert.Equal("ready", await page.EvaluateAsync<string>("document.body.dataset.state"));
        Assert.Equal("14.96 GiB", await page.InnerTextAsync("tr[data-term=weights] td:nth-child(2)"));
    }

    [Fact]
    public async Task ThePage_IsKeyboardReachable_AndHasADarkMode()
    {
        var page = await OpenAsync(dark: true);
        await ScreenshotAsync(page, "dark");
        await page.FocusAsync("#model");
        await page.Keyboard.PressAsync("Tab");

        Assert.Equal("rgb(17, 20, 24)", await page.EvaluateAsync<string>("getComputedStyle(document.body).backgroundColor"));
        Assert.Equal("drop", await page.EvaluateAsync<string>("document.activeElement.id"));
    }
}
