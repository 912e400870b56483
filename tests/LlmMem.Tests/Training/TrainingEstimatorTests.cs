using LlmMem.Estimates;
using LlmMem.Hardware;
using LlmMem.Models;
using LlmMem.Training;
using LlmMem.Units;

namespace LlmMem.Tests.Training;

public class TrainingEstimatorTests
{
    /// <summary>Model states only: DDP's bucket copy is left out (gradient_as_bucket_view), as the article and the ZeRO paper leave it out.</summary>
    private static Estimate Train(long parameters, TrainingPrecision precision, Optimizer optimizer, Parallelism? parallelism = null) =>
        TrainingEstimator.Estimate(new TrainingRequest(new ModelSpec("m", ParameterCount.Of(parameters)), null, precision, optimizer, Parallelism: parallelism,
            BucketView: true));

    private static long Bytes(Estimate e, TermId id) => e.Devices[0].Find(id)?.Bytes.Bytes ?? 0;

    [Fact]
    public void Fp32WithAdamW_IsFourTimesTheWeights()
    {
        // The article: gradients (1×) and AdamW's two states (2×) on top of the weights: 4× in all.
        var estimate = Train(8_000_000_000, TrainingPrecision.Fp32, Optimizer.AdamW);

        Assert.Equal(4 * Bytes(estimate, TermId.Weights), estimate.Total.Bytes);
        Assert.Equal(128_000_000_000, estimate.Total.Bytes);
        Assert.Equal(Bytes(estimate, TermId.Weights), Bytes(estimate, TermId.Gradients));
    }

    [Fact]
    public void MixedPrecisionAdam_Is16BytesPerParameter_AsInTheZeroPaper()
    {
        // ZeRO (Rajbhandari et al. 2019) §3.1: 2Ψ + 2Ψ + 12Ψ = 16Ψ; "a GPT-2 model with 1.5B parameters requires at least 24 GB".
        var gpt2 = Train(1_500_000_000, TrainingPrecision.MixedFp16, Optimizer.Adam);
        Assert.Equal(24_000_000_000, gpt2.Total.Bytes);
        Assert.Equal(3_000_000_000, Bytes(gpt2, TermId.Weights));
        Assert.Equal(3_000_000_000, Bytes(gpt2, TermId.Gradients));
        Assert.Equal(6_000_000_000, Bytes(gpt2, TermId.MasterWeights));
        Assert.Equal(12_000_000_000, Bytes(gpt2, TermId.OptimizerStates));

        // ZeRO Figure 1: the baseline for Ψ = 7.5B is 120 GB.
        Assert.Equal(120_000_000_000, Train(7_500_000_000, TrainingPrecision.MixedBf16, Optimizer.AdamW).Total.Bytes);
    }

    [Fact]
    public void PureBf16_KeepsStatesInTheParameterDtype() =>
        // torch.optim creates exp_avg and exp_avg_sq with zeros_like(param): 2 + 2 + 2 × 2 = 8 B per parameter.
        Assert.Equal(8L * 1_000_000, Train(1_000_000, TrainingPrecision.Bf16, Optimizer.AdamW).Total.Bytes);

    [Theory]
    [InlineData("sgd", 8)] // weights 4 + gradients 4, no state
    [InlineData("sgd-momentum", 12)] // + momentum_buffer
    [InlineData("lion", 12)] // + exp_avg
    [InlineData("adam", 16)]
    public void Fp32BytesPerParameter_DependOnTheOptimizersStates(string name, long bytesPerParameter)
    {
        Assert.True(Optimizer.TryParse(name, out var optimizer, out _));
        Assert.Equal(bytesPerParameter * 1_000_000, Train(1_000_000, TrainingPrecision.Fp32, optimizer).Total.Bytes);
    }

    [Fact]
    public void AdamW8Bit_KeepsTwoBytesAndBlockScalesPerParameter()
    {
        // bitsandbytes: two uint8 states + an fp32 absmax per 256 values each: 2 × (256 + 4) B per 256 parameters.
        Assert.Equal(2 * 260, Bytes(Train(256, TrainingPrecision.MixedBf16, Optimizer.AdamW8Bit), TermId.OptimizerStates));

        var estimate = Train(7_000_000_000, TrainingPrecision.MixedBf16, Optimizer.AdamW8Bit);
        Assert.Contains(estimate.Warnings, w => w is { Code: "optimizer_small_tensors", Field: "optimizer" });
    }

