using LlmMem.Estimates;
using LlmMem.Models;
using LlmMem.Units;

namespace LlmMem.Formulas;

/// <summary>
/// Heuristic: the compute buffer llama.cpp's graph allocator reserves on a device for one micro-batch
/// (src/llama-context.cpp graph_reserve, ggml/src/ggml-alloc.c). The allocator reuses memory between layers, so the
/// reservation is about the largest set of tensors alive at once, which llmem takes as the larger of:
/// the attention step — without flash attention the F32 score matrix n_kv × n_ubatch × n_head plus the F32 KQ mask
/// n_kv × n_ubatch (src/llama-graph.cpp build_attn_mha); with flash attention only the F16 mask — and, on the device
/// that holds the output layer, the F32 logits n_vocab × n_ubatch plus the last hidden state n_embd × n_ubatch.
/// Feed-forward intermediates and backend scratch are not counted; docs/accuracy.md reports the error per case.
/// </summary>
public static class LlamaCppComputeBuffer
{
    public static Term Estimate(ModelShape shape, long kvCells, int heads, long ubatch, bool flashAttention, bool holdsOutput)
    {
        var attention = flashAttention
            ? checked(kvCells * ubatch * 2)
            : checked(kvCells * ubatch * heads * 4 + kvCells * ubatch * 4);
        var output = holdsOutput ? checked((shape.VocabSize + shape.HiddenSize) * ubatch * 4) : 0;
        var bytes = ByteSize.FromBytes(Math.Max(attention, output));
        return new Term(TermId.ComputeBuffer, "Compute buffer (heuristic)", bytes,
            "heuristic after llama.cpp src/llama-graph.cpp (attention scores, KQ mask) and the output logits; feed-forward intermediates not counted",
            () =>
            {
                var a = flashAttention
                    ? $"attention (flash): {FormulaText.Count(kvCells)} cells × {FormulaText.Count(ubatch)} tokens × 2 B mask"
                    : $"attention: {FormulaText.Count(kvCells)} cells × {FormulaText.Count(ubatch)} tokens × ({heads} heads + 1 mask) × 4 B";
                var o = holdsOutput ? $"; output: ({FormulaText.Count(shape.VocabSize)} + {FormulaText.Count(shape.HiddenSize)}) × {FormulaText.Count(ubatch)} × 4 B" : "";
                return $"max({a}{o})";
            });
    }
}
