using System.Collections.Immutable;
using LlmMem.Estimates;
using LlmMem.Formulas;
using LlmMem.Hardware;
using LlmMem.Inference;

namespace LlmMem.Training;

/// <summary>Memory per GPU to train a model: weights, gradients, master weights and optimizer states.</summary>
public static class TrainingEstimator
{
    public static Estimate Estimate(TrainingRequest request)
    {
        var method = request.Method ?? TrainingMethod.Full;
        if (method != TrainingMethod.Full)
        {
            throw new EstimateException(request.Model.Shape is null
                ? $"--method {method.ToString().ToLowerInvariant()} needs the model's architecture to size its adapters; a bare parameter count supports --method full only."
                : $"--method {method.ToString().ToLowerInvariant()} is not supported yet; only --method full is.");
        }

        var precision = request.Precision ?? TrainingPrecision.MixedBf16;
        var optimizer = request.Optimizer ?? Optimizer.AdamW;
        var parallel = request.Parallelism ?? Parallelism.Single;
        var sequence = request.SequenceTokens ?? TrainingRequest.DefaultSequenceTokens;
        var batch = request.Batch ?? TrainingRequest.DefaultBatch;
        var parameters = request.Model.Parameters;
        var shards = parallel.ModelShards;

        var terms = ImmutableArray.CreateBuilder<Term>();
        terms.Add(WeightFormulas.Weights(parameters, precision.Weights, shards));
        terms.Add(TrainingStateFormulas.Gradients(parameters, precision.Gradients, shards));
        if (precision.MasterWeights is { } master)
        {
            terms.Add(TrainingStateFormulas.MasterWeights(parameters, master, shards));
        }

        terms.Add(TrainingStateFormulas.OptimizerStates(parameters, optimizer, precision, shards));
        if (request.Capacity is not null)
        {
            terms.Add(CudaContextFormulas.CudaContext(CudaContextFormulas.PyTorch, "PyTorch", InferenceEngine.Transformers.CudaContextSource));
        }

        var devices = DeviceLayout.IdenticalGpus(parallel.Gpus, terms.ToImmutable(), request.Capacity);

        var warnings = new List<EstimateWarning>(request.Model.Notes);
        warnings.Add(request.Model.Shape is null
            ? new("needs_architecture",
                $"A bare parameter count gives the model states only: activations for batch {SettingsBuilder.Thousands(batch)} × {SettingsBuilder.Thousands(sequence)} tokens need the model's architecture.",
                "model")
            : new("not_yet_modelled",
                $"This estimate has the model states only: activations for batch {SettingsBuilder.Thousands(batch)} × {SettingsBuilder.Thousands(sequence)} tokens are not modelled yet.",
                "model"));
        if (optimizer.Storage == OptimizerStateStorage.Factored)
        {
            warnings.Add(new("optimizer_approximate",
                "Adafactor's factored states depend on each matrix's shape; without the architecture they are approximated from square matrices (see --explain).",
                "optimizer"));
        }
        else if (optimizer.Storage == OptimizerStateStorage.Blockwise8Bit)
        {
            warnings.Add(new("optimizer_small_tensors",
                "bitsandbytes keeps tensors under 4,096 elements (norms, biases) in 32-bit states; a bare parameter count counts every state as 8-bit.",
                "optimizer"));
        }

        if (shards > 1)
        {
            warnings.Add(new("even_split",
                $"Model states are split evenly over {shards} GPUs (--tp {parallel.TensorParallel} × --pp {parallel.PipelineParallel}); replicated embeddings and uneven layer counts need the architecture.",
                "tp"));
        }

        warnings.AddRange(DeviceLayout.CapacityWarnings(devices));

        var settings = new SettingsBuilder()
            .Add("method", "full", request.Method is null)
            .Add("precision", precision.Name, request.Precision is null)
            .Add("optimizer", optimizer.Name, request.Optimizer is null)
            .Add("seq", sequence, request.SequenceTokens is null)
            .Add("batch", batch, request.Batch is null)
            .AddHardware(parallel, request.Capacity);

        return new Estimate(
            ModelSummary.Of(request.Model),
            new Workload("training", settings.ToImmutable()),
            devices,
            [.. warnings]);
    }
}
