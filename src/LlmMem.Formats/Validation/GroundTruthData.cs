namespace LlmMem.Formats.Validation;

/// <summary>Where ground-truth cases come from: the copy embedded in llmem, or a file or folder in the same format.</summary>
public static class GroundTruthData
{
    /// <summary>The embedded llama.cpp cases (data/groundtruth/llamacpp.jsonl at build time).</summary>
    public static IEnumerable<string> EmbeddedLlamaCpp() => Embedded("llamacpp");

    /// <summary>The embedded vLLM cases (data/groundtruth/vllm.jsonl at build time).</summary>
    public static IEnumerable<string> EmbeddedVllm() => Embedded("vllm");

    /// <summary>
    /// The embedded training cases: data/groundtruth/training.jsonl, then every measured-*.jsonl there (written by
    /// tools/measure in the same schema), at build time.
    /// </summary>
    public static IEnumerable<string> EmbeddedTraining() =>
    [
        .. Embedded("training"),
        .. typeof(GroundTruthData).Assembly.GetManifestResourceNames()
            .Where(n => n.StartsWith("groundtruth/" + MeasuredPrefix, StringComparison.Ordinal) && n.EndsWith(".jsonl", StringComparison.Ordinal))
            .Order(StringComparer.Ordinal)
            .SelectMany(Resource),
    ];

    /// <summary>The training cases of a .jsonl file, or of every *training*.jsonl and measured-*.jsonl file in a folder.</summary>
    public static IEnumerable<string> TrainingFrom(string path) => From(path, "training");

    /// <summary>The name tools/measure gives its files (tools/measure/README.md): training-schema lines.</summary>
    public const string MeasuredPrefix = "measured-";

    /// <summary>The llama.cpp cases of a .jsonl file, or of every *llamacpp*.jsonl file in a folder.</summary>
    public static IEnumerable<string> LlamaCppFrom(string path) => From(path, "llamacpp");

    /// <summary>The vLLM cases of a .jsonl file, or of every *vllm*.jsonl file in a folder.</summary>
    public static IEnumerable<string> VllmFrom(string path) => From(path, "vllm");

    private static IEnumerable<string> Embedded(string engine) => Resource($"groundtruth/{engine}.jsonl");

    private static IEnumerable<string> Resource(string name)
    {
        using var stream = typeof(GroundTruthData).Assembly.GetManifestResourceStream(name)
            ?? throw new InvalidOperationException("the ground-truth resource is missing from the build");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd().Split('\n');
    }

    private static IEnumerable<string> From(string path, string engine)
    {
        var files = Directory.Exists(path)
            ? Directory.GetFiles(path, $"*{engine}*.jsonl")
                .Concat(engine == "training" ? Directory.GetFiles(path, MeasuredPrefix + "*.jsonl") : [])
                .Distinct().Order(StringComparer.Ordinal).ToArray()
            : File.Exists(path) ? [path] : throw new ModelFormatException(path, "no such file or folder.");
        if (files.Length == 0)
        {
            throw new ModelFormatException(path, $"this folder has no *{engine}*.jsonl file.");
        }

        try
        {
            return [.. files.SelectMany(File.ReadLines)];
        }
        catch (IOException e)
        {
            throw new ModelFormatException(path, $"cannot be read ({e.Message}).");
        }
    }
}
