using LlmMem.Formats.Gguf;
using LlmMem.Formats.HuggingFace;
using LlmMem.Formats.Hub;
using LlmMem.Formats.Safetensors;

namespace LlmMem.Formats.Tests.Fuzzing;

/// <summary>The readers that take bytes from strangers, each as a <see cref="ReaderTarget"/>: the fuzzer's and the mutation tests' one list.</summary>
internal static class ReaderTargets
{
    /// <summary>
    /// A GGUF input is the file's header; the file goes on with 1 TiB of virtual zeros (<see cref="ZeroTailStream"/>), so tensor
    /// data is never held and a seed's tensors fit, while offsets and lengths past a terabyte still reach "past the end".
    /// </summary>
    public const long GgufVirtualTail = 1L << 40;

    /// <summary>GGUF header (metadata, tensor infos, layout) then its model shape (GgufShapeReader, every supported architecture).</summary>
    public static readonly ReaderTarget Gguf = new("gguf", typeof(ModelFormatException), bytes =>
    {
        var file = GgufReader.Read(new ZeroTailStream(bytes, bytes.Length + GgufVirtualTail), "fuzz.gguf");
        _ = GgufShapeReader.Read(file);
    });

    /// <summary>A safetensors file's header as a whole file, and the same bytes as a model.safetensors.index.json.</summary>
    public static readonly ReaderTarget Safetensors = new("safetensors", typeof(ModelFormatException),
        bytes => _ = SafetensorsReader.Read(new MemoryStream(bytes, writable: false), "fuzz.safetensors"),
        bytes => _ = SafetensorsIndex.Parse(bytes, SafetensorsIndex.FileName));

    /// <summary>A config.json to a ModelSpec: JSON, family rules, shape, parameter counts.</summary>
    public static readonly ReaderTarget Config = new("config", typeof(ModelFormatException),
        bytes => _ = ConfigReader.Read(bytes, "config.json", "fuzz", "fuzz"));

    /// <summary>The Hub's answers: the same bytes as a model-info answer (its commit) and as a page of the file tree.</summary>
    public static readonly ReaderTarget Hub = new("hub", typeof(HubException),
        bytes => _ = HubJson.Commit(bytes, Repo, "the model info"),
        bytes => HubJson.TreePage(bytes, Repo, "the file tree", []));

    /// <summary>
    /// llmem's own Hub cache (files.json under $HF_HOME/llmem): a damaged copy must read as "not cached" (null), so the reader
    /// throws nothing; the target turns that null into <see cref="NotCached"/> to count it as a refusal.
    /// </summary>
    public static readonly ReaderTarget HubCache = new("hubcache", typeof(NotCached),
        bytes => _ = LlmMem.Formats.Hub.HubCache.ParseFiles(bytes) ?? throw new NotCached());

    public static IReadOnlyList<ReaderTarget> All { get; } = [Gguf, Safetensors, Config, Hub, HubCache];

    public static ReaderTarget Named(string name) => All.FirstOrDefault(t => t.Name == name)
        ?? throw new ArgumentException($"no fuzz target '{name}' (known: {string.Join(", ", All)}).", nameof(name));

    /// <summary>The cache read refused a damaged files.json (returned null): the target's way of counting a refusal.</summary>
    internal sealed class NotCached() : Exception("not cached: the cached files.json is damaged");

    private static HubRepoId Repo => HubRepoId.TryParse("org/fuzz", out var id, out _) ? id : throw new InvalidOperationException("org/fuzz is a valid id.");
}
