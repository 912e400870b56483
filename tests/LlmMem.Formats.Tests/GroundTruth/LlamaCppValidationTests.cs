using LlmMem.Formats.Validation;

namespace LlmMem.Formats.Tests.GroundTruth;

/// <summary>
/// The llama.cpp cases of data/groundtruth/llamacpp.jsonl re-estimated by <see cref="LlamaCppValidator"/> under the rules
/// of the build each records: which build it takes, and the note where none is recorded.
/// </summary>
public class LlamaCppValidationTests
{
    private static readonly Lazy<ValidationReport> Report = new(() => LlamaCppValidator.Run(GroundTruthData.EmbeddedLlamaCpp()));

    private static CaseResult Case(string id) => Report.Value.Cases.Single(c => c.Id == id);

    [Theory]
    [InlineData("gt002")] // "build = 3673 (8ebe8dde), 2024-09"
    [InlineData("gt008")] // "build: 5622 (97340b4c), 2025-06"
    [InlineData("gt041")] // "~llama.cpp b6100-b6150": the lower bound
    public void ARecordedBuild_IsUsed_WithoutANote(string id)
    {
        Assert.DoesNotContain("version not recorded", Case(id).Reason ?? "");
    }

    [Theory]
    [InlineData("gt007")] // "~2025-06 (…)": a date llmem does not turn into a build
    [InlineData("gt020")]
    public void NoRecordedBuild_TakesTheNewestRules_AndSaysSo(string id)
    {
        Assert.Contains("version not recorded: the rules of b10221", Case(id).Reason);
    }

    [Fact]
    public void AFork_KeepsMainlinesNewestRules_AndSaysSo()
    {
        // ik_llama.cpp's "build = 3751" counts the fork's own commits, not mainline's.
        Assert.Contains("a fork: mainline's rules of b10221", Case("gt035").Reason);
    }

    [Fact]
    public void Gt041_FullSizeSlidingCache_IsExact()
    {
        // The case records swa_full (LM Studio keeps llama.h's default): 288.00 MiB, where pad(128 + 512) cells gave 166.50.
        Assert.True(Case("gt041").Comparisons.Single(x => x.Term == "kv_cache").Exact);
    }

    [Fact]
    public void EveryKvCacheOfMainline_IsExact()
    {
        var kv = Report.Value.Cases.Where(c => c.Group != "fork").SelectMany(c => c.Comparisons).Where(x => x.Term == "kv_cache").ToList();
        Assert.NotEmpty(kv);
        Assert.All(kv, x => Assert.True(x.Exact, $"{x.MeasuredBytes} vs {x.EstimatedBytes}"));
    }
}
