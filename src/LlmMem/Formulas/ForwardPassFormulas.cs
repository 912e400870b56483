using LlmMem.Models;

namespace LlmMem.Formulas;

/// <summary>What one token holds at the widest point of a decoder layer's forward pass, in any PyTorch engine.</summary>
public static class ForwardPassFormulas
{
    /// <summary>
    /// Values one token holds at the MLP's activation: the gate and up projections' outputs (2 × I / TP), the activation
    /// (I / TP), and three hidden-size tensors (the MLP input, the residual, the layer's output) — vLLM
    /// model_executor/models/llama.py LlamaMLP (gate_up → SiluAndMul → down), transformers models/llama/modeling_llama.py
    /// LlamaMLP (down(act(gate(x)) × up(x))). A routed MoE layer keeps the same per chosen expert (vLLM fused_moe.py), plus
    /// the expert outputs (top-k × hidden) before they are summed.
    /// Example: Llama-3.1-8B, TP 1: 3 × 14,336 + 3 × 4,096 = 55,296 values per token.
    /// </summary>
    public static long ValuesPerToken(ModelShape shape, int tensorParallel = 1)
    {
        // A plain loop, no LINQ closure: this runs in every Transformers and training estimate (docs/performance.md, Run 2).
        long widest = 0;
        foreach (var layer in shape.Layers)
        {
            var values = layer.Mlp.Moe is { } moe
                ? moe.ActiveExperts * (Dense(moe.ExpertIntermediateSize, tensorParallel) + shape.HiddenSize) + Dense(moe.SharedIntermediateSize, tensorParallel)
                : Dense(layer.Mlp.IntermediateSize, tensorParallel);
            widest = Math.Max(widest, values);
        }

        return widest + 3 * shape.HiddenSize;
    }

    private static long Dense(long width, int tensorParallel) => 3 * (width / tensorParallel);
}
