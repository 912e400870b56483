namespace LlmMem.Cli.Tests;

/// <summary>Runs `llmem` in-process on string writers, at a fixed width so tables are stable.</summary>
internal static class CliRunner
{
    public const int Width = 100;

    public static (int Exit, string Out, string Err) Run(params string[] args)
    {
        using var stdout = new StringWriter { NewLine = "\n" };
        using var stderr = new StringWriter { NewLine = "\n" };
        var exit = CliApp.Run(args, stdout, stderr, Width);
        return (exit, stdout.ToString(), stderr.ToString());
    }
}
