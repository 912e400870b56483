using System.Buffers;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace LlmMem.Web;

/// <summary>The /api/ endpoints: each runs the CLI with the request's options and answers its JSON, or {"error": "…"}.</summary>
internal sealed class Api(CliRunner cli, Uploads uploads, TimeSpan timeout)
{
    private string? gpuJson;
    private string? modelJson;

    /// <summary>POST /api/infer, /api/train, /api/fit: the CLI's options as a JSON object; the CLI's JSON back.</summary>
    public async Task Estimate(HttpContext context, string command)
    {
        if (await ReadJson(context) is not { } body)
        {
            return;
        }

        if (!TryArgs(context, command, body.RootElement, out var args, out var problem))
        {
            await Error(context, 400, problem);
            return;
        }

        var (exit, stdout, stderr) = await Run(args);
        context.Response.Headers["X-Llmem-Command"] = Uri.EscapeDataString(uploads.Scrub(OptionBag.ToCommandLine(args.Take(args.Count - 2))));
        if (exit == 0 || (exit == 3 && stdout.TrimStart().StartsWith('{')))
        {
            context.Response.StatusCode = 200;
            context.Response.ContentType = "application/json; charset=utf-8";
            await context.Response.WriteAsync(stdout);
            return;
        }

        await Error(context, Status(exit), Message(stderr, stdout));
    }

    /// <summary>POST /api/sweep {"command": "infer", "options": {…}, "contexts": [1024, …]}: each device's total per context, for the chart.</summary>
    public async Task Sweep(HttpContext context)
    {
        if (await ReadJson(context) is not { } body)
        {
            return;
        }

        var root = body.RootElement;
        if (!TryCommand(root, out var command, out var options)
            || !root.TryGetProperty("contexts", out var contexts) || contexts.ValueKind != JsonValueKind.Array
            || contexts.GetArrayLength() is 0 or > WebServer.MaxSweepPoints
            || contexts.EnumerateArray().Any(x => x.ValueKind != JsonValueKind.Number || !x.TryGetInt64(out var n) || n < 1))
        {
            await Error(context, 400, $"Expected {{\"command\": \"infer\" or \"train\", \"options\": {{…}}, \"contexts\": [1 to {WebServer.MaxSweepPoints} positive token counts]}}.");
            return;
        }

        var points = new JsonArray();
        foreach (var tokens in contexts.EnumerateArray().Select(x => x.GetInt64()))
        {
            if (!TryArgsWith(context, command, options, ["context"], "context", tokens, out var args, out var problem))
            {
                await Error(context, 400, problem);
                return;
            }

            var (exit, stdout, stderr) = await Run(args);
            var point = new JsonObject { ["context"] = tokens };
            if (exit == 0 && JsonNode.Parse(stdout) is JsonObject estimate)
            {
                point["total_bytes"] = estimate["total_bytes"]?.DeepClone();
                point["devices"] = new JsonArray([.. estimate["devices"]!.AsArray().Select(d => (JsonNode)new JsonObject
                {
                    ["name"] = d!["name"]!.DeepClone(),
                    ["total_bytes"] = d["total_bytes"]!.DeepClone(),
                    ["capacity_bytes"] = d["capacity"]?["bytes"]?.DeepClone(),
                })]);
            }
            else
            {
                point["error"] = Message(stderr, stdout);
            }

            points.Add((JsonNode)point);
        }

        await WebServer.Json(context, 200, new JsonObject { ["points"] = points });
    }

