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
        HubSettings settings;
        try
        {
            settings = HubSettings.FromEnvironment(output.Environment);
        }
        catch (ArgumentException e)
        {
            throw new UsageException(e.Message);
        }

        if (result.GetValue(Offline))
        {
            settings = settings with { Offline = true };
        }

        var revision = result.GetValue(Revision);
        if (revision is not null && !HubRepoId.TryValidateRevision(revision, out var revisionError))
        {
            throw new UsageException("--revision: " + revisionError);
        }

        var options = new ResolveOptions(settings, result.GetValue(Hub), revision, result.GetValue(File));
        try
        {
            return ShowsProgress(output, text)
                ? WithProgress(output, settings, s => ModelResolver.Resolve(text, options with { Hub = s }))
                : ModelResolver.Resolve(text, options);
        }
        catch (ModelNotFoundException e)
        {
            throw new UsageException(e.Message);
        }
    }

    /// <summary>Progress only on a real terminal (stderr not redirected), and only where the Hub may be asked.</summary>
    private static bool ShowsProgress(CliOutput output, string text) =>
        ReferenceEquals(output.Error, Console.Error) && !Console.IsErrorRedirected && HubRepoId.LooksLikeId(text.Trim());

    /// <summary>A Spectre.Console status line on stderr, naming each file and byte range as it is fetched.</summary>
    private static ModelSpec WithProgress(CliOutput output, HubSettings settings, Func<HubSettings, ModelSpec> resolve)
    {
        var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(output.Error) });
        return console.Status().Start("Resolving the model…", context =>
            resolve(settings with { Progress = step => context.Status(Markup.Escape("Fetching " + step)) }));
    }
}
