using LlmMem.DataTypes;
using LlmMem.Estimates;
using LlmMem.Inference;
using LlmMem.Units;

namespace LlmMem.Formulas;

/// <summary>
/// The CPU backend's repacked weights (ggml/src/ggml-cpu/repack.cpp, the "extra buffer type" CPU_REPACK): weights kept on
/// the host whose type has an interleaved matrix-multiplication kernel for the CPU are copied, rows interleaved, into an
/// allocated buffer — host RAM of the process even when the file is mapped — and logged as their own "CPU_REPACK model
/// buffer size" line. The interleaved blocks hold the same bytes (8 blocks of 8 rows: block_q4_0x8 = 8 × block_q4_0), so
/// the model's total is unchanged; what changes is which share is mapped file pages and which is allocated.
/// </summary>
/// <remarks>
/// Modelled for an x86-64 CPU with AVX2 (repack.cpp ggml_repack_get_optimal_repack_type): Q4_0, Q4_K, IQ4_NL and MXFP4
/// matrices whose row count (ne[1]) is a multiple of 8. ARM CPUs with NEON dot product or i8mm also repack Q8_0, Q5_K and
/// Q6_K (4-row interleaves), AVX-512 adds Q2_K: not modelled. Only matrix multiplications use the buffer
/// (extra_buffer_type::supports_op: MUL_MAT on 2-D, MUL_MAT_ID on 3-D weights), so the token embeddings (GET_ROWS) stay
/// in the ordinary buffer. With a GPU device, the CPU's weights go to the GPU's host buffer first (src/llama-model.cpp
/// make_cpu_buft_list, PR #12632, b4991; before it PR #12498, b4936, dropped repacking when a GPU is present), so llmem
/// repacks from b4936 only when no layer is offloaded (-ngl 0: taken as a CPU-only build), before it whatever stays on the host. Not modelled: a tied output matrix
/// that llama.cpp loads a second time from the token embeddings into CPU_REPACK.
/// </remarks>
public static class LlamaCppRepack
{
    /// <summary>PR #10446 (b4282, "ggml : refactor online repacking"): Q4_0 interleaved 8 × 8 on AVX2 (buffer "CPU_AARCH64").</summary>
    public const int Q4_0Build = 4282;

    /// <summary>PR #12332 (b4929, "block interleaving support for Q4_K quantization for x86 AVX2"): Q4_K 8 × 8.</summary>
    public const int Q4_KBuild = 4929;

    /// <summary>PR #13892 (b5615, "ggml-cpu : split arch-specific implementations"): the buffer is named CPU_REPACK, not CPU_AARCH64.</summary>
    public const int RepackNameBuild = 5615;

    /// <summary>PR #14904 (b6144, "ggml : repack block_iq4_nlx8"): IQ4_NL 8 × 8 on AVX2.</summary>
    public const int IQ4_NLBuild = 6144;

    /// <summary>PR #19738 (b8175, "ggml-cpu: add repack for mxfp4"): MXFP4 8 × 8 on AVX2.</summary>
    public const int Mxfp4Build = 8175;

    /// <summary>
    /// PR #12498 (b4936, "do not repack if a GPU device is present"): from this build a run with a GPU keeps the CPU's
    /// weights out of the repacked buffer (from PR #12632, b4991, because the GPU's host buffer comes first in
    /// make_cpu_buft_list); before it, the host layers of a partial offload were repacked too.
    /// </summary>
    public const int NoRepackWithGpuBuild = 4936;

    /// <summary>
    /// Whether the CPU backend repacks the host's weights: not before b4282 nor with <c>--no-repack</c>; from b4936 only
    /// when no layer is offloaded (<paramref name="offloaded"/> false: -ngl 0, taken as a build without a GPU device —
    /// a GPU build run with -ngl 0 keeps them in the GPU's host buffer, for which pass --no-repack).
    /// </summary>
    public static bool Applies(bool offloaded, bool noRepack, LlamaCppVersion version) =>
        !noRepack && version.Build >= Q4_0Build && (!offloaded || version.Build < NoRepackWithGpuBuild);

