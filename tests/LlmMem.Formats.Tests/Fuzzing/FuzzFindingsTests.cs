namespace LlmMem.Formats.Tests.Fuzzing;

/// <summary>
/// The hostile-file corpus of fuzzing's findings (TestData/fuzz/TARGET/): every input that once made a reader throw another
/// exception, write a multi-line message, over-allocate or hang, now refused with the reader's own one-line error.
/// docs/robustness.md (## Fuzzing) says which campaign or mutation test found each and what was fixed.
/// </summary>
public class FuzzFindingsTests
{
    private static readonly string Corpus = Path.Combine(AppContext.BaseDirectory, "TestData", "fuzz");

    /// <summary>Each finding's file (TARGET/NAME) and the message one of the target's reads now refuses it with.</summary>
    public static TheoryData<string, string> Findings => new()
    {
        { "config/invalid-utf8-in-model-type.json", "config.json: not valid UTF-8 (byte 21)." },
        { "config/unpaired-surrogate-in-model-type.json", "config.json: a string holds an escape that is not text, half a surrogate pair (byte 16)." },
        { "config/afl-unpaired-surrogate-in-a-key.json", "config.json: a string holds an escape that is not text, half a surrogate pair (byte 48)." },
        { "config/afl-unpaired-surrogate-in-a-nested-key.json", "config.json: a string holds an escape that is not text, half a surrogate pair (byte 1,090)." },
        { "config/object-spanning-lines-as-a-dimension.json", "config.json: field 'hidden_size' must be a whole number between 0 and 2,147,483,647, not { \"a\": 1 }." },
        { "config/afl-newline-in-layer-types.json", "config.json: layer_types has 'full_attenti\\u000a', a layer kind llmem does not model (recurrent or linear attention)." },
        { "hub/invalid-utf8-in-sha.json", "org/fuzz: the Hub sent a malformed answer to the model info: not valid UTF-8 (byte 25)." },
        { "hub/unpaired-surrogate-in-path.json", "org/fuzz: the Hub sent a malformed answer to the file tree: a string holds an escape that is not text, half a surrogate pair (byte 33)." },
        { "hub/afl-size-not-a-number.json", "org/fuzz: the Hub sent a malformed answer to the file tree: file 'modrs' has no whole, non-negative \"size\"." },
        { "hub/type-not-a-string.json", "org/fuzz: the Hub sent a malformed answer to the file tree: an entry whose \"type\" is not a string." },
        { "hubcache/path-null.json", "not cached: the cached files.json is damaged" },
    };

    [Theory]
    [MemberData(nameof(Findings))]
    public void Finding_IsRefusedByTheReader_InOneLine(string file, string message)
    {
        var target = ReaderTargets.Named(file[..file.IndexOf('/', StringComparison.Ordinal)]);
        var bytes = File.ReadAllBytes(Path.Combine(Corpus, file));

        // Run fails with a FuzzFindingException for a foreign exception, a multi-line message or an over-allocation.
        var (outcome, elapsed) = target.Timed(bytes);

        Assert.Equal(ReaderTarget.Outcome.Refused, outcome);
        var messages = target.Reads.Select(read => Record.Exception(() => read(bytes))?.Message).ToList();
        Assert.True(messages.Contains(message), $"expected: {message}\nactual: {string.Join("\n        ", messages)}");
        Assert.True(elapsed < TimeSpan.FromSeconds(1), $"{file} took {elapsed.TotalMilliseconds:N0} ms");
    }

    [Fact]
    public void EveryFileInTheCorpus_HasItsExpectedMessage()
    {
        var files = Directory.EnumerateFiles(Corpus, "*", SearchOption.AllDirectories)
            .Select(f => Path.GetRelativePath(Corpus, f).Replace('\\', '/')).Order(StringComparer.Ordinal);

        Assert.Equal(files, Findings.Select(f => (string)f[0]).Order(StringComparer.Ordinal));
    }
}
