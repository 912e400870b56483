using LlmMem.Estimates;
using LlmMem.Formats.Catalog;
using LlmMem.Formats.Validation;
using LlmMem.Formulas;
using LlmMem.Hardware;
using LlmMem.Inference;
using LlmMem.Units;

namespace LlmMem.Formats.Tests.GroundTruth;

/// <summary>
/// vLLM estimates against the published logs in data/groundtruth/vllm.jsonl, each case rebuilt end to end by
/// <see cref="VllmValidator"/>. The bounds are what llmem achieves today (docs/accuracy.md); a change that makes an
/// estimate worse fails here.
/// </summary>
public class VllmValidationTests
{
    private static readonly Lazy<ValidationReport> Report = new(() => VllmValidator.Run(GroundTruthData.EmbeddedVllm()));

    private static Comparison Term(string id, string term) =>
        Report.Value.Cases.Single(c => c.Id == id).Comparisons.Single(x => x.Term == term);

    [Theory]
    [InlineData("vllm-pr10511-llama3-8b-h100-tp1")]
    [InlineData("vllm-i10517-llama31-8b-rtx3090-20k")]
    [InlineData("vllm-llama31-8b-a100-80g-v031-nvsmi")]
    public void Llama_Weights_MatchVllmsLoadLine_WithinItsRounding(string id)
    {
        // "model weights take 14.96GiB" / "Loading model weights took 14.9888 GB": parameters × 2 B plus the rotary table.
        Assert.True(Term(id, "weights").Exact, $"{Term(id, "weights")}");
    }

    [Theory]
    [InlineData("vllm-i10517-llama31-8b-rtx3090-20k", 1.0)]
    [InlineData("vllm-i10517-llama31-8b-rtx3090-29k", 1.0)]
    [InlineData("vllm-pr10511-llama3-8b-h100-tp1", 3.0)]
    [InlineData("vllm-qwen25-15b-t4-gmu05-55875904831", 6.0)]
    public void ActivationPeak_OfV0Profiling_IsWithin(string id, double percent)
    {
        Assert.InRange(Term(id, "activations").AbsPercent, 0, percent);
    }

    [Fact]
    public void PageArithmetic_TurnsEveryLoggedPoolIntoItsLoggedTokens()
    {
        // Independent of every estimate: the logged "KV cache memory" by llmem's page sizes gives the logged token count.
        var main = Report.Value.Summary.Single(s => s.Engine == "vllm" && s.Group == "main" && s.Term == "kv_tokens_of_logged_pool");
        Assert.True(main.Cases >= 5);
        Assert.Equal(main.Cases, main.Exact);
        Assert.True(Term("vllm-lmcache1739-qwen3-14b", "kv_tokens_of_logged_pool").Exact, "Qwen3-14B: 6.51 GiB → 42,656 tokens");
    }

    [Fact]
    public void MainCases_MeetTheIssueTargets_ForWeightsAndActivations()
    {
        var summary = Report.Value.Summary.Where(s => s.Engine == "vllm" && s.Group == "main").ToDictionary(s => s.Term);
        Assert.True(summary["weights"].MedianAbsPct <= 2, $"weights {summary["weights"].MedianAbsPct}%");
        Assert.True(summary["activations"].MedianAbsPct <= 20, $"activations {summary["activations"].MedianAbsPct}%");
        // The issue asks for 5%: met once 0.6.4's non-torch figure counts the CUDA context, as that version measured it.
        Assert.True(summary["kv_cache_tokens"].MedianAbsPct <= 5, $"tokens {summary["kv_cache_tokens"].MedianAbsPct}%");
    }

    [Theory]
    [InlineData("vllm-i10517-llama31-8b-rtx3090-20k")]
    [InlineData("vllm-i10517-llama31-8b-rtx3090-29k")]
    public void V064_NonTorchWithTheCudaContext_PutsTheKvTokensWithin2Percent(string id)
    {
        // "non_torch_memory=0.35GiB" on an RTX 3090 with vLLM 0.6.4: the context (253.75 MiB, PyTorch PR #86509) + 0.15 GiB.
        Assert.InRange(Term(id, "non_torch").AbsPercent, 0, 15);
        Assert.InRange(Term(id, "kv_cache_tokens").AbsPercent, 0, 2);
    }

