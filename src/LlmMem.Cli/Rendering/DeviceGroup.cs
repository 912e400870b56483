using System.Collections.Immutable;
using LlmMem.Estimates;

namespace LlmMem.Cli.Rendering;

/// <summary>Consecutive devices that hold exactly the same terms, shown once: "gpu0 … gpu7 (each)".</summary>
internal sealed record DeviceGroup(DeviceEstimate First, int Count, string Label)
{
    public static ImmutableArray<DeviceGroup> Of(ImmutableArray<DeviceEstimate> devices)
    {
        var groups = ImmutableArray.CreateBuilder<DeviceGroup>();
        var i = 0;
        while (i < devices.Length)
        {
            var j = i + 1;
            while (j < devices.Length && SameContents(devices[i], devices[j]))
            {
                j++;
            }

            var count = j - i;
            var label = count == 1 ? devices[i].Name : $"{devices[i].Name} … {devices[j - 1].Name} (each)";
            groups.Add(new DeviceGroup(devices[i], count, label));
            i = j;
        }

        return groups.ToImmutable();
    }

    private static bool SameContents(DeviceEstimate a, DeviceEstimate b) =>
        a.Name.StartsWith("gpu", StringComparison.Ordinal) && b.Name.StartsWith("gpu", StringComparison.Ordinal)
        && a.Capacity == b.Capacity
        && a.Terms.Length == b.Terms.Length
        && a.Terms.Zip(b.Terms).All(p => p.First.Id == p.Second.Id && p.First.Bytes == p.Second.Bytes && p.First.Label == p.Second.Label);
}
