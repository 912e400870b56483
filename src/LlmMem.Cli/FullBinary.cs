using System.Diagnostics;
using System.Runtime.InteropServices;

namespace LlmMem.Cli;

/// <summary>
/// Runs a command this native binary leaves out (<see cref="FrontEnds"/>) in <c>llmem-full</c>, the build that holds
/// it, from the same folder: on Unix by execv(3), so it takes over this process (its id, signals, Ctrl+C and exit code
/// are llmem's own); elsewhere as a child whose exit code is passed through.
/// </summary>
internal static partial class FullBinary
{
    /// <summary>The executable's name: LlmMem.Cli.csproj names the full publish so (<c>-p:LlmMemFull=true</c>).</summary>
    public const string Name = "llmem-full";

    /// <summary>Runs <paramref name="args"/> with <c>llmem-full</c> in <paramref name="folder"/> (default: this binary's).</summary>
    /// <returns>Its exit code where it ran as a child; <see cref="ExitCodes.CannotEstimate"/> when it is missing or cannot start.</returns>
    public static int Run(string[] args, TextWriter stderr, string? folder = null)
    {
        folder ??= Path.GetDirectoryName(Environment.ProcessPath);
        var path = folder is null ? null : Path.Combine(folder, OperatingSystem.IsWindows() ? Name + ".exe" : Name);
        if (path is null || !File.Exists(path))
        {
            stderr.WriteLine($"error: 'llmem {args[0]}' is not in this native binary (kept out so every other command starts fast); "
                + $"publish {Name} beside it (README, \"Native binary\"), or use the global tool or 'dotnet run --project src/LlmMem.Cli'.");
            return ExitCodes.CannotEstimate;
        }

        if (OperatingSystem.IsWindows())
        {
            using var child = Process.Start(new ProcessStartInfo(path, args) { UseShellExecute = false })!;
            child.WaitForExit();
            return child.ExitCode;
        }

        var error = Exec(path, args);
        stderr.WriteLine($"error: cannot start {path} (errno {error}).");
        return ExitCodes.CannotEstimate;
    }

    /// <summary>execv(3): returns only when it fails, with errno.</summary>
    private static int Exec(string path, string[] args)
    {
        // argv: the program, its arguments, and the terminating null pointer; execv copies them into the new image.
        var argv = new IntPtr[args.Length + 2];
        try
        {
            argv[0] = Marshal.StringToCoTaskMemUTF8(path);
            for (var i = 0; i < args.Length; i++)
            {
                argv[i + 1] = Marshal.StringToCoTaskMemUTF8(args[i]);
            }

            Console.Out.Flush();
            Console.Error.Flush();
            _ = Execv(argv[0], argv);
            return Marshal.GetLastPInvokeError();
        }
        finally
        {
            foreach (var arg in argv)
            {
                Marshal.FreeCoTaskMem(arg);
            }
        }
    }

    [LibraryImport("libc", EntryPoint = "execv", SetLastError = true)]
    private static partial int Execv(IntPtr path, IntPtr[] argv);
}
