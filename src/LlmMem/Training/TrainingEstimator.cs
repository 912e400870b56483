using System.Collections.Immutable;
using LlmMem.Estimates;
using LlmMem.Formulas;
using LlmMem.Hardware;
using LlmMem.DataTypes;
using LlmMem.Inference;
using LlmMem.Models;
using LlmMem.Units;

namespace LlmMem.Training;

/// <summary>Memory per GPU to train a model: weights, gradients, master weights and optimizer states.</summary>
public static class TrainingEstimator
{
    /// <summary>
    /// LoRA, DoRA and QLoRA: a frozen base (QLoRA's linear layers in NF4 with double quantisation, QLoRA paper §3),
    /// fp32 adapters (PEFT casts adapters to fp32 under a 16-bit base: autocast_adapter_dtype), and their gradients
    /// and optimizer states only.
    /// </summary>
    private static IEnumerable<Term> AdapterTerms(TrainingRequest request, TrainingMethod method, TrainingPrecision precision, Optimizer optimizer, long shards)
    {
        var shape = request.Model.Shape!;
        var rank = request.Rank ?? LoraAdapters.DefaultRank;
        var targets = request.Targets ?? LoraAdapters.DefaultTargets;
        var adapters = ParameterCount.Of(LoraAdapters.Parameters(shape, rank, targets, method == TrainingMethod.Dora));
        if (adapters.Value == 0)
        {
            throw new EstimateException($"--targets {string.Join(",", targets)} matches no linear layer of this {shape.Architecture} model.");
        }

        var quantization = method == TrainingMethod.Qlora ? QloraBase : null;
        // peft utils/other.py prepare_model_for_kbit_training: "cast all non INT8 parameters to fp32" (all but Params4bit).
        // Otherwise the base is stored as loaded (--base-dtype), by default in the training dtype.
        var unquantised = request.UpcastsForKbit ? DataType.Fp32 : request.BaseType ?? precision.Weights;
        var baseWeights = WeightFormulas.Weights(WeightLayout.For(shape, request.Model.Breakdown!, unquantised, quantization), shards);
        yield return new Term(baseWeights.Id, "Frozen base " + baseWeights.Label.ToLowerInvariant(), baseWeights.Bytes, baseWeights.Source, () => baseWeights.Formula);
        var type = request.AdapterType ?? DataType.Fp32;
        var adapterTerm = WeightFormulas.Weights(adapters, type, shards);
        var name = method switch { TrainingMethod.Qlora => "QLoRA", TrainingMethod.Dora => "DoRA", _ => "LoRA" };
        yield return new Term(TermId.AdapterWeights, $"{name} adapters (r = {rank}, {type.Name})", adapterTerm.Bytes,
            "Hu et al. 2021 §4.1: r × (in + out) per adapted linear layer; PEFT keeps adapters in fp32, torchtune in the training dtype", () => adapterTerm.Formula);
        yield return TrainingStateFormulas.Gradients(adapters, type, shards);

        // torch.optim's states are zeros_like(param): the adapters' own dtype.
        var statePrecision = type == DataType.Bf16 ? TrainingPrecision.Bf16 : type == DataType.Fp16 ? TrainingPrecision.Fp16 : TrainingPrecision.Fp32;
        yield return TrainingStateFormulas.OptimizerStates(adapters, optimizer, statePrecision, shards);
    }

    /// <summary>
    /// ZeRO-3 and FSDP all-gather one unit's full parameters before computing it: with transformer auto-wrapping, one
    /// decoder layer (the largest; DeepSpeed stage3.py counts the largest layer, FSDP wraps per decoder layer). At the
    /// backward's peak a unit's unsharded gradients exist too before their reduce-scatter (full training only; adapters'
    /// are negligible): DeepSpeed's estimate_zero3_model_states_mem_needs counts "largest_layer_memory" as 16-bit
    /// parameters and gradients. FSDP's default BackwardPrefetch.BACKWARD_PRE also all-gathers the next unit early, so "at
    /// the peak it holds the current set of parameters, next set of parameters, and current set of gradients"
    /// (torch/distributed/fsdp/api.py, BackwardPrefetch); FSDP2's fully_shard prefetches one unit ahead the same way.
    /// QLoRA's base units gather in NF4 (bnb_4bit_quant_storage keeps the packed bytes).
    /// </summary>
    /// <summary>
    /// A decoder layer's matrices: attention, the dense MLP or the experts with their router weights (norms and shared
    /// experts left out) — what ZeRO-3/FSDP gather as one unit, and what weighs a pipeline stage's layers.
    /// </summary>
    private static long DecoderLayerParameters(ModelShape shape, LayerShape l)
    {
        var h = shape.HiddenSize;
        return ParameterFormulas.Attention(h, l.Attention)
            + (l.Mlp.IntermediateSize > 0 ? ParameterFormulas.Mlp(h, l.Mlp.IntermediateSize, l.Mlp.Gated, l.Mlp.Bias) : 0)
            + (l.Mlp.Moe is { } m ? m.Experts * ParameterFormulas.Mlp(h, m.ExpertIntermediateSize, l.Mlp.Gated, m.ExpertBias) + m.Experts * h : 0);
    }

