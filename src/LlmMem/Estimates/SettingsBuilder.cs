using System.Collections.Immutable;
using System.Globalization;
using LlmMem.Hardware;

namespace LlmMem.Estimates;

/// <summary>Builds an estimate's <see cref="Setting"/> list; the hardware settings are the same for every workload.</summary>
internal sealed class SettingsBuilder
{
    private readonly ImmutableArray<Setting>.Builder settings = ImmutableArray.CreateBuilder<Setting>();

    public SettingsBuilder Add(string name, string value, bool isDefault = false)
    {
        settings.Add(new Setting(name, value, isDefault));
        return this;
    }

    public SettingsBuilder Add(string name, long value, bool isDefault = false) =>
        Add(name, value.ToString(CultureInfo.InvariantCulture), isDefault);

    /// <summary>GPUs, tensor and pipeline parallelism and nodes (when not a single GPU), and the GPU's name when one was given.</summary>
    public SettingsBuilder AddHardware(Parallelism parallel, DeviceCapacity? capacity)
    {
        if (parallel != Parallelism.Single)
        {
            Add("gpus", parallel.Gpus).Add("tp", parallel.TensorParallel).Add("pp", parallel.PipelineParallel);
            if (parallel.Nodes > 1)
            {
                Add("nodes", parallel.Nodes);
            }
        }

        return capacity is null ? this : Add("gpu", capacity.Name);
    }

    public ImmutableArray<Setting> ToImmutable() => settings.ToImmutable();

    /// <summary>"4,096": how counts read inside warnings.</summary>
    public static string Thousands(long value) => value.ToString("N0", CultureInfo.InvariantCulture);
}
