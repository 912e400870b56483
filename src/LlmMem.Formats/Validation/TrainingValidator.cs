using System.Collections.Immutable;
using System.Text.Json;
using LlmMem.Estimates;
using LlmMem.Formulas;
using LlmMem.Hardware;
using LlmMem.Inference;
using LlmMem.Models;
using LlmMem.Training;
using LlmMem.Units;

namespace LlmMem.Formats.Validation;

/// <summary>
/// Re-estimates every training ground-truth case from its recorded model, method, precision, optimizer, batch,
/// sequence, checkpointing and sharding, and compares the peak per GPU with the figure the source measured — as that
/// metric counts it: nvidia-smi includes the CUDA context (added), the allocator's figures do not. Capacity cases check
/// the longest sequence that fits; authors' estimates are their own group. Term: <c>peak (method)</c>.
/// </summary>
public static class TrainingValidator
{
    public const string Engine = "training";

    /// <summary>The note of a table whose rows each add a technique to the rows above them (torchtune's README table).</summary>
    /// <summary>The framework of the runs in PEFT's FSDP and DeepSpeed guides (docs/source/accelerate), made with examples/sft/train.py.</summary>
    private const string PeftSftExample = "PEFT + TRL SFTTrainer + accelerate";

    private const string StackedNote = "Each row adds its technique on top of the previous one";

    public static ValidationReport Run(IEnumerable<string> jsonLines)
    {
        var results = ImmutableArray.CreateBuilder<CaseResult>();
        var stackedChunkedLoss = false;
        var number = 0;
        foreach (var line in jsonLines)
        {
            number++;
            if (string.IsNullOrWhiteSpace(line))
            {
                continue;
            }

            if (!GroundTruthLine.TryParse(line, number, Engine, out var root, out var notACase))
            {
                results.Add(notACase);
                continue;
            }

            var c = new TrainingCase(root);

            // A stacked table (torchtune's README) lists techniques that stay on in the rows below them.
            var stacked = c.Text("notes").Contains(StackedNote, StringComparison.Ordinal);
            stackedChunkedLoss = stacked && (stackedChunkedLoss || c.Text("task").Contains("chunked cross entropy", StringComparison.OrdinalIgnoreCase));
            results.Add(Validate(c, stacked, stackedChunkedLoss));
        }

        return new ValidationReport(results.ToImmutable());
    }

    private static string GroupOf(TrainingCase c)
    {
        var kind = c.Text("kind");
        if (kind.Contains("estimate", StringComparison.OrdinalIgnoreCase))
        {
            return "estimate";
        }

        if (kind.Contains("capacity", StringComparison.OrdinalIgnoreCase))
        {
            return "capacity";
        }

        var loraNote = c.LoraText("note");
        return kind == "measured" && !c.Text("gpu").Contains("emulated", StringComparison.Ordinal)
            && !(loraNote.Contains("not verified", StringComparison.Ordinal) || loraNote.Contains("not retrieved", StringComparison.Ordinal))
            ? "main"
            : "partial";
    }

