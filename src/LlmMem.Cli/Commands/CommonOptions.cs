using System.Collections.Immutable;
using System.CommandLine;
using System.Globalization;
using LlmMem.Cli.Rendering;
using LlmMem.Estimates;
using LlmMem.Formats;
using LlmMem.Formats.Hardware;
using LlmMem.Hardware;
using LlmMem.Models;
using LlmMem.Units;

namespace LlmMem.Cli.Commands;

/// <summary>
/// The vocabulary every estimating command shares, with the aliases users of each engine already know.
/// Values are read as text and parsed here, so a bad value gets a message that names what is valid.
/// </summary>
internal sealed class CommonOptions
{
    /// <summary>Longest context accepted: 100 million tokens. The longest-context models today take 10 million.</summary>
    public const long MaxContextTokens = 100_000_000;

    /// <summary>Largest batch accepted: one million sequences.</summary>
    public const long MaxBatch = 1_000_000;

    public Argument<string> Model { get; } = new("model")
    {
        Description = "The model: a catalog name (llama-3.1-8b, meta-llama/Llama-3.1-8B; see 'llmem models'), a config.json or a folder holding one, a Hub id (org/name[@revision]), or a parameter count such as 8B, 1.5B, 135M, 7e9.",
    };

    /// <summary>Where the model may be looked for: --hub, --offline, --revision, --file.</summary>
    public ModelOptions Source { get; } = new();

    public Option<string?> Context { get; } = new("--context", "--ctx", "-c", "--ctx-size", "--max-model-len", "--seq")
    {
        Description = "Tokens per sequence (default 4096). 8k = 8,192 and 1m = 1,048,576, as context lengths are usually named.",
        HelpName = "tokens",
    };

    public Option<string?> Batch { get; } = new("--batch")
    {
        Description = "Sequences processed together; for training, the micro-batch per GPU (default 1).",
        HelpName = "n",
    };

    public Option<string?> Gpu { get; } = new("--gpu")
    {
        Description = "A GPU from the catalog ('llmem gpus'): h100, h200, a100-80gb, l40s, rtx-4090, rtx-5090, mi300x, m4-max …",
        HelpName = "name",
    };

    public Option<string?> GpuMemory { get; } = new("--gpu-memory")
    {
        Description = "Memory of each GPU instead of (or to cap) a catalog GPU, with its unit: 24GiB, 80GB.",
        HelpName = "size",
    };

    public Option<string?> Gpus { get; } = new("--gpus")
    {
        Description = "GPUs in all, across nodes (default: --tp × --pp).",
        HelpName = "n",
    };

    public Option<string?> TensorParallel { get; } = new("--tp", "-tp", "--tensor-parallel-size")
    {
        Description = "Tensor-parallel GPUs per model copy (default 1).",
        HelpName = "n",
    };

    public Option<string?> PipelineParallel { get; } = new("--pp", "--pipeline-parallel-size")
    {
        Description = "Pipeline-parallel stages per model copy (default 1).",
        HelpName = "n",
    };

    public Option<string?> Nodes { get; } = new("--nodes")
    {
        Description = "Machines the GPUs are spread over (default 1).",
        HelpName = "n",
    };

    public Option<string?> Format { get; } = NewFormat();

    public Option<bool> Explain { get; } = new("--explain")
    {
        Description = "Print every term's formula with the numbers substituted, and its source.",
    };

    public Option<string?> Units { get; } = NewUnits();

    /// <summary>The --format option every command shares (read with <see cref="ParseFormat"/>).</summary>
    internal static Option<string?> NewFormat() => new("--format")
    {
        Description = "Output: table (default), json or markdown.",
        HelpName = "table|json|markdown",
    };

    /// <summary>The --units option every command shares (read with <see cref="ParseUnits"/>).</summary>
    internal static Option<string?> NewUnits() => new("--units")
    {
        Description = "Sizes in iec (GiB = 1024³ B), si (GB = 10⁹ B) or both (default).",
        HelpName = "iec|si|both",
    };

    public void AddTo(Command command)
    {
        command.Arguments.Add(Model);
        foreach (var option in new Option[] { Context, Batch, Gpu, GpuMemory, Gpus, TensorParallel, PipelineParallel, Nodes, Format, Explain, Units })
        {
            command.Options.Add(option);
        }

        Source.AddTo(command);
    }

    public ModelSpec ReadModel(ParseResult result, CliOutput output) => Source.Resolve(result, result.GetValue(Model)!, output);

    /// <summary>Path, catalog name or parameter count; an unknown name is a usage error (exit 2), an unreadable file exit 1.</summary>
    internal static ModelSpec ResolveModel(string text)
    {
        try
        {
            return ModelResolver.Resolve(text);
        }
        catch (ModelNotFoundException e)
        {
            throw new UsageException(e.Message);
        }
    }

    public long? ReadContext(ParseResult result) =>
        ReadCount(result.GetValue(Context), "--context", MaxContextTokens, allowBinarySuffix: true);

    public long? ReadBatch(ParseResult result) => ReadCount(result.GetValue(Batch), "--batch", MaxBatch);

    public Parallelism ReadParallelism(ParseResult result)
    {
        int? Read(Option<string?> option, string name) => (int?)ReadCount(result.GetValue(option), name, Parallelism.MaxGpus);
        if (!Parallelism.TryCreate(Read(TensorParallel, "--tp"), Read(PipelineParallel, "--pp"), Read(Gpus, "--gpus"), Read(Nodes, "--nodes"),
                out var parallelism, out var error))
        {
            throw new UsageException(error);
        }

        return parallelism;
    }

