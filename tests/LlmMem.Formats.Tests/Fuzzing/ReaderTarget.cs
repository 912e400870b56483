using System.Diagnostics;

namespace LlmMem.Formats.Tests.Fuzzing;

/// <summary>
/// One reader as the fuzzer (fuzz/) and the random-mutation tests drive it: bytes in, then either a result or the
/// reader's own error (<see cref="OwnError"/>, one line). Anything else escaping, or an input that allocates more than
/// <see cref="MaxAllocatedBytes"/>, is a finding: <see cref="Run"/> lets it escape as an exception, which AFL++ records as a crash.
/// </summary>
/// <param name="Name">The name fuzz/run.sh and the findings corpus use: "gguf", "safetensors", "config", "hub", "hubcache".</param>
/// <param name="OwnError">The one exception type the reader may throw for bad input.</param>
/// <param name="Reads">The reads one input goes through, each on its own (a refusal by one does not skip the next).</param>
internal sealed record ReaderTarget(string Name, Type OwnError, params Action<byte[]>[] Reads)
{
    /// <summary>
    /// The most one input may make a reader allocate: 256 MiB. The readers' own limits are below it (the largest is the GGUF
    /// header's 256 MiB, which is streamed and skipped, never held); an input over it is an over-allocation finding.
    /// </summary>
    public const long MaxAllocatedBytes = 256L << 20;

    /// <summary>How one input ended, for the tests' tallies.</summary>
    public enum Outcome
    {
        Read,
        Refused,
    }

    /// <summary>Runs every read on <paramref name="input"/>: the reads' own errors are the expected refusals; anything else escapes.</summary>
    /// <returns><see cref="Outcome.Read"/> when at least one read accepted the input.</returns>
    /// <exception cref="FuzzFindingException">A read let another exception escape, wrote a multi-line message, or over-allocated.</exception>
    public Outcome Run(byte[] input)
    {
        var outcome = Outcome.Refused;
        foreach (var read in Reads)
        {
            var before = GC.GetAllocatedBytesForCurrentThread();
            try
            {
                read(input);
                outcome = Outcome.Read;
            }
            catch (Exception e) when (e.GetType() == OwnError)
            {
                if (e.Message.Contains('\n', StringComparison.Ordinal) || e.Message.Contains('\r', StringComparison.Ordinal))
                {
                    throw new FuzzFindingException($"{Name}: a {OwnError.Name} message is more than one line: {e.Message}", e);
                }
            }
            catch (Exception e) when (e is not FuzzFindingException)
            {
                throw new FuzzFindingException($"{Name}: {e.GetType().Name} escaped, not {OwnError.Name}: {e.Message}", e);
            }

            var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
            if (allocated > MaxAllocatedBytes)
            {
                throw new FuzzFindingException($"{Name}: one input allocated {allocated:N0} bytes, more than the {MaxAllocatedBytes:N0} allowed.");
            }
        }

        return outcome;
    }

    /// <summary>Runs <see cref="Run"/> and times it, for the tests' per-input bound.</summary>
    public (Outcome Outcome, TimeSpan Elapsed) Timed(byte[] input)
    {
        var watch = Stopwatch.StartNew();
        var outcome = Run(input);
        return (outcome, watch.Elapsed);
    }

    public override string ToString() => Name;
}

/// <summary>What a fuzzed reader did wrong; AFL++ sees it as a crash, a test as a failure.</summary>
internal sealed class FuzzFindingException(string message, Exception? inner = null) : Exception(message, inner);
