namespace LlmMem.Estimates;

/// <summary>
/// The inputs are valid one by one but cannot be estimated together (LoRA on a bare parameter count, say).
/// The message is written for the user: one line, saying what is missing.
/// </summary>
public sealed class EstimateException(string message) : Exception(message);
