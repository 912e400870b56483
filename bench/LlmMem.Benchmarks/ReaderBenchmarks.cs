using System.Text;
using BenchmarkDotNet.Attributes;
using LlmMem.DataTypes;
using LlmMem.Formats.Gguf;
using LlmMem.Formats.HuggingFace;
using LlmMem.Formats.Safetensors;
using LlmMem.Models;

namespace LlmMem.Benchmarks;

/// <summary>The readers on realistic inputs, all held in memory so that only parsing is timed.</summary>
[MemoryDiagnoser]
public class ReaderBenchmarks
{
    /// <summary>Tensors in the GGUF header: 112 llama blocks of 9 tensors plus embeddings, output norm and output.</summary>
    public const int GgufLayers = 112;

    /// <summary>Tokens in the GGUF vocabulary (tokenizer.ggml.tokens, token_type and merges), about Qwen2's 151,936.</summary>
    public const int Vocabulary = 150_000;

    /// <summary>Shards in the safetensors index.</summary>
    public const int Shards = 100;

    private byte[] config = null!;
    private byte[] ggufHeader = null!;
    private long ggufLength;
    private byte[] index = null!;

    [GlobalSetup]
    public void Setup()
    {
        config = File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, "data", "meta-llama--Llama-3.1-8B.json"));
        (ggufHeader, ggufLength) = GgufImage.Build(GgufLayers, Vocabulary);
        index = SafetensorsIndexImage.Build(Shards, layers: 126);

        // Fail in setup, not in a timed loop, if an input stops being what the benchmark says it is.
        var gguf = ReadGguf();
        if (gguf.Tensors.Length < 1_000 || !gguf.Metadata.ContainsKey("tokenizer.ggml.tokens"))
        {
            throw new InvalidOperationException($"the GGUF has {gguf.Tensors.Length} tensors; the benchmark wants at least 1,000 and a vocabulary");
        }

        if (ParseIndex().Shards.Length != Shards)
        {
            throw new InvalidOperationException($"the index does not name {Shards} shards");
        }
    }

    [Benchmark(Description = "config.json read (Llama-3.1-8B)")]
    public ModelSpec ReadConfig() => ConfigReader.Read(config, "config.json", "meta-llama/Llama-3.1-8B", "benchmark");

    [Benchmark(Description = "GGUF header read (1,011 tensors, 150k-token vocabulary)")]
    public GgufFile ReadGguf()
    {
        using var stream = new ZeroTailStream(ggufHeader, ggufLength);
        return GgufReader.Read(stream, "bench.gguf");
    }

    [Benchmark(Description = "safetensors index parse (100 shards, 1,137 tensors)")]
    public SafetensorsIndex ParseIndex() => SafetensorsIndex.Parse(index, SafetensorsIndex.FileName);
}

/// <summary>
/// A GGUF v3 header as llama.cpp's converter writes one (ggml docs/gguf.md §File Structure): metadata including a
/// tokenizer, then tensor infos; the tensor data is virtual zeros (<see cref="ZeroTailStream"/>).
/// </summary>
internal static class GgufImage
{
    private const long Alignment = 32;
    private const uint TypeUInt32 = 4;
    private const uint TypeInt32 = 5;
    private const uint TypeString = 8;
    private const uint TypeArray = 9;

