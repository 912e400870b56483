using System.Collections.Immutable;
using LlmMem.Estimates;
using LlmMem.Formulas;
using LlmMem.Hardware;
using LlmMem.Inference;
using LlmMem.Models;

namespace LlmMem.Training;

/// <summary>The activation and loss terms of one training step on one GPU, and what activation offloading moves to the host.</summary>
internal static class TrainingActivations
{
    /// <param name="stage">The pipeline stage (0 … pp − 1) whose GPUs these terms are for.</param>
    public static (ImmutableArray<Term> Gpu, ImmutableArray<Term> Host) Terms(TrainingRequest request, ModelShape shape, TrainingMethod method, TrainingPrecision precision,
        Parallelism parallel, long batch, long tokens, int stage = 0)
    {
        var bytes = precision.Weights.BytesPerBlock;
        var attention = request.Attention ?? AttentionImplementation.Sdpa;
        var checkpointing = request.Checkpointing ?? Checkpointing.None;
        var dropout = (request.Dropout ?? 0) > 0;
        ImmutableArray<string>? targets = method == TrainingMethod.Full ? null : request.Targets ?? LoraAdapters.DefaultTargets;
        int tp = parallel.TensorParallel, pp = parallel.PipelineParallel;
        var sp = request.SequenceParallel && tp > 1;
        var stageLayers = StageLayers(shape, pp, stage);
        var microBatches = request.MicroBatches ?? pp;
        var virtualStages = pp > 1 && request.VirtualStages is > 1 and var v ? v : 1;
        // 1F1B (Narayanan et al. 2021 §2.2; Megatron schedules.py forward_backward_pipelining_without_interleaving): stage s
        // runs pp − s − 1 warm-up forwards before its first backward, so it holds min(m, pp − s) micro-batches' activations.
        long inFlight = virtualStages > 1 ? 1 : Math.Min(microBatches, pp - stage);
        var name = ActivationOptions.Name(attention);
        var compiled = request.Compiled;
        // PEFT's adapters read their own copy of the input unless it is already in their dtype and there is no lora_dropout.
        var adapterInput = method == TrainingMethod.Full ? null
            : new AdapterInput((request.AdapterType ?? DataTypes.DataType.Fp32).BytesPerBlock, (request.AdapterDropout ?? 0) > 0, request.UpcastsForKbit ? 4 : bytes);
        var widest = ActivationFormulas.Widest(shape, tokens, bytes, attention, dropout, targets, tp, sp, compiled, adapterInput).Layer;
        Term OneLayer(string label) => ActivationFormulas.Layers(shape, [widest], batch, tokens, bytes, attention, dropout, targets, tp, sp, keepScores: true, inFlight: 1, label, compiled, adapterInput);

        Term Interleave(Term t) => virtualStages > 1 ? ActivationFormulas.Interleaved(t, pp, virtualStages, stage, microBatches) : t;
        var gpu = ImmutableArray.CreateBuilder<Term>();
        var host = ImmutableArray.CreateBuilder<Term>();
        if (checkpointing == Checkpointing.Full)
        {
            // After prepare_model_for_kbit_training the fp32 embedding output keeps the residual stream in fp32
            // (bitsandbytes Linear4bit casts its output back to its input's dtype).
            var residual = request.UpcastsForKbit ? 4 : bytes;
            var inputs = ActivationFormulas.CheckpointedInputs(shape, stageLayers.Count, batch, tokens, residual, tp, sp, inFlight,
                $"Checkpointed layer inputs ({stageLayers.Count} layers{(request.OffloadActivations ? ", offloaded" : "")})");
            (request.OffloadActivations ? host : gpu).Add(Interleave(inputs));
            gpu.Add(OneLayer($"Activations (one layer recomputed, {name})"));
        }
        else
        {
            var label = $"Activations ({stageLayers.Count} layers, {name}{(checkpointing == Checkpointing.Selective ? ", selective recomputation" : "")}{(request.OffloadActivations ? ", offloaded" : "")})";
            var all = ActivationFormulas.Layers(shape, stageLayers, batch, tokens, bytes, attention, dropout, targets, tp, sp,
                keepScores: checkpointing != Checkpointing.Selective, inFlight, label, compiled, adapterInput);
            all = Interleave(all);
            if (request.OffloadActivations)
            {
                // torchtune training/_activation_offloading.py: saved tensors go to the host; the layer being computed stays.
                host.Add(all);
                gpu.Add(OneLayer($"Activations (the layer being computed, {name})"));
            }
            else
            {
                gpu.Add(all);
            }
        }

        if (request.LanguageModelHead && stage == pp - 1)
        {
            // prepare_model_for_kbit_training leaves the LM head fp32; mixed precision runs it under autocast.
            var autocastHeadCopy = request.UpcastsForKbit && precision.MasterWeights is not null;
            gpu.Add(ActivationFormulas.Loss(shape, batch, tokens, bytes, request.Loss ?? LossImplementation.Standard, tp, compiled, autocastHeadCopy,
                frozenNorms: method != TrainingMethod.Full));
        }

        return (gpu.ToImmutable(), host.ToImmutable());
    }

    /// <summary>
    /// Stage <paramref name="stage"/>'s decoder layers: the layers split evenly over the pp stages in order (Megatron's
    /// default), the first L mod pp stages taking one more.
    /// </summary>
    internal static List<LayerShape> StageLayers(ModelShape shape, int pp, int stage)
    {
        int layers = shape.LayerCount, each = layers / pp, extra = layers % pp;
        var start = stage * each + Math.Min(stage, extra);
        return shape.Layers.Skip(start).Take(each + (stage < extra ? 1 : 0)).ToList();
    }
}
