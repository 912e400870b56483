using LlmMem.Estimates;
using LlmMem.Units;

namespace LlmMem.Formulas;

/// <summary>Memory a process holds on a GPU before it allocates a single tensor: the CUDA context and kernels.</summary>
public static class CudaContextFormulas
{
    /// <summary>
    /// PyTorch's CUDA context (driver state, cuBLAS/cuDNN handles, lazily loaded kernels), measured as the residual of
    /// nvidia-smi's idle total minus every buffer vLLM logged: 74,143 MiB − (15.26 + 56.21 + 0.23) GiB ≈ 722 MiB
    /// (ground-truth case vllm-llama31-8b-a100-80g-v031-nvsmi: A100 80GB, vLLM 0.31, CUDA 12; ±15 MiB from the
    /// log's two-decimal GiB). Older set-ups without lazy kernel loading measured 1,343 MiB (V100, Transformers docs).
    /// </summary>
    public static readonly ByteSize PyTorch = ByteSize.FromMiB(722);

    /// <summary>
    /// A bare PyTorch CUDA context with lazy kernel loading, as seen by cudaMemGetInfo: PyTorch PR #86509 (which made
    /// CUDA_MODULE_LOADING=LAZY the default) measured total − free = 287,047,680 B after creating one 6.4 MB tensor; less that
    /// tensor's 20 MiB caching-allocator segment (c10/cuda/CUDACachingAllocator.cpp kLargeBuffer for requests of 1–10 MiB)
    /// leaves 266,076,160 B (253.75 MiB) of context. Used where vLLM's non-torch figure counts the context (VllmVersion.NonTorchCountsCudaContext);
    /// a measurement independent of the ground-truth cases.
    /// </summary>
    public static readonly ByteSize PyTorchLazyLoading = ByteSize.FromBytes(287_047_680 - 20_971_520);

    /// <summary>
    /// What Ollama reserves per CUDA device on top of llama.cpp's logged buffers: 457 MiB
    /// (ollama discover/gpu.go, cudaMinimumMemory). llama.cpp itself does not log its context size.
    /// </summary>
    public static readonly ByteSize LlamaCpp = ByteSize.FromMiB(457);

    /// <summary>A term for one GPU's context.</summary>
    public static Term CudaContext(ByteSize size, string who, string source) =>
        new(TermId.CudaContext, $"CUDA context ({who})", size, source,
            () => $"{size.FormatIn(Units.ByteUnit.MiB, 0)} per GPU ({who})");
}