    /// <summary>Rows an AVX2 interleave groups: a matrix is repacked only when ne[1] is a multiple of it (repack.cpp: cur->ne[1] % 8).</summary>
    public const long InterleavedRows = 8;

    /// <summary>The buffer's name in the build's log.</summary>
    public static string BufferName(LlamaCppVersion version) => version.Build >= RepackNameBuild ? "CPU_REPACK" : "CPU_AARCH64";

    /// <summary>Whether the build repacks a weight of this type on an x86-64 CPU with AVX2.</summary>
    public static bool RepacksType(DataType type, LlamaCppVersion version) =>
        (type == DataType.Q4_0 && version.Build >= Q4_0Build)
        || (type == DataType.Q4_K && version.Build >= Q4_KBuild)
        || (type == DataType.IQ4_NL && version.Build >= IQ4_NLBuild)
        || (type == DataType.Mxfp4 && version.Build >= Mxfp4Build);

    /// <summary>
    /// Whether a host tensor goes to the repacked buffer: a matrix of a repacked type (2-D, or 3-D experts), ne[1] a
    /// multiple of 8, outside the input layer (<paramref name="inputLayer"/>: the token embeddings, read by GET_ROWS).
    /// </summary>
    public static bool IsRepacked(PlacedTensor tensor, bool inputLayer, LlamaCppVersion version) =>
        !inputLayer
        && tensor.Type is { } type && RepacksType(type, version)
        && tensor.Ne is { IsDefault: false } ne
        && (ne.Length == 2 || (ne.Length == 3 && tensor.Name.Contains("_exps", StringComparison.Ordinal)))
        && ne[1] % InterleavedRows == 0;

    /// <summary>
    /// The host's model buffer split into what stays in the ordinary (mapped or read) buffer and what the CPU repacks;
    /// the second is null when nothing is repacked. Example: a 4-layer Q4_K/Q8_0 llama with 512-wide matrices keeps its
    /// Q8_0 embeddings and norms (2.14 MiB) and repacks the Q4_K matrices (7.88 MiB).
    /// </summary>
    public static (Term Kept, Term? Repacked) Split(Term host, IReadOnlyList<PlacedTensor> hostTensors, Func<PlacedTensor, bool> inputLayer,
        string what, LlamaCppVersion version)
    {
        var repacked = hostTensors.Where(t => IsRepacked(t, inputLayer(t), version)).ToList();
        if (repacked.Count == 0)
        {
            return (host, null);
        }

        var bytes = repacked.Aggregate(ByteSize.Zero, (s, t) => s + t.Bytes);
        var types = string.Join(", ", repacked.Select(t => t.Type!.Name).Distinct());
        var name = BufferName(version);
        var kept = new Term(TermId.Weights, host.Label, host.Bytes - bytes, host.Source,
            () => $"{host.Formula}, less {repacked.Count} tensors repacked into {name}");
        var term = new Term(TermId.Weights, $"Model buffer ({what}, {name})", bytes,
            "llama.cpp ggml/src/ggml-cpu/repack.cpp ggml_repack_get_optimal_repack_type (x86-64, AVX2); src/llama-model.cpp make_cpu_buft_list",
            () => $"{repacked.Count} {types} matrices with rows a multiple of {InterleavedRows}, copied interleaved into allocated host RAM (same bytes; "
                + $"{version}: Q4_0 from b{Q4_0Build}, Q4_K from b{Q4_KBuild}, IQ4_NL from b{IQ4_NLBuild}, MXFP4 from b{Mxfp4Build}; from b{NoRepackWithGpuBuild} only with -ngl 0, taken as a CPU-only build)");
        return (kept, term);
    }
}
