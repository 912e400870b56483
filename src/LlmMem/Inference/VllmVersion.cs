using System.Globalization;

namespace LlmMem.Inference;

/// <summary>
/// Which vLLM's memory rules apply. vLLM changed what it profiles and where CUDA graphs count several times;
/// each rule below names the change it follows.
/// </summary>
/// <param name="Text">The version as given: "0.6.4", "0.10.2", "0.31".</param>
/// <param name="V1">The V1 engine (default from 0.8.0; V0 before, or when a log says "V0").</param>
public sealed record VllmVersion(string Text, int Major, int Minor, int Patch, bool V1)
{
    /// <summary>The newest version whose rules llmem models; the default.</summary>
    public static VllmVersion Latest { get; } = Parse("0.31");

    /// <summary>
    /// CUDA-graph memory is profiled before the KV cache and taken from the budget: vLLM PR #30515, enabled by default
    /// "as of v0.21.0" (vllm/envs.py VLLM_MEMORY_PROFILER_ESTIMATE_CUDAGRAPHS). Before, graphs were captured after the
    /// KV cache was allocated and had to fit in the (1 − utilisation) headroom.
    /// </summary>
    public bool CudaGraphsInBudget => AtLeast(0, 21);

    /// <summary>
    /// The V1 scheduler's batch defaults depend on the GPU (vllm/engine/arg_utils.py, PR #17073 ≈ v0.8.5: 70 GiB or more
    /// → 8,192 batched tokens and 1,024 sequences for the API server; PR #17885 ≈ v0.9.0 excludes the A100).
    /// </summary>
    public bool LargeGpuDefaults => V1 && AtLeast(0, 8, 5);

    /// <summary>The A100 keeps the small-GPU batch defaults (PR #17885, ≈ v0.9.0).</summary>
    public bool A100SmallDefaults => AtLeast(0, 9);

    /// <summary>
    /// Whether the logged non-torch memory counts everything on the device outside PyTorch's allocations, the CUDA context
    /// included. V0 from PR #9352/#9516 (Oct 2024, vllm/worker/worker.py determine_num_available_blocks: device used
    /// (mem_get_info) − torch allocated after the profile run; llmem applies it from 0.6.4, the first minor release with both)
    /// until PR #10511 (0.6.5) measured against a baseline taken after the context existed; V1's gpu_worker.py kept the
    /// device-wide form (PR #19312: "incorrectly counts memory used by other processes as non_torch_allocations") until
    /// that PR moved it onto V0's baseline-relative memory_profiling (June 2025, ≈ v0.9.2).
    /// </summary>
    public bool NonTorchCountsCudaContext => V1 ? !AtLeast(0, 9, 2) : AtLeast(0, 6, 4) && !AtLeast(0, 6, 5);

    /// <summary>V0's chunked-prefill budget: 512 tokens before PR #10544 (≈ v0.6.5), 2,048 after.</summary>
    public long V0ChunkedPrefillTokens => AtLeast(0, 6, 5) ? 2048 : 512;

    /// <summary>
    /// V0 padded each MLA cache entry to 256 bytes (576 → 640 elements) between PR #12676 (≈ v0.7.2) and PR #14842 (≈ v0.8.1).
    /// </summary>
    public bool PadsMlaEntries => !V1 && AtLeast(0, 7, 2) && !AtLeast(0, 8, 1);

    public bool AtLeast(int major, int minor, int patch = 0) =>
        (Major, Minor, Patch).CompareTo((major, minor, patch)) >= 0;

    public override string ToString() => Text;

    /// <summary>"0.6.4", "v0.10.2", "0.8.5 (V0)", "0.31.0+cu128" → the version; "V0"/"V1" in the text overrides the engine the number implies.</summary>
    public static VllmVersion Parse(string text)
    {
        return TryParse(text, out var version, out var error) ? version : throw new FormatException(error);
    }

    public static bool TryParse(string? text, out VllmVersion version, out string error)
    {
        version = null!;
        var trimmed = (text ?? "").Trim();
        var start = trimmed.StartsWith('v') || trimmed.StartsWith('V') ? 1 : 0;
        var end = start;
        while (end < trimmed.Length && (char.IsDigit(trimmed[end]) || trimmed[end] == '.'))
        {
            end++;
        }

        var parts = trimmed[start..end].Split('.', StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length is < 2 or > 3 || parts.Any(p => p.Length > 4))
        {
            error = $"Unknown vLLM version '{text}': give it as major.minor[.patch], e.g. 0.10.2.";
            return false;
        }

        var numbers = parts.Select(p => int.Parse(p, CultureInfo.InvariantCulture)).ToArray();
        var (major, minor, patch) = (numbers[0], numbers[1], numbers.Length > 2 ? numbers[2] : 0);
        var rest = trimmed[end..];
        var v1 = rest.Contains("V0", StringComparison.Ordinal) ? false
            : rest.Contains("V1", StringComparison.Ordinal) || (major, minor).CompareTo((0, 8)) >= 0;
        version = new VllmVersion(trimmed, major, minor, patch, v1);
        error = "";
        return true;
    }
}
