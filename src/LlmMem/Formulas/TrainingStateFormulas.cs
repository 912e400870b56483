using LlmMem.DataTypes;
using LlmMem.Estimates;
using LlmMem.Training;
using LlmMem.Units;

namespace LlmMem.Formulas;

/// <summary>Model states of training besides the weights: gradients, master weights, optimizer states.</summary>
public static class TrainingStateFormulas
{
    /// <summary>One gradient per trainable parameter, in the gradient type.</summary>
    /// <remarks>ZeRO paper §3.1: gradients are the same size as the weights (2Ψ in fp16). Example: 8B fp32 → 32 GB.</remarks>
    /// <summary>
    /// PyTorch DDP's all-reduce buckets: the reducer copies every gradient into flat bucket tensors (bucket_cap_mb 25 each)
    /// that live for the whole run, so plain DDP holds the gradients twice. torch/nn/parallel/distributed.py,
    /// gradient_as_bucket_view: "can reduce peak memory usage, where the saved memory size will be equal to the total
    /// gradients size". ZeRO and FSDP reduce-scatter their own partitions instead.
    /// </summary>
    public static Term DdpBuckets(Term gradients) =>
        new(TermId.FrameworkOverhead, "DDP gradient buckets", gradients.Bytes,
            "torch/nn/parallel/distributed.py: all-reduce buckets hold a copy of every gradient unless gradient_as_bucket_view=True",
            () => $"one copy of the gradients: {gradients.Formula}");

    /// <summary>
    /// DeepSpeed ZeRO's gradient bucket: with contiguous_gradients (on by default) each backward fills a flat buffer of
    /// reduce_bucket_size elements in the trainable parameters' dtype (deepspeed/runtime/zero/stage_1_and_2.py setup_buckets:
    /// a second one with overlap_comm; stage3.py: one per communication dtype, allocated with the optimizer). The buffer's
    /// size is the setting, not the model's: DeepSpeed's default 5e8 elements is 0.93 GiB in bf16.
    /// </summary>
    public static Term ZeroBuckets(int stage, long elements, int buffers, DataType type)
    {
        var bytes = type.SizeOf(checked(elements * buffers));
        return new(TermId.FrameworkOverhead, $"ZeRO-{stage} gradient bucket{(buffers > 1 ? "s" : "")} ({type.Name})", bytes,
            stage == 3
                ? "DeepSpeed stage3.py: the IPG bucket, reduce_bucket_size elements (contiguous_gradients)"
                : "DeepSpeed stage_1_and_2.py setup_buckets: reduce_bucket_size elements, doubled by overlap_comm (contiguous_gradients)",
            () => $"{buffers} × {FormulaText.Storage(elements, 1, elements, "elements (reduce_bucket_size)", type)}");
    }

    public static Term Gradients(ParameterCount trainable, DataType type, long shards = 1) =>
        Storage(TermId.Gradients, $"Gradients ({type.Name})", trainable, type, shards,
            "one gradient per trainable parameter (ZeRO, Rajbhandari et al. 2019, §3.1)");

    /// <summary>The fp32 copy of the weights that mixed-precision training updates.</summary>
    /// <remarks>ZeRO paper §3.1: 4Ψ of the 12Ψ optimizer-held states. Example: 8B → 32 GB.</remarks>
    public static Term MasterWeights(ParameterCount trainable, DataType type, long shards = 1) =>
        Storage(TermId.MasterWeights, $"Master weights ({type.Name})", trainable, type, shards,
            "fp32 parameter copy of mixed precision (ZeRO, Rajbhandari et al. 2019, §3.1)");

    /// <summary>
    /// The per-parameter state of <paramref name="optimizer"/>: states × parameters × state bytes for dense
    /// optimizers; 8-bit codes plus block absmax for bitsandbytes; row and column statistics for Adafactor.
    /// </summary>
    /// <remarks>Example: AdamW, 8B parameters, fp32 states: 2 × 8,000,000,000 × 4 B = 64 GB.</remarks>
    public static Term OptimizerStates(ParameterCount trainable, Optimizer optimizer, TrainingPrecision precision, long shards = 1)
    {
        var perShard = trainable.DivideCeiling(shards).Value;
        var label = $"Optimizer states ({optimizer.Name})";
        switch (optimizer.Storage)
        {
            case OptimizerStateStorage.None:
                return new Term(TermId.OptimizerStates, label, ByteSize.Zero, optimizer.Source, () => $"{optimizer.Name} keeps no per-parameter state");
            case OptimizerStateStorage.Factored:
                return FactoredStates(trainable, perShard, shards, optimizer, precision.States, label);
            default:
                var type = optimizer.Storage == OptimizerStateStorage.Blockwise8Bit ? Bnb8BitState : optimizer.StateType ?? precision.States;
                var one = type.SizeOf(perShard);
                return new Term(TermId.OptimizerStates, label, one * optimizer.StateCount, optimizer.Source,
                    () => $"{optimizer.StateCount} states × {FormulaText.Storage(trainable.Value, shards, perShard, "params", type)}");
        }
    }

