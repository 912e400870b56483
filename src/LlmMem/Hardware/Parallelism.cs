namespace LlmMem.Hardware;

/// <summary>How a job is spread over GPUs: tensor parallel × pipeline parallel shards of one model, replicated over the rest.</summary>
/// <param name="TensorParallel">GPUs that split each layer's matrices (Megatron-LM tensor parallelism).</param>
/// <param name="PipelineParallel">GPUs that each hold a contiguous group of layers.</param>
/// <param name="Gpus">GPUs in all, across nodes.</param>
/// <param name="Nodes">Machines the GPUs sit in.</param>
public sealed record Parallelism(int TensorParallel, int PipelineParallel, int Gpus, int Nodes)
{
    /// <summary>The most GPUs, or shards of any kind, llmem accepts: more is a typo.</summary>
    public const int MaxGpus = 65_536;

    public static Parallelism Single { get; } = new(1, 1, 1, 1);

    /// <summary>Devices one copy of the model is split over.</summary>
    public int ModelShards => TensorParallel * PipelineParallel;

    /// <summary>Copies of the model (data parallel).</summary>
    public int Replicas => Gpus / ModelShards;

    public static bool TryCreate(int? tensorParallel, int? pipelineParallel, int? gpus, int? nodes, out Parallelism parallelism, out string error)
    {
        parallelism = Single;
        foreach (var (name, value) in new[] { ("--tp", tensorParallel), ("--pp", pipelineParallel), ("--gpus", gpus), ("--nodes", nodes) })
        {
            if (value is < 1 or > MaxGpus)
            {
                error = $"{name} must be between 1 and {MaxGpus:N0}, not {value}.";
                return false;
            }
        }

        var tp = tensorParallel ?? 1;
        var pp = pipelineParallel ?? 1;
        if ((long)tp * pp > MaxGpus)
        {
            error = $"--tp {tp} × --pp {pp} is more than {MaxGpus:N0} GPUs.";
            return false;
        }

        var n = nodes ?? 1;
        var total = gpus ?? Math.Max(tp * pp, n);
        if (total % (tp * pp) != 0)
        {
            error = $"--gpus {total} is not a multiple of --tp {tp} × --pp {pp} = {tp * pp}: each copy of the model needs {tp * pp} GPUs.";
            return false;
        }

        if (total % n != 0)
        {
            error = $"--gpus {total} cannot be spread evenly over --nodes {n}.";
            return false;
        }

        parallelism = new Parallelism(tp, pp, total, n);
        error = "";
        return true;
    }
}
