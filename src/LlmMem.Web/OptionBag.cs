using System.Text.Json;
using System.Text.RegularExpressions;

namespace LlmMem.Web;

/// <summary>
/// The CLI's options as a JSON object — <c>{"model": "llama-3.1-8b", "engine": "vllm", "context": 8192, "enforce_eager": true}</c> —
/// turned into the command line the CLI parses: each key becomes <c>--key</c> (underscores as hyphens), <c>true</c> a flag,
/// <c>false</c> and <c>null</c> nothing. The CLI then validates every value with its own messages.
/// </summary>
public static partial class OptionBag
{
    /// <summary>Options the server sets itself or that write something other than the JSON answer.</summary>
    private static readonly HashSet<string> Reserved = ["format", "units", "explain", "help", "compat", "largest-layer", "output", "o"];

    [GeneratedRegex("^[a-z][a-z0-9_-]{0,63}$")]
    private static partial Regex KeyPattern();

    /// <summary>The argv for <paramref name="command"/>: the model first, then the options, then <c>--format json</c>.</summary>
    /// <exception cref="OptionBagException">The object is not a flat JSON object of the expected shape.</exception>
    public static List<string> ToArgs(string command, JsonElement options, Func<string, string> resolveModel)
    {
        if (options.ValueKind != JsonValueKind.Object)
        {
            throw new OptionBagException("The body must be a JSON object of the CLI's options, e.g. {\"model\": \"llama-3.1-8b\", \"context\": 8192}.");
        }

        var args = new List<string> { command };
        string? model = null;
        var rest = new List<string>();
        foreach (var property in options.EnumerateObject())
        {
            var key = property.Name.Trim().ToLowerInvariant().Replace('_', '-');
            if (!KeyPattern().IsMatch(key))
            {
                throw new OptionBagException($"Unknown option '{property.Name}': keys are the CLI's long option names, e.g. \"context\" or \"max_num_seqs\".");
            }

            if (key == "model")
            {
                model = Text(property);
                continue;
            }

            if (Reserved.Contains(key))
            {
                throw new OptionBagException($"Option '{property.Name}' is not accepted by the web API (the answer is always the CLI's JSON).");
            }

            switch (property.Value.ValueKind)
            {
                case JsonValueKind.True:
                    rest.Add("--" + key);
                    break;
                case JsonValueKind.False or JsonValueKind.Null:
                    break;
                case JsonValueKind.String or JsonValueKind.Number:
                    var value = Text(property);
                    if (value.Length > 0)
                    {
                        rest.Add("--" + key);
                        rest.Add(value);
                    }

                    break;
                default:
                    throw new OptionBagException($"Option '{property.Name}' must be a string, a number or a boolean.");
            }
        }

        if (string.IsNullOrWhiteSpace(model))
        {
            throw new OptionBagException("Missing \"model\": a catalog name (llama-3.1-8b), a Hub id (org/name) or a parameter count (8B).");
        }

        args.Add(resolveModel(model.Trim()));
        args.AddRange(rest);
        args.Add("--format");
        args.Add("json");
        return args;
    }

    private static string Text(JsonProperty property) => property.Value.ValueKind switch
    {
        JsonValueKind.String => property.Value.GetString()!.Trim() is { Length: <= 512 } s
            ? s
            : throw new OptionBagException($"Option '{property.Name}' is longer than 512 characters."),
        JsonValueKind.Number => property.Value.GetRawText(),
        _ => throw new OptionBagException($"Option '{property.Name}' must be a string or a number."),
    };

    /// <summary>The CLI's command line, as a user would type it (for "copy as CLI command" and tests).</summary>
    public static string ToCommandLine(IEnumerable<string> args) =>
        "llmem " + string.Join(' ', args.Select(a => a.Length > 0 && a.All(c => char.IsLetterOrDigit(c) || "-_./:@,=+".Contains(c)) ? a : "'" + a.Replace("'", "'\\''") + "'"));
}

/// <summary>A request the server refuses before the CLI sees it; its message is shown as it is.</summary>
public sealed class OptionBagException(string message) : Exception(message);