    /// <summary>
    /// One bitsandbytes 8-bit optimizer state: a uint8 code per value and an fp32 absmax per block of 256.
    /// Source: bitsandbytes optim/optimizer.py, Optimizer2State.init_state (blocks = ⌈n / 256⌉, absmax fp32).
    /// </summary>
    internal static readonly DataType Bnb8BitState = new("bnb_8bit_state", DataTypeFamily.BlockQuantized, 256, 256 + 4,
        "256 × uint8 dynamic-quantisation codes + fp32 absmax",
        "bitsandbytes optim/optimizer.py Optimizer2State.init_state");

    /// <summary>
    /// Heuristic: the layer aspect ratio d_model / n_layers that turns a bare parameter count into a matrix side
    /// (Llama-2-7B: 4096 / 32 = 128; Kaplan et al. 2020 find loss flat for ratios 50–200).
    /// </summary>
    internal const int AssumedAspectRatio = 128;

    /// <summary>
    /// Adafactor keeps, per d_out × d_in matrix, d_out + d_in second-moment statistics instead of d_out × d_in.
    /// Without the shapes, all parameters are taken as square d × d matrices with P ≈ 12 · n_layers · d²
    /// (Kaplan et al. 2020, eq. 2.1) and n_layers = d / <see cref="AssumedAspectRatio"/>, so d = ∛(128 · P / 12) and
    /// the states are P × 2 / d values. Example: 8B → d ≈ 4,403, states ≈ 3.6 M values = 14.5 MB in fp32.
    /// </summary>
    private static Term FactoredStates(ParameterCount trainable, long perShard, long shards, Optimizer optimizer, DataType type, string label)
    {
        var side = Math.Max(1L, (long)Math.Round(Math.Cbrt(AssumedAspectRatio * (double)trainable.Value / 12)));
        var values = checked(perShard * 2 / side);
        return new Term(TermId.OptimizerStates, label, type.SizeOf(values), optimizer.Source + "; heuristic square d × d matrices",
            () => $"{FormulaText.Count(perShard)} params × 2 / d (d = ∛(128 × {FormulaText.Count(trainable.Value)} / 12) ≈ {FormulaText.Count(side)}) = {FormulaText.Count(values)} values × {type.BytesPerBlock} B ({type.Name})");
    }

    /// <summary>
    /// Adafactor with the model's real shapes (Shazeer &amp; Stern 2018 §3; transformers Adafactor): every matrix keeps a row
    /// and a column statistic (rows + columns values) instead of a full second moment; vectors (norms, biases) keep a full one.
    /// Example: Llama-3.1-8B: 2,886,144 row and column values for its 226 matrices, plus 266,240 for its norms.
    /// </summary>
    public static Term FactoredStates(Models.ModelShape shape, ParameterCount total, Optimizer optimizer, DataType type, long shards = 1)
    {
        var matrices = LoraAdapters.Modules(shape).Select(m => (Rows: m.Out, Cols: m.In, m.Count)).ToList();
        matrices.Add((shape.VocabSize, shape.HiddenSize, 1));
        if (!shape.TiedEmbeddings)
        {
            matrices.Add((shape.VocabSize, shape.HiddenSize, 1));
        }

        if (shape.Embeddings.LearnedPositions > 0)
        {
            matrices.Add((shape.Embeddings.LearnedPositions, shape.HiddenSize, 1));
        }

        var matrixParameters = matrices.Sum(m => checked(m.Rows * m.Cols * m.Count));
        var factored = matrices.Sum(m => checked((m.Rows + m.Cols) * m.Count));
        var vectors = Math.Max(0, total.Value - matrixParameters);
        var values = ParameterCount.Of(checked(factored + vectors)).DivideCeiling(shards).Value;
        return new Term(TermId.OptimizerStates, $"Optimizer states ({optimizer.Name}, factored)", type.SizeOf(values),
            optimizer.Source + "; matrices from the architecture",
            () => $"({FormulaText.Count(factored)} row and column values of {matrices.Count} matrix groups + {FormulaText.Count(vectors)} vector values){(shards > 1 ? $" / {shards}" : "")} × {type.BytesPerBlock} B ({type.Name})");
    }

    private static Term Storage(TermId id, string label, ParameterCount count, DataType type, long shards, string source)
    {
        var perShard = count.DivideCeiling(shards).Value;
        return new Term(id, label, type.SizeOf(perShard), source,
            () => FormulaText.Storage(count.Value, shards, perShard, "params", type));
    }
}
