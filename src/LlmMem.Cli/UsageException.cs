namespace LlmMem.Cli;

/// <summary>An input the user can fix: printed as one line, exit code 2.</summary>
internal sealed class UsageException(string message) : Exception(message);
