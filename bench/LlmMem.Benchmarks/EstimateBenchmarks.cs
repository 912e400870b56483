using BenchmarkDotNet.Attributes;
using LlmMem.Estimates;
using LlmMem.Fitting;
using LlmMem.Formats.Catalog;
using LlmMem.Hardware;
using LlmMem.Inference;
using LlmMem.Models;
using LlmMem.Training;
using LlmMem.Units;

namespace LlmMem.Benchmarks;

/// <summary>
/// One full estimate of the catalog's Llama 3.1 8B (a dense model), as `llmem infer` / `llmem train` build it before
/// rendering: the model is read once in setup; formula text is lazy, so it is not built here.
/// </summary>
[MemoryDiagnoser]
[OperationsPerSecond]
public class EstimateBenchmarks
{
    private InferenceRequest weightsOnly = null!;
    private InferenceRequest transformers = null!;
    private InferenceRequest vllm = null!;
    private InferenceRequest llamaCpp = null!;
    private TrainingRequest zero3 = null!;
    private InferenceRequest fitOn4090 = null!;
    private TrainingRequest qloraOn4090 = null!;

    [GlobalSetup]
    public void Setup()
    {
        var model = LoadCatalogModel("llama-3.1-8b");

        // nvidia-smi's total for an H100 80GB HBM3 (81,559 MiB) less what the driver keeps: the runtime's 81,121 MiB.
        var h100 = new DeviceCapacity("NVIDIA H100 80GB HBM3", ByteSize.FromMiB(81_121), "benchmark input");
        weightsOnly = new InferenceRequest(model);
        transformers = new InferenceRequest(model, InferenceEngine.Transformers);
        vllm = new InferenceRequest(model, InferenceEngine.Vllm, Capacity: h100, Vllm: new VllmSettings(MaxModelLen: 32_768));
        llamaCpp = new InferenceRequest(model, InferenceEngine.LlamaCpp, ContextTokens: 8_192);

        if (!Parallelism.TryCreate(tensorParallel: 1, pipelineParallel: 1, gpus: 8, nodes: 1, out var eightGpus, out var error))
        {
            throw new InvalidOperationException(error);
        }

        // On an H100 the model's whole 131,072-token context fits at once; a 24 GB card makes fit binary-search it.
        var rtx4090 = new DeviceCapacity("NVIDIA GeForce RTX 4090", ByteSize.FromBytes(25_757_220_864), "benchmark input");
        fitOn4090 = new InferenceRequest(model, InferenceEngine.Transformers, Capacity: rtx4090);
        zero3 = new TrainingRequest(model, Optimizer: Optimizer.AdamW, Parallelism: eightGpus, Capacity: h100, Zero: 3);
        qloraOn4090 = new TrainingRequest(model, TrainingMethod.Qlora, Capacity: rtx4090, Checkpointing: Checkpointing.Full);

        // Fail in setup, not in a timed loop, if the fit stops being a search.
        if (FitMaxContext() is not { Fits: true, NextStep: not null })
        {
            throw new InvalidOperationException("the fit benchmark no longer binary-searches the context on a 24 GB card");
        }

        if (FitTrainingMaxSequence() is not { Fits: true, NextStep: not null })
        {
            throw new InvalidOperationException("the fit --train benchmark no longer binary-searches the sequence on a 24 GB card");
        }
    }

    [Benchmark(Description = "infer, no engine: weights only (llama-3.1-8b)")]
    public Estimate InferWeightsOnly() => InferenceEstimator.Estimate(weightsOnly);

    [Benchmark(Description = "infer transformers (llama-3.1-8b, 4k context)")]
    public Estimate InferTransformers() => InferenceEstimator.Estimate(transformers);

    [Benchmark(Description = "infer vllm (llama-3.1-8b, H100, max-model-len 32k)")]
    public Estimate InferVllm() => InferenceEstimator.Estimate(vllm);

    [Benchmark(Description = "infer llamacpp (llama-3.1-8b, -c 8192)")]
    public Estimate InferLlamaCpp() => InferenceEstimator.Estimate(llamaCpp);

    [Benchmark(Description = "train ZeRO-3 over 8 GPUs (llama-3.1-8b, adamw)")]
    public Estimate TrainZero3() => TrainingEstimator.Estimate(zero3);

    [Benchmark(Description = "fit: longest context on one RTX 4090 (transformers, llama-3.1-8b)")]
    public FitResult FitMaxContext() => FitSolver.Solve(fitOn4090, FitQuestion.MaxContext);

    [Benchmark(Description = "fit --train: longest QLoRA sequence on one RTX 4090 (llama-3.1-8b, checkpointing)")]
    public FitResult FitTrainingMaxSequence() => FitSolver.SolveTraining(qloraOn4090, FitQuestion.MaxContext);

    internal static ModelSpec LoadCatalogModel(string name)
    {
        var match = ModelCatalog.Find(name) ?? throw new InvalidOperationException($"{name} is not in the catalog");
        return ModelCatalog.Load(match);
    }
}
