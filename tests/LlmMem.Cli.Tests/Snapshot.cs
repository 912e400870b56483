namespace LlmMem.Cli.Tests;

/// <summary>
/// Compares what users see with a stored snapshot (trailing spaces ignored). On a mismatch the actual output is
/// written beside the source snapshot as NAME.received.txt: review it, and copy it over the snapshot if it is right.
/// </summary>
internal static class Snapshot
{
    public static void Matches(string name, string actual)
    {
        var expected = File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Snapshots", name));
        var normalised = Normalise(actual);
        if (Normalise(expected) != normalised)
        {
            var sourceDir = Path.Combine(AppContext.BaseDirectory, "..", "..", "..", "Snapshots");
            if (Directory.Exists(sourceDir))
            {
                File.WriteAllText(Path.Combine(sourceDir, Path.ChangeExtension(name, ".received.txt")), normalised);
            }
        }

        Assert.Equal(Normalise(expected), normalised);
    }

    private static string Normalise(string text) =>
        string.Join("\n", text.Replace("\r\n", "\n", StringComparison.Ordinal).Split('\n').Select(l => l.TrimEnd())).TrimEnd() + "\n";
}
