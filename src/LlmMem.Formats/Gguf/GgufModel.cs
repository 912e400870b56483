using System.Text.RegularExpressions;
using LlmMem.Estimates;
using LlmMem.Models;

namespace LlmMem.Formats.Gguf;

/// <summary>A GGUF file as a <see cref="ModelSpec"/>: its shape, exact parameter counts and stored tensors.</summary>
public static partial class GgufModel
{
    [GeneratedRegex(@"-\d{5}-of-\d{5}$", RegexOptions.CultureInvariant)]
    private static partial Regex SplitSuffix();

    /// <summary>Reads a .gguf file (every part of a split one) into a model.</summary>
    /// <exception cref="ModelFormatException">The file is missing, malformed or of an unsupported architecture.</exception>
    public static ModelSpec Read(string path) => FromFile(GgufReader.ReadPath(path), path);

    /// <summary>The model of a file already read: named by <c>general.name</c>, else the file name without its split suffix.</summary>
    public static ModelSpec FromFile(GgufFile file, string origin)
    {
        ArgumentNullException.ThrowIfNull(file);
        var notes = new List<EstimateWarning>();
        var shape = GgufShapeReader.Read(file, notes);
        var name = file.GetString("general.name") is { Length: > 0 } stated
            ? stated
            : SplitSuffix().Replace(Path.GetFileNameWithoutExtension(file.File), "");
        return ModelSpec.FromShape(name, shape, origin, [.. notes]) with { Stored = file.ToStoredWeights() };
    }
}
