using System.Collections.Immutable;
using LlmMem.DataTypes;
using LlmMem.Estimates;
using LlmMem.Formulas;
using LlmMem.Hardware;
using LlmMem.Inference;
using LlmMem.Models;
using LlmMem.Training;
using LlmMem.Units;

namespace LlmMem.Tests.Training;

/// <summary>Activations of training, against Korthikanti et al. 2022 (Table 2) and a Llama layer counted by hand.</summary>
public class ActivationFormulasTests
{
    // GPT-3 175B as Korthikanti et al. 2022 §5 (Table 3) configure it: s 2048, h 12,288, a 96, L 96; LayerNorm, 4h GeLU MLP, dropout.
    private static readonly ModelShape Gpt3 = new("gpt2", 12_288, 51_200, 2048, true, NormShape.LayerNorm, new EmbeddingShape(2048),
        [.. Enumerable.Repeat(new LayerShape(new AttentionShape(AttentionKind.Full, 96, 96, 128, 128), new MlpShape(false, 4 * 12_288, true), 2), 96)],
        1, [], DataType.Fp16);

    // Llama-3.1-8B (its config.json): hidden 4096, 32 heads, 8 KV heads, head dim 128, SwiGLU 14,336, RMSNorm, vocab 128,256.
    internal static readonly ModelShape Llama8B = new("llama", 4096, 128_256, 131_072, false, NormShape.RmsNorm, new EmbeddingShape(),
        [.. Enumerable.Repeat(new LayerShape(new AttentionShape(AttentionKind.Full, 32, 8, 128, 128), new MlpShape(true, 14_336, false), 2), 32)],
        1, [], DataType.Bf16);

    private static LayerActivations Gpt3Layer => ActivationFormulas.Layer(Gpt3, Gpt3.Layers[0], 2, AttentionImplementation.Eager, dropout: true);

    private static LayerActivations LlamaLayer(AttentionImplementation attention, ImmutableArray<string>? targets = null, bool compiled = false) =>
        ActivationFormulas.Layer(Llama8B, Llama8B.Layers[0], 2, attention, dropout: false, targets, compiled);

    [Fact]
    public void Korthikanti_Gpt3Layer_IsSbh34Plus5asOverH()
    {
        // sbh(34 + 5as/h) = 2048 × 12,288 × 34 + 5 × 96 × 2048² = 855,638,016 + 2,013,265,920 bytes (b = 1).
        Assert.Equal(2_868_903_936L, ActivationFormulas.Korthikanti(2048, 1, 12_288, 96).Bytes);
    }

    [Fact]
    public void Korthikanti_TensorAndSequenceParallel_FollowTable2()
    {
        // TP 8: sbh(10 + 24/8 + 5as/(8h)) = 251,658,240 + 75,497,472 + 251,658,240.
        Assert.Equal(578_813_952L, ActivationFormulas.Korthikanti(2048, 1, 12_288, 96, t: 8).Bytes);
        // TP 8 + SP: sbh(34 + 5as/h) / 8.
        Assert.Equal(358_612_992L, ActivationFormulas.Korthikanti(2048, 1, 12_288, 96, t: 8, sequenceParallel: true).Bytes);
        // + selective recomputation: 34sbh / 8; full recomputation: 2sbh.
        Assert.Equal(106_954_752L, ActivationFormulas.Korthikanti(2048, 1, 12_288, 96, 8, true, Checkpointing.Selective).Bytes);
        Assert.Equal(50_331_648L, ActivationFormulas.Korthikanti(2048, 1, 12_288, 96, checkpointing: Checkpointing.Full).Bytes);
    }

