using System.Text;
using System.Text.Json;
using LlmMem.Formats.Tests.Gguf;
using LlmMem.Formats.Tests.Safetensors;

namespace LlmMem.Formats.Tests.Fuzzing;

/// <summary>
/// Valid inputs each target starts from, built by the readers' test builders (GgufBuilder, SafetensorsBuilder) or taken from
/// the catalog's real config.json files: small, so the fuzzer's mutations land in the structure rather than in bulk data.
/// </summary>
internal static class FuzzSeeds
{
    /// <summary>Catalog configs covering the families' distinct paths: dense GQA, MoE, latent attention, multimodal wrapper, quantization_config, sliding windows, old-style names.</summary>
    private static readonly string[] Configs =
    [
        "meta-llama--Llama-3.1-8B.json", "Qwen--Qwen3-30B-A3B.json", "deepseek-ai--DeepSeek-V3.json", "google--gemma-3-4b-it.json",
        "openai--gpt-oss-20b.json", "google--gemma-2-9b.json", "openai-community--gpt2.json", "mistralai--Mixtral-8x7B-v0.1.json",
        "microsoft--phi-2.json", "Qwen--Qwen3-235B-A22B-FP8.json",
    ];

    public static IReadOnlyList<(string Name, byte[] Bytes)> For(ReaderTarget target) => target.Name switch
    {
        "gguf" => Gguf(),
        "safetensors" => Safetensors(),
        "config" => [.. Configs.Select(c => (c, File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, "hf-configs", c))))],
        "hub" => Hub(),
        "hubcache" => HubCacheFiles(),
        _ => throw new ArgumentException($"no seeds for '{target.Name}'.", nameof(target)),
    };

    /// <summary>Headers only: the target supplies the tensor data as virtual zeros.</summary>
    private static List<(string, byte[])> Gguf()
    {
        var v2 = GgufModels.Tiny();
        v2.Version = 2;
        return [("tiny.gguf", GgufModels.Tiny().Build().Header), ("tiny-v2.gguf", v2.Build().Header), ("tiny-deepseek.gguf", GgufModels.TinyDeepSeek().Build().Header)];
    }

    private static List<(string, byte[])> Safetensors()
    {
        var small = new SafetensorsBuilder().Meta("format", "pt").Add("a.weight", "F32", 2, 3).Add("b.bias", "BF16", 4);
        var mixed = new SafetensorsBuilder().Add("model.embed_tokens.weight", "BF16", 16, 8).Add("model.layers.0.mlp.up_proj.weight", "F8_E4M3", 8, 8)
            .Add("model.layers.0.mlp.up_proj.weight_scale_inv", "F32", 1, 1).Add("scalar", "I64").Add("empty", "F16", 0, 4);
        var index = new Dictionary<string, object>
        {
            ["metadata"] = new Dictionary<string, long> { ["total_size"] = small.DataLength + mixed.DataLength },
            ["weight_map"] = new Dictionary<string, string>
            {
                ["a.weight"] = "model-00001-of-00002.safetensors",
                ["b.bias"] = "model-00001-of-00002.safetensors",
                ["model.embed_tokens.weight"] = "model-00002-of-00002.safetensors",
            },
        };
        return [("small.safetensors", small.ToBytes()), ("mixed.safetensors", mixed.ToBytes()), ("index.json", JsonSerializer.SerializeToUtf8Bytes(index))];
    }

    /// <summary>files.json as HubCache.SaveFiles writes it: nested paths, a zero size, a large one.</summary>
    private static List<(string, byte[])> HubCacheFiles() =>
    [
        ("files.json", Encoding.UTF8.GetBytes("""{"files":[{"path":"config.json","size":654},{"path":"model-00001-of-00004.safetensors","size":4976698672},{"path":"original/params.json","size":0}]}""")),
        ("empty.json", Encoding.UTF8.GetBytes("""{"files":[]}""")),
    ];

    /// <summary>The Hub's answers as huggingface_hub reads them (hf_api.py ModelInfo, RepoFile, RepoFolder).</summary>
    private static List<(string, byte[])> Hub()
    {
        const string Sha = "0123456789abcdef0123456789abcdef01234567";
        var info = $$"""{"_id":"66","id":"org/fuzz","sha":"{{Sha}}","private":false,"gated":false,"siblings":[{"rfilename":"config.json"},{"rfilename":"model.safetensors"}]}""";
        var tree = """
            [{"type":"directory","oid":"y","size":0,"path":"original"},
             {"type":"file","oid":"a","size":654,"path":"config.json"},
             {"type":"file","oid":"b","size":16060522496,"path":"model.safetensors","lfs":{"oid":"c","size":16060522496,"pointerSize":135}},
             {"type":"file","oid":"d","size":2183982,"path":"original/tokenizer.model"}]
            """;
        return [("model-info.json", Encoding.UTF8.GetBytes(info)), ("tree.json", Encoding.UTF8.GetBytes(tree))];
    }
}