    private static Term GatheredLayer(ModelShape shape, TrainingRequest request, TrainingMethod method, TrainingPrecision precision)
    {
        var largest = shape.Layers.Max(l => DecoderLayerParameters(shape, l));
        if (request.Fsdp && request.FsdpSeparateEmbeddings && request.Model.Breakdown is { } units)
        {
            // Embeddings and LM head wrapped on their own: a large vocabulary makes one of them the largest unit.
            largest = Math.Max(largest, Math.Max(units["embeddings"], units["lm_head"]));
        }

        var weightType = method == TrainingMethod.Qlora ? QloraBase.WeightType : precision.Weights;
        var parameterCopies = request.Fsdp ? 2 : 1;
        var parameters = weightType.SizeOf(largest) * parameterCopies;
        var gradients = method == TrainingMethod.Full ? precision.Gradients.SizeOf(largest) : ByteSize.Zero;
        var label = $"Gathered layer{(request.Fsdp ? " ×2 (FSDP prefetch)" : "")}{(method == TrainingMethod.Full ? " + its gradients" : "")} ({weightType.Name})";
        return new Term(TermId.GatheredParameters, label, parameters + gradients,
            request.Fsdp
                ? "FSDP all-gather per decoder layer; BackwardPrefetch.BACKWARD_PRE holds the current and next parameters and the current gradients (torch/distributed/fsdp/api.py)"
                : "ZeRO-3 all-gather of the largest layer (DeepSpeed stage3.py; estimate_zero3_model_states_mem_needs: largest layer's 16-bit parameters and gradients)",
            () => $"{parameterCopies} × {FormulaText.Storage(largest, 1, largest, "params of the largest decoder layer", weightType)}"
                + (method == TrainingMethod.Full ? $" + {FormulaText.Storage(largest, 1, largest, "gradients", precision.Gradients)}" : ""));
    }

    /// <summary>
    /// DeepSpeed's gradient bucket(s), when this run has them (see <see cref="TrainingRequest.ZeroBucketBuffers"/>), in the
    /// working dtype: DeepSpeed casts the module to it (engine.py), stage_1_and_2.py sizes the bucket in the optimized
    /// parameters' dtype and stage3.py in communication_data_type, which defaults to it.
    /// </summary>
    private static Term? ZeroBucket(TrainingRequest request, TrainingPrecision precision)
    {
        var buffers = request.ZeroBucketBuffers;
        if (buffers == 0)
        {
            return null;
        }

        var type = precision.Weights;
        return TrainingStateFormulas.ZeroBuckets(request.Zero, request.ZeroBucketElements ?? TrainingRequest.DefaultZeroBucketElements, buffers, type);
    }

    /// <summary>
    /// ZeRO-Offload on stages 1–2 stages each gradient on its way to the CPU optimizer through two buffers the size of the
    /// largest parameter, one on the GPU and one in pinned host memory (DeepSpeed stage_1_and_2.py:
    /// temp_grad_buffer_for_gpu_offload and temp_grad_buffer_for_cpu_offload, largest_param_numel elements of the working
    /// dtype). For an LLM the largest parameter is the embedding (or LM head) matrix. Adapters are small: left out.
    /// </summary>
    private static Term? OffloadStaging(TrainingRequest request, TrainingMethod method, TrainingPrecision precision)
    {
        if (!request.OffloadOptimizer || request.Zero is not (1 or 2) || request.Fsdp || method != TrainingMethod.Full || request.Model.Shape is not { } shape)
        {
            return null;
        }

        var largest = AccelerateEstimate.LargestLayerParameters(shape);
        var type = precision.Weights;
        return new Term(TermId.FrameworkOverhead, $"ZeRO-Offload gradient staging buffer ({type.Name})", type.SizeOf(largest),
            "DeepSpeed stage_1_and_2.py: temp_grad_buffer_for_gpu_offload / _for_cpu_offload, the largest parameter's elements",
            () => FormulaText.Storage(largest, 1, largest, "elements of the largest parameter", type));
    }