    public static (byte[] Header, long Length) Build(int layers, int vocabulary)
    {
        const long hidden = 4096, kv = 1024, ffn = 14336;
        var tensors = new List<(string Name, long[] Dims, DataType Type)>
        {
            ("token_embd.weight", [hidden, vocabulary], DataType.Q4_K),
        };
        for (var i = 0; i < layers; i++)
        {
            tensors.Add(($"blk.{i}.attn_norm.weight", [hidden], DataType.Fp32));
            tensors.Add(($"blk.{i}.attn_q.weight", [hidden, hidden], DataType.Q4_K));
            tensors.Add(($"blk.{i}.attn_k.weight", [hidden, kv], DataType.Q4_K));
            tensors.Add(($"blk.{i}.attn_v.weight", [hidden, kv], DataType.Q6_K));
            tensors.Add(($"blk.{i}.attn_output.weight", [hidden, hidden], DataType.Q4_K));
            tensors.Add(($"blk.{i}.ffn_norm.weight", [hidden], DataType.Fp32));
            tensors.Add(($"blk.{i}.ffn_gate.weight", [hidden, ffn], DataType.Q4_K));
            tensors.Add(($"blk.{i}.ffn_up.weight", [hidden, ffn], DataType.Q4_K));
            tensors.Add(($"blk.{i}.ffn_down.weight", [ffn, hidden], DataType.Q6_K));
        }

        tensors.Add(("output_norm.weight", [hidden], DataType.Fp32));
        tensors.Add(("output.weight", [hidden, vocabulary], DataType.Q6_K));

        using var memory = new MemoryStream();
        using var w = new BinaryWriter(memory, Encoding.UTF8, leaveOpen: true);
        w.Write("GGUF"u8);
        w.Write(3u);
        w.Write((ulong)tensors.Count);
        w.Write(8ul); // metadata pairs, written below
        String(w, "general.architecture", "llama");
        String(w, "general.name", "benchmark");
        UInt32(w, "llama.block_count", (uint)layers);
        UInt32(w, "llama.embedding_length", (uint)hidden);
        UInt32(w, "llama.attention.head_count", 32);
        Key(w, "tokenizer.ggml.tokens", TypeArray);
        StringArray(w, vocabulary, i => $"tok{i}");
        Key(w, "tokenizer.ggml.token_type", TypeArray);
        w.Write(TypeInt32);
        w.Write((ulong)vocabulary);
        for (var i = 0; i < vocabulary; i++)
        {
            w.Write(1);
        }

        Key(w, "tokenizer.ggml.merges", TypeArray);
        StringArray(w, vocabulary, i => $"t o{i}");

        long offset = 0;
        foreach (var (name, dims, type) in tensors)
        {
            Text(w, name);
            w.Write((uint)dims.Length);
            foreach (var d in dims)
            {
                w.Write((ulong)d);
            }

            w.Write((uint)type.GgmlId!.Value);
            w.Write((ulong)offset);
            offset = Align(offset + Bytes(dims, type));
        }

        var dataOffset = Align(memory.Position);
        memory.SetLength(dataOffset);
        return (memory.ToArray(), dataOffset + offset);
    }

    private static long Bytes(long[] dims, DataType type) =>
        dims[0] / type.ElementsPerBlock * type.BytesPerBlock * dims.Skip(1).Aggregate(1L, (p, d) => p * d);

    private static long Align(long n) => (n + Alignment - 1) / Alignment * Alignment;

    private static void Key(BinaryWriter w, string key, uint type)
    {
        Text(w, key);
        w.Write(type);
    }

    private static void String(BinaryWriter w, string key, string value)
    {
        Key(w, key, TypeString);
        Text(w, value);
    }

    private static void UInt32(BinaryWriter w, string key, uint value)
    {
        Key(w, key, TypeUInt32);
        w.Write(value);
    }

    private static void StringArray(BinaryWriter w, int count, Func<int, string> item)
    {
        w.Write(TypeString);
        w.Write((ulong)count);
        for (var i = 0; i < count; i++)
        {
            Text(w, item(i));
        }
    }

    private static void Text(BinaryWriter w, string text)
    {
        var bytes = Encoding.UTF8.GetBytes(text);
        w.Write((ulong)bytes.Length);
        w.Write(bytes);
    }
}

/// <summary>A model.safetensors.index.json as transformers' save_pretrained writes it, the tensors spread over the shards in order.</summary>
internal static class SafetensorsIndexImage
{
    private static readonly string[] LayerTensors =
    [
        "input_layernorm.weight", "mlp.down_proj.weight", "mlp.gate_proj.weight", "mlp.up_proj.weight",
        "post_attention_layernorm.weight", "self_attn.k_proj.weight", "self_attn.o_proj.weight",
        "self_attn.q_proj.weight", "self_attn.v_proj.weight",
    ];

    public static byte[] Build(int shards, int layers)
    {
        var names = new List<string> { "model.embed_tokens.weight" };
        for (var i = 0; i < layers; i++)
        {
            names.AddRange(LayerTensors.Select(t => $"model.layers.{i}.{t}"));
        }

        names.Add("model.norm.weight");
        names.Add("lm_head.weight");

        var json = new StringBuilder();
        json.Append("{\n  \"metadata\": {\n    \"total_size\": 810108854272\n  },\n  \"weight_map\": {\n");
        for (var i = 0; i < names.Count; i++)
        {
            var shard = (long)i * shards / names.Count + 1;
            json.Append(System.Globalization.CultureInfo.InvariantCulture,
                $"    \"{names[i]}\": \"model-{shard:00000}-of-{shards:00000}.safetensors\"{(i + 1 < names.Count ? "," : "")}\n");
        }

        json.Append("  }\n}\n");
        return Encoding.UTF8.GetBytes(json.ToString());
    }
}
