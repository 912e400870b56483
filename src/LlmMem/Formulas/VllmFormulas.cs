using LlmMem.DataTypes;
using LlmMem.Estimates;
using LlmMem.Models;
using LlmMem.Units;

namespace LlmMem.Formulas;

/// <summary>What vLLM takes from its budget besides the weights and the KV cache (vllm/v1/worker/gpu_worker.py).</summary>
public static class VllmFormulas
{
    /// <summary>
    /// Memory outside PyTorch's allocator that vLLM measures during profiling (NCCL, cuBLAS workspaces, custom
    /// all-reduce buffers): 0.15 GiB on one GPU, 0.6 GiB with tensor parallelism — the constants of llm-d's offline vLLM
    /// capacity planner (capacity_planner.py, calibrated on measurements; via shared/REFERENCES.md). vLLM's own example
    /// log after PR #12126 prints "non_torch_memory takes 0.16GiB" on one GPU.
    /// </summary>
    public static readonly ByteSize NonTorchSingleGpu = ByteSize.FromMiB(154); // 0.15 GiB

    /// <inheritdoc cref="NonTorchSingleGpu"/>
    public static readonly ByteSize NonTorchTensorParallel = ByteSize.FromMiB(614); // 0.6 GiB

    /// <summary>
    /// Peak bytes per logit while vLLM V0's sampler applies top-k and top-p to the profiling batch
    /// (vllm/model_executor/layers/sampler.py _apply_top_k_top_p with profile_run's top_p 0.99, top_k vocab − 1):
    /// model-dtype logits 2 + fp32 logits 4 + sorted values 4 + sort indices (int64) 8 + top-k mask 1 + probabilities 4
    /// + cumulative sum 4 + top-p mask 1 + inverse permutation (int64) 8 + gathered logits 4 = 40 B.
    /// </summary>
    public const int SamplerBytesPerLogitV0 = 40;

    /// <summary>
    /// The same for V1's PyTorch top-k/top-p path (vllm/v1/sample/sampler.py, ops/topk_topp_sampler.py; the dummy
    /// sampler run uses top_p 0.9, top_k vocab − 1): model-dtype logits 2 + fp32 logits 4 + sorted values 4 + indices 8
    /// + probabilities 4 + mask 1 = 23 B (the scatter back is in place). FlashInfer's sampler, when enabled, uses less.
    /// </summary>
    public const int SamplerBytesPerLogitV1 = 23;

    /// <summary>
    /// The rotary embedding's cos/sin table vLLM builds at load time and counts with the weights: max_position ×
    /// rotary dim values in the model's dtype, one table shared by every layer (vllm/model_executor/layers/rotary_embedding.py
    /// _compute_cos_sin_cache; get_rope caches instances). Example: Llama-3.1-8B, 131,072 × 128 × 2 B = 32 MiB, which is
    /// why vLLM's "model weights took 14.99 GiB" exceeds 8,030,261,248 × 2 B = 14.96 GiB.
    /// </summary>
    public static Term? RotaryCache(ModelShape shape, DataType dtype)
    {
        var attention = shape.Layers.Select(l => l.Attention).FirstOrDefault();
        if (attention is null || shape.Embeddings.LearnedPositions > 0 || shape.ContextLength <= 0)
        {
            return null;
        }

        long dim = attention.Latent?.RopeHeadDim ?? attention.HeadDim;
        var bytes = dtype.SizeOf(checked(shape.ContextLength * dim));
        return new Term(TermId.RotaryCache, "Rotary cos/sin cache", bytes,
            "vllm/model_executor/layers/rotary_embedding.py: cos_sin_cache of max_position × rotary dim, loaded with the weights",
            () => $"{FormulaText.Count(shape.ContextLength)} positions × {dim} values × {dtype.BytesPerBlock} B ({dtype.Name})");
    }

    /// <summary>
    /// Non-torch memory on each GPU: what the profile run adds outside PyTorch's allocator (the llm-d constants), plus the
    /// CUDA context where the version's figure counts it (vllm/worker/worker.py 0.6.4 and V1 before PR #19312 take device
    /// used − torch allocated; later versions subtract a baseline snapshot taken after the context was created,
    /// vllm/utils memory_profiling). Example: 0.6.4 on one GPU, 253.75 + 154 = 407.75 MiB; vLLM 0.6.4 logged 0.35 GiB on an
    /// RTX 3090 (issue #10517).
    /// </summary>
    public static Term NonTorch(int tensorParallel, bool countsCudaContext)
    {
        var increase = tensorParallel > 1 ? NonTorchTensorParallel : NonTorchSingleGpu;
        var bytes = countsCudaContext ? increase + CudaContextFormulas.PyTorchLazyLoading : increase;
        var increaseText = tensorParallel > 1 ? $"0.6 GiB at TP {tensorParallel}" : "0.15 GiB on one GPU";
        return new Term(TermId.NonTorch, countsCudaContext ? "Non-torch memory (CUDA context, NCCL, cuBLAS)" : "Non-torch memory (NCCL, cuBLAS)", bytes,
            "llm-d capacity_planner.py constants: 0.15 GiB at TP 1, 0.6 GiB at TP ≥ 2 (vLLM measures it while profiling)"
                + (countsCudaContext ? "; this version counts the CUDA context too (PyTorch PR #86509: 253.75 MiB with lazy loading)" : ""),
            () => countsCudaContext ? $"{increaseText} + {CudaContextFormulas.PyTorchLazyLoading.FormatIn(ByteUnit.MiB)} CUDA context" : increaseText);
    }

