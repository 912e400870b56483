using LlmMem.Formats.Catalog;
using LlmMem.Estimates;
using LlmMem.Formats.Gguf;
using LlmMem.Formats.HuggingFace;
using LlmMem.Formats.Hub;
using LlmMem.Formats.Safetensors;
using LlmMem.Models;
using LlmMem.Units;

namespace LlmMem.Formats;

/// <summary>
/// Turns what a user typed into a model, trying in order: an existing local path (config.json, a model file, or a folder),
/// a catalog id or alias, a bare parameter count, and, when allowed, a Hub id (llmem's cache first, then the Hub).
/// The model's <see cref="ModelSpec.Origin"/> says which answered.
/// </summary>
public static class ModelResolver
{
    /// <exception cref="ModelFormatException">The path exists but cannot be read as a model.</exception>
    /// <exception cref="ModelNotFoundException">The text is no path, catalog name or parameter count.</exception>
    public static ModelSpec Resolve(string text) => Resolve(text, ResolveOptions.Local);

    /// <summary>As <see cref="Resolve(string)"/>, and a Hub id (org/name[@revision]) when <paramref name="options"/> allow the Hub.</summary>
    /// <exception cref="ModelFormatException">The path or the Hub's files exist but cannot be read as a model.</exception>
    /// <exception cref="ModelNotFoundException">The text names no model, or the Hub has no such model (or revision, or file).</exception>
    /// <exception cref="HubException">The Hub refused access, rate-limited, timed out or answered something malformed.</exception>
    public static ModelSpec Resolve(string text, ResolveOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var trimmed = text.Trim();
        if (options.File is { } file && !HubRepoId.TryValidateFile(file, out var fileError))
        {
            throw new ModelNotFoundException(fileError);
        }

        if (trimmed.Length > 0 && (File.Exists(trimmed) || Directory.Exists(trimmed)))
        {
            return options.File is not null && Directory.Exists(trimmed)
                ? Local(() => ReadFiles(new LocalFolderFiles(trimmed), options.File, NameOf(trimmed), $"local path ({trimmed})"), trimmed)
                : FromPath(trimmed);
        }

        // --revision and --file name files, which the catalog does not have: they go to the Hub, as --hub does.
        var catalogAllowed = !options.ForceHub && options.Revision is null && options.File is null && !trimmed.Contains('@', StringComparison.Ordinal);
        if (catalogAllowed && ModelCatalog.Find(trimmed) is { } match)
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

        if (options.Hub is not null && HubRepoId.LooksLikeId(trimmed))
        {
            return HubRepoId.TryParse(trimmed, out var id, out var idError)
                ? HubResolver.Resolve(id, options)
                : throw new ModelNotFoundException(idError);
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
    public static ModelSpec FromPath(string path) => Local(() => Read(path), path);

    private static ModelSpec Local(Func<ModelSpec> read, string path)
    {
        try
        {
            return read();
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
        var origin = $"local path ({path})";
        if (Directory.Exists(path))
        {
            return ReadFiles(new LocalFolderFiles(path), null, NameOf(path), origin);
        }

        var (folder, name) = LocalFolderFiles.Of(path);
        return ReadFiles(folder, name, NameOf(path), origin);
    }

    /// <summary>
    /// A model from its files, a local folder or a Hub repository alike. With <paramref name="file"/>: that .gguf (and its
    /// split parts), that .safetensors file (with the config.json beside it, if any), or that file as a config.json.
    /// Without: config.json with the checkpoint's safetensors (index and shards, or every .safetensors file), else the
    /// one GGUF model the files hold.
    /// </summary>
    internal static ModelSpec ReadFiles(IModelFiles source, string? file, string name, string origin)
    {
        var extension = file is null ? "" : Path.GetExtension(file).ToLowerInvariant();
        if (file is not null && !source.Exists(file))
        {
            var ggufs = GgufChoices(source);
            throw new ModelFormatException(source.Label(file), "no such file." + (ggufs.Count > 0 ? $" The GGUF files are: {string.Join(", ", ggufs)}." : ""));
        }

        if (extension == ".gguf")
        {
            return GgufModel.FromFile(GgufReader.Read(source, file!), origin);
        }

        if (extension is ".bin" or ".pt" or ".pth")
        {
            throw new ModelFormatException(source.Label(file!), $"reading {extension} (pickle) files is not supported; point llmem at the model's config.json, safetensors or GGUF.");
        }

        // A file that is not a weights file is read as a config.json, whatever its name.
        var config = file is null || extension == ".safetensors" ? ConfigFile(file) : file;
        StoredWeights? stored = extension == ".safetensors"
            ? SafetensorsReader.ReadFile(source, file!)
            : file is null ? SafetensorsReader.ReadFiles(source) : null;

        if (!source.Exists(config))
        {
            if (stored is null)
            {
                if (file is null)
                {
                    return OnlyGguf(source, origin);
                }

                throw new ModelFormatException(source.Label(file), "no such file.");
            }

            // Tensors without a config: the parameter count is exact, the architecture unknown.
            var count = SafetensorsParameters.Count(stored.Tensors);
            return new ModelSpec(name, count.InMemory) { Stored = stored, Origin = origin, Notes = [.. Notes(stored, count, null)] };
        }

        var label = source.Label(config);
        var model = ConfigReader.Read(source.ReadAll(config, ConfigLimits.MaxBytes, "a config.json"), label, name, origin);
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

    /// <summary>The config.json beside a file (in its folder of the repository), or at the top.</summary>
    private static string ConfigFile(string? file) =>
        file is not null && file.LastIndexOf('/') is var slash and > 0 ? file[..(slash + 1)] + "config.json" : "config.json";

    /// <summary>Files without config.json or safetensors: the one GGUF model they hold, else an error listing the choices.</summary>
    private static ModelSpec OnlyGguf(IModelFiles source, string origin)
    {
        var choices = GgufChoices(source);
        return choices.Count switch
        {
            1 => GgufModel.FromFile(GgufReader.Read(source, choices[0]), origin),
            0 => throw new ModelFormatException(source.Label(""), "has no config.json, no .safetensors files and no .gguf file."),
            _ => throw new ModelFormatException(source.Label(""), $"holds {choices.Count} GGUF models; pick one with --file: {string.Join(", ", choices.Take(20))}"
                + (choices.Count > 20 ? $" … ({choices.Count - 20} more)." : ".")),
        };
    }

    /// <summary>Every .gguf file that starts a model: a whole file, or the first part of a split one.</summary>
    private static List<string> GgufChoices(IModelFiles source) =>
    [
        .. source.Names.Where(n => n.EndsWith(GgufReader.Extension, StringComparison.OrdinalIgnoreCase)
            && (!GgufSplit.IsPart(n) || GgufSplit.IsFirstPart(n))),
    ];

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