    [Fact]
    public void TensorListing_OfAGpt3Layer_ReproducesKorthikanti()
    {
        // The same layer listed tensor by tensor (fp16, eager, dropout 0.1): 10h replicated, 24h parallel, 5a per context token.
        var layer = Gpt3Layer;
        Assert.Equal(10 * 12_288L, layer.Replicated);
        Assert.Equal(24 * 12_288L, layer.Parallel);
        Assert.Equal(5 * 96L, layer.ScoresPerToken);
        Assert.Equal(ActivationFormulas.Korthikanti(2048, 1, 12_288, 96).Bytes, 2048 * layer.PerToken(2048));
        Assert.Equal(ActivationFormulas.Korthikanti(2048, 1, 12_288, 96, t: 8).Bytes, 2048 * layer.PerToken(2048, 8));
        Assert.Equal(ActivationFormulas.Korthikanti(2048, 1, 12_288, 96, t: 8, sequenceParallel: true).Bytes, 2048 * layer.PerToken(2048, 8, sequenceParallel: true));
        Assert.Equal(ActivationFormulas.Korthikanti(2048, 1, 12_288, 96, 8, true, Checkpointing.Selective).Bytes,
            2048 * layer.PerToken(2048, 8, sequenceParallel: true, keepScores: false));
    }

    [Fact]
    public void LlamaLayer_Sdpa_Bf16_IsCountedByHand()
    {
        // Per token, bf16 (2 B), h 4096, q 32 × 128 = 4096, KV 8 × 128 = 1024, I 14,336:
        //   2 RMSNorms × (fp32 input 4 × 4096 + normalised 2 × 4096) = 49,152
        //   q/k/v input 8,192 + q after rotary 8,192 + k and v repeated to 32 heads 16,384
        //   SDPA output 8,192 + log-sum-exp 32 × 4 = 128 + o_proj's contiguous copy 8,192
        //   MLP input 8,192 + gate, SiLU, up, product 4 × 2 × 14,336 = 114,688
        //   = 221,312 B.
        Assert.Equal(221_312L, LlamaLayer(AttentionImplementation.Sdpa).PerToken(4096));
    }

    [Fact]
    public void LlamaLayer_FlashKeepsKvHeads_EagerKeepsTheScores()
    {
        // Flash: k, v at 8 KV heads (2 × 2,048 instead of 16,384) and no contiguous copy: 221,312 − 12,288 − 8,192.
        Assert.Equal(200_832L, LlamaLayer(AttentionImplementation.Flash).PerToken(4096));
        // Eager: no SDPA output nor log-sum-exp (−8,320), and 32 heads × (4 B fp32 softmax + 2 B probabilities) per context token.
        Assert.Equal(212_992L + 192 * 4096, LlamaLayer(AttentionImplementation.Eager).PerToken(4096));
    }

    [Fact]
    public void LoraOnQAndV_KeepsOnlyTheAdaptedLinearInputs()
    {
        // Frozen o_proj, gate/up and down save no input: 221,312 − 8,192 (o_proj) − 8,192 (MLP input) − 28,672 (product);
        // the frozen norms keep their fp32 inputs but not the normalised values (− 2 × 2 × 4,096).
        Assert.Equal(159_872L, LlamaLayer(AttentionImplementation.Sdpa, ["q_proj", "v_proj"]).PerToken(4096));
    }

    [Fact]
    public void Compiled_RmsNormSavesItsInputOnly()
    {
        // Two norms of 2 × 4096 instead of 6 × 4096: 221,312 − 2 × 16,384.
        Assert.Equal(188_544L, LlamaLayer(AttentionImplementation.Sdpa, compiled: true).PerToken(4096));
    }

    [Fact]
    public void Loss_Standard_IsThreeFp32CopiesOfTheLogits_ChunkedFarLess()
    {
        // 2 × 4,096 tokens × (128,256 × 12 B + final norm 6 × 4096 + head input 2 × 4096).
        Assert.Equal(8192L * (12 * 128_256 + 8 * 4096), ActivationFormulas.Loss(Llama8B, 2, 4096, 2, LossImplementation.Standard, 1).Bytes.Bytes);
        // Chunked: bf16 logits 2 B + fp32 log-softmax 4 B + one of 8 chunks' upcast 0.5 B per vocabulary entry.
        Assert.Equal(8192L * (2 * 128_256 + 4 * 128_256 + 4 * 128_256 / 8 + 8 * 4096),
            ActivationFormulas.Loss(Llama8B, 2, 4096, 2, LossImplementation.Chunked, 1).Bytes.Bytes);
    }

    private static Estimate Train(TrainingRequest request) => TrainingEstimator.Estimate(request);

