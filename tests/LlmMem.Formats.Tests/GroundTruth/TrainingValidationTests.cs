using LlmMem.Formats.Validation;

namespace LlmMem.Formats.Tests.GroundTruth;

/// <summary>
/// Training estimates against the published runs in data/groundtruth/training.jsonl, each rebuilt by
/// <see cref="TrainingValidator"/>. The bounds are what llmem achieves today (docs/accuracy.md), not the 10% where
/// it is missed; a change that makes an estimate worse fails here.
/// </summary>
public class TrainingValidationTests
{
    private static readonly Lazy<ValidationReport> Report = new(() => TrainingValidator.Run(GroundTruthData.EmbeddedTraining()));

    private static double Median(string group, string term) =>
        Report.Value.Summary.Single(s => s.Engine == "training" && s.Group == group && s.Term == term).MedianAbsPct;

    private static Comparison Peak(string id) => Report.Value.Cases.Single(c => c.Id == id).Comparisons.Single();

    [Fact]
    public void EveryCase_IsEstimatedOrSkippedWithAReason()
    {
        Assert.Equal(68, Report.Value.Cases.Length);
        Assert.All(Report.Value.Cases.Where(c => c.Status == "skipped"), c => Assert.False(string.IsNullOrWhiteSpace(c.Reason)));
        Assert.True(Report.Value.Cases.Count(c => c.Status == "estimated") >= 30);
    }

    [Fact]
    public void FullTraining_MeetsTheTenPercentTarget()
    {
        Assert.InRange(Median("main", "peak (full)"), 0, 10);
    }

    [Fact]
    public void AdapterAndShardedMethods_MeetTheTenPercentTarget_WithinWhatLlmemAchievesToday()
    {
        // Today's medians (docs/accuracy.md), rounded up a little: LoRA 4.90%, QLoRA 6.22%, ZeRO/FSDP 8.76%.
        Assert.InRange(Median("main", "peak (lora)"), 0, 5.5);
        Assert.InRange(Median("main", "peak (qlora)"), 0, 7);
        Assert.InRange(Median("main", "peak (zero)"), 0, 9);
        // The issue asks for 10%; capacity misses it (docs/accuracy.md says why): 12.11% today.
        Assert.InRange(Median("capacity", "max_seq_tokens (qlora)"), 0, 12.5);
    }

    [Fact]
    public void TorchtuneStack_AdapterRows_AreWithinSevenPercent()
    {
        // Llama 3.2 3B, bs 2 × 4,096 packed, compiled, chunked loss, checkpointing, offloaded activations, the 3B
        // (q)lora_single_device config's rank 64 on q/v/o and the MLP: LoRA 8.5 GiB (+3.32% today), QLoRA 4.6 GiB active
        // (+6.22%). The compiled loss keeps the bf16 logits; it and the recomputed layer are never live together.
        Assert.InRange(Peak("torchtune-l32-3b-lora").AbsPercent, 0, 4);
        Assert.InRange(Peak("torchtune-l32-3b-qlora").AbsPercent, 0, 7);
        Assert.Contains("rank 64", Report.Value.Cases.Single(c => c.Id == "torchtune-l32-3b-lora").Reason);
        Assert.InRange(Peak("torchtune-l31-8b-qlora-4090").AbsPercent, 0, 3);
    }

    [Fact]
    public void TorchtuneStack_OptimizerInBackwardAndOffload_AreWithinWhatLlmemAchievesToday()
    {
        // Llama 3.2 3B, bs 2 × 4,096 packed, compiled, chunked loss, checkpointing, optimizer in backward: 23.1 GiB active.
        // Today −6.66% and −7.12% (the LM head's gradient during the chunked loss's backward is not modelled).
        Assert.InRange(Peak("torchtune-l32-3b-opt-in-bwd").AbsPercent, 0, 7);
        Assert.InRange(Peak("torchtune-l32-3b-act-offload").AbsPercent, 0, 7.5);
    }

    [Fact]
    public void PeftFsdpLora_KeepsItsFp32Shards_AndItsRootUnitGathered()
    {
        // PEFT's FSDP guide: Llama-2-70B, 8 × H100, 72–80 GB on nvidia-smi; the sft example loaded the base in fp32.
        Assert.InRange(Peak("peft-llama2-70b-lora-fsdp-8xh100").AbsPercent, 0, 5.5);
    }

    [Fact]
    public void NvidiaSmiCases_AddTheCudaContext_AllocatedOnesDoNot()
    {
        Assert.Equal("nvidia-smi", Peak("peft-llama2-70b-lora-dsz3-8xh100").Metric);
        Assert.Equal("allocated", Peak("fastgector-bs8-1gpu").Metric);
        Assert.Contains("CUDA context added", Report.Value.Cases.Single(c => c.Id == "peft-llama2-70b-lora-dsz3-8xh100").Reason);
    }

    [Fact]
    public void AuthorsEstimates_AreReportedApart()
    {
        var estimate = Report.Value.Cases.Single(c => c.Id == "llamafactory-est-full-amp-32bit-7b");
        Assert.Equal("estimate", estimate.Group);
        // LLaMA-Factory's 120 GB for 7B against 16 B per parameter of mixed-precision AdamW: 112 GB.
        Assert.Equal(112_000_000_000L, estimate.Comparisons.Single().EstimatedBytes);
    }

    [Fact]
    public void UnpackedRuns_AndMissingModels_AreSkippedWithTheReason()
    {
        Assert.Contains("unpacked", Report.Value.Cases.Single(c => c.Id == "torchtune-l32-3b-baseline").Reason);
        Assert.Contains("not in the catalog", Report.Value.Cases.Single(c => c.Id == "peft-T0_3B-full").Reason);
    }
}
