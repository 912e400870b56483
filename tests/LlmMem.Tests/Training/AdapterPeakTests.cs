using LlmMem.DataTypes;
using LlmMem.Estimates;
using LlmMem.Formulas;
using LlmMem.Hardware;
using LlmMem.Inference;
using LlmMem.Models;
using LlmMem.Training;
using LlmMem.Units;

namespace LlmMem.Tests.Training;

/// <summary>
/// The rules behind LoRA/QLoRA peaks, on Llama-3.1-8B's shapes counted by hand: what PEFT's adapters save, the compiled
/// and the Transformers 4.46–4.48 losses, the moments of a checkpointed backward, FSDP's root unit and an fp32 base.
/// </summary>
public class AdapterPeakTests
{
    private static readonly ModelShape Llama8B = ActivationFormulasTests.Llama8B;

    private static readonly System.Collections.Immutable.ImmutableArray<string> All = LoraAdapters.KnownModules;

    private static long PerToken(AdapterInput? input) =>
        ActivationFormulas.Layer(Llama8B, Llama8B.Layers[0], 2, AttentionImplementation.Sdpa, dropout: false, All, compiled: false, input).PerToken(4096);

    private static TrainingRequest Llama(long batch, long seq) =>
        new(new ModelSpec("llama-3.1-8b", ParameterCount.Of(8_030_261_248)) { Shape = Llama8B, Breakdown = ParameterFormulas.Count(Llama8B) }, Batch: batch, SequenceTokens: seq);

    private static long Bytes(Estimate e, TermId id) => e.Devices[0].Find(id)?.Bytes.Bytes ?? 0;

    [Fact]
    public void AdaptersInTheComputeDtype_WithoutDropout_ShareTheModulesInputs()
    {
        // torchtune: bf16 adapters, lora_dropout 0 (nn.Identity): lora_a saves the input the frozen linear reads; the
        // layer keeps what a fully trained one keeps (221,312 B per token, ActivationFormulasTests) but the frozen norms'
        // normalised values, 2 × 2 × 4,096: 204,928 B.
        Assert.Equal(204_928L, PerToken(new AdapterInput(2, Dropout: false, ResidualBytes: 2)));
    }

    [Fact]
    public void PeftFp32Adapters_KeepAnFp32CopyOfEachModulesInput()
    {
        // PEFT casts x to the adapters' fp32 before lora_A, one copy per module. Per token (h 4096, I 14,336):
        //   2 frozen norms' fp32 inputs 32,768 + q/k/v copies 3 × 4 × 4,096 = 49,152 + q 8,192 + k, v repeated 16,384
        //   + SDPA output and log-sum-exp 8,320 + o_proj copy 4 × 4,096 = 16,384
        //   + gate/up copies 2 × 4 × 4,096 = 32,768 + gate, SiLU, up 3 × 2 × 14,336 = 86,016 + down copy 4 × 14,336 = 57,344
        //   = 307,328 B.
        Assert.Equal(307_328L, PerToken(new AdapterInput(4, Dropout: false, ResidualBytes: 2)));
    }

    [Fact]
    public void LoraDropout_AddsAOneByteMaskPerModuleInput()
    {
        // nn.Dropout's bool mask beside each copy: (3 + 1 + 2) × 4,096 + 14,336 = 38,912 B more per token.
        Assert.Equal(307_328L + 38_912, PerToken(new AdapterInput(4, Dropout: true, ResidualBytes: 2)));
        // With bf16 adapters the dropout output is a new bf16 tensor per module: 3 B per input element instead of 2 shared.
        Assert.Equal(204_928L + (3 * 3 * 4096) - 8192 + (3 * 4096) - 8192 + (2 * 3 * 4096) - 8192 + (3 * 14_336) - 28_672,
            PerToken(new AdapterInput(2, Dropout: true, ResidualBytes: 2)));
    }

    [Fact]
    public void KbitPreparedResidual_IsSharedInFp32_OProjGetsAnFp32Copy()
    {
        // After prepare_model_for_kbit_training the norms' outputs and the MLP product are fp32, as the fp32 adapters:
        // q/k/v input 16,384, MLP input 16,384 and down's input 57,344 shared; o_proj reads the bf16 attention output: a
        // 16,384 B copy. 32,768 + 16,384 + 8,192 + 16,384 + 8,320 + 16,384 + 16,384 + 86,016 + 57,344 = 258,176.
        Assert.Equal(258_176L, PerToken(new AdapterInput(4, Dropout: false, ResidualBytes: 4)));
    }

    [Fact]
    public void CompiledChunkedLoss_KeepsTheBf16LogitsAndOneChunksGradient()
    {
        // 2 × 4,096 tokens × (128,256 × (2 + 2/8) B + final norm and head input 2 × 4,096 + 2 × 4,096 (compiled norm)).
        Assert.Equal(8192L * ((2 * 128_256) + (2 * 128_256 / 8) + 16_384),
            ActivationFormulas.Loss(Llama8B, 2, 4096, 2, LossImplementation.Chunked, 1, compiled: true).Bytes.Bytes);
    }

