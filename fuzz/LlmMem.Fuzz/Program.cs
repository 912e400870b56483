using LlmMem.Formats.Tests.Fuzzing;
using SharpFuzz;

namespace LlmMem.Fuzz;

/// <summary>
/// The AFL++ harness for llmem's readers (issue 13), driven by fuzz/run.sh:
/// <c>seeds TARGET DIR</c> writes the target's seed inputs; <c>fuzz TARGET</c> runs under afl-fuzz; <c>replay TARGET FILE…</c>
/// reads files as the harness does and says how each ended (triage of a campaign's crashes and hangs).
/// </summary>
internal static class Program
{
    private const string Usage = "usage: LlmMem.Fuzz seeds TARGET DIR | fuzz TARGET | replay TARGET FILE…  (targets: gguf, safetensors, config, hub, hubcache)";

    private static int Main(string[] args)
    {
        if (args.Length < 2)
        {
            Console.Error.WriteLine(Usage);
            return 2;
        }

        var target = ReaderTargets.All.FirstOrDefault(t => t.Name == args[1]);
        if (target is null)
        {
            Console.Error.WriteLine($"no target '{args[1]}'. {Usage}");
            return 2;
        }

        switch (args[0])
        {
            case "seeds" when args.Length == 3:
                Directory.CreateDirectory(args[2]);
                foreach (var (name, bytes) in FuzzSeeds.For(target))
                {
                    File.WriteAllBytes(Path.Combine(args[2], name), bytes);
                }

                return 0;
            case "fuzz":
                // OutOfProcess: SharpFuzz runs the loop in a child process, so even an uncatchable StackOverflowException is
                // reported as a crash instead of killing the fork server (SharpFuzz README, "Out-of-process fuzzing").
                // Any exception escaping Run is a finding: FAULT_CRASH for afl-fuzz.
                Fuzzer.OutOfProcess.Run(stream => target.Run(ReadAll(stream)));
                return 0;
            case "replay":
                var findings = 0;
                foreach (var file in args.Skip(2))
                {
                    try
                    {
                        var (outcome, elapsed) = target.Timed(File.ReadAllBytes(file));
                        Console.WriteLine($"{file}: {outcome.ToString().ToLowerInvariant()} in {elapsed.TotalMilliseconds:N1} ms");
                    }
                    catch (FuzzFindingException e)
                    {
                        findings++;
                        Console.WriteLine($"{file}: FINDING: {e.Message}");
                        Console.WriteLine(e.InnerException);
                    }
                }

                return findings == 0 ? 0 : 1;
            default:
                Console.Error.WriteLine(Usage);
                return 2;
        }
    }

    private static byte[] ReadAll(Stream stream)
    {
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }
}