    /// <summary>
    /// FSDP's root unit: with per-decoder-layer wrapping, what no layer owns (embeddings, final norm, LM head) belongs to
    /// the root, whose parameters are not resharded after the forward because the backward needs them at once: FSDP1
    /// (torch/distributed/fsdp/_runtime_utils.py _post_forward_reshard frees the unsharded parameters of non-root handles only)
    /// and FSDP2 (_composable/fsdp/_fsdp_state.py _lazy_init sets the root's post_forward_mesh_info to None). So they stay gathered, in the compute
    /// dtype, from the forward until the backward ends: live at the backward's start and at the recomputations, not at
    /// the optimizer step. Example: Llama-3.1-70B, bf16: (2 × 128,256 × 8,192 + 8,192) params × 2 B = 4.2 GB.
    /// </summary>
    private static Term GatheredRoot(ModelShape shape, ParameterBreakdown breakdown, DataType type)
    {
        var root = checked(breakdown["embeddings"] + breakdown["lm_head"] + (long)shape.FinalNorms * shape.HiddenSize);
        var bytes = type.SizeOf(root);
        return new Term(TermId.GatheredRoot, $"FSDP root unit unsharded: embeddings, final norm, LM head ({type.Name})", bytes,
            "torch/distributed/fsdp/_runtime_utils.py _post_forward_reshard (the root's parameters are not freed after the forward); FSDP2 _fsdp_state.py _lazy_init (the root's post_forward_mesh_info = None)",
            () => FormulaText.Storage(root, 1, root, "params of embeddings, final norm and LM head", type));
    }

    /// <summary>
    /// A pipeline stage's share of the model states, which were computed as an even 1/pp: the stage's decoder layers
    /// (weighted by their parameters: dense and MoE layers differ), the embeddings on the first stage, the final norm and
    /// the LM head on the last — a tied head included, as Megatron keeps a copy of the word embeddings on the last stage
    /// for the output layer (megatron/core/models/common/language_module: shared_embedding_or_output_weight). Adapters,
    /// their gradients and optimizer states live in the layers only.
    /// </summary>
    /// <param name="ddpBuckets">Plain DDP's copy of the gradients, which follows the gradients' share; null without it.</param>
    private static ImmutableArray<Term> StageStates(ImmutableArray<Term> states, ModelShape shape, ParameterBreakdown counts, TrainingMethod method, int stage, int stages, Term? ddpBuckets)
    {
        long LayerWeight(LayerShape l) => DecoderLayerParameters(shape, l);
        var layers = TrainingActivations.StageLayers(shape, stages, stage);
        var all = shape.Layers.Sum(LayerWeight);
        var finalNorm = (long)shape.FinalNorms * shape.HiddenSize;
        var embeddings = counts["embeddings"];
        var head = shape.TiedEmbeddings ? embeddings : counts["lm_head"];
        var total = counts.Total.Value;
        var body = total - embeddings - counts["lm_head"] - finalNorm;
        var mine = (Int128)body * layers.Sum(LayerWeight) / Math.Max(all, 1)
            + (stage == 0 ? embeddings : 0) + (stage == stages - 1 ? head + finalNorm : 0);
        // Terms of the layers only: a stage's layer count over the even share L/pp.
        (Int128 Num, Int128 Den) layerShare = ((Int128)layers.Count * stages, shape.LayerCount);
        (Int128 Num, Int128 Den) paramShare = (mine * stages, total), whole = (1, 1);
        var adapters = method != TrainingMethod.Full;
        return [.. states.Select(t =>
        {
            (Int128 Num, Int128 Den) share = t.Id == TermId.Weights || t.Id == TermId.ReferenceModel || (!adapters && (t.Id == TermId.Gradients || t.Id == TermId.MasterWeights || t.Id == TermId.OptimizerStates || ReferenceEquals(t, ddpBuckets)))
                ? paramShare
                : adapters && (t.Id == TermId.AdapterWeights || t.Id == TermId.Gradients || t.Id == TermId.OptimizerStates) ? layerShare
                : whole;
            if (share.Num == share.Den)
            {
                return t;
            }

            var bytes = ByteSize.FromBytes((long)((t.Bytes.Bytes * share.Num + share.Den - 1) / share.Den));
            var what = share == layerShare ? $"{layers.Count} of {shape.LayerCount} layers" : $"stage {stage}'s {FormulaText.Count((long)mine)} of {FormulaText.Count(total)} params";
            return new Term(t.Id, $"{t.Label}, stage {stage}", bytes, t.Source + "; pipeline stage's share (Megatron: embeddings on the first stage, LM head on the last)",
                () => $"({t.Formula}) × {stages} × {what}");
        })];
    }