    private static TrainingRequest Llama(long batch, long seq) =>
        new(new ModelSpec("llama-3.1-8b", ParameterCount.Of(8_030_261_248)) { Shape = Llama8B, Breakdown = ParameterFormulas.Count(Llama8B) }, Batch: batch, SequenceTokens: seq);

    private static long Bytes(Estimate e, TermId id) => e.Devices[0].Find(id)?.Bytes.Bytes ?? 0;

    [Fact]
    public void FullCheckpointing_KeepsEachLayersInput_AndOneLayerRecomputed()
    {
        var estimate = Train(Llama(2, 4096) with { Checkpointing = Checkpointing.Full, Attention = AttentionImplementation.Flash });
        // 32 layers × 8,192 tokens × 2 B × 4,096 = 2 GiB; one flash layer: 8,192 × 200,832 B.
        Assert.Equal(2_147_483_648L, Bytes(estimate, TermId.ActivationCheckpoints));
        Assert.Equal(8192L * 200_832, Bytes(estimate, TermId.Activations));
    }

    [Fact]
    public void WithoutCheckpointing_EveryLayerIsKept()
    {
        var estimate = Train(Llama(1, 4096));
        Assert.Equal(32L * 4096 * 221_312, Bytes(estimate, TermId.Activations));
        Assert.Equal(0, Bytes(estimate, TermId.ActivationCheckpoints));
    }

    [Fact]
    public void Peak_AtBackwardStart_LeavesOutFreedGradients_UnlessAccumulated()
    {
        var single = Train(Llama(1, 4096));
        Assert.Equal(0, Bytes(single, TermId.Gradients));
        Assert.Contains(single.Workload.Settings, s => s is { Name: "peak", Value: "backward start" });
        var accumulated = Train(Llama(1, 4096) with { GradientAccumulation = 4 });
        Assert.Equal(16_060_522_496L, Bytes(accumulated, TermId.Gradients));
        // The breakdown sums to the peak.
        Assert.Equal(accumulated.Devices[0].Terms.Sum(t => t.Bytes.Bytes), accumulated.Devices[0].Total.Bytes);
    }

    [Fact]
    public void Peak_AtTheOptimizerStep_WhenActivationsAreSmall()
    {
        // 64 tokens: activations are far below the 16 GB of gradients the step holds.
        var estimate = Train(Llama(1, 64));
        Assert.Contains(estimate.Workload.Settings, s => s is { Name: "peak", Value: "optimizer step" });
        Assert.Equal(16_060_522_496L, Bytes(estimate, TermId.Gradients));
        Assert.Equal(0, Bytes(estimate, TermId.Activations));
    }

    [Fact]
    public void OffloadedActivations_GoToTheHost()
    {
        var estimate = Train(Llama(1, 4096) with { Checkpointing = Checkpointing.Full, OffloadActivations = true });
        var host = estimate.Devices.Single(d => d.Name == "cpu");
        Assert.Equal(32L * 4096 * 8192, host.Find(TermId.ActivationCheckpoints)!.Bytes.Bytes);
        Assert.Equal(0, Bytes(estimate, TermId.ActivationCheckpoints));
    }

    [Fact]
    public void Pipeline_FirstStageHoldsPMicroBatches_OfItsLayers_SequenceParallelDividesAll()
    {
        // 32 layers over pp 4 = 8 per stage; 8 micro-batches, 4 in flight; TP 2 + SP halves every tensor: 221,312 / 2.
        Assert.True(Parallelism.TryCreate(2, 4, 8, null, out var parallel, out _));
        var estimate = Train(Llama(1, 4096) with { Parallelism = parallel, SequenceParallel = true, MicroBatches = 8 });
        Assert.Equal(4L * 8 * 4096 * (221_312 / 2), Bytes(estimate, TermId.Activations));
    }

