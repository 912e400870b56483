using LlmMem.Formats.Catalog;
using LlmMem.Estimates;
using LlmMem.Formats.Gguf;
using LlmMem.Formats.HuggingFace;
using LlmMem.Formats.Safetensors;
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

    /// <summary>
    /// A config.json, a .gguf file (split parts found beside it), a .safetensors file, or a model folder (config.json and, when present, its safetensors shards
    /// and index, whose headers give the exact stored bytes).
    /// </summary>
    public static ModelSpec FromPath(string path)
    {
        try
        {
            return Read(path);
        }
        catch (IOException e)
        {
            throw new ModelFormatException(path, $"cannot be read ({e.Message}).");
        }
        catch (UnauthorizedAccessException)
        {
            throw new ModelFormatException(path, "cannot be read: permission denied.");
        }
    }

    private static ModelSpec Read(string path)
    {
        var folder = Directory.Exists(path) ? path : Path.GetDirectoryName(Path.GetFullPath(path))!;
        var extension = Directory.Exists(path) ? "" : Path.GetExtension(path).ToLowerInvariant();
        if (extension == ".gguf")
        {
            return GgufModel.Read(path);
        }

        if (extension is ".bin" or ".pt" or ".pth")
        {
            throw new ModelFormatException(path, $"reading {extension} (pickle) files is not supported; point llmem at the model's config.json, safetensors or GGUF.");
        }

        // A file that is not a weights file is read as a config.json, whatever its name.
        var config = Directory.Exists(path) || extension == ".safetensors" ? Path.Combine(folder, "config.json") : path;
        StoredWeights? stored = extension == ".safetensors"
            ? SafetensorsReader.ReadFile(path)
            : Directory.Exists(path) ? SafetensorsReader.ReadFolder(path) : null;

        if (!File.Exists(config))
        {
            if (stored is null)
            {
                throw new ModelFormatException(path, Directory.Exists(path) ? "this folder has no config.json and no .safetensors files." : "no such file.");
            }

            // Tensors without a config: the parameter count is exact, the architecture unknown.
            var count = SafetensorsParameters.Count(stored.Tensors);
            return new ModelSpec(NameOf(path), count.InMemory) { Stored = stored, Origin = path, Notes = [.. Notes(stored, count, null)] };
        }

        var length = new FileInfo(config).Length;
        if (length > ConfigLimits.MaxBytes)
        {
            throw new ModelFormatException(config, $"{length:N0} bytes is too large for a config.json (the limit is {ConfigLimits.MaxBytes:N0}).");
        }

        var model = ConfigReader.Read(File.ReadAllBytes(config), config, NameOf(path), path);
        if (stored is null)
        {
            return model;
        }

        var tied = model.Shape!.TiedEmbeddings;
        var counted = SafetensorsParameters.Count(stored.Tensors, tied);
        var notes = model.Notes.AddRange(Notes(stored, counted, model));
        if (SafetensorsParameters.TiedEmbeddingNote(stored.Tensors.Select(t => t.Name), tied) is { } tiedNote)
        {
            // transformers ties lm_head to the embedding after loading: the stored copy is not kept.
            notes = notes.Add(new EstimateWarning("tied_stored_twice", tiedNote, "model"));
            stored = stored with { Unloaded = ["lm_head.weight"] };
        }

        return model with { Stored = stored, Notes = notes };
    }

    /// <summary>What the tensors say beside the config: their notes, and a disagreement in the parameter count.</summary>
    private static IEnumerable<EstimateWarning> Notes(StoredWeights stored, SafetensorsParameterCount counted, ModelSpec? model)
    {
        foreach (var note in stored.Notes)
        {
            yield return new EstimateWarning("checkpoint", note, "model");
        }

        if (model is not null && counted.InMemory != model.Parameters)
        {
            yield return new EstimateWarning("count_mismatch",
                $"The safetensors hold {counted.InMemory.FormatExact()} parameters ({counted.Summary}); config.json gives {model.Parameters.FormatExact()}.",
                "model");
        }
        else if (counted.StoredElements != counted.InMemory.Value)
        {
            yield return new EstimateWarning("stored_elements", $"The safetensors store {counted.Summary}.", "model");
        }
    }

    private static string NameOf(string path)
    {
        var full = Path.GetFullPath(path).TrimEnd(Path.DirectorySeparatorChar);
        return Directory.Exists(full) ? Path.GetFileName(full) : Path.GetFileName(Path.GetDirectoryName(full)) is { Length: > 0 } parent ? parent : Path.GetFileNameWithoutExtension(full);
    }
}

/// <summary>The text names no model llmem can find.</summary>
public sealed class ModelNotFoundException(string message) : Exception(message);
