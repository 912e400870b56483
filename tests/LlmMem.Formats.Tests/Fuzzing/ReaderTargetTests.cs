namespace LlmMem.Formats.Tests.Fuzzing;

/// <summary>The harness's own judgement: what counts as a finding, so a campaign or the mutation test cannot pass a bad reader by accident.</summary>
public class ReaderTargetTests
{
    [Fact]
    public void TheReadersOwnError_InOneLine_IsARefusal() =>
        Assert.Equal(ReaderTarget.Outcome.Refused, Target(_ => throw new ModelFormatException("f", "bad.")).Run([1]));

    [Fact]
    public void AnInputOneReadAccepts_IsRead() =>
        Assert.Equal(ReaderTarget.Outcome.Read, Target(_ => throw new ModelFormatException("f", "bad."), _ => { }).Run([1]));

    [Fact]
    public void AnotherException_IsAFinding() =>
        Assert.Contains("IndexOutOfRangeException escaped, not ModelFormatException",
            Assert.Throws<FuzzFindingException>(() => Target(b => _ = b[5]).Run([1])).Message);

    [Fact]
    public void AMultiLineMessage_IsAFinding() =>
        Assert.Contains("message is more than one line",
            Assert.Throws<FuzzFindingException>(() => Target(_ => throw new ModelFormatException("f", "bad\n  at X")).Run([1])).Message);

    [Fact]
    public void AllocatingMoreThan256MiB_IsAFinding()
    {
        var error = Assert.Throws<FuzzFindingException>(() => Target(_ => GC.KeepAlive(new byte[300 << 20])).Run([1]));

        Assert.StartsWith("test: one input allocated 314,572,8", error.Message);
    }

    private static ReaderTarget Target(params Action<byte[]>[] reads) => new("test", typeof(ModelFormatException), reads);
}
