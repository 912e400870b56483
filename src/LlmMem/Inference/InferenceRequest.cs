using LlmMem.DataTypes;
using LlmMem.Estimates;
using LlmMem.Hardware;
using LlmMem.Models;

namespace LlmMem.Inference;

/// <summary>What to estimate for serving a model. Null means "not given": the estimator applies and reports the default.</summary>
/// <param name="Dtype">Element type of weights and activations (--dtype).</param>
/// <param name="Quantization">How the weights are quantised (--quant); overrides <paramref name="Dtype"/> for weights.</param>
/// <param name="ContextTokens">Tokens per sequence (--context).</param>
/// <param name="Batch">Sequences processed together (--batch).</param>
/// <param name="Capacity">Memory of each GPU, when a GPU or a memory size was named.</param>
/// <param name="LlamaCpp">llama.cpp's context options (ubatch, parallel sequences, cache types, flash attention).</param>
/// <param name="Capacities">Each GPU's capacity when different cards are named (<c>--gpu rtx-4090,rtx-3090</c>); null when all are alike.</param>
/// <param name="Transformers">Transformers' attention implementation, cache and version.</param>
/// <param name="Vllm">vLLM's engine arguments (memory utilisation, max model length, batch limits, KV dtype, version).</param>
public sealed record InferenceRequest(
    ModelSpec Model,
    InferenceEngine? Engine = null,
    DataType? Dtype = null,
    WeightQuantization? Quantization = null,
    long? ContextTokens = null,
    long? Batch = null,
    Parallelism? Parallelism = null,
    DeviceCapacity? Capacity = null,
    LlamaCppSettings? LlamaCpp = null,
    VllmSettings? Vllm = null,
    TransformersSettings? Transformers = null,
    System.Collections.Immutable.ImmutableArray<DeviceCapacity>? Capacities = null)
{
    public const long DefaultContextTokens = 4096;
    public const long DefaultBatch = 1;
}
