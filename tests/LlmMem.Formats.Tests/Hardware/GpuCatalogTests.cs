using LlmMem.Formats.Hardware;

namespace LlmMem.Formats.Tests.Hardware;

public class GpuCatalogTests
{
    [Theory]
    [InlineData("h100", "h100-sxm-80gb", 81_559)] // nvidia-smi total, H100 80GB HBM3 (shared/REFERENCES.md)
    [InlineData("RTX-4090", "rtx-4090-24gb", 24_564)] // nvidia-smi total (ground truth vllm-i7553-yi15-34b-tp4-4090-nvsmi: '23859MiB / 24564MiB')
    [InlineData("a100", "a100-sxm4-80gb", 81_920)] // nvidia-smi total (ground truth vllm-llama31-8b-a100-80g-v031-nvsmi)
    [InlineData("h200", "h200-sxm-141gb", 143_771)] // nvidia-smi total, H200 (shared/REFERENCES.md)
    public void Find_ByAlias_UsesTheVisibleTotal(string text, string slug, long mib)
    {
        var gpu = GpuCatalog.Find(text);

        Assert.NotNull(gpu);
        Assert.Equal(slug, gpu.Slug);
        Assert.Equal(mib * 1024 * 1024, gpu.Usable.Bytes);
        Assert.Contains("visible total", gpu.UsableSource);
    }

    [Fact]
    public void Catalog_HasThirtyOrMoreGpus_EachWithASource()
    {
        Assert.True(GpuCatalog.All.Count >= 30);
        Assert.All(GpuCatalog.All, g => Assert.False(string.IsNullOrWhiteSpace(g.Source), g.Slug));
        Assert.All(GpuCatalog.All.Where(g => g.VisibleMemory is not null), g => Assert.False(string.IsNullOrWhiteSpace(g.VisibleSource), g.Slug));
        // A visible total is what the driver leaves of the physical memory: never more.
        Assert.All(GpuCatalog.All.Where(g => g.VisibleMemory is not null), g => Assert.True(g.VisibleMemory <= g.PhysicalMemory, g.Slug));
    }

    [Fact]
    public void UnifiedMemory_UsesTheGpusDefaultShare()
    {
        var m4 = GpuCatalog.Find("m4-max")!;

        Assert.NotNull(m4.GpuShare);
        Assert.Equal((long)(m4.PhysicalMemory.Bytes * m4.GpuShare!.Value), m4.Usable.Bytes);
    }

    [Fact]
    public void Unknown_SuggestsTheNearest_AndGpuMemory()
    {
        Assert.False(GpuCatalog.TryParse("rtx-4900", out _, out var error));
        Assert.Contains("Did you mean 'rtx-4090'?", error);
        Assert.Contains("--gpu-memory", error);
    }

    [Fact]
    public void Slugs_AndAliases_AreUnique()
    {
        var names = GpuCatalog.All.SelectMany(g => g.Aliases.Prepend(g.Slug)).ToList();
        Assert.Equal(names.Count, names.Distinct().Count());
    }
}
