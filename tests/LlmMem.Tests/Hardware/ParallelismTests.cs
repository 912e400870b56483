using LlmMem.Hardware;

namespace LlmMem.Tests.Hardware;

public class ParallelismTests
{
    [Fact]
    public void Defaults_AreOneGpu()
    {
        Assert.True(Parallelism.TryCreate(null, null, null, null, out var p, out _));
        Assert.Equal(Parallelism.Single, p);
    }

    [Fact]
    public void Gpus_DefaultToTpTimesPp()
    {
        Assert.True(Parallelism.TryCreate(8, 2, null, 2, out var p, out _));
        Assert.Equal(16, p.Gpus);
        Assert.Equal(1, p.Replicas);
    }

    [Theory]
    [InlineData(3, null, 8, null, "--gpus 8 is not a multiple of --tp 3 × --pp 1 = 3")]
    [InlineData(null, null, 6, 4, "--gpus 6 cannot be spread evenly over --nodes 4")]
    [InlineData(0, null, null, null, "--tp must be between 1 and 65,536, not 0")]
    [InlineData(null, null, 1_000_000, null, "--gpus must be between 1 and 65,536")]
    [InlineData(1024, 1024, null, null, "is more than 65,536 GPUs")]
    public void Inconsistent_SaysWhy(int? tp, int? pp, int? gpus, int? nodes, string message)
    {
        Assert.False(Parallelism.TryCreate(tp, pp, gpus, nodes, out _, out var error));
        Assert.Contains(message, error);
    }
}
