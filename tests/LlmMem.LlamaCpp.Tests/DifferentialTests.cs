using LLama.Native;
using LlmMem.DataTypes;
using LlmMem.Estimates;
using LlmMem.Formats.Gguf;
using LlmMem.Formats.Tests.Gguf;
using LlmMem.Formulas;
using LlmMem.Inference;
using Xunit.Abstractions;

namespace LlmMem.LlamaCpp.Tests;

/// <summary>
/// llmem's llama.cpp estimates against the real llama.cpp: each test writes a small GGUF, loads it with LLamaSharp
/// 0.30.0's CPU build of llama.cpp (b10221, 815a2a591, 2026-08: <see cref="LlamaCppVersion.Latest"/>), creates a
/// context, and compares the buffers llama.cpp logs with llmem's terms for the same file and settings. llama.cpp prints
/// MiB with two decimals: "exact" is within 0.005 MiB per printed line.
/// </summary>
public class DifferentialTests(ITestOutputHelper output)
{
    private const double MiB = 1024.0 * 1024;

    public static TheoryData<string, int, int, int, string, string, string, int, bool> Cases => new()
    {
        // name, n_ctx, n_ubatch, sequences, flash attention, K type, V type, architecture kind, kv_unified (LLamaSharp's
        // ModelParams.KVUnified defaults to true; llama-cli's and llmem's default is a split cache from b6071)
        { "llama f16, defaults", 1024, 512, 1, "auto", "f16", "f16", 0, true },
        { "llama q8_0/q4_k, odd context, q8_0 cache, 2 sequences", 3000, 256, 2, "on", "q8_0", "q8_0", 1, true },
        { "llama f16, no flash attention", 2048, 512, 1, "off", "f16", "f16", 0, true },
        // Since b6975 (PR #17046) the context is padded to 256 with or without flash attention: 3,072 cells, where
        // b2871–b6867 padded to 32 without it (3,008) and b6868–b6974 not at all (3,000).
        { "llama f16, odd context, no flash attention", 3000, 512, 1, "off", "f16", "f16", 0, true },
        { "llama q8_0/q4_k, q4_0 K cache, f16 V", 4096, 1024, 1, "on", "q4_0", "f16", 1, true },
        { "qwen3moe q8_0, 4 sequences", 2048, 512, 4, "on", "f16", "f16", 2, true },
        { "gemma2 sliding window 256, f16", 4096, 512, 1, "on", "f16", "f16", 3, true },
        { "gemma2 sliding window 256, 3 sequences, ubatch 128", 8192, 128, 3, "on", "q8_0", "q8_0", 3, true },
        // DeepSeek MLA: since b7832 (PR #19067) only the latent K (kv_lora_rank + rope) is cached, flash attention or not.
        { "deepseek2 MLA, latent K only", 2048, 512, 1, "on", "f16", "f16", 4, true },
        { "deepseek2 MLA, latent K only, no flash attention", 2048, 512, 1, "off", "f16", "f16", 4, true },
        // Split caches (PR #14363, b5913; the default from b6071): since b6975 each of the n_seq streams holds
        // pad(⌊pad(n_ctx, 256) / n_seq⌋, 256) cells — 5,000 over 3: 1,792 per stream, 5,376 in all, where a unified cache has 5,120.
        { "llama f16, 3 sequences, split cache", 5000, 512, 3, "on", "f16", "f16", 0, false },
        // Without flash attention one micro-batch's scores span one stream's 1,024 cells, not the 4,096 of all four.
        { "llama f16, 4 sequences, split cache, no flash attention", 4096, 512, 4, "off", "f16", "f16", 0, false },
        // Sliding-window layers keep pad(min(n_ctx_seq, n_swa + n_ubatch), 256) = 512 cells per stream (1,536 in all),
        // where the unified cache above keeps pad(256 × 3 + 128, 256) = 1,024; full layers 3 × 2,816 = 8,448.
        { "gemma2 sliding window 256, 3 sequences, split cache, ubatch 128", 8192, 128, 3, "on", "q8_0", "q8_0", 3, false },
        { "qwen3moe q8_0, 3 sequences, split cache, no flash attention", 2000, 256, 3, "off", "f16", "f16", 2, false },
        // CPU_REPACK (AVX2): Q4_0 matrices are repacked, the Q8_0 embeddings are not, nor the Q4_0 output matrix whose
        // 4,100 rows are no multiple of 8.
        { "llama q4_0, vocab 4100", 2048, 512, 1, "on", "f16", "f16", 5, true },
        // Q4_0 experts (3-D, MUL_MAT_ID) are repacked too; the Q4_0 token embeddings (GET_ROWS) are not.
        { "qwen3moe q4_0", 2048, 512, 1, "on", "f16", "f16", 6, true },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Buffers_MatchTheRealLlamaCpp(string name, int context, int ubatch, int sequences, string flash, string k, string v, int kind, bool kvUnified)
    {
        var builder = kind switch
        {
            0 => TinyModels.Llama(layers: 3, embd: 512, ff: 1536, heads: 8, kvHeads: 2, vocab: 4096, DataType.Fp16, DataType.Fp16),
            1 => TinyModels.Llama(layers: 4, embd: 512, ff: 1536, heads: 8, kvHeads: 4, vocab: 4096, DataType.Q4_K, DataType.Q8_0),
            4 => TinyModels.DeepSeek2(layers: 2, embd: 512, ff: 1024, heads: 4, queryRank: 128, kvRank: 256, nope: 64, rope: 64, valueDim: 64,
                experts: 4, used: 2, expertFf: 256, vocab: 4096, DataType.Fp16),
            5 => TinyModels.Llama(layers: 2, embd: 512, ff: 1536, heads: 8, kvHeads: 2, vocab: 4100, DataType.Q4_0, DataType.Q8_0),
            6 => TinyModels.Qwen3Moe(layers: 2, embd: 512, experts: 8, used: 2, expertFf: 256, heads: 8, kvHeads: 2, vocab: 4096, DataType.Q4_0),
            3 => TinyModels.Gemma2(layers: 4, embd: 512, ff: 1536, heads: 4, kvHeads: 2, vocab: 4096, window: 256, DataType.Fp16),
            _ => TinyModels.Qwen3Moe(layers: 2, embd: 512, experts: 8, used: 2, expertFf: 256, heads: 8, kvHeads: 2, vocab: 4096, DataType.Q8_0),
        };
        var path = Path.Combine(Path.GetTempPath(), $"llmem-diff-{Guid.NewGuid():N}.gguf");
        File.WriteAllBytes(path, builder.Build().Bytes());
        try
        {
            var log = LlamaCppLog.Load(path, p =>
            {
                p.ContextSize = (uint)context;
                p.BatchSize = (uint)Math.Max(ubatch, 512);
                p.UBatchSize = (uint)ubatch;
                p.SeqMax = (uint)sequences;
                p.KVUnified = kvUnified;
                // LLamaSharp: null is llama.cpp's "auto".
                p.FlashAttention = flash switch
                {
                    "on" => true,
                    "off" => false,
                    _ => null,
                };
                p.SwaFull = false; // llama.h's own default keeps full-size sliding-window caches; llama-cli and llmem default to off
                p.TypeK = GgmlType(k);
                p.TypeV = GgmlType(v);
            });

            var model = GgufModel.Read(path);
            var estimate = InferenceEstimator.Estimate(new InferenceRequest(model, InferenceEngine.LlamaCpp, ContextTokens: context,
                LlamaCpp: new LlamaCppSettings(UBatch: ubatch, Sequences: sequences, CacheTypeK: CacheType(k), CacheTypeV: CacheType(v),
                    FlashAttention: flash != "off", GpuLayers: 0, KvUnified: kvUnified)));
            var host = estimate.Devices.Single(d => d.Name == "cpu");
            double Term(TermId id) => host.Terms.Where(t => t.Id == id).Sum(t => t.Bytes.Bytes) / MiB;

            var loggedModel = LlamaCppLog.SumMiB(log, "model");
            var loggedKv = LlamaCppLog.SumMiB(log, "KV");
            var loggedOutput = LlamaCppLog.SumMiB(log, "output");
            var loggedCompute = LlamaCppLog.SumMiB(log, "compute");
            foreach (var line in log.Split('\n').Where(l => l.Contains("buffer size", StringComparison.Ordinal) || l.Contains("n_ctx_seq", StringComparison.Ordinal)
                || l.Contains("kv_unified", StringComparison.Ordinal) || l.Contains("REPACK", StringComparison.Ordinal) || l.Contains("CPU :", StringComparison.Ordinal)))
            {
                output.WriteLine(line.TrimEnd());
            }

            output.WriteLine($"{name}: model {Term(TermId.Weights):F2}/{loggedModel:F2}, KV {Term(TermId.KvCache):F2}/{loggedKv:F2}, "
                + $"output {Term(TermId.OutputBuffer):F2}/{loggedOutput:F2}, compute {Term(TermId.ComputeBuffer):F2}/{loggedCompute:F2} MiB (llmem/llama.cpp)");

            Assert.True(loggedModel > 0 && loggedKv > 0, "llama.cpp logged no buffers:\n" + log[^Math.Min(log.Length, 3000)..]);
            // Each printed line is rounded on its own: the sum is exact to 0.005 MiB per line.
            var modelLines = System.Text.RegularExpressions.Regex.Matches(log, "model buffer size").Count;
            Assert.InRange(Term(TermId.Weights), loggedModel - 0.005 * modelLines - 0.001, loggedModel + 0.005 * modelLines + 0.001);
            Assert.InRange(Term(TermId.KvCache), loggedKv - 0.006, loggedKv + 0.006);

            // The cells of one stream, as llama.cpp prints them ("n_ctx_seq = …"), and whether it split the cache.
            Assert.Equal(LlamaCppLog.Value(log, "n_ctx_seq"), KvCacheFormulas.ContextCellsPerStream(context, sequences, flash != "off", kvUnified, LlamaCppVersion.Latest));
            Assert.Contains($"kv_unified    = {(kvUnified ? "true" : "false")}", log, StringComparison.Ordinal);
            Assert.InRange(Term(TermId.OutputBuffer), loggedOutput - 0.006, loggedOutput + 0.006);

            // This x86-64 CPU has AVX2: llama.cpp repacks the Q4_K matrices (rows a multiple of 8) into CPU_REPACK and logs
            // it as its own line; the f16 and Q8_0 files log none. llmem's CPU_REPACK term must match the line, 0 when absent.
            var loggedRepack = LlamaCppLog.SumMiB(log, "CPU_REPACK model");
            var repack = host.Terms.Where(t => t.Id == TermId.Weights && t.Label.Contains("CPU_REPACK", StringComparison.Ordinal)).Sum(t => t.Bytes.Bytes) / MiB;
            output.WriteLine($"{name}: CPU_REPACK {repack:F2}/{loggedRepack:F2} MiB (llmem/llama.cpp)");
            Assert.InRange(repack, loggedRepack - 0.006, loggedRepack + 0.006);
            var kept = LlamaCppLog.SumMiB(log, " CPU model");
            Assert.InRange(Term(TermId.Weights) - repack, kept - 0.006, kept + 0.006);

            // The compute buffer is the largest live set of the attention, feed-forward and output steps, without the
            // allocator's fragmentation: on these files, where the feed-forward step is the peak, it is 64–94% of llama.cpp's
            // reservation (DeepSeek MLA lowest, whose absorbed projections are not modelled) and never above it.
            Assert.InRange(Term(TermId.ComputeBuffer) / loggedCompute, 0.60, 1.00);
        }
        finally
        {
            File.Delete(path);
        }
    }

    private static GGMLType GgmlType(string name) => name switch
    {
        "f16" => GGMLType.GGML_TYPE_F16,
        "q8_0" => GGMLType.GGML_TYPE_Q8_0,
        "q4_0" => GGMLType.GGML_TYPE_Q4_0,
        _ => throw new ArgumentOutOfRangeException(nameof(name)),
    };

    private static DataType CacheType(string name) => name switch
    {
        "f16" => DataType.Fp16,
        "q8_0" => DataType.Q8_0,
        "q4_0" => DataType.Q4_0,
        _ => throw new ArgumentOutOfRangeException(nameof(name)),
    };
}
