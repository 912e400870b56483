namespace LlmMem.Cli.Tests;

/// <summary>
/// The slim native binary hands <c>serve</c> and <c>plot</c> to <c>llmem-full</c>. Here (a JIT build) both commands are
/// in-process, so the hand-over is called directly; its exec path replaces the process and is checked on the published
/// binaries by bench/run.sh's users, not here.
/// </summary>
public class FullBinaryTests
{
    [Fact]
    public void FrontEnds_AreInThisBuild()
    {
        Assert.True(FrontEnds.IsSupported);
        Assert.False(FrontEnds.IsHandedOver(["serve"]));
    }

    [Fact]
    public void MissingFullBinary_IsOneLine_SayingHowToGetIt()
    {
        var folder = Directory.CreateTempSubdirectory("llmem-").FullName;
        try
        {
            using var stderr = new StringWriter { NewLine = "\n" };

            var exit = FullBinary.Run(["serve", "--urls", "http://127.0.0.1:1"], stderr, folder);

            Assert.Equal(ExitCodes.CannotEstimate, exit);
            var line = Assert.Single(stderr.ToString().TrimEnd('\n').Split('\n'));
            Assert.StartsWith("error: 'llmem serve' is not in this native binary", line);
            Assert.Contains("publish llmem-full beside it", line);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }
}