    [Fact]
    public void V064_ShowsNoSeparateCudaContext_ForItsBudgetAlreadyHoldsIt()
    {
        var model = ModelCatalog.Load(ModelCatalog.Find("llama-3.1-8b")!.Entry);
        var gpu = new DeviceCapacity("RTX 3090", ByteSize.FromBytes((long)(23.58 * (1L << 30))), "vLLM log total 23.58 GiB");
        Estimate Run(string version) => InferenceEstimator.Estimate(new InferenceRequest(model, InferenceEngine.Vllm, Capacity: gpu,
            Vllm: new VllmSettings(MaxModelLen: 20_000, Version: VllmVersion.Parse(version), RuntimeTotal: gpu.Memory)));

        var v064 = Run("0.6.4").Devices[0];
        var v065 = Run("0.6.5").Devices[0];
        Assert.Null(v064.Find(TermId.CudaContext));
        Assert.NotNull(v065.Find(TermId.CudaContext));
        Assert.Equal(v065.Find(TermId.NonTorch)!.Bytes + CudaContextFormulas.PyTorchLazyLoading, v064.Find(TermId.NonTorch)!.Bytes);
    }

    [Fact]
    public void CasesWithoutACatalogModel_AreSkipped_WithTheReason()
    {
        var skipped = Report.Value.Cases.Single(c => c.Id == "vllm-pr14447-moe-wna16-rtx3090-multi");
        Assert.Equal("skipped", skipped.Status);
        Assert.Contains("not in the catalog", skipped.Reason);
    }

    [Fact]
    public void Llama31_8B_OnH100_At32K_HasAPoolOfTokens_AndConcurrency()
    {
        var model = ModelCatalog.Load(ModelCatalog.Find("llama-3.1-8b")!.Entry);
        var h100 = new DeviceCapacity("H100", ByteSize.FromMiB(81_121), "vLLM log total 79.22 GiB");
        var estimate = InferenceEstimator.Estimate(new InferenceRequest(model, InferenceEngine.Vllm, Capacity: h100,
            Vllm: new VllmSettings(MaxModelLen: 32_768, RuntimeTotal: h100.Memory)));
        var pool = estimate.KvPool!;
        var gpu = estimate.Devices[0];

        // 128 KiB per token: the pool's bytes are its tokens × 131,072 B.
        Assert.Equal(pool.Tokens * 131_072, gpu.Find(TermId.KvCache)!.Bytes.Bytes);
        Assert.Equal(2_048L * 32 * 65_536, pool.BytesPerSequence);
        Assert.Equal((double)pool.Tokens! / 32_768, pool.MaxConcurrency!.Value, 2);
        // The budget: everything but the CUDA context fits in 0.9 × the total.
        var inBudget = gpu.Total - gpu.Find(TermId.CudaContext)!.Bytes;
        Assert.True(inBudget.Bytes <= (long)(h100.Memory.Bytes * 0.9));
        Assert.True(inBudget.Bytes > (long)(h100.Memory.Bytes * 0.9) - 32 * 65_536);
    }

    [Fact]
    public void EnforceEager_RemovesCudaGraphs_AndV0KeepsThemOutsideTheBudget()
    {
        var model = ModelCatalog.Load(ModelCatalog.Find("llama-3.1-8b")!.Entry);
        var gpu = new DeviceCapacity("A100", ByteSize.FromMiB(81_152), "vLLM log total 79.25 GiB");
        Estimate Run(VllmSettings s) => InferenceEstimator.Estimate(new InferenceRequest(model, InferenceEngine.Vllm, Capacity: gpu, Vllm: s));

        Assert.Null(Run(new VllmSettings(MaxModelLen: 8192, EnforceEager: true)).Devices[0].Find(TermId.CudaGraphs));
        var v0 = Run(new VllmSettings(MaxModelLen: 8192, Version: VllmVersion.Parse("0.6.4"))).Devices[0];
        var v1 = Run(new VllmSettings(MaxModelLen: 8192, Version: VllmVersion.Parse("0.21.0"))).Devices[0];
        Assert.Contains("outside", v0.Find(TermId.CudaGraphs)!.Label);
        Assert.Contains("in the budget", v1.Find(TermId.CudaGraphs)!.Label);
    }

    [Fact]
    public void V0CudaGraphs_OfLlama32_1B_ReproducePr11349sLog()
    {
        // vLLM PR #11349 (V0, Dec 2024): "Capturing CUDA graph shapes: 35/35 … Graph capturing finished in 14 secs, took 0.21 GiB".
        var model = ModelCatalog.Load(ModelCatalog.Find("meta-llama/Llama-3.2-1B-Instruct")!.Entry);
        var h100 = new DeviceCapacity("H100", ByteSize.FromMiB(81_121), "vLLM log total 79.22 GiB");
        var gpu = InferenceEstimator.Estimate(new InferenceRequest(model, InferenceEngine.Vllm, Capacity: h100,
            Vllm: new VllmSettings(MaxModelLen: 8192, Version: VllmVersion.Parse("0.6.5"), RuntimeTotal: h100.Memory))).Devices[0];
        var graphs = gpu.Find(TermId.CudaGraphs)!.Bytes.Bytes / (double)(1L << 30);
        Assert.InRange(graphs, 0.205, 0.215);
    }

