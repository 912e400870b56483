using System.CommandLine;
using LlmMem.Cli.Commands;
using LlmMem.Estimates;

namespace LlmMem.Cli;

/// <summary>The `llmem` command line: builds the commands and runs one, writing to the given streams.</summary>
public static class CliApp
{
    /// <summary>Runs llmem with <paramref name="args"/>; never throws, returns the exit code.</summary>
    /// <param name="width">Console width for tables; null to let Spectre.Console detect it.</param>
    /// <param name="environment">Environment variables (HF_ENDPOINT, HF_TOKEN, HF_HOME …); null for the process's.</param>
    public static int Run(string[] args, TextWriter stdout, TextWriter stderr, int? width = null, Func<string, string?>? environment = null)
    {
        if (FrontEnds.IsHandedOver(args))
        {
            return FullBinary.Run(args, stderr);
        }

        var output = new CliOutput(stdout, stderr, width, environment);
        var root = new RootCommand(
            "llmem: how much GPU memory a large language model needs to run or to train, term by term.\n" +
            "Sizes print in GiB (1024³ bytes) and GB (10⁹ bytes); --units picks one.")
        {
            InferCommand.Create(output),
            FitCommand.Create(output),
            FrontEnds.IsSupported ? PlotCommand.Create(output) : FrontEnds.Placeholder(FrontEnds.Plot, PlotCommand.Description),
            PlanCommand.Create(output),
            TrainCommand.Create(output),
            InspectCommand.Create(output),
            ModelsCommand.Create(output),
            QuantsCommand.Create(output),
            ValidateCommand.Create(output),
            GpusCommand.Create(output),
            DtypesCommand.Create(output),
            FrontEnds.IsSupported ? ServeCommand.Create(output) : FrontEnds.Placeholder(FrontEnds.Serve, ServeCommand.Description),
        };

        try
        {
            var parsed = root.Parse(args);
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