    private static CaseResult Validate(TrainingCase c, bool stacked, bool stackedChunkedLoss)
    {
        var group = GroupOf(c);
        CaseResult Skip(string reason) => new(c.Id, Engine, group, "skipped", reason, []);
        var notes = new List<string>();
        if (c.Text("workload") == "inference")
        {
            // tools/measure writes its generate() measurements in this schema too: ground truth for the Transformers engine.
            return Skip("an inference measurement (Transformers generate()): the training validator does not compare it, and the Transformers engine has no validator yet");
        }

        if (c.Text("task").StartsWith("CUDA context only", StringComparison.Ordinal) && c.Peak() is { } context)
        {
            // No model at all: the measurement is the CUDA context alone, against llmem's PyTorch constant.
            return new CaseResult(c.Id, Engine, group, "estimated", null,
                [new Comparison("cuda_context", (long)context.Bytes, CudaContextFormulas.PyTorch.Bytes, context.HalfUnit, "nvidia-smi")]);
        }

        var task = c.Text("task");
        var quantization = c.Text("base_quantization");
        var method = quantization.Length > 0 || task.Contains("QLoRA", StringComparison.Ordinal) ? TrainingMethod.Qlora
            : c.Lora is not null || task.Contains("LoRA", StringComparison.Ordinal) ? TrainingMethod.Lora
            : TrainingMethod.Full;
        if (method == TrainingMethod.Qlora && (c.Text("precision") is "8-bit" or "2-bit" || quantization.Contains("8-bit", StringComparison.Ordinal)))
        {
            return Skip($"a {c.Text("precision")} quantised base: llmem's QLoRA is the NF4 base of the QLoRA paper");
        }

        ModelSpec model;
        if (group == "estimate")
        {
            if (method != TrainingMethod.Full)
            {
                return Skip("a LoRA or QLoRA estimate needs an architecture; this table is for generic parameter counts");
            }

            model = ModelResolver.Resolve(c.Text("params"));
        }
        else
        {
            var (catalog, modelNote) = CaseModels.Catalog(c.Text("model"));
            if (catalog?.Shape is null)
            {
                return Skip($"model '{c.Text("model")}' is not in the catalog");
            }

            model = catalog;
            if (modelNote is not null)
            {
                notes.Add(modelNote);
            }
        }

        var gpus = (int)(c.Long("num_gpus") ?? 1);
        var parallelism = c.Text("parallelism");
        var zero = parallelism.Contains("ZeRO-1", StringComparison.Ordinal) ? 1
            : parallelism.Contains("ZeRO-2", StringComparison.Ordinal) ? 2
            : parallelism.Contains("ZeRO-3", StringComparison.Ordinal) || parallelism.Contains("FSDP", StringComparison.Ordinal) ? 3
            : 0;
        Parallelism.TryCreate(null, null, gpus, null, out var parallel, out _);
        var offload = c.Bool("cpu_offload") == true;
        var offloadAll = offload && (parallelism.Contains("offload optimizer+params", StringComparison.Ordinal) || c.Text("optimizer").Contains("CPU offload", StringComparison.Ordinal));
        var optimizerText = c.Text("optimizer");
        var torchtune = c.Text("framework").StartsWith("torchtune", StringComparison.Ordinal);
        var optimizerInBackward = optimizerText.Contains("optimizer_in_bwd", StringComparison.Ordinal) && !optimizerText.Contains("no optimizer_in_bwd", StringComparison.Ordinal);
        var precision = Precision(c, method, notes);
        var deepSpeed = DeepSpeedVersion(c, zero, gpus, parallelism, notes);
        var request = new TrainingRequest(
            model,
            Method: method,
            Precision: precision,
            Optimizer: optimizerText.Contains("Paged", StringComparison.OrdinalIgnoreCase) && optimizerText.Contains("8bit", StringComparison.OrdinalIgnoreCase) ? Optimizer.PagedAdamW8Bit
                : optimizerText.Contains("8bit", StringComparison.OrdinalIgnoreCase) ? Optimizer.AdamW8Bit
                : optimizerText.Contains("Adafactor", StringComparison.OrdinalIgnoreCase) ? Optimizer.Adafactor
                : Optimizer.AdamW,
            SequenceTokens: c.Long("seq_len"),
            Batch: c.Long("per_device_batch_size"),
            Parallelism: parallel,
            Rank: int.TryParse(c.LoraText("rank"), out var rank) ? rank : TorchtuneConfig(c)?.Rank,
            Targets: TorchtuneConfig(c) is { } config && c.LoraText("targets").Length == 0 ? config.Targets : Targets(c, method),
            Zero: gpus > 1 ? zero : 0,
            OffloadOptimizer: offloadAll,
            OffloadParameters: offloadAll && zero == 3,
            Fsdp: parallelism.Contains("FSDP", StringComparison.Ordinal),
            // torchtune's distributed full-finetune configs (llama3/llama3_1 8B_full.yaml and 70B_full.yaml at 1814feb17) set
            // custom_sharded_layers: ['tok_embeddings', 'output']; its LoRA and QLoRA configs do not.
            // PEFT's docs ran examples/sft/train.py; at their commit (aa2ca83ca, Feb 2024) utils.py loads an unquantised
            // base without torch_dtype, so Transformers loads fp32, and FSDP keeps its shards so (MixedPrecision's bf16 is
            // the gathered copy). DeepSpeed's zero.Init casts to the bf16 of its config; QLoRA loads in bnb's quant storage.
            BaseType: c.Text("framework").StartsWith(PeftSftExample, StringComparison.Ordinal) && method == TrainingMethod.Lora
                && parallelism.Contains("FSDP", StringComparison.Ordinal) ? LlmMem.DataTypes.DataType.Fp32 : null,
            FsdpSeparateEmbeddings: torchtune && method == TrainingMethod.Full && parallelism.Contains("FSDP", StringComparison.Ordinal),
            // torchtune's LoRA recipes build adapters under the training dtype (validate_expected_param_dtype on adapter_params).
            AdapterType: torchtune && method != TrainingMethod.Full ? precision.Weights : null,
            // torchtune quantises with its own NF4 tensors; TRL skips prepare_model_for_kbit_training for sharded QLoRA.
            KbitPreparation: method == TrainingMethod.Qlora && (torchtune || zero == 3) ? false : null,
            AdapterDropout: double.TryParse(c.LoraText("dropout"), System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var loraDropout) ? loraDropout : null,
            Checkpointing: c.Bool("gradient_checkpointing") == true || (torchtune && c.Bool("gradient_checkpointing") is null) ? Checkpointing.Full : Checkpointing.None,
            Attention: Attention(c, model),
            Loss: stacked ? (stackedChunkedLoss ? LossImplementation.Chunked : LossImplementation.Standard)
                : torchtune ? LossImplementation.Chunked : LossImplementation.Standard,
            GradientAccumulation: (int?)c.Long("gradient_accumulation_steps"),
            OffloadActivations: c.Text("cpu_offload").Contains("activations", StringComparison.Ordinal),
            // ModelShape carries no dropout: BERT's config.json hidden_dropout_prob and attention_probs_dropout_prob are 0.1.
            Dropout: model.Shape?.Architecture == "bert" ? 0.1 : null,
            OptimizerInBackward: optimizerInBackward,
            Compiled: c.Bool("torch_compile") == true,
            LanguageModelHead: !(c.Text("model").Contains("tagging heads", StringComparison.Ordinal) || c.Text("model").Contains("SequenceClassification", StringComparison.Ordinal)),
            DeepSpeed: deepSpeed);
        if (TorchtuneConfig(c) is { } named)
        {
            notes.Add($"LoRA settings of the named torchtune config: rank {named.Rank}, {string.Join(", ", named.Targets)}");
        }

        if (!stacked && torchtune)
        {
            notes.Add("torchtune recipes' default loss (CEWithChunkedOutputLoss) assumed");
        }

        if (model.Shape?.Architecture == "bert")
        {
            notes.Add("BERT's hidden and attention dropout 0.1 (config.json)");
        }

        // Capacity cases set their own checkpointing (see Capacity).
        if (c.Bool("gradient_checkpointing") is null && group is not ("estimate" or "capacity"))
        {
            notes.Add(torchtune ? "checkpointing not recorded: torchtune recipes' default enable_activation_checkpointing: True assumed" : "checkpointing not recorded: none assumed");
        }

        var methodName = method == TrainingMethod.Full && request.Zero > 0 ? "zero" : method.ToString().ToLowerInvariant();
        if (group == "capacity")
        {
            return Capacity(c, request, methodName, notes);
        }

        if (group != "estimate" && (request.Batch is null || request.SequenceTokens is null))
        {
            return Skip("batch size or sequence length not recorded");
        }

        if (c.Bool("packed") == false)
        {
            return Skip("unpacked: every batch is padded to its longest sample, whose length the source does not record");
        }

        if (c.Peak() is not { } peak)
        {
            return Skip(c.Bool("dry_run") == true ? "a dry run of tools/measure: the setting only, nothing measured"
                : c.MeasuredFlag("oom") ? "out of memory on the case's GPU: the setting does not fit, no peak to compare"
                : "no per-GPU peak in bytes recorded (" + c.Text("metric") + ")");
        }

        Estimate estimate;
        try
        {
            estimate = TrainingEstimator.Estimate(request);
        }
        catch (Exception e) when (e is EstimateException or OverflowException)
        {
            return Skip($"cannot be estimated: {e.Message}");
        }

        var metric = Metric(c, peak.Field);
        var estimated = estimate.Devices[0].Total;
        if (metric == "nvidia-smi")
        {
            estimated += CudaContextFormulas.PyTorch;
            notes.Add("nvidia-smi: the CUDA context added; the caching allocator's slack is not modelled");
        }

        return new CaseResult(c.Id, Engine, group, "estimated", notes.Count == 0 ? null : string.Join("; ", notes),
            [new Comparison($"peak ({methodName})", (long)Math.Round(peak.Bytes), estimated.Bytes, peak.HalfUnit, metric, methodName)]);
    }

