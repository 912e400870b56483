namespace LlmMem.Web;

/// <summary>
/// Runs the <c>llmem</c> command line in-process (<c>CliApp.Run</c>) and returns its exit code; the server builds every
/// estimate through it, so the web API parses options and writes JSON exactly as the CLI does.
/// </summary>
public delegate int CliRunner(string[] args, TextWriter stdout, TextWriter stderr);
