using LlmMem.Estimates;
using LlmMem.Models;

namespace LlmMem.Formats.Gguf;

/// <summary>Reads a GGUF's metadata and tensor list into a <see cref="ModelShape"/>, for the architectures llmem models.</summary>
public static class GgufShapeReader
{
    /// <summary>Every supported <c>general.architecture</c>, sorted.</summary>
    public static IReadOnlyList<string> SupportedArchitectures => GgufArchitectures.Supported;

    /// <summary>
    /// The shape of <paramref name="file"/>'s model. Its <see cref="ModelShape.Architecture"/> is the Hugging Face <c>model_type</c>
    /// ("qwen3_moe" for qwen3moe, "cohere" for command-r …), so GGUF and config.json shapes compare equal.
    /// </summary>
    /// <param name="notes">Receives what reading assumed (a default window, a dequantised dtype …).</param>
    /// <exception cref="ModelFormatException">No or an unsupported architecture, a missing or absurd hyperparameter.</exception>
    public static ModelShape Read(GgufFile file, List<EstimateWarning>? notes = null)
    {
        ArgumentNullException.ThrowIfNull(file);
        var architecture = file.Architecture
            ?? throw new ModelFormatException(file.File, "no general.architecture: cannot tell which model this is.");
        if (GgufArchitectures.IsRecurrent(architecture))
        {
            throw new ModelFormatException(file.File,
                $"architecture '{GgufCursor.Show(architecture)}' is a recurrent or linear-attention (hybrid) model; llmem does not model its state memory yet.");
        }

        var rules = GgufArchitectures.Find(architecture)
            ?? throw new ModelFormatException(file.File,
                $"unsupported architecture '{GgufCursor.Show(architecture)}'. Supported: {string.Join(", ", GgufArchitectures.Supported)}.");
        return new GgufFamilyReader(file, architecture, rules, notes ?? []).Read();
    }
}
