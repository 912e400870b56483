using System.CommandLine;
using LlmMem.DataTypes;
using LlmMem.Training;

namespace LlmMem.Cli.Commands;

/// <summary>
/// The options of every command that estimates training (<c>train</c>, <c>fit --train</c>), read into one request.
/// <c>fit</c> already has the shared ones (model, context, batch, GPUs, --attention): it adds only the training-only options.
/// </summary>
internal sealed class TrainOptions
{
    private readonly Option<string?> method = new("--method")
    {
        Description = "What is trained: full (default), lora, dora or qlora (adapters need a model architecture).",
        HelpName = "full|lora|dora|qlora",
    };

    private readonly Option<string?> precision = new("--precision")
    {
        Description = $"Training precision (default mixed-bf16): {string.Join(", ", TrainingPrecision.All.Select(p => p.Name))}.",
        HelpName = "precision",
    };

    private readonly Option<string?> optimizer = new("--optimizer")
    {
        Description = $"Optimizer (default adamw): {string.Join(", ", Optimizer.All.Select(o => o.Name))}.",
        HelpName = "name",
    };

    private readonly Option<string?> rank = new("--rank", "-r") { Description = "LoRA rank (default 8, PEFT's).", HelpName = "r" };

    private readonly Option<string?> targets = new("--targets", "--target-modules")
    {
        Description = "LoRA target modules: all-linear, or names such as q_proj,v_proj (default, PEFT's for Llama-like models).",
        HelpName = "modules",
    };

    private readonly Option<string?> adapterDtype = new("--adapter-dtype")
    {
        Description = "LoRA adapters' dtype: fp32 (default: PEFT casts adapters to fp32), bf16 or fp16 (torchtune keeps them in the training dtype); their gradients and optimizer states follow.",
        HelpName = "fp32|bf16|fp16",
    };

    private readonly Option<string?> kbitPrep = new("--kbit-prep")
    {
        Description = "QLoRA: on (default) when PEFT's prepare_model_for_kbit_training runs (TRL, the QLoRA scripts): embeddings, norms and LM head in fp32, an fp32 residual stream; off for torchtune or sharded (FSDP) QLoRA.",
        HelpName = "on|off",
    };

    private readonly Option<string?> zero = new("--zero", "--zero-stage") { Description = "ZeRO stage 0–3 over the data-parallel GPUs (FSDP full-shard = 3, shard-grad-op = 2).", HelpName = "0|1|2|3" };

    private readonly Option<string?> offload = new("--offload")
    {
        Description = "ZeRO-Offload: optimizer (optimizer states and master weights in host RAM), param (ZeRO-3 weight shards too), all, or none.",
        HelpName = "optimizer|param|all|none",
    };

    private readonly Option<string?> fsdp = new("--fsdp") { Description = "PyTorch FSDP sharding: full-shard (= ZeRO-3), shard-grad-op (= ZeRO-2), hybrid (full-shard within each node).", HelpName = "strategy" };

    public readonly Option<string?> Compat = new("--compat") { Description = "Print another tool's numbers for the same inputs: deepspeed (its ZeRO-2/3 model-states estimator table, by the newest DeepSpeed's rules) or deepspeed@VERSION (that release's rules: before 0.14.3, ZeRO-2 counted 16-bit weights and gradients at 4 bytes).", HelpName = "deepspeed[@version]" };

    public readonly Option<string?> LargestLayer = new("--largest-layer") { Description = "For --compat deepspeed --zero 3: parameters of the largest layer (default: from the architecture).", HelpName = "count" };

    private readonly Option<string?> checkpointing = new("--checkpointing", "--gradient-checkpointing")
    {
        Description = "Activation checkpointing: none (default), full (each layer's input kept, one layer recomputed at a time) or selective (attention scores recomputed).",
        HelpName = "none|full|selective",
    };

    private readonly Option<string?> attention = new("--attention", "--attn-implementation") { Description = "Attention: eager (keeps the score matrices), sdpa (default) or flash.", HelpName = "eager|sdpa|flash" };

    private readonly Option<string?> loss = new("--loss") { Description = "Cross-entropy: standard (default: fp32 logits for every position), shifted (Transformers 4.46–4.48: also a shifted fp32 copy) or chunked (torchtune's chunked loss).", HelpName = "standard|shifted|chunked" };

    private readonly Option<bool> sequenceParallel = new("--sequence-parallel") { Description = "Megatron sequence parallelism: norms and dropout divided by --tp too." };

