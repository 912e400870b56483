using System.CommandLine;
using LlmMem.Formats;
using LlmMem.Formats.Hub;
using LlmMem.Models;
using Spectre.Console;

namespace LlmMem.Cli.Commands;

/// <summary>The options that say where a MODEL may come from: --hub, --offline, --revision, --file (issue 5).</summary>
internal sealed class ModelOptions
{
    public Option<bool> Hub { get; } = new("--hub")
    {
        Description = "Ask the Hugging Face Hub (HF_ENDPOINT) even when the catalog or llmem's cache has the model.",
    };

    public Option<bool> Offline { get; } = new("--offline")
    {
        Description = "No network: local files, the catalog and llmem's cache only (as HF_HUB_OFFLINE=1).",
    };

    public Option<string?> Revision { get; } = new("--revision")
    {
        Description = "The Hub branch, tag or commit to read (default main).",
        HelpName = "rev",
    };

    public Option<string?> File { get; } = new("--file")
    {
        Description = "The file of a Hub repository or folder to read: a .gguf (needed when there are several) or a .safetensors.",
        HelpName = "name",
    };

    public void AddTo(Command command)
    {
        foreach (var option in new Option[] { Hub, Offline, Revision, File })
        {
            command.Options.Add(option);
        }
    }

    /// <summary>
    /// The model <paramref name="text"/> names: a path, a catalog name, a count, or a Hub id. An unknown name is a usage
    /// error (exit 2); an unreadable file or a failing Hub exit 1.
    /// </summary>
    public ModelSpec Resolve(ParseResult result, string text, CliOutput output)
    {
        // The environment is read only for text shaped like a Hub id, and a broken HF_ENDPOINT is reported only when
        // the Hub is needed: it must not stop `llmem infer 8B` or a catalog id.
        HubSettings? settings = null;
        string? environmentError = null;
        if (HubRepoId.LooksLikeId(text.Trim()))
        {
            try
            {
                settings = HubSettings.FromEnvironment(output.Environment);
                settings = settings with { Offline = settings.Offline || result.GetValue(Offline) };
            }
            catch (ArgumentException e)
            {
                environmentError = e.Message;
            }
        }

        var revision = result.GetValue(Revision);
        if (revision is not null && !HubRepoId.TryValidateRevision(revision, out var revisionError))
        {
            throw new UsageException("--revision: " + revisionError);
        }

        var options = new ResolveOptions(settings, result.GetValue(Hub), revision, result.GetValue(File));
        try
        {
            return settings is not null && ShowsProgress(output)
                ? WithProgress(output, settings, s => ModelResolver.Resolve(text, options with { Hub = s }))
                : ModelResolver.Resolve(text, options);
        }
        catch (ModelNotFoundException e)
        {
            throw new UsageException(environmentError ?? e.Message);
        }
    }

    /// <summary>Progress only on a real terminal (stderr not redirected), and only where the Hub may be asked.</summary>
    private static bool ShowsProgress(CliOutput output) => ReferenceEquals(output.Error, Console.Error) && !Console.IsErrorRedirected;

    /// <summary>A Spectre.Console status line on stderr, naming each file and byte range as it is fetched.</summary>
    private static ModelSpec WithProgress(CliOutput output, HubSettings settings, Func<HubSettings, ModelSpec> resolve)
    {
        var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(output.Error) });
        return console.Status().Start("Resolving the model…", context =>
            resolve(settings with { Progress = step => context.Status(Markup.Escape("Fetching " + step)) }));
    }
}
