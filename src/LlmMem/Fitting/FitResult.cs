using System.Collections.Immutable;
using LlmMem.Estimates;
using LlmMem.Units;

namespace LlmMem.Fitting;

/// <summary>The device and term that stop a setting from fitting, and by how much.</summary>
/// <param name="Term">The term that grew most from the answer to the step beyond it (the largest term when nothing grew; the KV cache when vLLM cannot hold one request).</param>
/// <param name="Excess">How much more the device needs than it has.</param>
public sealed record FitLimit(string Device, TermId Term, string TermLabel, ByteSize Excess);

/// <summary>One answer of <c>llmem fit</c>.</summary>
/// <param name="Fits">False when even the smallest setting does not fit.</param>
/// <param name="Answer">The settings found, by name ("context", "batch", "concurrency", "gpus", "quant", "gpu_layers", "cpu_moe").</param>
/// <param name="Limiting">What stops the next step (or, when nothing fits, the smallest setting).</param>
/// <param name="Estimate">The estimate at the answer (or at the smallest setting when nothing fits).</param>
/// <param name="Notes">How the answer was reached: "limited by the model's context length" …</param>
/// <param name="NextStep">The setting one step beyond the answer that <see cref="Limiting"/> describes ("context 18,945", "1 GPU").</param>
public sealed record FitResult(
    bool Fits,
    ImmutableArray<KeyValuePair<string, string>> Answer,
    FitLimit? Limiting,
    Estimate Estimate,
    ImmutableArray<string> Notes,
    string? NextStep = null);
