using System.Net;
using System.Text;
using System.Text.Json;

namespace LlmMem.Web.Tests;

public sealed class ApiTests(LlmMemWebFactory factory) : IClassFixture<LlmMemWebFactory>
{
    private readonly HttpClient client = factory.CreateClient();

    private async Task<(HttpStatusCode Status, string Body)> PostAsync(string path, string json)
    {
        using var response = await client.PostAsync(path, new StringContent(json, Encoding.UTF8, "application/json"));
        return (response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    private static string Cli(params string[] args)
    {
        using var stdout = new StringWriter { NewLine = "\n" };
        using var stderr = new StringWriter { NewLine = "\n" };
        var exit = WebHost.Cli(args, stdout, stderr);
        Assert.True(exit == 0, stderr.ToString());
        return stdout.ToString();
    }

    private static string ErrorOf(string body) => JsonDocument.Parse(body).RootElement.GetProperty("error").GetString()!;

    [Fact]
    public async Task Infer_ReturnsExactlyTheClisJson_ForTheSameOptions()
    {
        var (status, body) = await PostAsync("/api/infer", """{"model": "llama-3.1-8b", "gpu": "rtx-4090", "context": 8192, "engine": "vllm", "enforce_eager": true, "max_num_seqs": 64}""");

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(Cli("infer", "llama-3.1-8b", "--gpu", "rtx-4090", "--context", "8192", "--engine", "vllm", "--enforce-eager", "--max-num-seqs", "64", "--format", "json"), body);
        var estimate = JsonDocument.Parse(body).RootElement;
        Assert.Equal("vllm", estimate.GetProperty("workload").GetProperty("settings").GetProperty("engine").GetString());
        Assert.True(estimate.GetProperty("devices")[0].GetProperty("fits").GetBoolean());
    }

    [Fact]
    public async Task Train_ReturnsTheClisJson_WithHyphenatedKeysToo()
    {
        var (status, body) = await PostAsync("/api/train", """{"model": "llama-3.1-8b", "method": "qlora", "rank": 16, "context": 2048, "checkpointing": "full", "gpu": "rtx-4090"}""");

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(Cli("train", "llama-3.1-8b", "--method", "qlora", "--rank", "16", "--context", "2048", "--checkpointing", "full", "--gpu", "rtx-4090", "--format", "json"), body);
        Assert.Equal("training", JsonDocument.Parse(body).RootElement.GetProperty("workload").GetProperty("kind").GetString());
    }

    [Fact]
    public async Task Fit_ReturnsTheClisJson()
    {
        var (status, body) = await PostAsync("/api/fit", """{"model": "llama-3.1-8b", "gpu": "rtx-4090", "max": "context"}""");

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(Cli("fit", "llama-3.1-8b", "--gpu", "rtx-4090", "--max", "context", "--format", "json"), body);
    }

    [Fact]
    public async Task Infer_UnknownEngine_Is400WithTheClisMessage()
    {
        var (status, body) = await PostAsync("/api/infer", """{"model": "llama-3.1-8b", "engine": "vlm"}""");

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("Unknown engine 'vlm'. Valid: transformers, vllm, llamacpp. Did you mean 'vllm'?", ErrorOf(body));
    }

    [Fact]
    public async Task Infer_UnknownModel_Is422WithOneLine_NotAStackTrace()
    {
        var (status, body) = await PostAsync("/api/infer", """{"model": "no-such-model-anywhere"}""");

        Assert.True(status is HttpStatusCode.UnprocessableEntity or HttpStatusCode.BadRequest, $"{status}: {body}");
        Assert.DoesNotContain("\n", ErrorOf(body));
        Assert.DoesNotContain(" at ", ErrorOf(body));
    }

    [Theory]
    [InlineData("/etc/passwd")]
    [InlineData("../data/hf-configs")]
    [InlineData("~/.ssh")]
    public async Task Infer_APathAsTheModel_IsRefused(string model)
    {
        var (status, body) = await PostAsync("/api/infer", JsonSerializer.Serialize(new Dictionary<string, string> { ["model"] = model }));

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Contains("looks like a path", ErrorOf(body));
    }

    [Theory]
    [InlineData("""[1, 2]""", "must be a JSON object")]
    [InlineData("""{"context": 8192}""", "Missing \"model\"")]
    [InlineData("""{"model": "8B", "format": "table"}""", "not accepted by the web API")]
    [InlineData("""{"model": "8B", "context": {"a": 1}}""", "must be a string, a number or a boolean")]
    [InlineData("""{"model": "8B", "--rm": "x"}""", "Unknown option '--rm'")]
    [InlineData("""{"model": """, "not valid JSON")]
    public async Task Infer_MalformedBodies_Are400WithAMessage(string json, string expected)
    {
        var (status, body) = await PostAsync("/api/infer", json);

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Contains(expected, ErrorOf(body));
    }

    [Fact]
    public async Task Infer_ABodyOver64KiB_Is413()
    {
        var (status, body) = await PostAsync("/api/infer", "{\"model\": \"" + new string('a', 70_000) + "\"}");

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, status);
        Assert.Contains("64 KiB", ErrorOf(body));
    }

    [Fact]
    public async Task Models_And_Gpus_AreTheCatalogs()
    {
        var models = JsonDocument.Parse(await client.GetStringAsync("/api/models")).RootElement;
        var gpus = JsonDocument.Parse(await client.GetStringAsync("/api/gpus")).RootElement;
        var search = JsonDocument.Parse(await client.GetStringAsync("/api/models?search=qwen")).RootElement;

        Assert.Contains(models.EnumerateArray(), m => m.GetProperty("id").GetString() == "meta-llama/Llama-3.1-8B");
        Assert.Contains(gpus.EnumerateArray(), g => g.GetProperty("slug").GetString() == "rtx-4090-24gb");
        Assert.All(search.EnumerateArray(), m => Assert.Contains("qwen", m.GetProperty("id").GetString()!, StringComparison.OrdinalIgnoreCase));
        Assert.True(search.GetArrayLength() > 0 && search.GetArrayLength() < models.GetArrayLength());
    }

    [Fact]
    public async Task Sweep_GrowsWithContext_AndCarriesTheCapacity()
    {
        var (status, body) = await PostAsync("/api/sweep", """{"command": "infer", "options": {"model": "llama-3.1-8b", "gpu": "rtx-4090"}, "contexts": [1024, 8192, 65536]}""");

        Assert.Equal(HttpStatusCode.OK, status);
        var points = JsonDocument.Parse(body).RootElement.GetProperty("points").EnumerateArray().ToList();
        var totals = points.Select(p => p.GetProperty("total_bytes").GetInt64()).ToList();
        Assert.Equal(3, totals.Count);
        Assert.True(totals[0] < totals[1] && totals[1] < totals[2]);
        Assert.Equal(25_757_220_864, points[0].GetProperty("devices")[0].GetProperty("capacity_bytes").GetInt64()); // 24,564 MiB as nvidia-smi shows
    }

    [Fact]
    public async Task Fits_CoversTheGpuCatalog_WithTheDecodeBound()
    {
        var (status, body) = await PostAsync("/api/fits", """{"command": "infer", "options": {"model": "llama-3.1-8b", "context": 8192}}""");

        Assert.Equal(HttpStatusCode.OK, status);
        var rows = JsonDocument.Parse(body).RootElement.GetProperty("gpus").EnumerateArray().ToList();
        var gpuCount = JsonDocument.Parse(Cli("gpus", "--format", "json")).RootElement.GetArrayLength();
        Assert.Equal(gpuCount, rows.Count);
        var h100 = rows.Single(r => r.GetProperty("slug").GetString() == "h100-sxm-80gb");
        var rtx3080 = rows.Single(r => r.GetProperty("slug").GetString() == "rtx-3080-10gb");
        Assert.True(h100.GetProperty("fits").GetBoolean());
        Assert.False(rtx3080.GetProperty("fits").GetBoolean()); // 16 GB of bf16 weights alone
        var decode = JsonDocument.Parse(Cli("infer", "llama-3.1-8b", "--context", "8192", "--gpu", "h100-sxm-80gb", "--format", "json")).RootElement.GetProperty("decode");
        Assert.Equal(decode.GetProperty("tokens_per_second_bound").GetDouble(), h100.GetProperty("tokens_per_second_bound").GetDouble());
    }

    [Fact]
    public async Task Upload_AConfigJson_IsEstimatedLikeTheCatalogsCopy()
    {
        var config = File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, "hf-configs", "meta-llama--Llama-3.1-8B.json"));
        using var response = await client.PostAsync("/api/upload?name=config.json&size=" + config.Length, new ByteArrayContent(config));
        var token = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("model").GetString()!;

