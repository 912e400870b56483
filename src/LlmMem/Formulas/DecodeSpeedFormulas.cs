using System.Globalization;
using LlmMem.Estimates;
using LlmMem.Units;

namespace LlmMem.Formulas;

/// <summary>The memory-bandwidth bound on decode speed (the roofline of a memory-bound step; Williams et al. 2009).</summary>
public static class DecodeSpeedFormulas
{
    /// <summary>
    /// tokens/s ≤ sequences × bandwidth / (weights a token reads + KV read by all sequences). For a mixture of experts
    /// a token reads its active parameters only (active / total of the weights). Example: Llama-3.1-8B bf16 on an
    /// RTX 4090 (1,008 GB/s), one sequence at 4,096 tokens: 1,008 × 10⁹ / (16.06 GB + 0.54 GB) ≈ 60.7 tokens/s.
    /// </summary>
    public static DecodeBound? Bound(DeviceEstimate device, double? bandwidthGBs, double activeFraction, long sequences, ByteSize kvRead)
    {
        if (bandwidthGBs is not { } bandwidth || bandwidth <= 0 || device.Find(TermId.Weights) is not { } weights)
        {
            return null;
        }

        var weightRead = (long)Math.Ceiling(weights.Bytes.Bytes * activeFraction);
        var bytes = ByteSize.FromBytes(weightRead) + kvRead;
        if (bytes <= ByteSize.Zero)
        {
            return null;
        }

        var tokens = sequences * bandwidth * 1e9 / bytes.Bytes;
        var active = activeFraction < 1 ? $" × {activeFraction.ToString("0.###", CultureInfo.InvariantCulture)} active" : "";
        return new DecodeBound(tokens, bytes, sequences, bandwidth, device.Name,
            $"{sequences} × {bandwidth.ToString("N0", CultureInfo.InvariantCulture)} GB/s / ({weights.Bytes.Format(UnitSystem.Si)} weights{active} + {kvRead.Format(UnitSystem.Si)} KV read per step)");
    }

    /// <summary>
    /// Layers split over GPUs (llama.cpp's layer split) run in turn, so one step takes Σ bytes on GPU g / bandwidth of g:
    /// tokens/s ≤ sequences / Σ_g (weights_g × active + KV_g) / bandwidth_g. Null when a GPU's bandwidth is unknown.
    /// </summary>
    public static DecodeBound? Sequential(IReadOnlyList<DeviceEstimate> gpus, IReadOnlyList<double?> bandwidthsGBs, double activeFraction, long sequences)
    {
        if (bandwidthsGBs.Any(b => b is not > 0))
        {
            return null;
        }

        var seconds = 0.0;
        var total = ByteSize.Zero;
        var parts = new List<string>();
        for (var g = 0; g < gpus.Count; g++)
        {
            var weights = gpus[g].Find(TermId.Weights)?.Bytes ?? ByteSize.Zero;
            var kv = gpus[g].Find(TermId.KvCache)?.Bytes ?? ByteSize.Zero;
            var bytes = ByteSize.FromBytes((long)Math.Ceiling(weights.Bytes * activeFraction)) + kv;
            seconds += bytes.Bytes / (bandwidthsGBs[g]!.Value * 1e9);
            total += bytes;
            parts.Add($"{bytes.Format(UnitSystem.Si)} / {bandwidthsGBs[g]!.Value.ToString("N0", CultureInfo.InvariantCulture)} GB/s");
        }

        return seconds <= 0 ? null : new DecodeBound(sequences / seconds, total, sequences, bandwidthsGBs.Min(b => b!.Value), string.Join(" → ", gpus.Select(d => d.Name)),
            $"{sequences} / ({string.Join(" + ", parts)}) per step, GPUs in turn{(activeFraction < 1 ? $", weights × {activeFraction.ToString("0.###", CultureInfo.InvariantCulture)} active" : "")}");
    }
}
