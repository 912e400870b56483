using System.Text;
using System.Text.Json;

namespace LlmMem.Cli.Tests;

/// <summary>`inspect` and `infer` on a .gguf file written here: a small Qwen2 with Q8_0 matrices and F32 norms and biases.</summary>
public class GgufFileTests
{
    private const int H = 256, Layers = 2, Heads = 4, KvHeads = 2, HeadDim = 64, Ffn = 512, Vocab = 1024;

    /// <summary>GGUF v3 (ggml docs/gguf.md): header, metadata, tensor infos, data aligned to 32 bytes (left sparse).</summary>
    private static (string Path, long TensorBytes) Write(string folder)
    {
        var tensors = new List<(string Name, uint Type, long[] Ne)> { ("token_embd.weight", 8, [H, Vocab]) };
        for (var i = 0; i < Layers; i++)
        {
            var p = $"blk.{i}.";
            tensors.AddRange([
                (p + "attn_norm.weight", 0, [H]), (p + "attn_q.weight", 8, [H, Heads * HeadDim]), (p + "attn_k.weight", 8, [H, KvHeads * HeadDim]),
                (p + "attn_v.weight", 8, [H, KvHeads * HeadDim]), (p + "attn_q.bias", 0, [Heads * HeadDim]), (p + "attn_k.bias", 0, [KvHeads * HeadDim]),
                (p + "attn_v.bias", 0, [KvHeads * HeadDim]), (p + "attn_output.weight", 8, [Heads * HeadDim, H]), (p + "ffn_norm.weight", 0, [H]),
                (p + "ffn_gate.weight", 8, [H, Ffn]), (p + "ffn_up.weight", 8, [H, Ffn]), (p + "ffn_down.weight", 8, [Ffn, H])]);
        }

        tensors.Add(("output_norm.weight", 0, [H]));
        static long Bytes(uint type, long[] ne) => (type == 8 ? ne[0] / 32 * 34 : ne[0] * 4) * ne.Skip(1).Aggregate(1L, (a, b) => a * b);

        using var header = new MemoryStream();
        using var w = new BinaryWriter(header);
        void Str(string s) { var b = Encoding.UTF8.GetBytes(s); w.Write((ulong)b.Length); w.Write(b); }
        void U32(string key, uint value) { Str(key); w.Write(4u); w.Write(value); }
        w.Write("GGUF"u8);
        w.Write(3u);
        w.Write((ulong)tensors.Count);
        w.Write(9UL);
        Str("general.architecture"); w.Write(8u); Str("qwen2");
        Str("general.name"); w.Write(8u); Str("Tiny Qwen2");
        U32("general.file_type", 7);
        U32("qwen2.block_count", Layers);
        U32("qwen2.embedding_length", H);
        U32("qwen2.feed_forward_length", Ffn);
        U32("qwen2.attention.head_count", Heads);
        U32("qwen2.attention.head_count_kv", KvHeads);
        U32("qwen2.vocab_size", Vocab);
        long offset = 0, total = 0;
        foreach (var (name, type, ne) in tensors)
        {
            Str(name);
            w.Write((uint)ne.Length);
            foreach (var d in ne)
            {
                w.Write((ulong)d);
            }

            w.Write(type);
            w.Write((ulong)offset);
            total += Bytes(type, ne);
            offset += (Bytes(type, ne) + 31) / 32 * 32;
        }

        var path = Path.Combine(folder, "tiny-qwen2-q8_0.gguf");
        using var file = File.Create(path);
        file.Write(header.ToArray());
        file.SetLength((file.Length + 31) / 32 * 32 + offset);
        return (path, total);
    }

    [Fact]
    public void InspectAndInfer_GgufFile_ExactTensorBytes()
    {
        var folder = Directory.CreateTempSubdirectory("llmem-gguf-");
        try
        {
            var (path, tensorBytes) = Write(folder.FullName);

            var (exit, output, error) = CliRunner.Run("inspect", path, "--format", "json");
            Assert.True(exit == 0, error);
            using var inspect = JsonDocument.Parse(output);
            var model = inspect.RootElement.GetProperty("model");
            Assert.Equal("qwen2", model.GetProperty("architecture").GetString());
            Assert.Equal(tensorBytes, model.GetProperty("stored").GetProperty("bytes").GetInt64());
            Assert.Equal(tensorBytes, model.GetProperty("weight_bytes").GetInt64());
            Assert.True(model.GetProperty("tied_embeddings").GetBoolean());

            var (_, json, _) = CliRunner.Run("infer", path, "--engine", "llamacpp", "--context", "8192", "--format", "json");
            using var infer = JsonDocument.Parse(json);
            Assert.Equal(tensorBytes, infer.RootElement.GetProperty("devices").EnumerateArray().SelectMany(d => d.GetProperty("terms").EnumerateArray())
                .Where(t => t.GetProperty("id").GetString() == "weights").Sum(t => t.GetProperty("bytes").GetInt64()));
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }

    [Fact]
    public void TruncatedGguf_OneLineError()
    {
        var path = Path.GetTempFileName() + ".gguf";
        try
        {
            File.WriteAllBytes(path, "GGUF\u0003\0\0\0"u8.ToArray());
            var (exit, output, error) = CliRunner.Run("inspect", path);

            Assert.Equal(1, exit);
            Assert.Empty(output);
            Assert.StartsWith($"error: {path}: offset ", error);
            Assert.Single(error.TrimEnd('\n').Split('\n'));
        }
        finally
        {
            File.Delete(path);
        }
    }
}
