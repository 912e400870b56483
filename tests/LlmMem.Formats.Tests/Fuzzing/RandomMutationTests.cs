using System.Diagnostics;

namespace LlmMem.Formats.Tests.Fuzzing;

/// <summary>
/// CI's short fuzzing: thousands of seeded random mutations of each target's seeds (<see cref="Mutator"/>), each read by the
/// target as the AFL++ campaigns read them (fuzz/run.sh). Only the reader's own error may escape, in one line; no input may
/// allocate more than 256 MiB or take a second. The campaigns explore far more; this keeps every reader honest on each commit.
/// </summary>
public class RandomMutationTests
{
    private const int Mutations = 5_000;

    public static TheoryData<string, int> Cases => new()
    {
        { "gguf", 13_001 },
        { "safetensors", 13_002 },
        { "config", 13_003 },
        { "hub", 13_004 },
        { "hubcache", 13_005 },
    };

    [Theory]
    [MemberData(nameof(Names))]
    public void EverySeed_IsReadWholly(string name)
    {
        var target = ReaderTargets.Named(name);
        foreach (var (seed, bytes) in FuzzSeeds.For(target))
        {
            // A seed is accepted (by at least one of the target's reads): a mutant's refusal is then the mutation's doing.
            Assert.True(target.Run(bytes) == ReaderTarget.Outcome.Read, $"seed {seed} of {name} is refused");
        }
    }

    public static TheoryData<string> Names => [.. ReaderTargets.All.Select(t => t.Name)];

    [Theory]
    [MemberData(nameof(Cases))]
    public void RandomMutations_OnlyTheReadersOwnErrorEscapes_WithinMemoryAndTime(string name, int seed)
    {
        var target = ReaderTargets.Named(name);
        var mutator = new Mutator(seed, [.. FuzzSeeds.For(target).Select(s => s.Bytes)]);
        var (read, refused) = (0, 0);
        var slowest = TimeSpan.Zero;
        var watch = Stopwatch.StartNew();
        for (var i = 0; i < Mutations; i++)
        {
            var (bytes, what) = mutator.Next();
            try
            {
                var (outcome, elapsed) = target.Timed(bytes);
                (read, refused) = outcome == ReaderTarget.Outcome.Read ? (read + 1, refused) : (read, refused + 1);
                slowest = elapsed > slowest ? elapsed : slowest;
                Assert.True(elapsed < TimeSpan.FromSeconds(1), $"{name}, seed {seed}, mutation {i} ({what}) took {elapsed.TotalMilliseconds:N0} ms");
            }
            catch (FuzzFindingException e)
            {
                Assert.Fail($"{name}, seed {seed}, mutation {i} ({what}): {e.Message}\n{e.InnerException}");
            }
        }

        // Both outcomes occur: the mutants reach past the first check (some still read) and are mostly refused.
        Assert.InRange(refused, Mutations / 4, Mutations);
        Assert.InRange(read, Mutations / 100, Mutations);
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(20), $"{Mutations:N0} {name} mutants took {watch.Elapsed.TotalSeconds:0.0} s (slowest {slowest.TotalMilliseconds:N0} ms)");
    }
}
