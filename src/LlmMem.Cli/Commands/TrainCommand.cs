using System.CommandLine;
using LlmMem.Cli.Rendering;
using LlmMem.Training;

namespace LlmMem.Cli.Commands;

/// <summary><c>llmem train MODEL</c>: memory per GPU to train or fine-tune a model.</summary>
internal static class TrainCommand
{
    public static Command Create(CliOutput output)
    {
        var common = new CommonOptions();
        var method = new Option<string?>("--method")
        {
            Description = "What is trained: full (default), lora, dora or qlora (adapters need a model architecture).",
            HelpName = "full|lora|dora|qlora",
        };
        var precision = new Option<string?>("--precision")
        {
            Description = $"Training precision (default mixed-bf16): {string.Join(", ", TrainingPrecision.All.Select(p => p.Name))}.",
            HelpName = "precision",
        };
        var optimizer = new Option<string?>("--optimizer")
        {
            Description = $"Optimizer (default adamw): {string.Join(", ", Optimizer.All.Select(o => o.Name))}.",
            HelpName = "name",
        };

        var rank = new Option<string?>("--rank", "-r") { Description = "LoRA rank (default 8, PEFT's).", HelpName = "r" };
        var targets = new Option<string?>("--targets", "--target-modules")
        {
            Description = "LoRA target modules: all-linear, or names such as q_proj,v_proj (default, PEFT's for Llama-like models).",
            HelpName = "modules",
        };
        var zero = new Option<string?>("--zero", "--zero-stage") { Description = "ZeRO stage 0–3 over the data-parallel GPUs (FSDP full-shard = 3, shard-grad-op = 2).", HelpName = "0|1|2|3" };
        var offload = new Option<string?>("--offload")
        {
            Description = "ZeRO-Offload: optimizer (optimizer states and master weights in host RAM), param (ZeRO-3 weight shards too), all, or none.",
            HelpName = "optimizer|param|all|none",
        };
        var fsdp = new Option<string?>("--fsdp") { Description = "PyTorch FSDP sharding: full-shard (= ZeRO-3), shard-grad-op (= ZeRO-2), hybrid (full-shard within each node).", HelpName = "strategy" };
        var compat = new Option<string?>("--compat") { Description = "Print another tool's numbers for the same inputs: deepspeed (its ZeRO-2/3 model-states estimator table).", HelpName = "deepspeed" };
        var largestLayer = new Option<string?>("--largest-layer") { Description = "For --compat deepspeed --zero 3: parameters of the largest layer (default: from the architecture).", HelpName = "count" };
        var checkpointing = new Option<string?>("--checkpointing", "--gradient-checkpointing")
        {
            Description = "Activation checkpointing: none (default), full (each layer's input kept, one layer recomputed at a time) or selective (attention scores recomputed).",
            HelpName = "none|full|selective",
        };
        var attention = new Option<string?>("--attention", "--attn-implementation") { Description = "Attention: eager (keeps the score matrices), sdpa (default) or flash.", HelpName = "eager|sdpa|flash" };
        var loss = new Option<string?>("--loss") { Description = "Cross-entropy: standard (default: fp32 logits for every position) or chunked (torchtune's chunked loss).", HelpName = "standard|chunked" };
        var sequenceParallel = new Option<bool>("--sequence-parallel") { Description = "Megatron sequence parallelism: norms and dropout divided by --tp too." };
        var microBatches = new Option<string?>("--micro-batches") { Description = "Pipeline micro-batches per step (default --pp): the first stage holds min(this, --pp) in flight (1F1B).", HelpName = "n" };
        var gradAccum = new Option<string?>("--grad-accum", "--gradient-accumulation-steps") { Description = "Gradient accumulation steps: no more activations, but the gradients live through the backward passes.", HelpName = "n" };
        var offloadActivations = new Option<bool>("--offload-activations") { Description = "Saved activations in host RAM; the GPU keeps the layer being computed." };
        var dropout = new Option<string?>("--dropout") { Description = "The model's dropout probability (default 0): dropout keeps a 1-byte mask per element.", HelpName = "p" };
        var optimizerInBackward = new Option<bool>("--optimizer-in-backward") { Description = "Step each parameter as soon as its gradient exists (torchtune optimizer_in_bwd): the gradients never all live." };
        var compile = new Option<bool>("--compile") { Description = "torch.compile: RMSNorm's fp32 upcast and a chunked loss's log-softmax are recomputed in the backward, not saved." };
        var dpo = new Option<bool>("--dpo") { Description = "DPO-style preference training: a frozen reference model (a copy for full training; the base without adapters for LoRA) and chosen + rejected sequences per example." };
        var virtualStages = new Option<string?>("--virtual-stages", "--virtual-pipeline-model-parallel-size") { Description = "Interleaved pipeline schedule: model chunks per GPU (the first stage holds 1 + (pp − 1)/(pp × v) times more).", HelpName = "v" };
        var command = new Command("train", "Memory per GPU to train or fine-tune a model: weights, gradients, master weights, optimizer states, activations and the loss at the step's peak.");
        common.AddTo(command);
        command.Options.Add(method);
        command.Options.Add(precision);
        command.Options.Add(optimizer);
        command.Options.Add(rank);
        command.Options.Add(targets);
        command.Options.Add(zero);
        command.Options.Add(offload);
        command.Options.Add(fsdp);
        command.Options.Add(compat);
        command.Options.Add(largestLayer);
        foreach (var option in new Option[] { checkpointing, attention, loss, sequenceParallel, microBatches, gradAccum, offloadActivations, dropout, optimizerInBackward, compile, dpo, virtualStages })
        {
            command.Options.Add(option);
        }

        command.SetAction(result =>
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
                Checkpointing: InferCommand.ParseValue<Checkpointing>(result.GetValue(checkpointing), ActivationOptions.TryParseCheckpointing),
                Attention: InferCommand.ParseValue<LlmMem.Inference.AttentionImplementation>(result.GetValue(attention), LlmMem.Inference.TransformersSettings.TryParseAttention),
                Loss: InferCommand.ParseValue<LossImplementation>(result.GetValue(loss), ActivationOptions.TryParseLoss),
                SequenceParallel: result.GetValue(sequenceParallel),
                MicroBatches: (int?)CommonOptions.ReadCount(result.GetValue(microBatches), "--micro-batches", 65_536),
                GradientAccumulation: (int?)CommonOptions.ReadCount(result.GetValue(gradAccum), "--grad-accum", 65_536),
                OffloadActivations: result.GetValue(offloadActivations),
                Dropout: Dropout(result.GetValue(dropout)),
                OptimizerInBackward: result.GetValue(optimizerInBackward),
                Compiled: result.GetValue(compile),
                Preference: result.GetValue(dpo),
                VirtualStages: (int?)CommonOptions.ReadCount(result.GetValue(virtualStages), "--virtual-stages", 1024));
            if (request.VirtualStages is not null && (request.Parallelism?.PipelineParallel ?? 1) == 1)
            {
                throw new UsageException("--virtual-stages interleaves pipeline stages: it needs --pp 2 or more.");
            }
            if (request.SequenceParallel && (request.Parallelism?.TensorParallel ?? 1) == 1)
            {
                throw new UsageException("--sequence-parallel divides activations over tensor-parallel GPUs: it needs --tp 2 or more.");
            }
            if (result.GetValue(compat) is { } tool)
            {
                if (!tool.Equals("deepspeed", StringComparison.OrdinalIgnoreCase))
                {
                    throw new UsageException($"Unknown --compat '{tool}'. Valid: deepspeed.");
                }

                DeepSpeedTable(request, result.GetValue(largestLayer), output);
                return ExitCodes.Ok;
            }

            var render = common.ReadRenderOptions(result);
            EstimateRenderer.Render(TrainingEstimator.Estimate(request), render, output);
            return ExitCodes.Ok;
        });
        return command;
    }

    private static double? Dropout(string? text)
    {
        if (text is null)
        {
            return null;
        }

        return double.TryParse(text.Trim(), System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var p) && p is >= 0 and < 1
            ? p
            : throw new UsageException($"--dropout '{text}' is not a probability: give a number from 0 up to (not including) 1, e.g. 0.1.");
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

    /// <summary>DeepSpeed's estimator output, line for line (deepspeed/runtime/zero/stage3.py model_states_mem_needs_all_cold).</summary>
    private static void DeepSpeedTable(TrainingRequest request, string? largestLayerText, CliOutput output)
    {
        if (request.Zero is not (2 or 3))
        {
            throw new UsageException("--compat deepspeed needs --zero 2 or --zero 3: DeepSpeed estimates those stages.");
        }

        var parallel = request.Parallelism ?? LlmMem.Hardware.Parallelism.Single;
        var perNode = parallel.Gpus / parallel.Nodes;
        var parameters = request.Model.Parameters.Value;
        var w = output.Out;
        w.WriteLine("Estimated memory needed for params, optim states and gradients for a:");
        w.WriteLine($"HW: Setup with {parallel.Nodes} node{(parallel.Nodes == 1 ? "" : "s")}, {perNode} GPU{(perNode == 1 ? "" : "s")} per node.");
        System.Collections.Immutable.ImmutableArray<DeepSpeedRow> rows;
        if (request.Zero == 2)
        {
            w.WriteLine($"SW: Model with {parameters / 1_000_000}M total params.");
            rows = DeepSpeedEstimator.Zero2(parameters, perNode, parallel.Nodes);
        }
        else
        {
            long largest;
            if (largestLayerText is not null)
            {
                largest = Units.ParameterCount.TryParse(largestLayerText, out var count, out var error) ? count.Value : throw new UsageException("--largest-layer: " + error);
            }
            else
            {
                largest = LargestLayer(request.Model)
                    ?? throw new UsageException("--compat deepspeed --zero 3 needs --largest-layer for a bare parameter count (e.g. --largest-layer 32M).");
            }

            w.WriteLine($"SW: Model with {parameters / 1_000_000}M total params, {largest / 1_000_000}M largest layer params.");
            rows = DeepSpeedEstimator.Zero3(parameters, largest, perNode, parallel.Nodes);
        }

        w.WriteLine("  per CPU  |  per GPU |   Options");
        foreach (var row in rows)
        {
            w.WriteLine(string.Create(System.Globalization.CultureInfo.InvariantCulture,
                $" {row.PerCpu.Bytes / (double)(1L << 30),7:F2}GB | {row.PerGpu.Bytes / (double)(1L << 30),6:F2}GB | {row.Options}"));
        }
    }

    /// <summary>DeepSpeed's largest layer: the module with the most parameters of its own (for LLMs, the embedding or the LM head).</summary>
    private static long? LargestLayer(Models.ModelSpec model) => model.Shape is { } shape
        ? Math.Max(checked(shape.VocabSize * shape.HiddenSize), LoraAdapters.Modules(shape).Max(m => checked(m.In * m.Out)))
        : null;
}
