using System.Globalization;
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

    /// <summary>The longest value: a Hub id with its revision is at most 96 + 1 + 96 + 1 + 256 characters.</summary>
    private const int MaxValueLength = 512;

    [GeneratedRegex("^[a-z][a-z0-9_-]{0,63}$")]
    private static partial Regex KeyPattern();

    /// <summary>A URL's scheme (RFC 3986 section 3.1) as a model starts: "http:", "file:" … ("upload:" is the server's own token; no catalog name or Hub id holds ':').</summary>
    [GeneratedRegex("^(?!upload:)[A-Za-z][A-Za-z0-9+.-]*:", RegexOptions.CultureInvariant)]
    private static partial Regex UrlScheme();

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
                model = Text(property, isModel: true);
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

    private static string Text(JsonProperty property, bool isModel = false) => property.Value.ValueKind switch
    {
        JsonValueKind.String => property.Value.GetString()!.Trim() is { Length: <= MaxValueLength } s
            ? Checked(property.Name, s, isModel)
            : throw new OptionBagException($"Option '{property.Name}' is longer than {MaxValueLength} characters."),
        JsonValueKind.Number => property.Value.GetRawText(),
        _ => throw new OptionBagException($"Option '{property.Name}' must be a string or a number."),
    };

    /// <summary>
    /// A value that stays one value of its own option. Each becomes one argv entry (no shell splits it), but the CLI's
    /// parser (System.CommandLine) still reads some entries as more than text: one starting with '-' as another option
    /// ({"gpu": "--help"}, {"context": "-c"}), one starting with '@' as a response file whose lines become arguments
    /// ({"model": "@/etc/passwd"} would read a server file and echo its lines in the error). A URL names a host: the
    /// server asks no host but its configured Hub endpoint (HF_ENDPOINT), and none of the CLI's options takes one.
    /// </summary>
    private static string Checked(string name, string value, bool isModel) =>
        value.Any(char.IsControl) ? throw new OptionBagException($"Option '{name}' holds a control character.")
        : value.StartsWith('-') && !double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out _)
            ? throw new OptionBagException($"Option '{name}' may not start with '-' (a value, not another option).")
        : value.StartsWith('@') ? throw new OptionBagException($"Option '{name}' may not start with '@' (the command line would read it as a file of arguments).")
        : value.Contains("://", StringComparison.Ordinal) || (isModel && UrlScheme().IsMatch(value))
            ? throw new OptionBagException($"Option '{name}' names a URL: the server asks no host but its configured Hub (HF_ENDPOINT); give a Hub id (org/name) instead.")
        : value;

    /// <summary>The CLI's command line, as a user would type it (for "copy as CLI command" and tests).</summary>
    public static string ToCommandLine(IEnumerable<string> args) =>
        "llmem " + string.Join(' ', args.Select(a => a.Length > 0 && a.All(c => char.IsLetterOrDigit(c) || "-_./:@,=+".Contains(c)) ? a : "'" + a.Replace("'", "'\\''") + "'"));
}

/// <summary>A request the server refuses before the CLI sees it; its message is shown as it is, with <see cref="Status"/>.</summary>
public sealed class OptionBagException(string message, int status = 400) : Exception(message)
{
    /// <summary>The HTTP status of the answer: 400, or 413 for a body over its limit.</summary>
    public int Status { get; } = status;
}