    [Theory]
    [InlineData("paged_adamw_32bit", "paged-adamw", 4 + 4)] // bf16 parameters, yet fp32 moments (optim_bits 32)
    [InlineData("paged_adamw_8bit", "paged-adamw-8bit", 0)]
    [InlineData("paged_lion_32bit", "paged-lion", 4)]
    [InlineData("paged_lion_8bit", "paged-lion-8bit", 0)]
    public void PagedOptimizers_AreTheirOwnEntries_WithUnifiedMemoryStatesAndAWarning(string transformersName, string name, long fp32StateBytes)
    {
        // transformers' OptimizerNames spellings (training_args.py) parse to bitsandbytes' paged optimizers.
        Assert.True(Optimizer.TryParse(transformersName, out var optimizer, out _));
        Assert.Equal(name, optimizer.Name);
        Assert.True(optimizer.Paged);

        var estimate = Train(1_000_000, TrainingPrecision.Bf16, optimizer);
        if (fp32StateBytes > 0)
        {
            Assert.Equal(fp32StateBytes * 1_000_000, Bytes(estimate, TermId.OptimizerStates));
        }

        Assert.Contains(estimate.Warnings, w => w is { Code: "optimizer_paged", Field: "optimizer" });
        Assert.DoesNotContain(Train(1_000_000, TrainingPrecision.Bf16, Optimizer.AdamW8Bit).Warnings, w => w.Code == "optimizer_paged");
    }

    [Fact]
    public void PagedAdamW8Bit_KeepsTheSameBytesAsAdamW8Bit() =>
        Assert.Equal(Bytes(Train(1 << 20, TrainingPrecision.MixedBf16, Optimizer.AdamW8Bit), TermId.OptimizerStates),
            Bytes(Train(1 << 20, TrainingPrecision.MixedBf16, Optimizer.PagedAdamW8Bit), TermId.OptimizerStates));

    [Fact]
    public void Adafactor_IsFarSmallerThanAdam_AndSaysItIsApproximate()
    {
        var adafactor = Train(8_000_000_000, TrainingPrecision.Fp32, Optimizer.Adafactor);
        var states = Bytes(adafactor, TermId.OptimizerStates);

        // Factored row + column statistics of 4096-wide matrices: about 2/4096 of Adam's single moment.
        Assert.InRange(states, 8_000_000_000L * 4 * 2 / 8192, 8_000_000_000L * 4 * 2 / 2048);
        Assert.Contains(adafactor.Warnings, w => w.Code == "optimizer_approximate");
    }

    [Fact]
    public void Lora_OnABareCount_IsRefusedWithAReason()
    {
        var request = new TrainingRequest(new ModelSpec("8B", ParameterCount.Of(8_000_000_000)), TrainingMethod.Lora);

        var error = Assert.Throws<EstimateException>(() => TrainingEstimator.Estimate(request));
        Assert.Contains("--method lora needs the model's architecture", error.Message);
    }

    [Fact]
    public void DataParallelGpus_EachHoldEverything_WhileTensorParallelSplits()
    {
        Assert.True(Parallelism.TryCreate(null, null, 8, null, out var dp8, out _));
        var replicated = Train(1_000_000_000, TrainingPrecision.MixedBf16, Optimizer.AdamW, dp8);
        Assert.Equal(8, replicated.Devices.Length);
        Assert.All(replicated.Devices, d => Assert.Equal(16_000_000_000, d.Total.Bytes));

        Assert.True(Parallelism.TryCreate(2, 2, 8, 2, out var tp2pp2, out _));
        var split = Train(1_000_000_000, TrainingPrecision.MixedBf16, Optimizer.AdamW, tp2pp2);
        Assert.All(split.Devices, d => Assert.Equal(4_000_000_000, d.Total.Bytes));
    }
}

public class ZeroShardingTests
{
    // The paper's figure counts model states: its stage-0 baseline leaves DDP's bucket copy out (gradient_as_bucket_view).
    private static long PerGpu(int stage) =>
        TrainingEstimator.Estimate(new TrainingRequest(new ModelSpec("7.5B", ParameterCount.Of(7_500_000_000)), null, TrainingPrecision.MixedFp16, Optimizer.Adam,
            Parallelism: Dp64, Zero: stage, BucketView: true)).Devices[0].Total.Bytes;

