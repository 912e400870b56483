using LlmMem.Formats.Catalog;
using LlmMem.Formats.HuggingFace;
using LlmMem.Models;
using LlmMem.Units;

namespace LlmMem.Formats;

/// <summary>
/// Turns what a user typed into a model, trying in order: an existing local path (config.json or a folder holding one),
/// a catalog id or alias, a bare parameter count.
/// </summary>
public static class ModelResolver
{
    /// <exception cref="ModelFormatException">The path exists but cannot be read as a model.</exception>
    /// <exception cref="ModelNotFoundException">The text is no path, catalog name or parameter count.</exception>
    public static ModelSpec Resolve(string text)
    {
        var trimmed = text.Trim();
        if (trimmed.Length > 0 && (File.Exists(trimmed) || Directory.Exists(trimmed)))
        {
            return FromPath(trimmed);
        }

        if (ModelCatalog.Find(trimmed) is { } match)
        {
            return ModelCatalog.Load(match);
        }

        if (ModelSpec.TryFromParameterCount(trimmed, out var model, out var countError))
        {
            return model;
        }

        var looksLikeCount = trimmed.Length > 0 && (char.IsDigit(trimmed[0]) || trimmed[0] is '.' or '-');
        if (looksLikeCount)
        {
            throw new ModelNotFoundException(countError);
        }

        var looksLikePath = trimmed.StartsWith('.') || trimmed.StartsWith('/') || trimmed.EndsWith(".json", StringComparison.OrdinalIgnoreCase);
        var nearest = ModelCatalog.Nearest(trimmed);
        throw new ModelNotFoundException(
            $"Unknown model '{text}': {(looksLikePath ? "no such file or folder, " : "")}not in the catalog (see 'llmem models'), and not a parameter count such as 8B."
            + (nearest is null ? "" : $" Did you mean '{nearest}'?"));
    }

    /// <summary>A config.json file, or a folder that holds one.</summary>
    public static ModelSpec FromPath(string path)
    {
        var file = Directory.Exists(path) ? Path.Combine(path, "config.json") : path;
        if (!File.Exists(file))
        {
            throw new ModelFormatException(path, "this folder has no config.json.");
        }

        var extension = Path.GetExtension(file).ToLowerInvariant();
        if (extension is ".gguf" or ".safetensors" or ".bin" or ".pt")
        {
            throw new ModelFormatException(file, $"reading {extension} files is not supported yet; point llmem at the model's config.json.");
        }

        var length = new FileInfo(file).Length;
        if (length > ConfigLimits.MaxBytes)
        {
            throw new ModelFormatException(file, $"{length:N0} bytes is too large for a config.json (the limit is {ConfigLimits.MaxBytes:N0}).");
        }

        var folder = Path.GetFileName(Path.GetDirectoryName(Path.GetFullPath(file)));
        var name = string.IsNullOrEmpty(folder) ? Path.GetFileNameWithoutExtension(file) : folder;
        return ConfigReader.Read(File.ReadAllBytes(file), file, name, file);
    }
}

/// <summary>The text names no model llmem can find.</summary>
public sealed class ModelNotFoundException(string message) : Exception(message);
