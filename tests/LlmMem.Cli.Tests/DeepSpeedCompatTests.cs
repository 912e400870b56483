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
    public void Zero2_AllCold_MatchesDeepSpeedsDocs()
    {
        var (_, output, _) = CliRunner.Run("train", "2851M", "--compat", "deepspeed", "--zero", "2", "--gpus", "8");

        Assert.Equal(Documented("deepspeed-zero2-cold-2851M-1x8"), Printed(output));
    }

    [Fact]
    public void Compat_NeedsAStage()
    {
        var (exit, _, error) = CliRunner.Run("train", "2851M", "--compat", "deepspeed");

        Assert.Equal(2, exit);
        Assert.Contains("needs --zero 2 or --zero 3", error);
    }
}