    private readonly Option<string?> microBatches = new("--micro-batches") { Description = "Pipeline micro-batches per step (default --pp): the first stage holds min(this, --pp) in flight (1F1B).", HelpName = "n" };

    private readonly Option<string?> gradAccum = new("--grad-accum", "--gradient-accumulation-steps") { Description = "Gradient accumulation steps: no more activations, but the gradients live through the backward passes.", HelpName = "n" };

    private readonly Option<bool> offloadActivations = new("--offload-activations") { Description = "Saved activations in host RAM; the GPU keeps the layer being computed." };

    private readonly Option<string?> dropout = new("--dropout") { Description = "The model's dropout probability (default 0): dropout keeps a 1-byte mask per element.", HelpName = "p" };

    private readonly Option<string?> loraDropout = new("--lora-dropout") { Description = "LoRA's lora_dropout (default 0): above 0 each adapted module keeps its dropout output and a 1-byte mask (PEFT).", HelpName = "p" };

    private readonly Option<string?> baseDtype = new("--base-dtype") { Description = "LoRA's frozen base as stored (default: the training dtype); fp32 when the model is loaded without torch_dtype (FSDP keeps the shards in it).", HelpName = "fp32|bf16|fp16" };

    private readonly Option<bool> fsdpShardEmbeddings = new("--fsdp-shard-embeddings") { Description = "FSDP: embeddings and LM head are units of their own (torchtune custom_sharded_layers), resharded after the forward instead of staying gathered in the root unit." };

    private readonly Option<bool> optimizerInBackward = new("--optimizer-in-backward") { Description = "Step each parameter as soon as its gradient exists (torchtune optimizer_in_bwd): the gradients never all live." };

    private readonly Option<bool> compile = new("--compile") { Description = "torch.compile: RMSNorm's fp32 upcast and a chunked loss's log-softmax are recomputed in the backward, not saved." };

    private readonly Option<bool> bucketView = new("--ddp-bucket-view", "--gradient-as-bucket-view") { Description = "DDP's gradient_as_bucket_view: gradients live in the all-reduce buckets (no second copy)." };

    private readonly Option<bool> dpo = new("--dpo") { Description = "DPO-style preference training: a frozen reference model (a copy for full training; the base without adapters for LoRA) and chosen + rejected sequences per example." };

    private readonly Option<string?> virtualStages = new("--virtual-stages", "--virtual-pipeline-model-parallel-size") { Description = "Interleaved pipeline schedule: model chunks per GPU (the first stage holds 1 + (pp − 1)/(pp × v) times more).", HelpName = "v" };

    private readonly Option<string?> zeroBucket = new("--zero-bucket-size", "--reduce-bucket-size")
    {
        Description = "DeepSpeed's reduce_bucket_size in elements (default 5e8, DeepSpeed's own; Transformers' \"auto\" sets hidden_size²): ZeRO-2/3, and ZeRO-1 from DeepSpeed 0.13, keep a gradient bucket of this size.",
        HelpName = "elements",
    };

    private readonly Option<string?> overlapComm = new("--overlap-comm") { Description = "DeepSpeed's overlap_comm (default: on for ZeRO-3 only, as DeepSpeed): ZeRO-1/2 then keep two gradient buckets.", HelpName = "on|off" };

    private readonly Option<string?> deepSpeedVersion = new("--deepspeed-version") { Description = "Which DeepSpeed's rules apply to --zero (default: the newest modelled); before 0.13.0, ZeRO-1 kept no gradient bucket.", HelpName = "version" };

    /// <summary>The options only training has (method, precision, optimizer, adapters, sharding, activations).</summary>
    public void AddTrainingOnly(Command command)
    {
        foreach (var option in new Option[] { method, precision, optimizer, rank, targets, adapterDtype, kbitPrep, zero, offload, fsdp, checkpointing, loss, sequenceParallel, microBatches,
                     gradAccum, offloadActivations, dropout, loraDropout, baseDtype, fsdpShardEmbeddings, optimizerInBackward, compile, dpo, virtualStages, bucketView, zeroBucket, overlapComm, deepSpeedVersion })
        {
            command.Options.Add(option);
        }
    }

    /// <summary>Every option of <c>train</c>: the shared ones, --attention, the training-only ones and the compatibility tables.</summary>
    public void AddAll(Command command, CommonOptions common)
    {
        common.AddTo(command);
        AddTrainingOnly(command);
        command.Options.Add(attention);
        command.Options.Add(Compat);
        command.Options.Add(LargestLayer);
    }

