using LlmMem.DataTypes;
using LlmMem.Text;

namespace LlmMem.Training;

/// <summary>The types a training run keeps its weights, gradients, master copy and optimizer states in.</summary>
/// <param name="Name">"fp32", "bf16", "mixed-bf16" …</param>
/// <param name="Weights">Type of the working weights the forward pass reads.</param>
/// <param name="Gradients">Type of the gradients.</param>
/// <param name="MasterWeights">Type of a separate full-precision copy the optimizer updates, or null when there is none.</param>
/// <param name="States">Type of full-precision optimizer states (Adam's moments, momentum).</param>
/// <param name="Source">Where this accounting comes from.</param>
public sealed record TrainingPrecision(
    string Name,
    DataType Weights,
    DataType Gradients,
    DataType? MasterWeights,
    DataType States,
    string Description,
    string Source,
    IReadOnlyList<string> Aliases)
{
    private const string PureSource = "PyTorch torch.optim: states are created with torch.zeros_like(param), in the parameter's dtype";
    private const string MixedSource = "ZeRO, Rajbhandari et al. 2019 (arXiv:1910.02054) §3.1: 2Ψ + 2Ψ + 12Ψ for mixed-precision Adam";

    public static TrainingPrecision Fp32 { get; } = new("fp32", DataType.Fp32, DataType.Fp32, null, DataType.Fp32,
        "everything in fp32", PureSource, ["float32", "32", "32-true", "full"]);

    public static TrainingPrecision Bf16 { get; } = new("bf16", DataType.Bf16, DataType.Bf16, null, DataType.Bf16,
        "pure bf16: weights, gradients and optimizer states in bf16", PureSource, ["bfloat16", "bf16-true", "pure-bf16"]);

    public static TrainingPrecision Fp16 { get; } = new("fp16", DataType.Fp16, DataType.Fp16, null, DataType.Fp16,
        "pure fp16: weights, gradients and optimizer states in fp16", PureSource, ["float16", "half", "16-true", "pure-fp16"]);

    public static TrainingPrecision MixedBf16 { get; } = new("mixed-bf16", DataType.Bf16, DataType.Bf16, DataType.Fp32, DataType.Fp32,
        "bf16 weights and gradients, fp32 master weights and optimizer states", MixedSource, ["bf16-mixed", "amp-bf16", "mixed_bf16"]);

    public static TrainingPrecision MixedFp16 { get; } = new("mixed-fp16", DataType.Fp16, DataType.Fp16, DataType.Fp32, DataType.Fp32,
        "fp16 weights and gradients, fp32 master weights and optimizer states", MixedSource, ["16-mixed", "fp16-mixed", "amp-fp16", "amp", "mixed", "mixed_fp16"]);

    public static IReadOnlyList<TrainingPrecision> All { get; } = [Fp32, Bf16, Fp16, MixedBf16, MixedFp16];

    public static bool TryParse(string? text, out TrainingPrecision precision, out string error) =>
        NameSuggestion.TryFind(text, All, e => e.Name, e => e.Aliases, "precision", out precision, out error);
}
