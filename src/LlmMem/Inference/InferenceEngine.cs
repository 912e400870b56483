using LlmMem.Formulas;
using LlmMem.Text;
using LlmMem.Units;

namespace LlmMem.Inference;

/// <summary>An inference engine and the constants that model it.</summary>
/// <param name="Id">"transformers", "vllm", "llamacpp".</param>
/// <param name="CudaContext">Memory each GPU holds outside what the engine allocates.</param>
public sealed record InferenceEngine(string Id, string Name, ByteSize CudaContext, string CudaContextSource, IReadOnlyList<string> Aliases)
{
    private const string PyTorchContextSource =
        "residual of nvidia-smi idle total minus logged buffers, A100 80GB, vLLM 0.31 (ground truth vllm-llama31-8b-a100-80g-v031-nvsmi)";

    public static InferenceEngine Transformers { get; } = new("transformers", "Hugging Face Transformers", CudaContextFormulas.PyTorch,
        PyTorchContextSource, ["hf", "huggingface", "pytorch", "torch"]);

    public static InferenceEngine Vllm { get; } = new("vllm", "vLLM", CudaContextFormulas.PyTorch, PyTorchContextSource, ["v-llm"]);

    public static InferenceEngine LlamaCpp { get; } = new("llamacpp", "llama.cpp", CudaContextFormulas.LlamaCpp,
        "ollama discover/gpu.go cudaMinimumMemory (what Ollama reserves per CUDA device for llama.cpp)",
        ["llama.cpp", "llama-cpp", "llama_cpp", "ggml", "ollama", "lmstudio", "lm-studio"]);

    public static IReadOnlyList<InferenceEngine> All { get; } = [Transformers, Vllm, LlamaCpp];

    public static bool TryParse(string? text, out InferenceEngine engine, out string error) =>
        NameSuggestion.TryFind(text, All, e => e.Id, e => e.Aliases, "engine", out engine, out error);
}