    /// <param name="attention">The --attention option when the command declares its own (fit); null for this class's.</param>
    public TrainingRequest ReadRequest(ParseResult result, CliOutput output, CommonOptions common, Option<string?>? attention = null)
    {
        TrainingMethod? chosenMethod = null;
        if (result.GetValue(method) is { } methodText)
        {
            chosenMethod = TrainingMethods.TryParse(methodText, out var m, out var error) ? m : throw new UsageException(error);
        }

        var request = new TrainingRequest(
            common.ReadModel(result, output),
            Method: chosenMethod,
            Precision: InferCommand.Parse<TrainingPrecision>(result.GetValue(precision), TrainingPrecision.TryParse),
            Optimizer: InferCommand.Parse<Optimizer>(result.GetValue(optimizer), Optimizer.TryParse),
            SequenceTokens: common.ReadContext(result),
            Batch: common.ReadBatch(result),
            Parallelism: common.ReadParallelism(result),
            Capacity: common.ReadCapacity(result),
            Rank: (int?)CommonOptions.ReadCount(result.GetValue(rank), "--rank", 65_536),
            Targets: result.GetValue(targets) is { } t
                ? LoraAdapters.TryParseTargets(t, out var parsed, out var targetError) ? parsed : throw new UsageException(targetError)
                : null,
            Zero: Stage(result.GetValue(zero), result.GetValue(fsdp)),
            OffloadOptimizer: Offloads(result.GetValue(offload)).Optimizer,
            OffloadParameters: Offloads(result.GetValue(offload)).Parameters,
            HybridShard: result.GetValue(fsdp)?.Trim().ToLowerInvariant() is "hybrid" or "hybrid-shard" or "hybrid_shard",
            Fsdp: result.GetValue(fsdp) is not null,
            Checkpointing: InferCommand.ParseValue<Checkpointing>(result.GetValue(checkpointing), ActivationOptions.TryParseCheckpointing),
            Attention: InferCommand.ParseValue<LlmMem.Inference.AttentionImplementation>(result.GetValue(attention ?? this.attention), LlmMem.Inference.TransformersSettings.TryParseAttention),
            Loss: InferCommand.ParseValue<LossImplementation>(result.GetValue(loss), ActivationOptions.TryParseLoss),
            SequenceParallel: result.GetValue(sequenceParallel),
            MicroBatches: (int?)CommonOptions.ReadCount(result.GetValue(microBatches), "--micro-batches", 65_536),
            GradientAccumulation: (int?)CommonOptions.ReadCount(result.GetValue(gradAccum), "--grad-accum", 65_536),
            OffloadActivations: result.GetValue(offloadActivations),
            Dropout: Dropout(result.GetValue(dropout), "--dropout"),
            AdapterDropout: Dropout(result.GetValue(loraDropout), "--lora-dropout"),
            FsdpSeparateEmbeddings: result.GetValue(fsdpShardEmbeddings),
            BaseType: result.GetValue(baseDtype) is { } baseText
                ? DataType.TryParse(baseText, out var baseType, out var baseError, TrainingRequest.BaseTypes, "--base-dtype") ? baseType : throw new UsageException(baseError)
                : null,
            OptimizerInBackward: result.GetValue(optimizerInBackward),
            Compiled: result.GetValue(compile),
            Preference: result.GetValue(dpo),
            VirtualStages: (int?)CommonOptions.ReadCount(result.GetValue(virtualStages), "--virtual-stages", 1024),
            BucketView: result.GetValue(bucketView),
            AdapterType: result.GetValue(adapterDtype) is { } adapterText
                ? DataType.TryParse(adapterText, out var adapterType, out var adapterError, TrainingRequest.AdapterTypes, "--adapter-dtype") ? adapterType : throw new UsageException(adapterError)
                : null,
            KbitPreparation: result.GetValue(kbitPrep)?.Trim().ToLowerInvariant() switch
            {
                null => null,
                "on" or "true" => true,
                "off" or "false" => false,
                var other => throw new UsageException($"--kbit-prep '{other}': give on or off."),
            },
            ZeroBucketElements: BucketElements(result.GetValue(zeroBucket)),
            OverlapComm: result.GetValue(overlapComm)?.Trim().ToLowerInvariant() switch
            {
                null => null,
                "on" or "true" => true,
                "off" or "false" => false,
                var other => throw new UsageException($"--overlap-comm '{other}': give on or off."),
            },
            DeepSpeed: DeepSpeedVersion(result.GetValue(deepSpeedVersion)));
        if ((request.ZeroBucketElements is not null || request.OverlapComm is not null || request.DeepSpeed is not null) && (request.Zero == 0 || request.Fsdp))
        {
            throw new UsageException("--zero-bucket-size, --overlap-comm and --deepspeed-version set DeepSpeed ZeRO: they need --zero 1, 2 or 3.");
        }
        if (request.VirtualStages is not null && (request.Parallelism?.PipelineParallel ?? 1) == 1)
        {
            throw new UsageException("--virtual-stages interleaves pipeline stages: it needs --pp 2 or more.");
        }
        if (request.SequenceParallel && (request.Parallelism?.TensorParallel ?? 1) == 1)
        {
            throw new UsageException("--sequence-parallel divides activations over tensor-parallel GPUs: it needs --tp 2 or more.");
        }

        return request;
    }