    [Fact]
    public void PlainDdp_AddsOneCopyOfTheGradients_ToFigure1sBaseline()
    {
        // 7.5B fp16 gradients = 15 GB in DDP's all-reduce buckets on top of the paper's 120 GB.
        var ddp = TrainingEstimator.Estimate(new TrainingRequest(new ModelSpec("7.5B", ParameterCount.Of(7_500_000_000)), null, TrainingPrecision.MixedFp16,
            Optimizer.Adam, Parallelism: Dp64)).Devices[0];
        Assert.Equal(15_000_000_000L, ddp.Find(TermId.FrameworkOverhead)!.Bytes.Bytes);
        Assert.Equal(135.0, Math.Round(ddp.Total.Bytes / 1e9, 1));
    }

    private static readonly Parallelism Dp64 = Parallelism.TryCreate(null, null, 64, null, out var p, out _) ? p : throw new InvalidOperationException();

    [Theory]
    // ZeRO (Rajbhandari et al. 2019) Figure 1: Ψ = 7.5B, K = 12, N_d = 64: 120 GB, 31.4 GB, 16.6 GB, 1.9 GB per GPU.
    [InlineData(0, 120.0)]
    [InlineData(1, 31.4)]
    [InlineData(2, 16.6)]
    [InlineData(3, 1.9)]
    public void ZeroStages_ReproduceFigure1(int stage, double gb) =>
        Assert.Equal(gb, Math.Round(PerGpu(stage) / 1e9, 1));

    [Fact]
    public void OffloadedOptimizer_MovesStatesAndGradientsToTheHost()
    {
        var estimate = TrainingEstimator.Estimate(new TrainingRequest(new ModelSpec("1B", ParameterCount.Of(1_000_000_000)), null, TrainingPrecision.MixedBf16,
            Optimizer.AdamW, OffloadOptimizer: true));

        // ZeRO-Offload (Ren et al. 2021, §4.1) keeps only the 16-bit weights on the GPU: DeepSpeed's
        // estimate_zero2_model_states_mem_needs(cpu_offload=True) gives 2 × params of GPU memory.
        Assert.Equal(2_000_000_000L, estimate.Devices.Single(d => d.Name == "gpu0").Total.Bytes);
        Assert.Equal(14_000_000_000L, estimate.Devices.Single(d => d.Name == "cpu").Total.Bytes); // bf16 gradients, fp32 master weights and Adam states
    }

    // Llama-3.1-8B's decoder layer: q, o 4096² + k, v 4096 × 1024 + gate, up, down 3 × 4096 × 14,336 = 218,103,808 parameters.
    private const long LlamaLayer = 218_103_808;

    private static long Gathered(TrainingMethod method, bool fsdp)
    {
        var model = new ModelSpec("llama-3.1-8b", ParameterCount.Of(8_030_261_248))
        {
            Shape = ActivationFormulasTests.Llama8B,
            Breakdown = LlmMem.Formulas.ParameterFormulas.Count(ActivationFormulasTests.Llama8B),
        };
        Assert.True(Parallelism.TryCreate(null, null, 8, null, out var dp8, out _));
        var estimate = TrainingEstimator.Estimate(new TrainingRequest(model, method, TrainingPrecision.MixedBf16, Optimizer.AdamW,
            Parallelism: dp8, Zero: 3, Fsdp: fsdp, SequenceTokens: 1024));
        return estimate.Devices[0].Find(TermId.GatheredParameters)!.Bytes.Bytes;
    }

    private static Estimate Llama8BZero(int stage, bool fsdp = false, long? bucket = null, bool? overlap = null, System.Version? deepSpeed = null)
    {
        var model = new ModelSpec("llama-3.1-8b", ParameterCount.Of(8_030_261_248))
        {
            Shape = ActivationFormulasTests.Llama8B,
            Breakdown = LlmMem.Formulas.ParameterFormulas.Count(ActivationFormulasTests.Llama8B),
        };
        Assert.True(Parallelism.TryCreate(null, null, 8, null, out var dp8, out _));
        return TrainingEstimator.Estimate(new TrainingRequest(model, TrainingMethod.Full, TrainingPrecision.MixedBf16, Optimizer.AdamW,
            Parallelism: dp8, Zero: stage, Fsdp: fsdp, SequenceTokens: 1024, ZeroBucketElements: bucket, OverlapComm: overlap, DeepSpeed: deepSpeed));
    }

    private static long? Bucket(Estimate e) =>
        e.Devices[0].Terms.SingleOrDefault(t => t.Id == TermId.FrameworkOverhead && t.Label.Contains("gradient bucket", StringComparison.Ordinal))?.Bytes.Bytes;