    /// <summary>
    /// "Largest context that fits": the longest sequence whose estimate (with the CUDA context) fits the card, against the
    /// longest the source trained. Only the Hugging Face + flash-attention column is the stack llmem models (Unsloth's own
    /// kernels and offloaded checkpointing are not), with Transformers' gradient checkpointing.
    /// </summary>
    private static CaseResult Capacity(TrainingCase c, TrainingRequest request, string methodName, List<string> notes)
    {
        var group = "capacity";
        if (c.GpuGigabytes is not { } gb)
        {
            return new CaseResult(c.Id, Engine, group, "skipped", "the GPU's memory is not recorded", []);
        }

        if (c.MeasuredFlag("hf_oom") || c.Number("max_context_hf_fa2") is not { } measured)
        {
            return new CaseResult(c.Id, Engine, group, "skipped", "Hugging Face + FA2 ran out of memory at every length: no limit to compare (Unsloth's own kernels are not modelled)", []);
        }

        var capacity = new DeviceCapacity(c.Text("gpu"), ByteSize.FromBytes(gb << 30), "the case's card");
        // The same tables measure Llama 3.3 70B (released December 2024): the Hugging Face column ran Transformers 4.46–4.48,
        // whose ForCausalLMLoss keeps a shifted fp32 copy of the logits (LossImplementation.Shifted).
        var sized = request with { Capacity = capacity, Checkpointing = Checkpointing.Full, Attention = AttentionImplementation.Flash, Loss = LossImplementation.Shifted };
        bool Fits(long tokens)
        {
            try
            {
                return TrainingEstimator.Estimate(sized with { SequenceTokens = tokens }).Devices[0].Fits == true;
            }
            catch (OverflowException)
            {
                return false;
            }
        }

        long low = 0, high = 1L << 22;
        while (high - low > 1)
        {
            var mid = (low + high) / 2;
            (low, high) = Fits(mid) ? (mid, high) : (low, mid);
        }

        notes.Add("Hugging Face + FA2 column, gradient checkpointing and Transformers 4.46–4.48's loss (shifted fp32 copy) assumed; Unsloth's own column is not modelled");
        return new CaseResult(c.Id, Engine, group, "estimated", string.Join("; ", notes),
            [new Comparison($"max_seq_tokens ({methodName})", (long)measured.Value, low, 0.5, "capacity", methodName)]);
    }