    /// <summary>Elements as DeepSpeed configs write them (5e8, 500000000) or as counts (200M).</summary>
    private static long? BucketElements(string? text)
    {
        if (text is null)
        {
            return null;
        }

        const double most = 1e12;
        var trimmed = text.Trim();
        if (double.TryParse(trimmed, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var value)
            && value is >= 1 and <= most && value == Math.Floor(value))
        {
            return (long)value;
        }

        return LlmMem.Units.ParameterCount.TryParse(trimmed, out var count, out _) && count.Value is >= 1 and <= (long)most
            ? count.Value
            : throw new UsageException($"--zero-bucket-size '{text}': give whole elements from 1 to 1e12, e.g. 5e8 or 200M.");
    }

    private static Version? DeepSpeedVersion(string? text) => text is null ? null : ParseDeepSpeedVersion(text, $"--deepspeed-version '{text}'");

    /// <summary>"0.10.0", "v0.14.2", "0.13" → the version; <paramref name="what"/> starts the one-line error.</summary>
    internal static Version ParseDeepSpeedVersion(string text, string what)
    {
        var trimmed = text.Trim().TrimStart('v', 'V');
        return trimmed.Count(c => c == '.') is 1 or 2 && Version.TryParse(trimmed, out var version) && version.Major < 100
            ? version
            : throw new UsageException($"{what}: give DeepSpeed's version as major.minor[.patch], e.g. 0.14.2.");
    }

    private static double? Dropout(string? text, string option)
    {
        if (text is null)
        {
            return null;
        }

        return double.TryParse(text.Trim(), System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var p) && p is >= 0 and < 1
            ? p
            : throw new UsageException($"{option} '{text}' is not a probability: give a number from 0 up to (not including) 1, e.g. 0.1.");
    }

    /// <summary>The ZeRO stage from --zero, or from --fsdp's strategy (full-shard and hybrid shard everything; shard-grad-op keeps weights).</summary>
    private static int Stage(string? zero, string? fsdp)
    {
        var fromFsdp = fsdp?.Trim().ToLowerInvariant().Replace('_', '-') switch
        {
            null => (int?)null,
            "full-shard" or "hybrid" or "hybrid-shard" => 3,
            "shard-grad-op" => 2,
            "no-shard" => 0,
            var other => throw new UsageException($"Unknown --fsdp '{other}'. Valid: full-shard, shard-grad-op, hybrid, no-shard."),
        };
        var fromZero = zero?.Trim() switch
        {
            null => (int?)null,
            "0" => 0,
            "1" => 1,
            "2" => 2,
            "3" => 3,
            var other => throw new UsageException($"--zero '{other}' is not a ZeRO stage. Valid: 0, 1, 2, 3."),
        };
        if (fromZero is { } z && fromFsdp is { } f && z != f)
        {
            throw new UsageException($"--zero {z} and --fsdp {fsdp} disagree: choose one.");
        }

        return fromZero ?? fromFsdp ?? 0;
    }

    private static (bool Optimizer, bool Parameters) Offloads(string? text)
    {
        var parts = (text ?? "none").ToLowerInvariant().Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        bool optimizer = false, parameters = false;
        foreach (var part in parts)
        {
            switch (part)
            {
                case "none":
                    break;
                case "optimizer" or "cpu":
                    optimizer = true;
                    break;
                case "param" or "params" or "parameters":
                    parameters = true;
                    break;
                case "all":
                    (optimizer, parameters) = (true, true);
                    break;
                default:
                    throw new UsageException($"--offload '{part}' is not supported. Valid: optimizer, param, all, none.");
            }
        }

        return (optimizer, parameters);
    }
}
