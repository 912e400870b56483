using LlmMem.DataTypes;
using LlmMem.Formats.Catalog;
using LlmMem.Quantization;

namespace LlmMem.Formats.Tests.GroundTruth;

/// <summary>
/// Predicted GGUF sizes against the "model size" llama.cpp printed for real files (data/groundtruth/llamacpp.jsonl),
/// and the per-type tensor counts its loader listed. Target: within 1%; in practice within the log's rounding.
/// </summary>
/// <remarks>
/// Out of scope, not fitted: gt010 (Q4_K_L: a third-party mix with a q8_0 token_embd), gt026 (Q4_0 with token_embd
/// and output kept in f16 by hand), gt037 (Unsloth UD-Q4_K_XL), gt016 and gt034 (ik_llama.cpp-only types and custom
/// mixes). No config in the catalog for: gt001 (Granite code), gt005 (no size printed), gt014 (DeepSeek-V2-Lite), gt017
/// (Gemma 2 2B), gt019/gt043 (GLM-Z1), gt038/gt040 (Pythia), gt041 (gpt-oss-120b), gt044 (Granite 3.1).
/// Qwen2-0.5B and Qwen2-7B have exactly the shapes of Qwen2.5-0.5B and -7B; QwQ-32B that of Qwen2.5-32B;
/// Mistral-7B-Instruct-v0.2 that of v0.1.
/// </remarks>
public class GgufSizePredictionTests
{
    [Theory]
    [InlineData("gt002", "Qwen/Qwen2.5-0.5B", "Q5_K_M", true)] // official Qwen2 GGUF, imatrix; 896 is not a multiple of 256
    [InlineData("gt004", "Qwen/Qwen2.5-7B", "Q8_0", false)]
    [InlineData("gt007", "Qwen/Qwen3-0.6B", "Q8_0", false)]
    [InlineData("gt008", "Qwen/Qwen3-30B-A3B", "Q4_K_M", true)] // unsloth, imatrix
    [InlineData("gt011", "microsoft/Phi-3-mini-4k-instruct", "Q4_K_M", false)]
    [InlineData("gt013", "microsoft/phi-4", "Q4_K_M", false)] // ollama phi4
    [InlineData("gt020", "openai/gpt-oss-20b", "MXFP4_MOE", false)]
    [InlineData("gt022", "openai/gpt-oss-20b", "MXFP4_MOE", false)]
    [InlineData("gt023", "meta-llama/Llama-3.1-8B", "Q6_K", false)]
    [InlineData("gt025", "meta-llama/Llama-3.1-8B", "Q3_K_L", false)]
    [InlineData("gt028", "mistralai/Mistral-7B-v0.1", "Q5_K_M", false)]
    [InlineData("gt029", "mistralai/Mistral-7B-v0.1", "Q4_K_M", false)]
    [InlineData("gt031", "meta-llama/Llama-3.1-70B", "Q4_0", false)]
    [InlineData("gt032", "Qwen/Qwen2.5-32B", "Q4_K_M", false)] // QwQ-32B
    [InlineData("gt035", "google/gemma-3-27b-it", "Q4_0", true)] // unsloth, imatrix; ik_llama.cpp build, mainline rules
    public void PredictedSize_MatchesLlamaCppsModelSize(string id, string model, string fileType, bool imatrix)
    {
        var shape = ModelCatalog.Load(ModelCatalog.Find(model)!).Shape!;

        var prediction = GgufSizePredictor.Predict(shape, LlamaFileType.Find(fileType)!, imatrix);

        var (measured, precision) = LlamaCppLogs.ModelSize(id);
        var error = Math.Abs(prediction.TotalBytes.Bytes - measured);
        Assert.True(error <= measured * 0.01, $"{id}: predicted {prediction.TotalBytes.Bytes:N0} B, llama.cpp {measured:N0} B");
        Assert.True(error <= precision, $"{id}: off by {error:N0} B, more than the log's rounding ({precision:N0} B)");

        var logged = LlamaCppLogs.TypeCounts(id);
        if (logged.Count > 0)
        {
            var predicted = prediction.TypeCounts.ToDictionary(kv => Ggml(kv.Key), kv => kv.Value);
            Assert.Equal(logged.OrderBy(kv => kv.Key), predicted.OrderBy(kv => kv.Key));
        }
    }

    /// <summary>llama.cpp's lower-case type names: "q4_K", "f32".</summary>
    private static string Ggml(string name) => name switch
    {
        "fp32" => "f32",
        "fp16" => "f16",
        "bf16" => "bf16",
        _ => name.ToLowerInvariant().Replace("_k", "_K", StringComparison.Ordinal),
    };

    [Fact]
    public void FallBack_RowsNotDivisibleBy256_TakeA32BlockType()
    {
        Assert.Equal(DataType.Q5_0, LlamaQuantRulesFallBack(896, DataType.Q4_K));
        Assert.Equal(DataType.Q8_0, LlamaQuantRulesFallBack(896, DataType.Q6_K));
        Assert.Equal(DataType.Q4_K, LlamaQuantRulesFallBack(4096, DataType.Q4_K));
    }

    private static DataType LlamaQuantRulesFallBack(long row, DataType type) =>
        GgufSizePredictor.Predict(Row(row), new LlamaFileType("test", 0, type)).Tensors.Single(t => t.Tensor.Name == "blk.0.attn_q.weight").Type;

    /// <summary>A one-layer Llama whose hidden size is <paramref name="h"/>.</summary>
    private static Models.ModelShape Row(long h) => Fixtures.Parse(
        $$"""{"model_type": "llama", "hidden_size": {{h}}, "num_hidden_layers": 1, "num_attention_heads": 1, "num_key_value_heads": 1, "head_dim": 256, "intermediate_size": 512, "vocab_size": 512, "torch_dtype": "bfloat16"}""").Shape!;
}
