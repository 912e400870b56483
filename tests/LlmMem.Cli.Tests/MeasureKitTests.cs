using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace LlmMem.Cli.Tests;

/// <summary>
/// tools/measure (Python) in CI, where there is no GPU and no torch: its dry run, its argument errors, its own unit
/// tests, and its lines read by `llmem validate --engine training --data FILE` — the path a real run's file takes.
/// </summary>
public class MeasureKitTests
{
    private static readonly string Root = Path.GetFullPath(Path.Combine(AppContext.BaseDirectory, "..", "..", "..", "..", ".."));

    private static string Python()
    {
        var found = (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Select(dir => Path.Combine(dir, "python3"))
            .FirstOrDefault(File.Exists);
        Assert.True(found is not null, "python3 is not on PATH: the measurement kit's tests need it (.ci/run installs it: apt-get install -y python3)");
        return found!;
    }

    private static (int Exit, string Out, string Err) RunPython(params string[] args)
    {
        var start = new ProcessStartInfo(Python()) { WorkingDirectory = Root, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        // No __pycache__ in the source tree.
        start.Environment["PYTHONDONTWRITEBYTECODE"] = "1";
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromMinutes(2)))
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail("python3 " + string.Join(' ', args) + " ran for more than 2 minutes");
        }

        return (process.ExitCode, stdout.Result, stderr.Result);
    }

    private static string DryRun(string folder, params string[] args)
    {
        // A name without "training" or "measured-": --engine training says what the file holds.
        var file = Path.Combine(folder, "kit-dry-run.jsonl");
        var (exit, _, err) = RunPython(["tools/measure/measure.py", "--dry-run", "--out", file, .. args]);
        Assert.True(exit == 0, err);
        Assert.Equal("", err);
        return file;
    }

    private static List<JsonElement> Validate(string file, bool engine = true)
    {
        var (exit, output, error) = CliRunner.Run(["validate", .. engine ? new[] { "--engine", "training" } : [], "--data", file, "--format", "json"]);
        Assert.True(exit == 0, error);
        using var json = JsonDocument.Parse(output);
        return [.. json.RootElement.GetProperty("cases").EnumerateArray().Select(c => c.Clone())];
    }

    [Fact]
    public void DryRun_WritesEverySetting_AndValidateReadsEachLine()
    {
        var folder = Directory.CreateTempSubdirectory("llmem-measure-").FullName;
        try
        {
            var file = DryRun(folder);
            var lines = File.ReadAllLines(file);
            Assert.Equal(25 * 3, lines.Length); // the default suite's 25 settings × allocated, reserved, device used
            Assert.Equal(lines.Length, lines.Select(l => JsonNode.Parse(l)!["id"]!.GetValue<string>()).Distinct().Count());

            var cases = Validate(file);
            Assert.Equal(lines.Length, cases.Count);
            string Reason(JsonElement c) => c.GetProperty("reason").GetString()!;
            // Every line is a case that reached the measured figure (the model found in the catalog, batch and sequence read).
            Assert.All(cases, c => Assert.Equal("skipped", c.GetProperty("status").GetString()));
            Assert.Equal(16 * 3, cases.Count(c => Reason(c).StartsWith("a dry run of tools/measure", StringComparison.Ordinal)));
            Assert.Equal(9 * 3, cases.Count(c => Reason(c).StartsWith("an inference measurement", StringComparison.Ordinal)));
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public void DryRunSettings_ReachTheEstimator_AsLlmemTrainReadsThem()
    {
        var folder = Directory.CreateTempSubdirectory("llmem-measure-").FullName;
        try
        {
            var dry = DryRun(folder, "--suite", "train");
            // As a real run writes it: a measured byte count in each line's one peak field.
            var measured = Path.Combine(folder, "measured-filled.jsonl");
            File.WriteAllLines(measured, File.ReadAllLines(dry).Select(line =>
            {
                var node = JsonNode.Parse(line)!.AsObject();
                node["dry_run"] = false;
                var peak = node["measured"]!.AsObject();
                foreach (var field in peak.Select(p => p.Key).Where(k => k.EndsWith("_bytes", StringComparison.Ordinal)).ToList())
                {
                    peak[field] = 1L << 30;
                }

                return node.ToJsonString();
            }));

            // measured-*.jsonl: tools/measure's name, read as training cases without --engine.
            var cases = Validate(measured, engine: false).ToDictionary(c => c.GetProperty("id").GetString()!);
            Assert.Equal(16 * 3, cases.Count);
            foreach (var (id, c) in cases)
            {
                Assert.True(c.GetProperty("status").GetString() == "estimated", id + ": " + (c.TryGetProperty("reason", out var reason) ? reason.GetString() : ""));
                var comparison = c.GetProperty("comparisons").EnumerateArray().Single();
                var metric = id[(id.LastIndexOf('-') + 1)..] switch { "allocated" => "allocated", "reserved" => "reserved", _ => "nvidia-smi" };
                Assert.Equal(metric, comparison.GetProperty("metric").GetString());
                Assert.Equal(id.Contains("-train-lora-", StringComparison.Ordinal) ? "lora" : "full", comparison.GetProperty("method").GetString());
                Assert.Equal(1L << 30, comparison.GetProperty("measured_bytes").GetInt64());
            }

            // The settings as `llmem train` takes them: precision, checkpointing, attention and LoRA read as written.
            long Estimated(string id) => cases["measured-dry-run-" + id + "-allocated"].GetProperty("comparisons")[0].GetProperty("estimated_bytes").GetInt64();
            long Train(params string[] args)
            {
                var (exit, output, error) = CliRunner.Run(["train", .. args, "--format", "json"]);
                Assert.True(exit == 0, error);
                using var json = JsonDocument.Parse(output);
                return json.RootElement.GetProperty("devices")[0].GetProperty("total_bytes").GetInt64();
            }

            Assert.Equal(Train("Qwen/Qwen2.5-0.5B", "--method", "full", "--precision", "fp32", "--batch", "2", "--seq", "1024", "--checkpointing", "none", "--attention", "sdpa"),
                Estimated("qwen-qwen2.5-0.5b-train-full-fp32-b2-s1024-sdpa-nockpt"));
            Assert.Equal(Train("meta-llama/Llama-3.2-1B-Instruct", "--method", "full", "--precision", "mixed-bf16", "--batch", "2", "--seq", "1024", "--checkpointing", "none", "--attention", "eager"),
                Estimated("meta-llama-llama-3.2-1b-instruct-train-full-bf16-mixed-b2-s1024-eager-nockpt"));
            Assert.Equal(Train("meta-llama/Llama-3.1-8B", "--method", "lora", "--rank", "16", "--targets", "all-linear", "--precision", "bf16", "--batch", "1", "--seq", "2048", "--checkpointing", "full", "--attention", "sdpa"),
                Estimated("meta-llama-llama-3.1-8b-train-lora-r16-all-linear-bf16-b1-s2048-sdpa-ckpt"));
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Theory]
    [InlineData("--models", "llama-9b", "unknown model 'llama-9b'")]
    [InlineData("--precisions", "fp8", "unknown precision 'fp8'; valid: fp32, bf16-mixed, bf16")]
    [InlineData("--batch", "0", "'0' is not a whole number")]
    [InlineData("--models", "gemma-3-4b-it", "no top-level vocab_size")]
    public void BadArguments_AreOneLine_ExitTwo(string option, string value, string message)
    {
        var (exit, output, err) = RunPython("tools/measure/measure.py", "--dry-run", option, value);

        Assert.Equal(2, exit);
        Assert.Equal("", output);
        Assert.StartsWith("measure.py: error: ", err, StringComparison.Ordinal);
        Assert.Contains(message, err, StringComparison.Ordinal);
        Assert.Single(err.TrimEnd().Split('\n'));
    }

    [Fact]
    public void PythonUnitTests_Pass()
    {
        var (exit, _, err) = RunPython("-m", "unittest", "discover", "-s", "tools/measure", "-p", "test_*.py");

        Assert.True(exit == 0, err);
        Assert.Matches(@"Ran [1-9]\d* tests", err);
    }
}
