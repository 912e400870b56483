using LlmMem.Estimates;
using LlmMem.Formats.Catalog;
using LlmMem.Training;

namespace LlmMem.Formats.Tests;

/// <summary>LoRA adapter counts on real architectures, against PEFT's print_trainable_parameters output.</summary>
public class LoraTests
{
    private static Models.ModelSpec Model(string name) => ModelCatalog.Load(ModelCatalog.Find(name)!);

    [Fact]
    public void Llama31_8B_Rank16_AllLinear_Is41943040()
    {
        // PEFT: "trainable params: 41,943,040 || all params: 8,072,204,288" (Llama-3-8B/3.1-8B, r = 16, all linear layers).
        Assert.True(LoraAdapters.TryParseTargets("all-linear", out var all, out _));
        Assert.Equal(41_943_040L, LoraAdapters.Parameters(Model("llama-3.1-8b").Shape!, 16, all, dora: false));
    }

    [Fact]
    public void Llama2_7B_PeftDefaults_Are4194304()
    {
        // PEFT defaults (r = 8, q_proj and v_proj): "trainable params: 4,194,304 || all params: 6,742,609,920".
        Assert.Equal(4_194_304L, LoraAdapters.Parameters(Model("llama-2-7b").Shape!, LoraAdapters.DefaultRank, LoraAdapters.DefaultTargets, dora: false));
    }

    [Fact]
    public void Dora_AddsAMagnitudePerOutputFeature()
    {
        var shape = Model("llama-2-7b").Shape!;
        var lora = LoraAdapters.Parameters(shape, 8, ["q_proj", "v_proj"], dora: false);

        Assert.Equal(lora + 32 * (4096 + 4096), LoraAdapters.Parameters(shape, 8, ["q_proj", "v_proj"], dora: true));
    }

    [Fact]
    public void Qlora_KeepsANf4BaseAndFp32Adapters()
    {
        var model = Model("llama-3.1-8b");
        Assert.True(LoraAdapters.TryParseTargets("all-linear", out var all, out _));
        // One token: the optimizer step, with every adapter gradient live, is the peak (activations are smaller; with 16
        // tokens PEFT's per-module fp32 copies of the adapters' inputs already outweigh the 168 MB of gradients).
        var estimate = TrainingEstimator.Estimate(new TrainingRequest(model, TrainingMethod.Qlora, TrainingPrecision.MixedBf16, Optimizer.AdamW,
            SequenceTokens: 1, Rank: 16, Targets: all, KbitPreparation: false));
        var gpu = estimate.Devices[0];

        // Base: linear layers at 4.127 bits (NF4, double quantisation), embeddings, norms and LM head in bf16.
        var linear = model.Breakdown!["attention"] + model.Breakdown["mlp"];
        var rest = model.Parameters.Value - linear;
        Assert.Equal(((linear + 16_383) / 16_384 * 8_452) + (rest * 2), gpu.Find(TermId.Weights)!.Bytes.Bytes);

        // By default PEFT's prepare_model_for_kbit_training has made the unquantised rest fp32.
        var prepared = TrainingEstimator.Estimate(new TrainingRequest(model, TrainingMethod.Qlora, TrainingPrecision.MixedBf16, Optimizer.AdamW,
            SequenceTokens: 1, Rank: 16, Targets: all)).Devices[0];
        Assert.Equal(((linear + 16_383) / 16_384 * 8_452) + (rest * 4), prepared.Find(TermId.Weights)!.Bytes.Bytes);
        Assert.Equal(41_943_040L * 4, gpu.Find(TermId.AdapterWeights)!.Bytes.Bytes);
        Assert.Equal(41_943_040L * 4, gpu.Find(TermId.Gradients)!.Bytes.Bytes);
        Assert.Equal(41_943_040L * 8, gpu.Find(TermId.OptimizerStates)!.Bytes.Bytes);
        Assert.Null(gpu.Find(TermId.MasterWeights));
    }

    [Fact]
    public void UnknownTarget_SuggestsTheNearest()
    {
        Assert.False(LoraAdapters.TryParseTargets("q_prj,v_proj", out _, out var error));
        Assert.Contains("Did you mean 'q_proj'?", error);
    }
}

/// <summary>Optimizer states that depend on the real shapes.</summary>
public class ShapedOptimizerTests
{
    [Fact]
    public void Adafactor_Llama31_8B_FactorsEveryMatrix()
    {
        var model = ModelCatalog.Load(ModelCatalog.Find("llama-3.1-8b")!);
        var estimate = TrainingEstimator.Estimate(new TrainingRequest(model, null, TrainingPrecision.Fp32, Optimizer.Adafactor));

        // Per layer: q 4096+4096, k 1024+4096, v 1024+4096, o 4096+4096, gate/up/down 14336+4096 each = 81,920 values × 32
        // layers; embeddings and the untied LM head 128,256 + 4,096 each; the 266,240 norm weights keep full statistics.
        const long values = (81_920L * 32) + (2 * (128_256 + 4_096)) + 266_240;
        Assert.Equal(values * 4, estimate.Devices[0].Find(TermId.OptimizerStates)!.Bytes.Bytes);
        Assert.DoesNotContain(estimate.Warnings, w => w.Code == "optimizer_approximate");
    }

    [Fact]
    public void LoraAllLinear_OnGptOss_LeavesItsFusedExpertsAlone()
    {
        var shape = ModelCatalog.Load(ModelCatalog.Find("gpt-oss-20b")!).Shape!;
        Assert.True(LoraAdapters.TryParseTargets("all-linear", out var all, out _));

        // 24 layers of q (2880 → 4096), k and v (2880 → 512), o (4096 → 2880) at r = 8; the experts are nn.Parameter tensors.
        Assert.Equal(24L * 8 * ((2880 + 4096) + (2 * (2880 + 512)) + (4096 + 2880)), LoraAdapters.Parameters(shape, 8, all, dora: false));
    }
}
