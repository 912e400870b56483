using System.Text.Json;
using System.Text.Json.Nodes;

namespace LlmMem.Cli.Tests;

/// <summary>--compat accelerate against Accelerate's documented estimate-memory table (data/groundtruth/anchor-outputs.jsonl).</summary>
public class AccelerateCompatTests
{
    [Fact]
    public void BertBaseCased_MatchesAcceleratesDocumentedTable()
    {
        // bert-base-cased is bert-base-uncased's config with a 28,996-token vocabulary (the Hub configs differ only there).
        var repo = Path.Combine(AppContext.BaseDirectory, "..", "..", "..", "..", "..");
        var config = JsonNode.Parse(File.ReadAllText(Path.Combine(repo, "data", "hf-configs", "google-bert--bert-base-uncased.json")))!;
        config["vocab_size"] = 28_996;
        var folder = Directory.CreateTempSubdirectory("bert-base-cased-");
        try
        {
            File.WriteAllText(Path.Combine(folder.FullName, "config.json"), config.ToJsonString());
            var (exit, output, error) = CliRunner.Run("inspect", folder.FullName, "--compat", "accelerate");
            Assert.True(exit == 0, error);

            var anchor = File.ReadLines(Path.Combine(repo, "data", "groundtruth", "anchor-outputs.jsonl"))
                .Select(l => JsonDocument.Parse(l).RootElement).Single(e => e.GetProperty("id").GetString() == "accelerate-estimate-bert-base-cased-all");
            var rows = output.Split('\n').Where(l => l.StartsWith("| float", StringComparison.Ordinal) || l.StartsWith("| int", StringComparison.Ordinal))
                .Select(l => l.Split('|', StringSplitOptions.TrimEntries)).ToDictionary(c => c[1]);
            foreach (var documented in anchor.GetProperty("outputs").EnumerateArray())
            {
                var row = rows[documented.GetProperty("dtype").GetString()!];
                Assert.Equal(documented.GetProperty("largest_layer").GetString(), row[2]);
                // The doc's float32 total reads 418.18 MB in one table and 413.18 MB elsewhere; 413.18 is consistent with 4 × 1.61 GB.
                var total = documented.GetProperty("total_size").GetString() == "418.18 MB" ? "413.18 MB" : documented.GetProperty("total_size").GetString();
                Assert.Equal(total, row[3]);
            }

            // Current Accelerate: training is the largest step, 4× the fp32 size at float32 and 2× at float16, N/A for int8 and int4.
            Assert.Equal("1.61 GB", rows["float32"][4]);
            Assert.Equal("826.36 MB", rows["float16"][4]);
            Assert.Equal("N/A", rows["int8"][4]);
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }
}
