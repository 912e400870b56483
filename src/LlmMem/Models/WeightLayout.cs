using System.Collections.Immutable;
using LlmMem.DataTypes;

namespace LlmMem.Models;

/// <summary>One component's parameters and the type they are stored in.</summary>
public sealed record ComponentStorage(string Component, long Parameters, DataType Type);

/// <summary>Which type each component of a model is kept in, for the stored checkpoint or a requested dtype or quantisation.</summary>
public static class WeightLayout
{
    /// <summary>Components that quantisation schemes (GPTQ, AWQ, bitsandbytes, FP8) convert: the decoder's linear layers.</summary>
    public static readonly ImmutableArray<string> LinearComponents = ["attention", "mlp", "experts", "shared_experts"];

    /// <summary>
    /// The storage of every loaded component.
    /// <list type="bullet">
    /// <item>Nothing requested: the checkpoint as published — its <c>torch_dtype</c>, and its own quantisation for the components it covers.</item>
    /// <item>A dtype: every component in that dtype (a quantised checkpoint is then taken as dequantised).</item>
    /// <item>A scheme (gptq, awq, bnb-*, fp8, mxfp4): linear layers quantised (transformers quantizers replace nn.Linear modules);
    /// embeddings, norms, router and LM head stay in the dtype.</item>
    /// <item>A llama.cpp file type or GGML type: every matrix in its default type; norms and the router in F32
    /// (llama.cpp src/llama-quant.cpp: 1-D tensors and ffn_gate_inp are not quantised).</item>
    /// </list>
    /// </summary>
    public static ImmutableArray<ComponentStorage> For(ModelShape shape, ParameterBreakdown breakdown, DataType? dtype, WeightQuantization? quantization)
    {
        var baseType = dtype ?? shape.StoredDtype;
        var builder = ImmutableArray.CreateBuilder<ComponentStorage>(breakdown.Components.Length);
        foreach (var component in breakdown.Components)
        {
            if (component.Loaded && component.Parameters > 0)
            {
                builder.Add(new ComponentStorage(component.Name, component.Parameters, TypeOf(component.Name, shape, baseType, dtype, quantization)));
            }
        }

        return builder.DrainToImmutable();
    }

    private static DataType TypeOf(string component, ModelShape shape, DataType baseType, DataType? dtype, WeightQuantization? quantization)
    {
        if (quantization is { QuantisesOnlyLinearLayers: true } scheme)
        {
            return LinearComponents.Contains(component) ? scheme.WeightType : baseType;
        }

        if (quantization is not null)
        {
            return component is "norms" or "router" ? DataType.Fp32 : quantization.WeightType;
        }

        if (dtype is null && shape.Quantization is { } own && own.QuantisedComponents.Contains(component))
        {
            return own.WeightType;
        }

        return baseType;
    }
}