        var (status, body) = await PostAsync("/api/infer", JsonSerializer.Serialize(new Dictionary<string, string> { ["model"] = token }));

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.StartsWith("upload:", token);
        Assert.Equal(8_030_261_248, JsonDocument.Parse(body).RootElement.GetProperty("model").GetProperty("parameters").GetInt64());
    }

    [Fact]
    public async Task Upload_AnUnknownFileKind_Is400()
    {
        using var response = await client.PostAsync("/api/upload?name=model.bin&size=4", new ByteArrayContent([1, 2, 3, 4]));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("not a config.json, a .safetensors or a .gguf", ErrorOf(await response.Content.ReadAsStringAsync()));
    }

    [Fact]
    public async Task Upload_AnExpiredToken_SaysDropItAgain()
    {
        var (status, body) = await PostAsync("/api/infer", """{"model": "upload:0123456789abcdef"}""");

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Contains("drop it again", ErrorOf(body));
    }

    [Fact]
    public async Task Accuracy_IsTheValidationSummary()
    {
        var rows = JsonDocument.Parse(await client.GetStringAsync("/api/accuracy")).RootElement.EnumerateArray().ToList();

        var kv = rows.Single(r => r.GetProperty("engine").GetString() == "llamacpp" && r.GetProperty("group").GetString() == "main" && r.GetProperty("term").GetString() == "kv_cache");
        Assert.Equal(kv.GetProperty("cases").GetInt32(), kv.GetProperty("exact").GetInt32()); // llama.cpp's KV cache is exact on every case
        Assert.Contains(rows, r => r.GetProperty("engine").GetString() == "vllm");
        Assert.Contains(rows, r => r.GetProperty("engine").GetString() == "training");
    }

    [Fact]
    public async Task OpenApi_DescribesEveryEndpoint()
    {
        var doc = JsonDocument.Parse(await client.GetStringAsync("/openapi/v1.json")).RootElement;

        var paths = doc.GetProperty("paths").EnumerateObject().Select(p => p.Name).ToList();
        Assert.Equal(["/api/infer", "/api/train", "/api/fit", "/api/sweep", "/api/fits", "/api/upload", "/api/models", "/api/gpus", "/api/accuracy"], paths);
        Assert.StartsWith("3.", doc.GetProperty("openapi").GetString());
    }

    [Fact]
    public async Task Page_AndAssets_AreServedFromTheAssembly()
    {
        var page = await client.GetStringAsync("/");
        using var js = await client.GetAsync("/assets/app.js");
        using var missing = await client.GetAsync("/api/nothing");

        Assert.Contains("<title>llmem", page);
        Assert.Equal("text/javascript", js.Content.Headers.ContentType!.MediaType);
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        Assert.Contains("/openapi/v1.json", ErrorOf(await missing.Content.ReadAsStringAsync()));
    }

    [Fact]
    public void OptionBag_BuildsTheCommandLineTheUserWouldType()
    {
        using var doc = JsonDocument.Parse("""{"model": "llama-3.1-8b", "engine": "llamacpp", "cache_type_k": "q8_0", "swa_full": true, "embedding": false, "context": 8192}""");

        var args = OptionBag.ToArgs("infer", doc.RootElement, m => m);

        Assert.Equal(["infer", "llama-3.1-8b", "--engine", "llamacpp", "--cache-type-k", "q8_0", "--swa-full", "--context", "8192", "--format", "json"], args);
        Assert.Equal("llmem infer llama-3.1-8b --engine llamacpp", OptionBag.ToCommandLine(args.Take(4)));
    }
}