    /// <summary>QLoRA's base: NF4 with double-quantised constants (QLoRA paper §3; bitsandbytes bnb-nf4-dq).</summary>
    private static WeightQuantization QloraBase => WeightQuantization.Schemes.Single(s => s.Name == "bnb-nf4-dq");

    /// <summary>
    /// ZeRO (Rajbhandari et al. 2019, §5): stage 1 partitions the optimizer states (with the fp32 master weights) over the
    /// N data-parallel ranks, stage 2 also the gradients, stage 3 also the weights; each rank keeps ⌈1/N⌉ of each.
    /// Example (Figure 1): 7.5B parameters, mixed-precision Adam, 64 GPUs: 120, 31.4, 16.6 and 1.9 GB per GPU for stages 0–3.
    /// Offloading the optimizer moves the optimizer states, the master weights and the gradients (whose partitions the CPU
    /// optimizer reads) to host RAM: ZeRO-Offload (Ren et al. 2021, §4.1: "offload the gradients, optimizer states and
    /// optimizer computation to CPU"; DeepSpeed's estimate_zero2/zero3_model_states_mem_needs keep only the 16-bit weights
    /// on the GPU); PyTorch FSDP's CPUOffload keeps the sharded gradients on the CPU as well.
    /// </summary>
    private static (ImmutableArray<Term> Gpu, ImmutableArray<Term> Host) Shard(ImmutableArray<Term> terms, int stage, int ranks, bool offload, bool offloadParameters)
    {
        bool Sharded(TermId id) =>
            (stage >= 1 && (id == TermId.OptimizerStates || id == TermId.MasterWeights))
            || (stage >= 2 && id == TermId.Gradients)
            || (stage >= 3 && (id == TermId.Weights || id == TermId.AdapterWeights || id == TermId.ReferenceModel));
        var sharded = terms.Select(t => Sharded(t.Id) && ranks > 1 ? t.DivideOver(ranks).WithLabel($"{t.Label}, ZeRO-{stage} 1/{ranks}") : t).ToImmutableArray();
        if (!offload && !offloadParameters)
        {
            return (sharded, []);
        }

        bool Offloaded(Term t) =>
            (offload && (t.Id == TermId.OptimizerStates || t.Id == TermId.MasterWeights || t.Id == TermId.Gradients))
            || (offloadParameters && stage == 3 && t.Id == TermId.Weights);
        return ([.. sharded.Where(t => !Offloaded(t))], [.. sharded.Where(Offloaded)]);
    }

    /// <summary>
    /// DPO's frozen reference model for full training: a copy of the weights in the working dtype (TRL
    /// trainer/dpo_trainer.py create_reference_model; sharded like the weights under ZeRO-3). With adapters, TRL uses the
    /// base with the adapters disabled (null_ref_context): no copy.
    /// </summary>
    private static Term ReferenceModel(ParameterCount parameters, TrainingPrecision precision, long shards)
    {
        var copy = WeightFormulas.Weights(parameters, precision.Weights, shards);
        return new Term(TermId.ReferenceModel, $"Reference model (frozen, {precision.Weights.Name})", copy.Bytes,
            "TRL trainer/dpo_trainer.py: a frozen copy of the policy (create_reference_model)", () => copy.Formula);
    }

    private const string BackwardStart = "backward start";
    private const string Recomputation = "layer recomputation";
    private const string OptimizerStep = "optimizer step";