    /// <summary>
    /// Each GPU's capacity when --gpu names several cards ("rtx-4090,rtx-3090"), in order; null for one kind of GPU.
    /// </summary>
    public ImmutableArray<DeviceCapacity>? ReadCapacities(ParseResult result)
    {
        var gpuText = result.GetValue(Gpu);
        if (gpuText is null || !gpuText.Contains(','))
        {
            return null;
        }

        if (result.GetValue(GpuMemory) is not null)
        {
            throw new UsageException("--gpu-memory caps one kind of GPU; with several cards in --gpu, leave it out.");
        }

        var names = gpuText.Split(',', StringSplitOptions.TrimEntries);
        if (names.Length > Parallelism.MaxGpus)
        {
            throw new UsageException($"--gpu names {names.Length:N0} GPUs; the most is {Parallelism.MaxGpus:N0}.");
        }

        return [.. names.Select(name => GpuCatalog.TryParse(name, out var gpu, out var error) ? CapacityOf(gpu) : throw new UsageException(error))];
    }

    /// <summary>A catalog GPU as the estimators see it: usable memory, bandwidth and the runtime's total (vLLM's budget).</summary>
    private static DeviceCapacity CapacityOf(Gpu g) => new(g.Name, g.Usable, g.UsableSource)
    {
        BandwidthGBs = g.BandwidthGBs, RuntimeTotal = g.RuntimeTotal, RuntimeTotalSource = g.RuntimeTotalSource,
        UnifiedMemory = g.Vendor == "apple",
    };

    public DeviceCapacity? ReadCapacity(ParseResult result)
    {
        var gpuText = result.GetValue(Gpu);
        var memoryText = result.GetValue(GpuMemory);
        Gpu? gpu = null;
        if (gpuText is not null)
        {
            if (gpuText.Contains(','))
            {
                // Several cards: ReadCapacities gives each; the first stands for the job where one capacity is needed.
                gpuText = gpuText.Split(',', StringSplitOptions.TrimEntries)[0];
            }

            if (!GpuCatalog.TryParse(gpuText, out var found, out var error))
            {
                throw new UsageException(error);
            }

            gpu = found;
        }

        ByteSize? memory = null;
        if (memoryText is not null)
        {
            if (!ByteSize.TryParse(memoryText, out var size, out var error))
            {
                throw new UsageException("--gpu-memory: " + error);
            }

            memory = size;
        }

        return (gpu, memory) switch
        {
            (null, null) => null,
            ({ } g, null) => CapacityOf(g),
            (null, { } m) => new DeviceCapacity($"a {m.Format(UnitSystem.Iec)} GPU", m, "--gpu-memory"),
            ({ } g, { } m) => new DeviceCapacity($"{g.Name} capped at {m.Format(UnitSystem.Iec)}", m, "--gpu-memory") { BandwidthGBs = g.BandwidthGBs, UnifiedMemory = g.Vendor == "apple" },
        };
    }

    public RenderOptions ReadRenderOptions(ParseResult result) =>
        new(ParseFormat(result.GetValue(Format)), ParseUnits(result.GetValue(Units)), result.GetValue(Explain));

    internal static OutputFormat ParseFormat(string? text) => text?.Trim().ToLowerInvariant() switch
    {
        null or "table" => OutputFormat.Table,
        "json" => OutputFormat.Json,
        "markdown" or "md" => OutputFormat.Markdown,
        var other => throw new UsageException($"Unknown format '{other}'. Valid: table, json, markdown."),
    };

    internal static UnitSystem ParseUnits(string? text) => text?.Trim().ToLowerInvariant() switch
    {
        null or "both" => UnitSystem.Both,
        "iec" or "binary" or "gib" => UnitSystem.Iec,
        "si" or "decimal" or "gb" => UnitSystem.Si,
        var other => throw new UsageException($"Unknown units '{other}'. Valid: iec, si, both."),
    };

    /// <summary>A positive whole number no larger than <paramref name="max"/>; with <paramref name="allowBinarySuffix"/>, 8k = 8,192.</summary>
    internal static long? ReadCount(string? text, string option, long max, bool allowBinarySuffix = false)
    {
        if (text is null)
        {
            return null;
        }

        var s = text.Trim().Replace("_", "", StringComparison.Ordinal).Replace(",", "", StringComparison.Ordinal);
        long multiplier = 1;
        if (allowBinarySuffix && s.Length > 1 && char.ToLowerInvariant(s[^1]) is 'k' or 'm')
        {
            multiplier = char.ToLowerInvariant(s[^1]) == 'k' ? 1024 : 1024 * 1024;
            s = s[..^1];
        }

        if (!long.TryParse(s, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value))
        {
            var example = allowBinarySuffix ? " such as 8192 or 8k" : " such as 4";
            throw new UsageException($"{option} '{text}' is not a whole number; give one{example}.");
        }

        if (value < 1)
        {
            throw new UsageException($"{option} must be at least 1, not {text}.");
        }

        if (value > max / multiplier)
        {
            throw new UsageException($"{option} {text} is absurd: the most accepted is {max:N0}.");
        }

        return value * multiplier;
    }
}