    [Fact]
    public void Zero2_KeepsDeepSpeedsGradientBucket_DoubledByOverlapComm()
    {
        // deepspeed/runtime/zero/config.py: reduce_bucket_size 5e8 elements; stage_1_and_2.py setup_buckets: torch.empty of that
        // many bf16 elements, a second with overlap_comm (Transformers' DeepSpeed docs: "5e8 x 2Bytes x 2" for the two).
        Assert.Equal(1_000_000_000, Bucket(Llama8BZero(2)));
        Assert.Equal(2_000_000_000, Bucket(Llama8BZero(2, overlap: true)));
        Assert.Equal(400_000_000, Bucket(Llama8BZero(2, bucket: 200_000_000)));
    }

    [Fact]
    public void Zero1_HasABucketOnlyFromDeepSpeed013()
    {
        // PR #4887 (v0.13.0) let stage 1 keep contiguous_gradients; before, engine.py switched it off for stage 1.
        Assert.Null(Bucket(Llama8BZero(1, deepSpeed: new System.Version(0, 10, 0))));
        Assert.Equal(1_000_000_000, Bucket(Llama8BZero(1, deepSpeed: new System.Version(0, 13, 0))));
        Assert.Equal(1_000_000_000, Bucket(Llama8BZero(1)));
    }

    [Fact]
    public void ZeroOffload_StagesGradientsThroughTheLargestParameter_OnGpuAndPinnedHost()
    {
        // stage_1_and_2.py: temp_grad_buffer_for_gpu_offload / _for_cpu_offload hold largest_param_numel elements; Llama-3.1-8B's
        // largest parameter is its 128,256 × 4,096 embedding: 525,336,576 bf16 elements = 1,050,673,152 B on each side.
        var model = new ModelSpec("llama-3.1-8b", ParameterCount.Of(8_030_261_248))
        {
            Shape = ActivationFormulasTests.Llama8B,
            Breakdown = LlmMem.Formulas.ParameterFormulas.Count(ActivationFormulasTests.Llama8B),
        };
        Assert.True(Parallelism.TryCreate(null, null, 8, null, out var dp8, out _));
        var estimate = TrainingEstimator.Estimate(new TrainingRequest(model, TrainingMethod.Full, TrainingPrecision.MixedBf16, Optimizer.AdamW,
            Parallelism: dp8, Zero: 2, OffloadOptimizer: true, SequenceTokens: 1024));

        Assert.Equal(1_050_673_152, estimate.Devices[0].Terms.Single(t => t.Label.StartsWith("ZeRO-Offload", StringComparison.Ordinal)).Bytes.Bytes);
        // The host keeps one pinned buffer per GPU process.
        Assert.Equal(8 * 1_050_673_152L, estimate.Devices.Single(d => d.Name == "cpu").Terms.Single(t => t.Label.StartsWith("ZeRO-Offload", StringComparison.Ordinal)).Bytes.Bytes);
    }

    [Fact]
    public void Zero3_OneBucket_AndFsdpNone()
    {
        // stage3.py: one IPG buffer per communication dtype, whatever overlap_comm (on by default for stage 3).
        Assert.Equal(1_000_000_000, Bucket(Llama8BZero(3)));
        Assert.Null(Bucket(Llama8BZero(3, fsdp: true)));
    }

    [Fact]
    public void Zero3_GathersTheLargestLayersParametersAndGradients_AsDeepSpeedsEstimatorCountsIt() =>
        // DeepSpeed estimate_zero3_model_states_mem_needs: largest_layer_memory = 4 × largest layer's parameters.
        Assert.Equal(4 * LlamaLayer, Gathered(TrainingMethod.Full, fsdp: false));

    [Fact]
    public void Fsdp_AlsoHoldsThePrefetchedNextLayer() =>
        // torch FSDP BackwardPrefetch.BACKWARD_PRE: current and next parameters (bf16) and the current gradients (bf16).
        Assert.Equal(3 * 2 * LlamaLayer, Gathered(TrainingMethod.Full, fsdp: true));

    [Fact]
    public void FsdpQlora_GathersPackedNf4Layers_WithoutBaseGradients() =>
        // Frozen NF4 base (64 values in 32 B + double-quantised constants: 4.127 bits per weight), no gradients: two layers.
        Assert.InRange(Gathered(TrainingMethod.Qlora, fsdp: true), 2 * LlamaLayer * 4.12 / 8, 2 * LlamaLayer * 4.13 / 8);
}