    /// <summary>
    /// The largest of the step's peaks, as the terms live then. At the start of the backward pass the saved
    /// activations and the loss are live, and the gradients only when they persist between steps (gradient accumulation;
    /// DeepSpeed's contiguous gradient partitions, stage_1_and_2.py grads_in_partition, stage3.py grad_partitions_flat_buffer); otherwise torch's zero_grad(set_to_none=True) freed them after the last step and
    /// activations are freed layer by layer as gradients appear. At the optimizer step every gradient is live and the
    /// activations are gone. With the optimizer in the backward (torchtune optimizer_in_bwd) no full set of gradients ever lives.
    /// With full checkpointing a layer is recomputed only when the backward reaches it (torch/utils/checkpoint.py: the
    /// recomputation runs inside the checkpointed function's backward, reentrant or not), and autograd has by then run
    /// the loss's and the LM head's backward nodes, which free their saved tensors (retain_graph=False): the loss and
    /// the recomputed layer are never live together. The recomputation is its own moment: the checkpointed inputs and one
    /// layer, with every gradient counted live (by the last layer's recomputation all but the first layer's exist)
    /// unless the optimizer runs in the backward — an upper bound, as the checkpoints above that layer are freed by then.
    /// </summary>
    private static (ImmutableArray<Term> Terms, string Phase, (string Phase, ByteSize Bytes) Other) Peak(ImmutableArray<Term> states, ImmutableArray<Term> activations, TrainingRequest request)
    {
        static ByteSize Sum(IEnumerable<Term> terms) => terms.Aggregate(ByteSize.Zero, (s, t) => s + t.Bytes);
        var persistent = !request.OptimizerInBackward && ((request.GradientAccumulation ?? 1) > 1 || request.Zero >= 1);
        var recomputed = request.Checkpointing == Checkpointing.Full;
        var phases = new List<(ImmutableArray<Term> Terms, string Phase)>
        {
            ([.. states.Where(t => t.Id != TermId.Gradients || persistent).Concat(activations.Where(t => !recomputed || t.Id != TermId.Activations))], BackwardStart),
        };
        if (recomputed)
        {
            phases.Add(([.. states.Where(t => t.Id != TermId.Gradients || !request.OptimizerInBackward).Concat(activations.Where(t => t.Id != TermId.Logits))], Recomputation));
        }

        phases.Add((request.OptimizerInBackward ? [.. states.Where(t => t.Id != TermId.Gradients)] : states, OptimizerStep));
        var peak = phases.MaxBy(p => Sum(p.Terms));
        var other = phases.Where(p => p.Phase != peak.Phase).MaxBy(p => Sum(p.Terms));
        return (peak.Terms, peak.Phase, (other.Phase, Sum(other.Terms)));
    }

