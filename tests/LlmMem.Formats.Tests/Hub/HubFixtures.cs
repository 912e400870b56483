using System.Text;
using LlmMem.Formats.Hub;
using LlmMem.Formats.Tests.Gguf;
using LlmMem.Formats.Tests.Safetensors;

namespace LlmMem.Formats.Tests.Hub;

/// <summary>Repositories as the Hub holds them, built in memory by the format builders, and settings that point at a fake Hub.</summary>
internal static class HubFixtures
{
    public const string LlamaSha = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";

    /// <summary>
    /// Settings for the fake Hub: a private cache folder and one quick retry. The attempt timeout leaves room for a
    /// loaded two-core machine; the stall test shortens it.
    /// </summary>
    public static HubSettings Settings(FakeHub hub, string cacheFolder, string? token = null) => new()
    {
        Endpoint = hub.Endpoint,
        CacheFolder = cacheFolder,
        Token = token,
        AttemptTimeout = TimeSpan.FromSeconds(5),
        TotalTimeout = TimeSpan.FromSeconds(20),
        MaxRetries = 1,
        RetryDelay = TimeSpan.FromMilliseconds(50),
        MaxRetryAfter = TimeSpan.FromSeconds(2),
    };

    /// <summary>
    /// meta-llama/Llama-3.1-8B's bf16 tensors (32 layers, hidden 4096, 8 KV heads of 128, MLP 14336, vocabulary 128,256,
    /// untied): 8,030,261,248 parameters, 16,060,522,496 bytes — its published index's total_size — in four shards.
    /// </summary>
    public static List<SafetensorsBuilder> Llama31_8BShards()
    {
        var shards = Enumerable.Range(0, 4).Select(_ => new SafetensorsBuilder()).ToList();
        shards[0].Add("model.embed_tokens.weight", "BF16", 128_256, 4096);
        for (var i = 0; i < 32; i++)
        {
            var p = $"model.layers.{i}.";
            shards[i / 8].Add(p + "input_layernorm.weight", "BF16", 4096).Add(p + "post_attention_layernorm.weight", "BF16", 4096)
                .Add(p + "self_attn.q_proj.weight", "BF16", 4096, 4096).Add(p + "self_attn.k_proj.weight", "BF16", 1024, 4096)
                .Add(p + "self_attn.v_proj.weight", "BF16", 1024, 4096).Add(p + "self_attn.o_proj.weight", "BF16", 4096, 4096)
                .Add(p + "mlp.gate_proj.weight", "BF16", 14336, 4096).Add(p + "mlp.up_proj.weight", "BF16", 14336, 4096)
                .Add(p + "mlp.down_proj.weight", "BF16", 4096, 14336);
        }

        shards[3].Add("model.norm.weight", "BF16", 4096).Add("lm_head.weight", "BF16", 128_256, 4096);
        return shards;
    }

    public static string ShardName(int i, int count) => $"model-{i + 1:D5}-of-{count:D5}.safetensors";

    /// <summary>The index transformers writes beside shards: total_size and tensor → shard.</summary>
    public static string Index(List<SafetensorsBuilder> shards)
    {
        var map = new List<string>();
        long total = 0;
        for (var i = 0; i < shards.Count; i++)
        {
            total += shards[i].DataLength;
            foreach (var line in shards[i].Header().Split('\n').Where(l => l.StartsWith('"') && !l.StartsWith("\"__metadata__", StringComparison.Ordinal)))
            {
                map.Add($"{line[..(line.IndexOf("\":", StringComparison.Ordinal) + 1)]}:\"{ShardName(i, shards.Count)}\"");
            }
        }

        return $"{{\"metadata\":{{\"total_size\":{total}}},\"weight_map\":{{{string.Join(",", map)}}}}}";
    }

    /// <summary>A safetensors file served with its header only; its declared length covers the data.</summary>
    public static FakeFile Served(SafetensorsBuilder builder)
    {
        var header = Encoding.UTF8.GetBytes(builder.Header());
        return new FakeFile(SafetensorsBuilder.File(header, 0), 8 + header.Length + builder.DataLength);
    }

    /// <summary>The 8 + N bytes that are a safetensors file's header.</summary>
    public static long HeaderBytes(SafetensorsBuilder builder) => 8 + Encoding.UTF8.GetByteCount(builder.Header());

    /// <summary>Adds config.json, the index and the shards of a sharded checkpoint to a repository.</summary>
    public static FakeRepo AddCheckpoint(FakeRepo repo, string configPath, List<SafetensorsBuilder> shards)
    {
        repo.Add("config.json", FakeFile.Whole(File.ReadAllBytes(configPath)));
        repo.Add("model.safetensors.index.json", FakeFile.Text(Index(shards)));
        for (var i = 0; i < shards.Count; i++)
        {
            repo.Add(ShardName(i, shards.Count), Served(shards[i]));
        }

        return repo;
    }

    /// <summary>Writes the same checkpoint to a folder (sparse data), to compare the Hub's answer with a local read.</summary>
    public static void WriteCheckpoint(TempFolder folder, string configPath, List<SafetensorsBuilder> shards)
    {
        File.Copy(configPath, folder.File("config.json"));
        folder.Write("model.safetensors.index.json", Index(shards));
        for (var i = 0; i < shards.Count; i++)
        {
            shards[i].WriteTo(folder.File(ShardName(i, shards.Count)));
        }
    }

    /// <summary>A GGUF file served with its header only.</summary>
    public static FakeFile Served(GgufImage image) => new(image.Header, image.Length);

    /// <summary>Writes a GGUF image to disk: its header, then a sparse tail of the declared length.</summary>
    public static string WriteGguf(GgufImage image, string path)
    {
        using var stream = File.Create(path);
        stream.Write(image.Header);
        stream.SetLength(image.Length);
        return path;
    }

    /// <summary>SmolLM2-135M's tensors in two shards (30 layers, hidden 576, 3 KV heads, MLP 1536, vocabulary 49,152, tied).</summary>
    public static List<SafetensorsBuilder> SmolLm2Shards()
    {
        var shards = new List<SafetensorsBuilder> { new(), new() };
        shards[0].Add("model.embed_tokens.weight", "BF16", 49_152, 576);
        for (var i = 0; i < 30; i++)
        {
            var p = $"model.layers.{i}.";
            shards[i / 15].Add(p + "input_layernorm.weight", "BF16", 576).Add(p + "post_attention_layernorm.weight", "BF16", 576)
                .Add(p + "self_attn.q_proj.weight", "BF16", 576, 576).Add(p + "self_attn.k_proj.weight", "BF16", 192, 576)
                .Add(p + "self_attn.v_proj.weight", "BF16", 192, 576).Add(p + "self_attn.o_proj.weight", "BF16", 576, 576)
                .Add(p + "mlp.gate_proj.weight", "BF16", 1536, 576).Add(p + "mlp.up_proj.weight", "BF16", 1536, 576)
                .Add(p + "mlp.down_proj.weight", "BF16", 576, 1536);
        }

        shards[1].Add("model.norm.weight", "BF16", 576);
        return shards;
    }
}