    private static string Metric(TrainingCase c, string field)
    {
        var text = c.Text("metric");
        return field switch
        {
            "estimated_gb" => "estimate",
            "max_mem_allocated_gb" or "max_memory_allocated_bytes" => "allocated",
            "max_memory_reserved_bytes" => "reserved",
            "device_used_bytes" => "nvidia-smi",
            "peak_memory_active_gib" => "active",
            _ when text.Contains("nvidia-smi", StringComparison.OrdinalIgnoreCase) || text.Contains("screenshot", StringComparison.OrdinalIgnoreCase) => "nvidia-smi",
            _ when text.Contains("reserved", StringComparison.OrdinalIgnoreCase) => "reserved",
            _ => "allocated",
        };
    }

    /// <summary>
    /// The run's precision: torchtune and a "16-bit" pure run keep bf16 weights without a master copy; AMP ("mixed",
    /// "32-bit" weights with bf16/fp16 compute) keeps fp32 master weights; fp32 is fp32.
    /// </summary>
    /// <summary>
    /// The DeepSpeed release of a ZeRO case, from its "framework_version" ("deepspeed 0.10.0"); null (the newest rules) when
    /// the case does not record one, with a note. FSDP and single-GPU cases do not use DeepSpeed's rules.
    /// </summary>
    private static Version? DeepSpeedVersion(TrainingCase c, int zero, int gpus, string parallelism, List<string> notes)
    {
        if (zero == 0 || gpus < 2 || parallelism.Contains("FSDP", StringComparison.Ordinal))
        {
            return null;
        }

        const string prefix = "deepspeed ";
        var text = c.Text("framework_version");
        if (text.StartsWith(prefix, StringComparison.OrdinalIgnoreCase) && Version.TryParse(text[prefix.Length..].Trim(), out var version))
        {
            notes.Add($"DeepSpeed {version}'s rules (framework_version)");
            return version;
        }

        notes.Add("DeepSpeed version not recorded: the newest rules");
        return null;
    }