    /// <summary>POST /api/fits {"command": "infer", "options": {…}}: the same estimate on every catalog GPU — fits, peak, decode bound.</summary>
    public async Task FitsMatrix(HttpContext context)
    {
        if (await ReadJson(context) is not { } body)
        {
            return;
        }

        if (!TryCommand(body.RootElement, out var command, out var options))
        {
            await Error(context, 400, "Expected {\"command\": \"infer\" or \"train\", \"options\": {…}}.");
            return;
        }

        var catalog = JsonNode.Parse(await GpuJson())!.AsArray();
        var rows = new JsonArray();
        foreach (var gpu in catalog)
        {
            if (!TryArgsWith(context, command, options, ["gpu", "gpu_memory"], "gpu", gpu!["slug"]!.GetValue<string>(), out var args, out var problem))
            {
                await Error(context, 400, problem);
                return;
            }

            var (exit, stdout, stderr) = await Run(args);
            var row = new JsonObject
            {
                ["slug"] = gpu["slug"]!.DeepClone(),
                ["name"] = gpu["name"]!.DeepClone(),
                ["memory_marketed"] = gpu["memory_marketed"]?.DeepClone(),
                ["usable_bytes"] = gpu["usable_bytes"]?.DeepClone(),
                ["bandwidth_gb_s"] = gpu["bandwidth_gb_s"]?.DeepClone(),
            };
            if (exit == 0 && JsonNode.Parse(stdout) is JsonObject estimate)
            {
                var devices = estimate["devices"]!.AsArray();
                row["fits"] = devices.All(d => d!["fits"] is null || d["fits"]!.GetValue<bool>());
                row["peak_bytes"] = devices.Max(d => d!["total_bytes"]!.GetValue<long>());
                row["tokens_per_second_bound"] = estimate["decode"]?["tokens_per_second_bound"]?.DeepClone();
            }
            else
            {
                row["error"] = Message(stderr, stdout);
            }

            rows.Add((JsonNode)row);
        }

        await WebServer.Json(context, 200, new JsonObject { ["gpus"] = rows });
    }

    /// <summary>The "command" (infer by default, or train) and "options" object of a body that varies one option (sweep, fits).</summary>
    private static bool TryCommand(JsonElement root, out string command, out JsonElement options)
    {
        options = default;
        command = root.ValueKind == JsonValueKind.Object && root.TryGetProperty("command", out var c) ? c.GetString() ?? "infer" : "infer";
        return command is "infer" or "train" && root.ValueKind == JsonValueKind.Object
            && root.TryGetProperty("options", out options) && options.ValueKind == JsonValueKind.Object;
    }

    /// <summary>The CLI's arguments for <paramref name="options"/> with the <paramref name="remove"/> keys dropped and <paramref name="key"/> set.</summary>
    private bool TryArgsWith(HttpContext context, string command, JsonElement options, string[] remove, string key, JsonNode value, out List<string> args, out string problem)
    {
        var bag = JsonNode.Parse(options.GetRawText())!.AsObject();
        foreach (var name in remove)
        {
            bag.Remove(name);
        }

        bag[key] = value;
        using var doc = JsonDocument.Parse(bag.ToJsonString());
        return TryArgs(context, command, doc.RootElement, out args, out problem);
    }

    /// <summary>POST /api/upload?name=config.json&amp;size=N: a header (≤ 64 MiB) the page read from a dropped file; answers {"model": "upload:…"}.</summary>
    public async Task Upload(HttpContext context)
    {
        var name = context.Request.Query["name"].ToString();
        long.TryParse(context.Request.Query["size"].ToString(), out var size);
        if (context.Request.ContentLength is > Uploads.MaxBytes)
        {
            await Error(context, 413, Uploads.TooLarge().Message);
            return;
        }

        // Every other request may send at most a JSON body (ServerLimits.MaxRequestBodyBytes); this one a header. One byte
        // over, so that a body without a length (chunked) that is too long meets the 413 of Uploads, not Kestrel's.
        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit)
        {
            limit.MaxRequestBodySize = Uploads.MaxBytes + 1;
        }

