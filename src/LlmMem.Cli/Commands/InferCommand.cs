using System.CommandLine;
using LlmMem.Cli.Rendering;
using LlmMem.DataTypes;
using LlmMem.Inference;

namespace LlmMem.Cli.Commands;

/// <summary><c>llmem infer MODEL</c>: memory to serve a model.</summary>
internal static class InferCommand
{
    public static Command Create(CliOutput output)
    {
        var options = new InferOptions();
        var command = new Command("infer", "Memory to run a model for inference, per GPU and term by term.");
        options.AddTo(command);
        command.SetAction(result =>
        {
            var request = options.ReadRequest(result, output);
            EstimateRenderer.Render(InferenceEstimator.Estimate(request), options.Common.ReadRenderOptions(result), output);
            return ExitCodes.Ok;
        });
        return command;
    }

    /// <summary>--gpu-memory-utilization: a fraction in (0, 1], as vLLM accepts it.</summary>
    internal static double? Utilization(string? text)
    {
        if (text is null)
        {
            return null;
        }

        return double.TryParse(text, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var value) && value > 0 && value <= 1
            ? value
            : throw new UsageException($"--gpu-memory-utilization must be a fraction above 0 and at most 1, not '{text}'.");
    }

    internal delegate bool TryParser<T>(string? text, out T value, out string error);

    /// <summary>-ngl N, where 0 is allowed (everything on the host) and llama.cpp's "all" spellings (999, -1) mean every layer.</summary>
    internal static int? GpuLayers(string? text) => text?.Trim() switch
    {
        null => null,
        "-1" or "all" or "auto" => int.MaxValue / 2,
        "0" => 0,
        var n => (int)CommonOptions.ReadCount(n, "--n-gpu-layers", int.MaxValue / 2)!.Value,
    };

    internal static bool CacheType(string? text, out DataType type, out string error)
    {
        if (DataType.TryParse(text, out type, out error, LlamaCppSettings.CacheTypes))
        {
            return true;
        }

        error = error.Replace("Unknown dtype", "Unknown cache type", StringComparison.Ordinal);
        return false;
    }

    /// <summary><see cref="Parse{T}"/> for value types.</summary>
    internal static T? ParseValue<T>(string? text, TryParser<T> parser)
        where T : struct
    {
        if (text is null)
        {
            return null;
        }

        return parser(text, out var value, out var error) ? value : throw new UsageException(error);
    }

    /// <summary>Null when the option was not given; the parsed value; or a usage error naming what is valid.</summary>
    internal static T? Parse<T>(string? text, TryParser<T> parser)
        where T : class
    {
        if (text is null)
        {
            return null;
        }

        return parser(text, out var value, out var error) ? value : throw new UsageException(error);
    }
}