    [Fact]
    public void Dpo_AddsAFrozenReferenceCopy_AndDoublesTheBatch()
    {
        var sft = Train(Llama(1, 4096));
        var dpo = Train(Llama(1, 4096) with { Preference = true });

        Assert.Equal(16_060_522_496L, Bytes(dpo, TermId.ReferenceModel)); // a bf16 copy of the 8,030,261,248 weights
        Assert.Equal(2 * Bytes(sft, TermId.Activations), Bytes(dpo, TermId.Activations)); // chosen + rejected
        Assert.Equal(2 * Bytes(sft, TermId.Logits), Bytes(dpo, TermId.Logits));
        Assert.Equal(0, Bytes(Train(Llama(1, 4096) with { Preference = true, Method = TrainingMethod.Lora }), TermId.ReferenceModel));
    }

    [Fact]
    public void InterleavedSchedule_HoldsOnePlusPMinusOneOverPvMore()
    {
        // Korthikanti §4.2.3 / Megatron's interleaved_schedule_memory_penalty: p 4, v 2 → 1 + 3/8 = 11/8 on the first stage,
        // once there are micro-batches enough for the steady state (Megatron's warm-up: 2(p − 1) + (v − 1)p = 10 chunks, + 1).
        Assert.True(Parallelism.TryCreate(2, 4, 8, null, out var parallel, out _));
        var plain = Train(Llama(1, 4096) with { Parallelism = parallel, SequenceParallel = true, MicroBatches = 8 });
        var interleaved = Train(Llama(1, 4096) with { Parallelism = parallel, SequenceParallel = true, VirtualStages = 2, MicroBatches = 8 });
        Assert.Equal(Bytes(plain, TermId.Activations) * 11 / 8, Bytes(interleaved, TermId.Activations));

        // With only p micro-batches every chunk's forward is a warm-up one (8 of the 10): no more than the plain schedule.
        var few = Train(Llama(1, 4096) with { Parallelism = parallel, SequenceParallel = true, VirtualStages = 2, MicroBatches = 4 });
        Assert.Equal(Bytes(plain, TermId.Activations), Bytes(few, TermId.Activations));
    }

    [Fact]
    public void Pipeline_StatesFollowTheStagesParameters_EmbeddingsFirst_HeadLast()
    {
        // Llama-3.1-8B over 4 stages: 32 layers hold 8,030,261,248 − 2 × 525,336,576 (embeddings, untied head) − 4,096
        // (final norm) = 6,979,584,000 params, 1,744,896,000 a stage; the first adds the embeddings, the last the head and
        // the norm. bf16 weights: 2 B each.
        Assert.True(Parallelism.TryCreate(1, 4, 4, null, out var parallel, out _));
        var estimate = Train(Llama(1, 1024) with { Parallelism = parallel });
        long[] expected = [2 * 2_270_232_576L, 2 * 1_744_896_000L, 2 * 1_744_896_000L, 2 * 2_270_236_672L];

        Assert.Equal(expected, estimate.Devices.Take(4).Select(d => d.Find(TermId.Weights)!.Bytes.Bytes));
        Assert.DoesNotContain(estimate.Warnings, w => w.Code == "even_split");
    }

    [Fact]
    public void Pipeline_1F1B_StageSHoldsPMinusSMicroBatches_AndOnlyTheLastTheLoss()
    {
        // 1F1B (Narayanan et al. 2021): stage s keeps min(m, p − s) micro-batches; Llama-3.1-8B's 32 layers, 8 per stage.
        Assert.True(Parallelism.TryCreate(1, 4, 4, null, out var parallel, out _));
        var estimate = Train(Llama(1, 2048) with { Parallelism = parallel, MicroBatches = 8 });
        var perStage = estimate.Devices.Where(d => d.Name.StartsWith("gpu", StringComparison.Ordinal)).Select(d => d.Find(TermId.Activations)!.Bytes.Bytes).ToArray();

        Assert.Equal(4, perStage.Length);
        Assert.Equal([4 * perStage[3], 3 * perStage[3], 2 * perStage[3], perStage[3]], perStage);
        Assert.All(estimate.Devices.Take(3), d => Assert.Null(d.Find(TermId.Logits)));
        Assert.NotNull(estimate.Devices[3].Find(TermId.Logits));
        Assert.Contains("8 layers", estimate.Devices[0].Find(TermId.Activations)!.Label);
    }
}
