using System.Text.Json;
using LlmMem.Hardware;
using LlmMem.Text;
using LlmMem.Units;

namespace LlmMem.Formats.Hardware;

/// <summary>
/// The GPUs llmem knows by name: data/gpus.json, embedded. Every figure names its source; figures computed by a rule
/// are marked derived.
/// </summary>
public static class GpuCatalog
{
    private static readonly Lazy<IReadOnlyList<Gpu>> Gpus = new(Load);

    public static IReadOnlyList<Gpu> All => Gpus.Value;

    public static Gpu? Find(string? text)
    {
        var key = (text ?? "").Trim().ToLowerInvariant().Replace('_', '-').Replace(' ', '-');
        return All.FirstOrDefault(g => g.Slug == key || g.Aliases.Contains(key));
    }

    public static bool TryParse(string? text, out Gpu gpu, out string error)
    {
        var found = Find(text);
        gpu = found ?? All[0];
        if (found is not null)
        {
            error = "";
            return true;
        }

        var names = All.SelectMany(g => g.Aliases.Prepend(g.Slug)).ToArray();
        var nearest = NameSuggestion.Nearest(text ?? "", names);
        error = $"Unknown GPU '{text}'. See 'llmem gpus' for the {All.Count} known ones."
            + (nearest is null ? "" : $" Did you mean '{nearest}'?")
            + " Or give its memory with --gpu-memory, e.g. --gpu-memory 24GiB.";
        return false;
    }

    private static IReadOnlyList<Gpu> Load()
    {
        using var stream = typeof(GpuCatalog).Assembly.GetManifestResourceStream("gpus.json")
            ?? throw new InvalidOperationException("gpus.json is missing from the build");
        using var document = JsonDocument.Parse(stream);
        return document.RootElement.EnumerateArray().Select(e => new Gpu(
            e.GetProperty("slug").GetString()!,
            e.GetProperty("name").GetString()!,
            e.GetProperty("vendor").GetString()!,
            [.. e.GetProperty("aliases").EnumerateArray().Select(a => a.GetString()!)],
            e.GetProperty("memory_marketed").GetString()!,
            ByteSize.FromBytes(e.GetProperty("memory_bytes").GetInt64()),
            Number(e, "visible_mib") is { } mib ? ByteSize.FromMiB((long)mib) : null,
            Number(e, "gpu_default_share"),
            Number(e, "bandwidth_gb_s"),
            e.GetProperty("source").GetString()!,
            e.TryGetProperty("visible_source", out var vs) && vs.ValueKind == JsonValueKind.String ? vs.GetString() : null,
            e.TryGetProperty("derived", out var d) && d.ValueKind == JsonValueKind.True)
        {
            RuntimeTotal = Number(e, "cuda_total_gib") is { } gib ? ByteSize.FromBytes((long)Math.Round(gib * ByteSize.GiB)) : null,
            RuntimeTotalSource = e.TryGetProperty("cuda_total_source", out var cs) && cs.ValueKind == JsonValueKind.String ? cs.GetString() : null,
        }).ToList();
    }

    private static double? Number(JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number ? v.GetDouble() : null;
}
