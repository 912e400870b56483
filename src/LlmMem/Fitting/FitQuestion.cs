namespace LlmMem.Fitting;

/// <summary>What <c>llmem fit</c> is asked: one setting to push as far as the GPU allows.</summary>
public enum FitQuestion
{
    /// <summary>The longest context (vLLM: max_model_len) that fits.</summary>
    MaxContext,

    /// <summary>The largest batch of sequences at the given context.</summary>
    MaxBatch,

    /// <summary>The most requests of the given context served at once (vLLM's pool; llama.cpp's -np; Transformers' batch).</summary>
    MaxConcurrency,

    /// <summary>The fewest GPUs of the named kind.</summary>
    MinGpus,

    /// <summary>The engine's best setting that fits: for llama.cpp the quantisation, -ngl and --n-cpu-moe; else the longest context.</summary>
    Best,
}