    /// <summary>
    /// The activation peak vLLM measures in its profiling run (gpu_model_runner.py profile_run, V0 model_runner.py):
    /// a forward pass over max_num_batched_tokens, then the sampler over one row per request
    /// (min(max_num_seqs, batched tokens) in V1; max_num_seqs in V0) with the last hidden states still held.
    /// The peak is the larger of the two.
    /// </summary>
    public static Term Activations(ModelShape shape, long batchedTokens, long samplerRows, int tensorParallel, DataType activationType, bool v1)
    {
        var perToken = ForwardPassFormulas.ValuesPerToken(shape, tensorParallel);
        var forward = activationType.SizeOf(checked(batchedTokens * perToken));
        var perLogit = v1 ? SamplerBytesPerLogitV1 : SamplerBytesPerLogitV0;
        var sampler = ByteSize.FromBytes(checked(samplerRows * shape.VocabSize * perLogit)) + activationType.SizeOf(checked(batchedTokens * shape.HiddenSize));
        var samplerWins = sampler > forward;
        return new Term(TermId.Activations, $"Activation peak (profiling, {(samplerWins ? "sampler" : "forward pass")})", samplerWins ? sampler : forward,
            "vLLM profile_run: forward pass at max_num_batched_tokens (ForwardPassFormulas), then the sampler (sampler.py top-k/top-p); the larger",
            () => $"max(forward {FormulaText.Count(batchedTokens)} tokens × {FormulaText.Count(perToken)} values × {activationType.BytesPerBlock} B ({activationType.Name}), "
                + $"sampler {FormulaText.Count(samplerRows)} rows × {FormulaText.Count(shape.VocabSize)} vocab × {perLogit} B + {FormulaText.Count(batchedTokens)} × {FormulaText.Count(shape.HiddenSize)} hidden × {activationType.BytesPerBlock} B)");
    }

    /// <summary>
    /// Heuristic: what each graph V0 captures costs beyond the shared pool (the driver's per-graph executable state, each
    /// graph's kept output). From vLLM PR #11349's example log (V0, Dec 2024): Llama-3.2-1B-Instruct, 35 captured batch
    /// sizes, "Graph capturing finished in 14 secs, took 0.21 GiB"; less that model's pool (256 tokens × 30,720 values × 2 B
    /// = 15 MiB, ForwardPassFormulas): (225,485,783 − 15,728,640) B / 35 = 5,993,061 B (5.72 MiB) per graph. A published log
    /// that is not a ground-truth case. V1 captures piecewise and full graphs of another kind; no per-graph figure is known
    /// for it, so V1 gets the pool alone (docs/accuracy.md shows what that leaves out).
    /// </summary>
    public static readonly ByteSize V0GraphPerCapture = ByteSize.FromBytes(5_993_061);

    /// <summary>
    /// CUDA graphs share one memory pool, captured from the largest batch down, so the pool holds about the largest
    /// captured batch's forward pass (youkaichao in vLLM PR #7894: "the cost should only scale with the max batchsize");
    /// V0 adds <see cref="V0GraphPerCapture"/> for each captured batch size (<paramref name="v0Captures"/>, 0 for V1).
    /// Example: Qwen2.5-1.5B on V0, 256 sequences: 15.38 MiB pool + 35 × 5.72 MiB = 215.4 MiB (vLLM 0.7.2 logged 0.17 GiB on a T4).
    /// </summary>
    public static Term CudaGraphs(ModelShape shape, long largestCapture, int v0Captures, int tensorParallel, DataType activationType, bool inBudget)
    {
        var perToken = ForwardPassFormulas.ValuesPerToken(shape, tensorParallel);
        var pool = activationType.SizeOf(checked(largestCapture * perToken));
        var bytes = pool + ByteSize.FromBytes(checked(v0Captures * V0GraphPerCapture.Bytes));
        return new Term(TermId.CudaGraphs, inBudget ? "CUDA graphs (profiled, in the budget)" : "CUDA graphs (captured after the KV cache, outside the budget)", bytes,
            "vLLM graph pool: the largest captured batch's forward pass (PR #7894)"
                + (v0Captures > 0 ? "; V0: 5.72 MiB per captured batch size (PR #11349's log)" : "; per-graph overhead not modelled for V1"),
            () => $"{FormulaText.Count(largestCapture)} tokens (largest capture) × {FormulaText.Count(perToken)} values × {activationType.BytesPerBlock} B ({activationType.Name})"
                + (v0Captures > 0 ? $" + {v0Captures} captured sizes × {V0GraphPerCapture.FormatIn(ByteUnit.MiB)}" : ""));
    }

    /// <summary>The KV pool: what the budget leaves, turned into whole blocks.</summary>
    public static Term KvPool(VllmKvPool pool, ByteSize budget, ByteSize taken, DataType kvType)
    {
        var bytes = ByteSize.FromBytes(checked(pool.Blocks * pool.BytesPerBlock));
        return new Term(TermId.KvCache, $"KV cache pool ({kvType.Name}, {FormulaText.Count(pool.Tokens)} tokens)", bytes,
            "vllm/v1/worker/gpu_worker.py: KV memory = budget − weights − activation peak − non-torch (− CUDA graphs from v0.21); vllm/v1/core/kv_cache_utils.py: whole blocks",
            () => $"⌊({budget.FormatIn(ByteUnit.GiB)} budget − {taken.FormatIn(ByteUnit.GiB)} taken) / {FormulaText.Count(pool.BytesPerBlock)} B per block⌋ = "
                + $"{FormulaText.Count(pool.Blocks)} blocks × {pool.BlockSize} tokens" + (pool.Groups > 1 ? $" / {pool.Groups} groups" : ""));
    }
}
