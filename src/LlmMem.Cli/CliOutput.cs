using Spectre.Console;

namespace LlmMem.Cli;

/// <summary>Where a command writes: plain text streams, and a Spectre.Console view of stdout for tables and charts.</summary>
internal sealed class CliOutput(TextWriter stdout, TextWriter stderr, int? width, Func<string, string?>? environment = null)
{
    /// <summary>The environment variables a command reads (HF_ENDPOINT, HF_TOKEN …): the process's, unless a test gives its own.</summary>
    public Func<string, string?> Environment { get; } = environment ?? System.Environment.GetEnvironmentVariable;

    public TextWriter Out { get; } = stdout;

    public TextWriter Error { get; } = stderr;

    /// <summary>A console over <see cref="Out"/>; colour only when stdout is a real terminal.</summary>
    public IAnsiConsole CreateConsole()
    {
        var interactive = ReferenceEquals(Out, Console.Out) && !Console.IsOutputRedirected;
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Ansi = interactive ? AnsiSupport.Detect : AnsiSupport.No,
            ColorSystem = interactive ? ColorSystemSupport.Detect : ColorSystemSupport.NoColors,
            Interactive = InteractionSupport.No,
            Out = new AnsiConsoleOutput(Out),
        });
        if (width is { } w)
        {
            console.Profile.Width = w;
        }
        else if (!interactive)
        {
            // Redirected output has no width to detect; wide enough for the breakdown table.
            console.Profile.Width = 120;
        }

        return console;
    }
}
