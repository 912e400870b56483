namespace LlmMem.Cli.Tests;

/// <summary>CliApp builds only the command its first argument names: each name must build that command, and help still lists all.</summary>
public class CommandTableTests
{
    private static readonly string[] All = ["infer", "fit", "plot", "plan", "train", "inspect", "models", "quants", "validate", "gpus", "dtypes", "serve"];

    public static TheoryData<string> Names => [.. All];

    [Theory]
    [MemberData(nameof(Names))]
    public void EachCommand_AloneOnTheRoot_ParsesItsOwnHelp(string name)
    {
        var (exit, stdout, stderr) = CliRunner.Run(name, "--help");

        Assert.True(exit == 0, stderr);
        var usage = stdout.Split('\n').SkipWhile(line => line != "Usage:").Skip(1).First().Trim();
        Assert.Equal(name, usage.Split(' ')[1]); // "<executable> NAME …"
    }

    [Fact]
    public void RootHelp_And_ATypo_StillSeeEveryCommand()
    {
        var help = CliRunner.Run("--help");
        var typo = CliRunner.Run("infr", "8B");

        Assert.All(All, name => Assert.Contains(name, help.Out));
        Assert.Equal(2, typo.Exit);
        Assert.StartsWith("error: Required command was not provided.", typo.Err); // as before: the root has no action of its own
    }
}