    [Fact]
    public void V0CudaGraphs_OfQwen25_15B_AreWithin25Percent_OfTheT4Log()
    {
        // vLLM 0.7.2 on a T4: "Graph capturing finished in .. secs, took 0.17 GiB" — a case the per-graph figure was not taken from.
        Assert.InRange(Term("vllm-qwen25-15b-t4-gmu05-55875904831", "cuda_graphs").AbsPercent, 0, 25);
    }

    [Fact]
    public void A24GiBCard_CannotHoldOne131kRequest_AndSaysSo()
    {
        var model = ModelCatalog.Load(ModelCatalog.Find("llama-3.1-8b")!.Entry);
        var rtx = new DeviceCapacity("RTX 4090", ByteSize.FromMiB(24_564), "nvidia-smi");
        var estimate = InferenceEstimator.Estimate(new InferenceRequest(model, InferenceEngine.Vllm, Capacity: rtx));
        var warning = Assert.Single(estimate.Warnings, w => w.Code == "kv_below_one_request");
        Assert.Contains("131,072", warning.Message);
        Assert.True(estimate.KvPool!.LongestSequence < 131_072);
    }

    [Fact]
    public void DeepSeekV3_Mla_OnH200_Tp8_UsesBlocksOf64_AndOneLatentPerToken()
    {
        var model = ModelCatalog.Load(ModelCatalog.Find("deepseek-ai/DeepSeek-V3")!.Entry);
        Parallelism.TryCreate(8, 1, 8, null, out var tp8, out _);
        var h200 = new DeviceCapacity("H200", ByteSize.FromMiB(143_771), "nvidia-smi");
        var estimate = InferenceEstimator.Estimate(new InferenceRequest(model, InferenceEngine.Vllm, Parallelism: tp8, Capacity: h200));
        Assert.Equal(64, estimate.KvPool!.BlockSize);
        // 61 layers × 576 values × 2 B per token, the same on each of the 8 GPUs.
        Assert.Equal(CeilDiv(163_840, 64) * 61L * 64 * 576 * 2, estimate.KvPool.BytesPerSequence);
        Assert.Equal(8, estimate.Devices.Length);
    }

    private static long CeilDiv(long a, long b) => (a + b - 1) / b;
}

/// <summary>vLLM's pipeline stages: layers per stage as get_pp_indices assigns them, the embeddings first and the LM head last.</summary>
public class VllmPipelineTests
{
    [Fact]
    public void DeepSeekV3_OverTwoStages_Holds31And30Layers_AndEveryParameterOnce()
    {
        var model = ModelCatalog.Load(ModelCatalog.Find("deepseek-ai/DeepSeek-V3")!.Entry);
        Assert.True(Parallelism.TryCreate(8, 2, 16, 2, out var parallel, out _));
        var h200 = new DeviceCapacity("H200", ByteSize.FromMiB(143_771), "nvidia-smi");
        var estimate = InferenceEstimator.Estimate(new InferenceRequest(model, InferenceEngine.Vllm, Parallelism: parallel, Capacity: h200));

        Assert.Equal(16, estimate.Devices.Length);
        var stage0 = estimate.Devices[0].Find(TermId.Weights)!;
        var stage1 = estimate.Devices[8].Find(TermId.Weights)!;
        Assert.Contains("layers 0–30 + embeddings", stage0.Label);
        Assert.Contains("layers 31–60 + LM head", stage1.Label);

        // One stage's 8 GPUs hold its share once: the two stages together hold the whole model (to a few blocks per component and GPU).
        var whole = InferenceEstimator.Estimate(new InferenceRequest(model, InferenceEngine.Vllm, Capacity: h200)).Devices[0].Find(TermId.Weights)!.Bytes;
        var both = (stage0.Bytes + stage1.Bytes) * 8;
        Assert.InRange(both.Bytes, whole.Bytes - 1024, whole.Bytes + (1 << 20));
        // vLLM gives each stage the smaller stage's block count.
        Assert.Equal(estimate.KvPool!.Blocks, estimate.KvPool.Tokens / 64);
    }
}
