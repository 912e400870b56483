using LlmMem.Hardware;

namespace LlmMem.Tests.Hardware;

public class GpuCatalogTests
{
    [Theory]
    [InlineData("h100", "h100-sxm-80gb", 81_559)] // nvidia-smi, H100 80GB HBM3
    [InlineData("RTX-4090", "rtx-4090", 24_564)] // nvidia-smi
    [InlineData("a100", "a100-80gb", 81_920)] // nvidia-smi in a ground-truth vLLM case
    public void Find_ByAlias_GivesVisibleMemory(string text, string slug, long mib)
    {
        var gpu = GpuCatalog.Find(text);

        Assert.NotNull(gpu);
        Assert.Equal(slug, gpu.Slug);
        Assert.Equal(mib * 1024 * 1024, gpu.Memory.Bytes);
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