        try
        {
            var token = await uploads.SaveAsync(name, size, context.Request.Body, context.RequestAborted);
            await WebServer.Json(context, 200, new JsonObject { ["model"] = token, ["name"] = Path.GetFileName(name) });
        }
        catch (OptionBagException e)
        {
            await Error(context, e.Status, e.Message);
        }
        catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            await Error(context, 413, Uploads.TooLarge().Message);
        }
    }

    /// <summary>GET /api/models?search=text: the catalog (the CLI's <c>models --format json</c>).</summary>
    public async Task Models(HttpContext context)
    {
        var search = context.Request.Query["search"].ToString().Trim();
        if (search.Length == 0)
        {
            modelJson ??= (await Run(["models", "--format", "json"])).Out;
            context.Response.ContentType = "application/json; charset=utf-8";
            await context.Response.WriteAsync(modelJson);
            return;
        }

        await Plain(context, ["models", "--search", search.Length > 100 ? search[..100] : search, "--format", "json"]);
    }

    public async Task Plain(HttpContext context, IReadOnlyList<string> args)
    {
        if (args is ["gpus", ..])
        {
            context.Response.ContentType = "application/json; charset=utf-8";
            await context.Response.WriteAsync(await GpuJson());
            return;
        }

        var (exit, stdout, stderr) = await Run(args);
        if (exit != 0)
        {
            await Error(context, Status(exit), Message(stderr, stdout));
            return;
        }

        context.Response.ContentType = "application/json; charset=utf-8";
        await context.Response.WriteAsync(stdout);
    }

    public static Task Error(HttpContext context, int status, string message) =>
        WebServer.Json(context, status, new JsonObject { ["error"] = message });

    private async Task<string> GpuJson() => gpuJson ??= (await Run(["gpus", "--format", "json"])).Out;

    private bool TryArgs(HttpContext context, string command, JsonElement options, out List<string> args, out string problem)
    {
        try
        {
            args = OptionBag.ToArgs(command, options, ResolveModel);
            problem = "";
            return true;
        }
        catch (OptionBagException e)
        {
            args = [];
            problem = e.Message;
            return false;
        }
    }

    /// <summary>The model text the CLI gets: an upload's path for its token; never a path the user typed.</summary>
    private string ResolveModel(string model)
    {
        if (model.StartsWith("upload:", StringComparison.Ordinal))
        {
            return uploads.Find(model) ?? throw new OptionBagException("That uploaded file is no longer on the server; drop it again.");
        }

        if (model[0] is '/' or '.' or '~' or '\\' || model.Contains("..", StringComparison.Ordinal) || model.Contains('\\')
            || Path.Exists(model))
        {
            throw new OptionBagException($"'{model}' looks like a path: the web server reads no files of its own. Give a catalog name, a Hub id (org/name) or a parameter count, or drop the file on the page.");
        }

        return model;
    }

    private async Task<(int Exit, string Out, string Err)> Run(IReadOnlyList<string> args)
    {
        var work = Task.Run(() =>
        {
            using var stdout = new StringWriter { NewLine = "\n" };
            using var stderr = new StringWriter { NewLine = "\n" };
            var exit = cli([.. args], stdout, stderr);
            return (exit, uploads.Scrub(stdout.ToString()), uploads.Scrub(stderr.ToString()));
        });
        try
        {
            return await work.WaitAsync(timeout);
        }
        catch (TimeoutException)
        {
            return (1, "", $"error: the estimate took longer than {timeout.TotalSeconds:0} s (a slow Hub?); try again or use the CLI.");
        }
    }

    private static async Task<JsonDocument?> ReadJson(HttpContext context)
    {
        if (context.Request.ContentLength is > WebServer.MaxJsonBytes)
        {
            await Error(context, 413, $"The JSON body is larger than {WebServer.MaxJsonBytes >> 10} KiB.");
            return null;
        }

        // One pooled buffer a byte larger than the limit, read into in place: a request allocates only its body's own
        // size (the parsed document keeps its bytes), not a chunk and a growing stream each time.
        var buffer = ArrayPool<byte>.Shared.Rent(WebServer.MaxJsonBytes + 1);
        try
        {
            var length = 0;
            int n;
            while ((n = await context.Request.Body.ReadAsync(buffer.AsMemory(length, WebServer.MaxJsonBytes + 1 - length), context.RequestAborted)) > 0)
            {
                length += n;
                if (length > WebServer.MaxJsonBytes)
                {
                    await Error(context, 413, $"The JSON body is larger than {WebServer.MaxJsonBytes >> 10} KiB.");
                    return null;
                }
            }

            return JsonDocument.Parse(buffer.AsSpan(0, length).ToArray(), new JsonDocumentOptions { MaxDepth = 8 });
        }
        catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            // Kestrel's own limit (ServerLimits.MaxRequestBodyBytes) met first: a body without a length, read past the limit.
            await Error(context, 413, $"The JSON body is larger than {WebServer.MaxJsonBytes >> 10} KiB.");
            return null;
        }
        catch (JsonException e)
        {
            await Error(context, 400, $"The body is not valid JSON: {e.Message}");
            return null;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private static int Status(int exit) => exit switch
    {
        2 => 400,
        70 => 500,
        _ => 422,
    };

    private static string Message(string stderr, string stdout)
    {
        var line = stderr.Split('\n').FirstOrDefault(l => l.StartsWith("error:", StringComparison.Ordinal))
            ?? stderr.Split('\n').FirstOrDefault(l => l.Trim().Length > 0)
            ?? stdout.Split('\n').FirstOrDefault(l => l.Trim().Length > 0)
            ?? "The estimate failed.";
        return line.StartsWith("error:", StringComparison.Ordinal) ? line["error:".Length..].Trim() : line.Trim();
    }
}