    public static Estimate Estimate(TrainingRequest request)
    {
        var method = request.Method ?? TrainingMethod.Full;
        if (method != TrainingMethod.Full && request.Model.Shape is null)
        {
            throw new EstimateException(
                $"--method {method.ToString().ToLowerInvariant()} needs the model's architecture to size its adapters; a bare parameter count supports --method full only.");
        }

        var precision = request.Precision ?? TrainingPrecision.MixedBf16;
        var optimizer = request.Optimizer ?? Optimizer.AdamW;
        var parallel = request.Parallelism ?? Parallelism.Single;
        var sequence = request.SequenceTokens ?? TrainingRequest.DefaultSequenceTokens;
        var batch = request.Batch ?? TrainingRequest.DefaultBatch;
        var parameters = request.Model.Parameters;
        var shards = parallel.ModelShards;

        var terms = ImmutableArray.CreateBuilder<Term>();
        if (method == TrainingMethod.Full)
        {
            terms.Add(WeightFormulas.Weights(parameters, precision.Weights, shards));
            if (request.Preference)
            {
                terms.Add(ReferenceModel(parameters, precision, shards));
            }

            terms.Add(TrainingStateFormulas.Gradients(parameters, precision.Gradients, shards));
            if (precision.MasterWeights is { } master)
            {
                terms.Add(TrainingStateFormulas.MasterWeights(parameters, master, shards));
            }

            terms.Add(optimizer.Storage == OptimizerStateStorage.Factored && request.Model.Shape is { } shape
                ? TrainingStateFormulas.FactoredStates(shape, parameters, optimizer, precision.States, shards)
                : TrainingStateFormulas.OptimizerStates(parameters, optimizer, precision, shards));
        }
        else
        {
            terms.AddRange(AdapterTerms(request, method, precision, optimizer, shards));
        }
        if (request.Capacity is not null && DeviceCapacity.HasCudaContext(request.Capacity))
        {
            terms.Add(CudaContextFormulas.CudaContext(CudaContextFormulas.PyTorch, "PyTorch", InferenceEngine.Transformers.CudaContextSource));
        }

        // Plain DDP (several replicas, no sharding) keeps a second copy of the gradients in its all-reduce buckets.
        Term? ddpBuckets = null;
        if (parallel.Replicas > 1 && request.Zero == 0 && !request.BucketView && terms.FirstOrDefault(t => t.Id == TermId.Gradients) is { } grads)
        {
            ddpBuckets = TrainingStateFormulas.DdpBuckets(grads);
            terms.Add(ddpBuckets);
        }

        var ranks = request.HybridShard ? Math.Max(1, parallel.Replicas / parallel.Nodes) : parallel.Replicas;
        var (gpuTerms, hostTerms) = Shard(terms.ToImmutable(), request.Zero, ranks, request.OffloadOptimizer, request.OffloadParameters);
        if (request.Zero == 3 && request.Model.Shape is { } layered && ranks > 1)
        {
            gpuTerms = gpuTerms.Add(GatheredLayer(layered, request, method, precision));
        }

        if (OffloadStaging(request, method, precision) is { } staging)
        {
            gpuTerms = gpuTerms.Add(staging);
            hostTerms = hostTerms.Add(staging.WithLabel(staging.Label + ", pinned"));
        }

        // Stage 3 allocates its bucket with the optimizer (live all step); stages 1 and 2 at each backward, released after the
        // reduction. A bare parameter count gives the model states only (ZeRO paper Figure 1), as without the gathered layer.
        var bucket = request.Model.Shape is null ? null : ZeroBucket(request, precision);
        if (bucket is not null && request.Zero == 3)
        {
            gpuTerms = gpuTerms.Add(bucket);
        }

        string? peak = null;
        (string Phase, ByteSize Bytes)? otherPhase = null;
        ImmutableArray<DeviceEstimate> devices;
        var perNode = parallel.Gpus / parallel.Nodes;
        if (request.Model.Shape is { } shaped)
        {
            // Pipeline stages differ (their layers, micro-batches in flight, the loss on the last): one set of terms each.
            // Megatron orders ranks tensor-, then data-, then pipeline-parallel, so stage s is the s-th block of GPUs.
            var stages = parallel.PipelineParallel;
            var perStage = parallel.Gpus / stages;
            var gpus = ImmutableArray.CreateBuilder<DeviceEstimate>(parallel.Gpus);
            var stageHost = new ImmutableArray<Term>[stages];
            ByteSize largest = ByteSize.Zero;
            for (var stage = 0; stage < stages; stage++)
            {
                // DPO concatenates each chosen and rejected sequence into one forward pass (TRL trainer/dpo_trainer.py concatenated_forward).
                var (activations, offloaded) = TrainingActivations.Terms(request, shaped, method, precision, parallel, request.Preference ? checked(2 * batch) : batch, sequence, stage);
                if (bucket is not null && request.Zero < 3)
                {
                    activations = activations.Add(bucket);
                }

                if (request.Fsdp && !request.FsdpSeparateEmbeddings && request.Zero == 3 && ranks > 1 && request.Model.Breakdown is { } breakdown)
                {
                    activations = activations.Add(GatheredRoot(shaped, breakdown, request.UpcastsForKbit ? DataType.Fp32 : precision.Weights));
                }

                var states = stages > 1 && request.Model.Breakdown is { } counts ? StageStates(gpuTerms, shaped, counts, method, stage, stages, ddpBuckets) : gpuTerms;
                var (stageTerms, stagePeak, stageOther) = Peak(states, activations, request);
                var total = stageTerms.Aggregate(ByteSize.Zero, (sum, t) => sum + t.Bytes);
                if (peak is null || total > largest)
                {
                    (peak, otherPhase, largest) = (stagePeak, stageOther, total);
                }

                gpus.AddRange(DeviceLayout.IdenticalGpus(perStage, stageTerms, request.Capacity, first: stage * perStage));
                stageHost[stage] = offloaded;
            }

            devices = gpus.MoveToImmutable();
            // One host per node holds the offloaded states and activations of its GPUs.
            devices = devices.AddRange(Enumerable.Range(0, parallel.Nodes)
                .Select(n => new DeviceEstimate(parallel.Nodes == 1 ? "cpu" : $"cpu{n}", [.. hostTerms.Select(t => t.Times(perNode)),
                    .. Enumerable.Range(n * perNode, perNode).GroupBy(gpu => gpu / perStage).SelectMany(g => stageHost[g.Key].Select(t => t.Times(g.Count())))]))
                .Where(d => d.Terms.Length > 0));
        }
        else
        {
            devices = DeviceLayout.IdenticalGpus(parallel.Gpus, gpuTerms, request.Capacity);
            if (hostTerms.Length > 0)
            {
                // One host per node holds the offloaded states of its GPUs.
                devices = devices.AddRange(Enumerable.Range(0, parallel.Nodes).Select(n =>
                    new DeviceEstimate(parallel.Nodes == 1 ? "cpu" : $"cpu{n}", [.. hostTerms.Select(t => t.Times(perNode))])));
            }
        }

        var warnings = new List<EstimateWarning>(request.Model.Notes);
        if (request.Model.Shape is null)
        {
            warnings.Add(new("needs_architecture",
                $"A bare parameter count gives the model states only: activations for batch {SettingsBuilder.Thousands(batch)} × {SettingsBuilder.Thousands(sequence)} tokens need the model's architecture.",
                "model"));
        }
        else
        {
            var other = otherPhase!.Value.Phase switch
            {
                BackwardStart => "the start of the backward pass",
                Recomputation => "the layer recomputation",
                _ => "the optimizer step",
            };
            warnings.Add(new("peak_phase", peak switch
            {
                BackwardStart => $"The peak falls at the start of the backward pass: the saved activations and the loss are live; {other} needs {otherPhase!.Value.Bytes.Format()} per GPU.",
                Recomputation => $"The peak falls when a checkpointed layer is recomputed in the backward pass (the loss's tensors are freed by then); {other} needs {otherPhase!.Value.Bytes.Format()} per GPU.",
                _ => $"The peak falls at the optimizer step (all gradients live, activations freed); {other} needs {otherPhase!.Value.Bytes.Format()} per GPU.",
            },
                "model"));
            // The figure a training run is most often compared with; PyTorch's caching allocator (c10/cuda/CUDACachingAllocator.cpp)
            // keeps freed blocks reserved, so max_memory_reserved and nvidia-smi read higher by an amount that depends on the
            // order of allocations, which llmem does not model.
            if (request.Capacity is { UnifiedMemory: true })
            {
                warnings.Add(new("unified_memory",
                    "Unified memory (Apple silicon, PyTorch's MPS): the capacity is the share of RAM macOS lets the GPU wire (about 75% by default; sysctl iogpu.wired_limit_mb raises it), and whatever is offloaded to the host comes out of the same RAM. No CUDA context is counted.",
                    "gpu"));
            }

            warnings.Add(new("allocated_not_reserved",
                request.Capacity is null
                    ? "This is what PyTorch allocates at the peak (max_memory_allocated); its caching allocator reserves more (max_memory_reserved), and nvidia-smi adds the CUDA context to that (give --gpu to count the context)."
                    : "This is what PyTorch allocates at the peak (max_memory_allocated) plus the CUDA context; its caching allocator reserves more (max_memory_reserved), which nvidia-smi shows with the context.",
                "gpu"));
            warnings.Add(new("activations_eager_modules",
                "Activations are the tensors autograd saves in Transformers-style modules (see --explain); fused kernels (torch.compile, Liger) keep less, and the backward's transient gradients are not added.",
                "checkpointing"));
            if (parallel.PipelineParallel > 1)
            {
                warnings.Add(new("pipeline_stages",
                    $"Pipeline parallel, 1F1B: each of the {parallel.PipelineParallel} stages is shown with its own layers and the micro-batches it holds in flight (stage s: min(micro-batches, {parallel.PipelineParallel} − s){(request.VirtualStages is > 1 ? ", interleaved by model chunk" : "")}); only the last computes the loss. The peak phase above is the fullest stage's.",
                    "pp"));
            }
        }
        if (optimizer.Storage == OptimizerStateStorage.Factored && request.Model.Shape is null)
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

        if (optimizer.Paged)
        {
            warnings.Add(new("optimizer_paged",
                $"{optimizer.Name} keeps the states of tensors with ≥{SettingsBuilder.Thousands(Optimizer.PagedMinimumElements)} elements in CUDA unified memory: counted on the GPU, where they stay while memory allows; under pressure the driver moves them to host RAM (slower steps, not an out-of-memory error), and PyTorch's max_memory_allocated/reserved do not include them.",
                "optimizer"));
        }

        if (shards > 1 && (parallel.TensorParallel > 1 || request.Model.Breakdown is null))
        {
            warnings.Add(new("even_split", request.Model.Breakdown is null
                ? $"Model states are split evenly over {shards} GPUs (--tp {parallel.TensorParallel} × --pp {parallel.PipelineParallel}); replicated embeddings and uneven layer counts need the architecture."
                : $"Tensor parallel splits {(parallel.PipelineParallel > 1 ? "each stage's" : "the")} model states evenly over --tp {parallel.TensorParallel} GPUs; the norms Megatron replicates on every GPU are counted once.",
                "tp"));
        }

        warnings.AddRange(DeviceLayout.CapacityWarnings(devices));

        var settings = new SettingsBuilder()
            .Add("method", method.ToString().ToLowerInvariant(), request.Method is null);
        if (method != TrainingMethod.Full)
        {
            settings.Add("rank", request.Rank ?? LoraAdapters.DefaultRank, request.Rank is null)
                .Add("targets", request.Targets is { } t && t.SequenceEqual(LoraAdapters.KnownModules) ? "all-linear" : string.Join(",", request.Targets ?? LoraAdapters.DefaultTargets),
                    request.Targets is null)
                .Add("adapter_dtype", (request.AdapterType ?? DataType.Fp32).Name, request.AdapterType is null);
            if (request.BaseType is { } baseType)
            {
                settings.Add("base_dtype", baseType.Name);
            }

            if (method == TrainingMethod.Qlora)
            {
                settings.Add("kbit_prep", request.UpcastsForKbit ? "on" : "off", request.KbitPreparation is null);
            }
        }

        settings
            .Add("precision", precision.Name, request.Precision is null)
            .Add("optimizer", optimizer.Name, request.Optimizer is null)
            .Add("seq", sequence, request.SequenceTokens is null)
            .Add("batch", batch, request.Batch is null)
            .AddHardware(parallel, request.Capacity);
        if (request.Zero > 0)
        {
            settings.Add("zero", request.Zero);
            if (!request.Fsdp)
            {
                settings.Add("zero_bucket_size", request.ZeroBucketElements ?? TrainingRequest.DefaultZeroBucketElements, request.ZeroBucketElements is null)
                    .Add("overlap_comm", request.OverlapsComm ? "on" : "off", request.OverlapComm is null)
                    .Add("deepspeed", request.DeepSpeed?.ToString() ?? "newest", request.DeepSpeed is null);
            }
        }
        else if (parallel.Replicas > 1)
        {
            settings.Add("ddp_bucket_view", request.BucketView ? "on" : "off", !request.BucketView);
        }

        if (request.OffloadOptimizer || request.OffloadParameters)
        {
            settings.Add("offload", string.Join("+", new[] { request.OffloadOptimizer ? "optimizer" : null, request.OffloadParameters ? "param" : null }.OfType<string>()));
        }

        if (request.HybridShard)
        {
            settings.Add("fsdp", "hybrid");
        }

        if (request.Fsdp && request.FsdpSeparateEmbeddings)
        {
            settings.Add("fsdp_shard_embeddings", "on");
        }

        if (request.Model.Shape is not null)
        {
            settings.Add("checkpointing", (request.Checkpointing ?? Checkpointing.None).ToString().ToLowerInvariant(), request.Checkpointing is null)
                .Add("attention", ActivationOptions.Name(request.Attention ?? AttentionImplementation.Sdpa), request.Attention is null)
                .Add("loss", request.LanguageModelHead ? (request.Loss ?? LossImplementation.Standard).ToString().ToLowerInvariant() : "none (task head)", request.Loss is null);
            if (request.Dropout is { } p)
            {
                settings.Add("dropout", p.ToString(System.Globalization.CultureInfo.InvariantCulture));
            }

            if (request.AdapterDropout is { } lp && method != TrainingMethod.Full)
            {
                settings.Add("lora_dropout", lp.ToString(System.Globalization.CultureInfo.InvariantCulture));
            }

            if (request.GradientAccumulation is { } ga)
            {
                settings.Add("grad_accum", ga);
            }

            if (parallel.PipelineParallel > 1)
            {
                settings.Add("micro_batches", request.MicroBatches ?? parallel.PipelineParallel, request.MicroBatches is null);
                if (request.VirtualStages is { } v)
                {
                    settings.Add("virtual_stages", v);
                }
            }

            if (request.SequenceParallel)
            {
                settings.Add("sequence_parallel", "on");
            }

            if (request.OffloadActivations)
            {
                settings.Add("offload_activations", "on");
            }

            if (request.OptimizerInBackward)
            {
                settings.Add("optimizer_in_backward", "on");
            }

            if (request.Compiled)
            {
                settings.Add("compile", "on");
            }

            if (request.Preference)
            {
                settings.Add("dpo", method == TrainingMethod.Full ? "on (reference copy; chosen + rejected)" : "on (reference = base without adapters; chosen + rejected)");
            }

            settings.Add("peak", peak!);
        }

        return new Estimate(
            ModelSummary.Of(request.Model),
            new Workload("training", settings.ToImmutable()),
            devices,
            [.. warnings]);
    }
}