    [Fact]
    public void ShiftedLoss_KeepsTheReturnedLogitsTheUpcastAndItsShiftedCopy()
    {
        // Transformers 4.46–4.48: bf16 logits 2 B + fp32 upcast 4 B + shifted copy 4 B + log-softmax 4 B = 14 B per entry.
        Assert.Equal(8192L * ((14 * 128_256) + (8 * 4096)), ActivationFormulas.Loss(Llama8B, 2, 4096, 2, LossImplementation.Shifted, 1).Bytes.Bytes);
        // fp32 logits: .float() is the same tensor, 12 B; the final norm (8 × 4,096) and head input (4 × 4,096) in fp32.
        Assert.Equal(8192L * ((12 * 128_256) + (12 * 4096)), ActivationFormulas.Loss(Llama8B, 2, 4096, 4, LossImplementation.Shifted, 1).Bytes.Bytes);
    }

    [Fact]
    public void AutocastOfAnFp32Head_SavesItsBf16Copy()
    {
        // 128,256 × 4,096 × 2 B = 1,050,673,152 B, once, beside the per-token loss.
        var plain = ActivationFormulas.Loss(Llama8B, 1, 1024, 2, LossImplementation.Standard, 1).Bytes.Bytes;
        Assert.Equal(plain + 1_050_673_152L, ActivationFormulas.Loss(Llama8B, 1, 1024, 2, LossImplementation.Standard, 1, autocastHeadCopy: true).Bytes.Bytes);
        var qlora = TrainingEstimator.Estimate(Llama(1, 1024) with { Method = TrainingMethod.Qlora, Precision = TrainingPrecision.MixedBf16 });
        Assert.Contains("autocast head copy", qlora.Devices[0].Find(TermId.Logits)!.Label);
    }

    [Fact]
    public void FullCheckpointing_TheLossAndTheRecomputedLayerAreSeparateMoments()
    {
        // torchtune-like LoRA (bf16 adapters), checkpointed, compiled chunked loss, 2 × 4,096 tokens: the loss
        // (8,192 × 304,960 B = 2.5 GB) outweighs one recomputed layer (8,192 × 188,544 B = 1.5 GB), and they are not summed.
        // (Compiled, a norm saves its input alone, trained or frozen.)
        var request = Llama(2, 4096) with
        {
            Method = TrainingMethod.Lora, Targets = All, AdapterType = DataType.Bf16, Precision = TrainingPrecision.Bf16,
            Checkpointing = Checkpointing.Full, Loss = LossImplementation.Chunked, Compiled = true,
        };
        var atLoss = TrainingEstimator.Estimate(request);
        Assert.Equal(8192L * 304_960, Bytes(atLoss, TermId.Logits));
        Assert.Equal(0, Bytes(atLoss, TermId.Activations));
        Assert.Contains(atLoss.Workload.Settings, s => s is { Name: "peak", Value: "backward start" });

        // PEFT's fp32 adapters with dropout: the layer (8,192 × 329,856 B compiled = 2.7 GB: the norms keep 2 × 2 × 4,096 B, not 32,768) is the larger moment.
        var atLayer = TrainingEstimator.Estimate(request with { AdapterType = null, AdapterDropout = 0.1 });
        Assert.Equal(8192L * (307_328 + 38_912 - 16_384), Bytes(atLayer, TermId.Activations));
        Assert.Equal(0, Bytes(atLayer, TermId.Logits));
        Assert.Contains(atLayer.Workload.Settings, s => s is { Name: "peak", Value: "layer recomputation" });
        Assert.Equal(2_147_483_648L, Bytes(atLayer, TermId.ActivationCheckpoints)); // 32 layers × 8,192 × 4,096 × 2 B in both
    }

    [Fact]
    public void FsdpRootUnit_StaysGathered_UnlessEmbeddingsAreUnitsOfTheirOwn()
    {
        Assert.True(Parallelism.TryCreate(null, null, 8, null, out var eight, out _));
        var fsdp = Llama(1, 4096) with { Parallelism = eight, Zero = 3, Fsdp = true };

        // Embeddings and LM head 2 × 128,256 × 4,096 + the final norm 4,096 = 1,050,677,248 params × 2 B.
        var root = TrainingEstimator.Estimate(fsdp);
        Assert.Equal(2_101_354_496L, Bytes(root, TermId.GatheredRoot));

        // Wrapped on their own (torchtune custom_sharded_layers) they are resharded; the embeddings (525,336,576 params)
        // become the largest unit: 2 gathered copies + its gradients, 3 × 525,336,576 × 2 B.
        var separate = TrainingEstimator.Estimate(fsdp with { FsdpSeparateEmbeddings = true });
        Assert.Equal(0, Bytes(separate, TermId.GatheredRoot));
        Assert.Equal(3_152_019_456L, Bytes(separate, TermId.GatheredParameters));
    }

    [Fact]
    public void BaseLoadedInFp32_DoublesTheFrozenBase()
    {
        var lora = Llama(1, 1024) with { Method = TrainingMethod.Lora, Precision = TrainingPrecision.Bf16 };
        var bf16 = Bytes(TrainingEstimator.Estimate(lora), TermId.Weights);

        Assert.Equal(8_030_261_248L * 2, bf16);
        Assert.Equal(8_030_261_248L * 4, Bytes(TrainingEstimator.Estimate(lora with { BaseType = DataType.Fp32 }), TermId.Weights));
    }
}
