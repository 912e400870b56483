namespace LlmMem.Estimates;

/// <summary>
/// Something the user should know about an estimate: an assumption, a missing input, a capacity exceeded.
/// <see cref="Field"/> names the input it concerns (e.g. "model", "quant", "gpu") so a form can show it beside that field.
/// </summary>
public sealed record EstimateWarning(string Code, string Message, string? Field = null);
