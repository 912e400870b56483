using System.Text;
using BenchmarkDotNet.Attributes;
using LlmMem.DataTypes;
using LlmMem.Formats.Gguf;
using LlmMem.Formats.HuggingFace;
using LlmMem.Formats.Safetensors;
using LlmMem.Formats.Tests.Gguf;
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
    private Formats.Tests.Gguf.GgufImage gguf = null!;
    private byte[] index = null!;

    [GlobalSetup]
    public void Setup()
    {
        config = File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, "data", "meta-llama--Llama-3.1-8B.json"));
        gguf = GgufBenchmarkFile.Build(GgufLayers, Vocabulary);
        index = SafetensorsIndexImage.Build(Shards, layers: 126);

        // Fail in setup, not in a timed loop, if an input stops being what the benchmark says it is.
        var read = ReadGguf();
        if (read.Tensors.Length < 1_000 || !read.Metadata.ContainsKey("tokenizer.ggml.tokens"))
        {
            throw new InvalidOperationException($"the GGUF has {read.Tensors.Length} tensors; the benchmark wants at least 1,000 and a vocabulary");
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
        using var stream = gguf.Open();
        return GgufReader.Read(stream, "bench.gguf");
    }

    [Benchmark(Description = "safetensors index parse (100 shards, 1,137 tensors)")]
    public SafetensorsIndex ParseIndex() => SafetensorsIndex.Parse(index, SafetensorsIndex.FileName);
}

/// <summary>
/// A GGUF v3 file as llama.cpp's converter lays one out, written by the reader tests' <see cref="GgufBuilder"/>:
/// metadata including a tokenizer, then tensor infos; the tensor data is virtual zeros.
/// </summary>
internal static class GgufBenchmarkFile
{
    public static Formats.Tests.Gguf.GgufImage Build(int layers, int vocabulary)
    {
        const long hidden = 4096, kv = 1024, ffn = 14336;
        var b = new GgufBuilder()
            .Str("general.architecture", "llama").Str("general.name", "benchmark")
            .U32("llama.block_count", layers).U32("llama.embedding_length", hidden).U32("llama.attention.head_count", 32)
            .Tokenizer(vocabulary)
            .Tensor("token_embd.weight", DataType.Q4_K, hidden, vocabulary);
        for (var i = 0; i < layers; i++)
        {
            b.Tensor($"blk.{i}.attn_norm.weight", DataType.Fp32, hidden)
                .Tensor($"blk.{i}.attn_q.weight", DataType.Q4_K, hidden, hidden)
                .Tensor($"blk.{i}.attn_k.weight", DataType.Q4_K, hidden, kv)
                .Tensor($"blk.{i}.attn_v.weight", DataType.Q6_K, hidden, kv)
                .Tensor($"blk.{i}.attn_output.weight", DataType.Q4_K, hidden, hidden)
                .Tensor($"blk.{i}.ffn_norm.weight", DataType.Fp32, hidden)
                .Tensor($"blk.{i}.ffn_gate.weight", DataType.Q4_K, hidden, ffn)
                .Tensor($"blk.{i}.ffn_up.weight", DataType.Q4_K, hidden, ffn)
                .Tensor($"blk.{i}.ffn_down.weight", DataType.Q6_K, ffn, hidden);
        }

        return b.Tensor("output_norm.weight", DataType.Fp32, hidden)
            .Tensor("output.weight", DataType.Q6_K, hidden, vocabulary)
            .Build();
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