    private static TrainingPrecision Precision(TrainingCase c, TrainingMethod method, List<string> notes)
    {
        var text = c.Text("precision").ToLowerInvariant();
        if (text.Length == 0)
        {
            notes.Add("precision not recorded: mixed bf16 assumed");
            return TrainingPrecision.MixedBf16;
        }

        return text switch
        {
            _ when text.StartsWith("fp32", StringComparison.Ordinal) => TrainingPrecision.Fp32,
            _ when text.StartsWith("fp16 mixed", StringComparison.Ordinal) => TrainingPrecision.MixedFp16,
            // tools/measure/plan.py's precisions: autocast over fp32 weights, or everything in bf16.
            _ when text.StartsWith("bf16 mixed", StringComparison.Ordinal) => TrainingPrecision.MixedBf16,
            _ when text.StartsWith("bf16 pure", StringComparison.Ordinal) => TrainingPrecision.Bf16,
            "32-bit" => TrainingPrecision.MixedBf16,
            "16-bit" => TrainingPrecision.Bf16,
            _ when c.Text("framework").StartsWith("torchtune", StringComparison.Ordinal) => TrainingPrecision.Bf16,
            _ when method != TrainingMethod.Full => TrainingPrecision.Bf16,
            _ => TrainingPrecision.MixedBf16,
        };
    }

    /// <summary>
    /// The LoRA settings of a torchtune recipe config that a case names in its lora note without recording them:
    /// recipes/configs/llama3_2/3B_lora_single_device.yaml and 3B_qlora_single_device.yaml (commit 1814feb17, the README
    /// table's): lora_rank 64, lora_attn_modules ['q_proj', 'v_proj', 'output_proj'], apply_lora_to_mlp True.
    /// </summary>
    private static (int Rank, ImmutableArray<string> Targets)? TorchtuneConfig(TrainingCase c) =>
        c.LoraText("note").Contains("llama3_2/3B_(q)lora_single_device", StringComparison.Ordinal)
            ? (64, ["q_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"])
            : null;

    /// <summary>LoRA targets: "all-linear" / "all linear (…)" is every linear layer; torchtune's output_proj is o_proj and "mlp" its three projections.</summary>
    private static ImmutableArray<string>? Targets(TrainingCase c, TrainingMethod method)
    {
        if (method == TrainingMethod.Full)
        {
            return null;
        }

        var text = c.LoraText("targets");
        if (text.Length == 0 || text.StartsWith("all", StringComparison.OrdinalIgnoreCase))
        {
            // Recipes whose targets the case does not give: torchtune's and PEFT/TRL all-linear runs adapt every linear layer.
            return LoraAdapters.KnownModules;
        }

        return [.. text.Split(',').SelectMany(t => t.Trim() switch
        {
            "output_proj" => ["o_proj"],
            "mlp" => new[] { "gate_proj", "up_proj", "down_proj" },
            var name => [name],
        })];
    }

    /// <summary>
    /// "attention" (tools/measure: Transformers' attn_implementation) when recorded; else flash_attention true → flash;
    /// false → eager; not recorded → SDPA, except BERT (eager before Transformers 4.41's SDPA path).
    /// </summary>
    private static AttentionImplementation Attention(TrainingCase c, ModelSpec model) => c.Text("attention") switch
    {
        "eager" => AttentionImplementation.Eager,
        "sdpa" => AttentionImplementation.Sdpa,
        "flash_attention_2" => AttentionImplementation.Flash,
        _ => FlashFlag(c, model),
    };

    private static AttentionImplementation FlashFlag(TrainingCase c, ModelSpec model) => c.Bool("flash_attention") switch
    {
        true => AttentionImplementation.Flash,
        false => AttentionImplementation.Eager,
        _ => model.Shape?.Architecture == "bert" ? AttentionImplementation.Eager : AttentionImplementation.Sdpa,
    };
}
