using System.Collections.Immutable;
using LlmMem.Units;

namespace LlmMem.Training;

/// <summary>One row of DeepSpeed's estimator table: per-CPU and per-GPU bytes for one set of options.</summary>
public sealed record DeepSpeedRow(string Options, ByteSize PerCpu, ByteSize PerGpu);

/// <summary>
/// DeepSpeed's own model-states estimators, reproduced for <c>--compat deepspeed</c>: the numbers
/// <c>estimate_zero2_model_states_mem_needs_all_cold</c> and <c>estimate_zero3_model_states_mem_needs_all_cold</c>
/// print (deepspeed/runtime/zero/stage_1_and_2.py and stage3.py), with their 1.5 additional buffer factor for host RAM.
/// They count model states only: no activations, no CUDA context.
/// </summary>
public static class DeepSpeedEstimator
{
    /// <summary>DeepSpeed's additional_buffer_factor default.</summary>
    public const double AdditionalBufferFactor = 1.5;

    /// <summary>
    /// The first DeepSpeed whose ZeRO-2 estimator counts 16-bit parameters and gradients at 2 bytes each and adds the fp32
    /// gradient partition: PR #5099 (commit f4cb866c, 2024-06-04), first released in v0.14.3. Its docs' example tables
    /// (docs/code-docs/source/memory.rst) were printed by the older rule and were not regenerated.
    /// </summary>
    public static readonly Version Zero2RuleOfPr5099 = new(0, 14, 3);

    /// <summary>
    /// ZeRO-2 (deepspeed/runtime/zero/stage_1_and_2.py estimate_zero2_model_states_mem_needs). Offload: GPU 2P,
    /// CPU P × max(4 × GPUs, 16) × 1.5. Without offload, CPU P × 4 × GPUs per node × 1.5 and GPU 2P + ⌊18P / GPUs⌋
    /// (v0.14.3 on: 16-bit parameters, then 16-bit and fp32 gradients, fp32 master weights and Adam's two states sharded)
    /// or, before PR #5099, 4P + ⌊16P / GPUs⌋.
    /// </summary>
    public static ImmutableArray<DeepSpeedRow> Zero2(long parameters, int gpusPerNode, int nodes, Version? deepSpeed = null)
    {
        var gpus = gpusPerNode * nodes;
        var current = deepSpeed is null || deepSpeed >= Zero2RuleOfPr5099;
        var gpuWithoutOffload = current
            ? 2 * parameters + (long)(18.0 * parameters / gpus)
            : 4 * parameters + (long)(16.0 * parameters / gpus);
        return
        [
            new("offload_optimizer=cpu ", Bytes(parameters * Math.Max(4.0 * gpus, 16) * AdditionalBufferFactor), ByteSize.FromBytes(2 * parameters)),
            new("offload_optimizer=none", Bytes(parameters * 4.0 * gpusPerNode * AdditionalBufferFactor), ByteSize.FromBytes(gpuWithoutOffload)),
        ];
    }

    /// <summary>
    /// ZeRO-3, for each offload choice and zero_init: the GPU keeps the largest layer's 4L bytes, plus 2P / GPUs (parameters)
    /// without parameter offload, plus 16P / GPUs more without optimizer offload; the host keeps what is offloaded,
    /// P × (18 or 16) / nodes × 1.5, or without zero_init P × max(4 × GPUs per node, that) × 1.5.
    /// </summary>
    public static ImmutableArray<DeepSpeedRow> Zero3(long parameters, long largestLayer, int gpusPerNode, int nodes)
    {
        var gpus = gpusPerNode * nodes;
        var factor = 1.0 / nodes;
        var layer = 4 * largestLayer;
        var rows = ImmutableArray.CreateBuilder<DeepSpeedRow>();
        foreach (var (offloadOptimizer, offloadParams) in new[] { (true, true), (true, false), (false, false) })
        {
            foreach (var zeroInit in new[] { true, false })
            {
                double cpu;
                long gpu;
                if (offloadOptimizer && offloadParams)
                {
                    gpu = layer;
                    cpu = parameters * (zeroInit ? 18 * factor : Math.Max(4.0 * gpusPerNode, 18 * factor)) * AdditionalBufferFactor;
                }
                else if (offloadOptimizer)
                {
                    gpu = layer + (long)(2.0 * parameters / gpus);
                    cpu = parameters * (zeroInit ? 16 * factor : Math.Max(4.0 * gpusPerNode, 16 * factor)) * AdditionalBufferFactor;
                }
                else
                {
                    gpu = layer + (long)(18.0 * parameters / gpus);
                    cpu = (zeroInit ? largestLayer : parameters) * 4.0 * gpusPerNode * AdditionalBufferFactor;
                }

                var options = $"offload_param={(offloadParams ? "cpu " : "none")}, offload_optimizer={(offloadOptimizer ? "cpu " : "none")}, zero_init={(zeroInit ? 1 : 0)}";
                rows.Add(new DeepSpeedRow(options, Bytes(cpu), ByteSize.FromBytes(gpu)));
            }
        }

        return rows.ToImmutable();
    }

    private static ByteSize Bytes(double value) => ByteSize.FromBytes((long)value);
}
