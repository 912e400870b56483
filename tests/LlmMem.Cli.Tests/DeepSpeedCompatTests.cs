using System.Globalization;
using System.Text.Json;

namespace LlmMem.Cli.Tests;

/// <summary>--compat deepspeed prints DeepSpeed's estimator tables, against its documented outputs (data/groundtruth/anchor-outputs.jsonl).</summary>
public class DeepSpeedCompatTests
{
    private static IEnumerable<(double Cpu, double Gpu)> Documented(string id)
    {
        var file = Path.Combine(AppContext.BaseDirectory, "..", "..", "..", "..", "..", "data", "groundtruth", "anchor-outputs.jsonl");
        var record = File.ReadLines(file).Select(l => JsonDocument.Parse(l).RootElement).Single(e => e.GetProperty("id").GetString() == id);
        return record.GetProperty("outputs").EnumerateArray().Select(o => (o.GetProperty("per_cpu_gb").GetDouble(), o.GetProperty("per_gpu_gb").GetDouble()));
    }

    private static IEnumerable<(double Cpu, double Gpu)> Printed(string output) =>
        output.Split('\n').Where(l => l.Contains("GB |", StringComparison.Ordinal)).Select(l =>
        {
            var parts = l.Split('|');
            double Gb(string s) => double.Parse(s.Trim().Replace("GB", "", StringComparison.Ordinal), CultureInfo.InvariantCulture);
            return (Gb(parts[0]), Gb(parts[1]));
        });

    [Fact]
    public void Zero3_AllCold_MatchesDeepSpeedsDocs()
    {
        var (exit, output, error) = CliRunner.Run("train", "2851M", "--largest-layer", "32M", "--compat", "deepspeed", "--zero", "3", "--gpus", "8");

        Assert.True(exit == 0, error);
        Assert.Contains("SW: Model with 2851M total params, 32M largest layer params.", output);
        Assert.Equal(Documented("deepspeed-zero3-cold-2851M-32M-1x8"), Printed(output));
    }

    [Fact]
    public void Zero2_AllCold_BeforePr5099_MatchesDeepSpeedsDocs()
    {
        // The docs' table was printed before PR #5099 (v0.14.3) and not regenerated since.
        var (exit, output, error) = CliRunner.Run("train", "2851M", "--compat", "deepspeed@0.14.2", "--zero", "2", "--gpus", "8");

        Assert.True(exit == 0, error);
        Assert.Equal(Documented("deepspeed-zero2-cold-2851M-1x8"), Printed(output));
    }

    [Fact]
    public void Zero2_AllCold_CurrentRule_DiffersFromTheDocsOnlyWithoutOffload()
    {
        var (exit, output, error) = CliRunner.Run("train", "2851M", "--compat", "deepspeed", "--zero", "2", "--gpus", "8");

        Assert.True(exit == 0, error);
        var documented = Documented("deepspeed-zero2-cold-2851M-1x8").ToArray();
        var printed = Printed(output).ToArray();
        // Offloaded, both rules keep the 16-bit weights (2P) on the GPU: the row is unchanged.
        Assert.Equal(documented[0], printed[0]);
        Assert.Equal(documented[1].Cpu, printed[1].Cpu);
        // Without offload PR #5099 replaced 4P + 16P/8 (15.93 GB in the docs) by 2P + 18P/8: 16-bit weights and gradients at
        // 2 bytes, plus the fp32 gradient partition: (5.702e9 + 6.41475e9) B / 2^30 = 11.28 GiB.
        Assert.Equal(15.93, documented[1].Gpu);
        Assert.Equal(11.28, printed[1].Gpu);
    }

    [Theory]
    [InlineData("deepspeed@latest")]
    [InlineData("deepspeed@1")]
    [InlineData("megatron")]
    public void Compat_BadToolOrVersion_IsOneLineUsageError(string tool)
    {
        var (exit, output, error) = CliRunner.Run("train", "2851M", "--compat", tool, "--zero", "2", "--gpus", "8");

        Assert.Equal(2, exit);
        Assert.Equal("", output);
        Assert.Single(error.Trim().Split('\n'));
        Assert.Contains("deepspeed@", error);
    }

    [Fact]
    public void Compat_NeedsAStage()
    {
        var (exit, _, error) = CliRunner.Run("train", "2851M", "--compat", "deepspeed");

        Assert.Equal(2, exit);
        Assert.Contains("needs --zero 2 or --zero 3", error);
    }
}
