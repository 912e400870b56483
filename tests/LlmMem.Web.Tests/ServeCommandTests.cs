using LlmMem.Cli;

namespace LlmMem.Web.Tests;

public class ServeCommandTests
{
    private static (int Exit, string Out) Run(params string[] args)
    {
        using var stdout = new StringWriter { NewLine = "\n" };
        using var stderr = new StringWriter { NewLine = "\n" };
        var exit = CliApp.Run(args, stdout, stderr, 120);
        return (exit, stdout + stderr.ToString());
    }

    [Fact]
    public void Serve_IsACommandOfLlmem_WithItsDefaultAddress()
    {
        var root = Run("--help");
        var serve = Run("serve", "--help");

        Assert.Contains("serve", root.Out);
        Assert.Equal(0, serve.Exit);
        Assert.Contains("--urls", serve.Out);
        Assert.Contains("http://127.0.0.1:5178", serve.Out);
        Assert.Contains("--allowed-hosts", serve.Out);
    }
}
