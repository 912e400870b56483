using System.CommandLine;
using LlmMem.Cli.Commands;
using LlmMem.Estimates;

namespace LlmMem.Cli;

/// <summary>The `llmem` command line: builds the commands and runs one, writing to the given streams.</summary>
public static class CliApp
{
    /// <summary>Every command, by the name it is called with, in the order help lists them.</summary>
    private static readonly (string Name, Func<CliOutput, Command> Create)[] Commands =
    [
        ("infer", InferCommand.Create),
        ("fit", FitCommand.Create),
        // The native `llmem` leaves plot and serve out (FrontEnds.IsSupported is false there: ILC drops them) and hands them to llmem-full.
        (FrontEnds.Plot, o => FrontEnds.IsSupported ? PlotCommand.Create(o) : FrontEnds.Placeholder(FrontEnds.Plot, PlotCommand.Description)),
        ("plan", PlanCommand.Create),
        ("train", TrainCommand.Create),
        ("inspect", InspectCommand.Create),
        ("models", ModelsCommand.Create),
        ("quants", QuantsCommand.Create),
        ("validate", ValidateCommand.Create),
        ("gpus", GpusCommand.Create),
        ("dtypes", DtypesCommand.Create),
        (FrontEnds.Serve, o => FrontEnds.IsSupported ? ServeCommand.Create(o) : FrontEnds.Placeholder(FrontEnds.Serve, ServeCommand.Description)),
    ];

    /// <summary>The parser's settings without response files.</summary>
    private static readonly ParserConfiguration NoResponseFiles = new() { ResponseFileTokenReplacer = null };

    /// <summary>Runs llmem with <paramref name="args"/>; never throws, returns the exit code.</summary>
    /// <param name="width">Console width for tables; null to let Spectre.Console detect it.</param>
    /// <param name="environment">Environment variables (HF_ENDPOINT, HF_TOKEN, HF_HOME …); null for the process's.</param>
    /// <param name="responseFiles">
    /// Whether an argument "@file" is replaced by the file's lines (System.CommandLine's response files). A user's shell
    /// may want it; <c>llmem serve</c> passes false, so no request can make the server read one of its files.
    /// </param>
    public static int Run(string[] args, TextWriter stdout, TextWriter stderr, int? width = null, Func<string, string?>? environment = null, bool responseFiles = true)
    {
        if (FrontEnds.IsHandedOver(args))
        {
            return FullBinary.Run(args, stderr);
        }

        var output = new CliOutput(stdout, stderr, width, environment);
        var root = new RootCommand(
            "llmem: how much GPU memory a large language model needs to run or to train, term by term.\n" +
            "Sizes print in GiB (1024³ bytes) and GB (10⁹ bytes); --units picks one.");
        // Only the command that runs is built when the first argument names one: building every command's options costs
        // more than many estimates (a profile of `llmem serve` under load, docs/robustness.md), and the parse of
        // `llmem infer …` never looks at the other commands. Help, a typo or no command get them all.
        var named = args.Length > 0 ? Array.FindIndex(Commands, c => c.Name == args[0]) : -1;
        foreach (var (_, create) in named >= 0 ? Commands[named..(named + 1)] : Commands)
        {
            root.Subcommands.Add(create(output));
        }

        try
        {
            var parsed = root.Parse(args, responseFiles ? null : NoResponseFiles);
            if (parsed.Errors.Count > 0)
            {
                var command = string.Join(' ', parsed.CommandResult.Command.Name == root.Name ? ["llmem"] : ["llmem", parsed.CommandResult.Command.Name]);
                stderr.WriteLine($"error: {parsed.Errors[0].Message} Run '{command} --help' for usage.");
                return ExitCodes.Usage;
            }

            return parsed.Invoke(new InvocationConfiguration { Output = stdout, Error = stderr, EnableDefaultExceptionHandler = false });
        }
        catch (UsageException e)
        {
            stderr.WriteLine($"error: {e.Message}");
            return ExitCodes.Usage;
        }
        catch (LlmMem.Formats.ModelFormatException e)
        {
            stderr.WriteLine($"error: {e.Message}");
            return ExitCodes.CannotEstimate;
        }
        catch (LlmMem.Formats.Hub.HubException e)
        {
            stderr.WriteLine($"error: {e.Message}");
            return ExitCodes.CannotEstimate;
        }
        catch (EstimateException e)
        {
            stderr.WriteLine($"error: {e.Message}");
            return ExitCodes.CannotEstimate;
        }
        catch (OverflowException)
        {
            stderr.WriteLine("error: these numbers overflow a 64-bit count of bytes (more than 8 EiB); check the parameter count, context and batch.");
            return ExitCodes.CannotEstimate;
        }
        catch (Exception e) when (Environment.GetEnvironmentVariable("LLMEM_DEBUG") is null)
        {
            stderr.WriteLine($"error: internal error ({e.GetType().Name}: {e.Message}). Please report it; set LLMEM_DEBUG=1 for a stack trace.");
            return ExitCodes.Internal;
        }
    }
}
