using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using LlmMem.DataTypes;
using LlmMem.Estimates;
using LlmMem.Hardware;
using LlmMem.Inference;
using LlmMem.Models;
using LlmMem.Units;

namespace LlmMem.Tests.Inference;

public class InferenceEstimatorTests
{
    /// <summary>nvidia-smi totals: H100 80GB HBM3 81,559 MiB; RTX 4090 24,564 MiB (shared/REFERENCES.md).</summary>
    private static readonly DeviceCapacity H100 = new("NVIDIA H100 SXM5 80GB", ByteSize.FromMiB(81_559), "nvidia-smi");

    private static readonly DeviceCapacity Rtx4090 = new("NVIDIA GeForce RTX 4090", ByteSize.FromMiB(24_564), "nvidia-smi");

    private static ModelSpec Model(long parameters) => new($"{parameters}", ParameterCount.Of(parameters));

    private static Estimate Estimate(long parameters, DataType? dtype = null, string? quant = null, InferenceEngine? engine = null,
        Parallelism? parallelism = null, DeviceCapacity? capacity = null)
    {
        WeightQuantization? q = null;
        if (quant is not null)
        {
            Assert.True(WeightQuantization.TryParse(quant, out var parsed, out _));
            q = parsed;
        }

        return InferenceEstimator.Estimate(new InferenceRequest(Model(parameters), engine, dtype, q, Parallelism: parallelism, Capacity: capacity));
    }

    [Fact]
    public void EightBillionInFp32_Is32GB_Or29Point8GiB()
    {
        // The article: 8B parameters × 4 bytes = 32 GB = 29.8 GiB.
        var estimate = Estimate(8_000_000_000, DataType.Fp32);

        Assert.Equal(32_000_000_000, estimate.Total.Bytes);
        Assert.Equal("29.80 GiB", estimate.Total.Format(UnitSystem.Iec));
        Assert.Equal(TermId.Weights, Assert.Single(Assert.Single(estimate.Devices).Terms).Id);
    }

    [Fact]
    public void OneBillionInFp32_Is4GB() =>
        // The article's rule of thumb: 1B parameters in fp32 need 4 GB.
        Assert.Equal(4_000_000_000, Estimate(1_000_000_000, DataType.Fp32).Total.Bytes);

    [Property]
    public Property Fp16Halves_Int8Quarters_Int4Eighths()
    {
        var counts = Gen.Choose(1, int.MaxValue).Select(i => (long)i * 8).ToArbitrary();
        return Prop.ForAll(counts, p =>
        {
            var fp32 = Estimate(p, DataType.Fp32).Total.Bytes;
            return Estimate(p, DataType.Fp16).Total.Bytes * 2 == fp32
                && Estimate(p, DataType.Bf16).Total.Bytes * 2 == fp32
                && Estimate(p, DataType.Int8).Total.Bytes * 4 == fp32
                && Estimate(p, DataType.Int4).Total.Bytes * 8 == fp32;
        });
    }

    [Fact]
    public void NoDtype_DefaultsToBf16_AndSaysSo()
    {
        var estimate = Estimate(8_000_000_000);

        Assert.Equal(16_000_000_000, estimate.Total.Bytes);
        Assert.Contains(estimate.Workload.Settings, s => s is { Name: "dtype", Value: "bf16", IsDefault: true });
    }

    [Fact]
    public void BareCount_WarnsThatKvCacheNeedsTheArchitecture() =>
        Assert.Contains(Estimate(8_000_000_000).Warnings, w => w is { Code: "needs_architecture", Field: "model" } && w.Message.Contains("KV cache"));

    [Fact]
    public void Quant_OverridesDtypeForWeights_AndWarnsAboutTheMixture()
    {
        var estimate = Estimate(8_000_000_000, DataType.Fp16, quant: "Q4_K_M");

        Assert.Equal(8_000_000_000 / 256 * 144, estimate.Total.Bytes); // 4.5 bits per weight
        Assert.Contains(estimate.Warnings, w => w is { Code: "quant_mixture", Field: "quant" });
    }

    [Fact]
    public void LinearOnlyScheme_WarnsItIsAnUnderEstimate() =>
        Assert.Contains(Estimate(8_000_000_000, quant: "gptq").Warnings, w => w.Code == "quant_linear_only" && w.Message.Contains("under-estimate"));

    [Fact]
    public void CudaContext_AppearsOnlyWhenAnEngineOrGpuIsNamed()
    {
        Assert.Null(Estimate(8_000_000_000).Devices[0].Find(TermId.CudaContext));

        var llama = Estimate(8_000_000_000, engine: InferenceEngine.LlamaCpp).Devices[0].Find(TermId.CudaContext);
        Assert.Equal(457L * 1024 * 1024, llama?.Bytes.Bytes); // Ollama's cudaMinimumMemory

        var onGpu = Estimate(8_000_000_000, capacity: H100);
        Assert.NotNull(onGpu.Devices[0].Find(TermId.CudaContext));
    }

    [Fact]
    public void TensorParallel_SplitsWeightsEvenly_AndTotalsOverAllDevices()
    {
        Assert.True(Parallelism.TryCreate(4, null, null, null, out var tp4, out _));
        var estimate = Estimate(70_000_000_000, DataType.Bf16, parallelism: tp4);

        Assert.Equal(["gpu0", "gpu1", "gpu2", "gpu3"], estimate.Devices.Select(d => d.Name));
        Assert.All(estimate.Devices, d => Assert.Equal(35_000_000_000, d.Total.Bytes));
        Assert.Equal(140_000_000_000, estimate.Total.Bytes);
        Assert.Contains(estimate.Warnings, w => w is { Code: "even_split", Field: "tp" });
    }

    [Fact]
    public void TooBigForTheGpu_WarnsOnTheGpuField()
    {
        var capacity = Rtx4090;

        var tooBig = Estimate(70_000_000_000, DataType.Bf16, capacity: capacity);
        var fits = Estimate(8_000_000_000, quant: "Q4_K_M", capacity: capacity);

        Assert.False(tooBig.Devices[0].Fits);
        Assert.Contains(tooBig.Warnings, w => w is { Code: "exceeds_capacity", Field: "gpu" } && w.Message.Contains("NVIDIA GeForce RTX 4090"));
        Assert.True(fits.Devices[0].Fits);
        Assert.DoesNotContain(fits.Warnings, w => w.Code == "exceeds_capacity");
    }

    [Fact]
    public void Formula_ShowsTheNumbersSubstituted()
    {
        var weights = Estimate(8_000_000_000, DataType.Fp32).Devices[0].Terms[0];

        Assert.Equal("8,000,000,000 params × 4 B (fp32)", weights.Formula);
        Assert.Equal("⌈8,000,000,000 params / 256⌉ blocks × 144 B (Q4_K, 4.5 bits per element)",
            Estimate(8_000_000_000, quant: "Q4_K").Devices[0].Terms[0].Formula);
    }
}
