namespace LlmMem.Formats;

/// <summary>
/// A model file that cannot be read: malformed, truncated, hostile, or of an unsupported kind. The message names
/// the file and what is wrong, in one line; retrying will not help.
/// </summary>
public sealed class ModelFormatException(string file, string problem) : Exception($"{file}: {problem}")
{
    public string File { get; } = file;

    public string Problem { get; } = problem;
}
