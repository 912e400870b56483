using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using LLama;
using LLama.Common;
using LLama.Native;

namespace LlmMem.LlamaCpp.Tests;

/// <summary>
/// Loads a GGUF file into the real llama.cpp (LLamaSharp 0.30.0's CPU backend) and keeps what it logs about its
/// buffers. llama.cpp logs through one callback for the whole process, in pieces (<c>Continue</c> joins a line).
/// </summary>
internal static partial class LlamaCppLog
{
    private static readonly Lock Gate = new();
    private static readonly StringBuilder Current = new();
    private static bool registered;

    /// <summary>What llama.cpp printed while loading <paramref name="path"/> and creating a context with <paramref name="parameters"/>.</summary>
    public static string Load(string path, Action<ModelParams> parameters)
    {
        lock (Gate)
        {
            if (!registered)
            {
                NativeLibraryConfig.All.WithLogCallback((level, message) =>
                {
                    lock (Current)
                    {
                        Current.Append(message);
                    }
                });
                registered = true;
            }

            lock (Current)
            {
                Current.Clear();
            }

            var p = new ModelParams(path) { GpuLayerCount = 0 };
            parameters(p);
            using (var weights = LLamaWeights.LoadFromFile(p))
            using (var context = weights.CreateContext(p))
            {
                _ = context.ContextSize;
            }

            lock (Current)
            {
                return Current.ToString();
            }
        }
    }

    /// <summary>The number after "NAME = " in the context's log ("llama_context: n_ctx_seq = 1792"); null when not printed.</summary>
    public static long? Value(string log, string name) =>
        Regex.Match(log, $@"{Regex.Escape(name)}\s*=\s*(?<n>\d+)") is { Success: true } m ? long.Parse(m.Groups["n"].Value, CultureInfo.InvariantCulture) : null;

    /// <summary>MiB summed over every line "… NAME buffer size = X MiB" of the kind ("model", "KV", "compute", "output").</summary>
    public static double SumMiB(string log, string kind) =>
        Regex.Matches(log, $@"{Regex.Escape(kind)} buffer size\s*=\s*(?<n>[0-9.]+) MiB")
            .Sum(m => double.Parse(m.Groups["n"].Value, CultureInfo.InvariantCulture));
}
