using System.Collections.Immutable;
using System.Globalization;
using LlmMem.Models;
using LlmMem.Units;

namespace LlmMem.Cli.Rendering;

/// <summary>What `inspect` shows of a model, computed once for every output format.</summary>
internal sealed record ModelDescription(ModelSpec Model, ModelShape Shape, ParameterBreakdown Breakdown, ImmutableArray<ComponentRow> Components)
{
    public static ModelDescription Of(ModelSpec model)
    {
        var shape = model.Shape ?? throw new UsageException(model.Stored is null
            ? $"'{model.Name}' is a bare parameter count: inspect needs an architecture (a catalog name such as llama-3.1-8b, or a config.json)."
            : $"'{model.Name}' has no config.json beside its tensors: inspect needs the architecture ({model.Parameters.FormatExact()} parameters in {model.Stored.Format}; 'llmem infer' works with that count).");
        var breakdown = model.Breakdown!;
        if (model.Stored is { Format: "gguf" } gguf)
        {
            return new ModelDescription(model, shape, breakdown, FromGgufTensors(breakdown, gguf));
        }

        var storage = WeightLayout.For(shape, breakdown, null, null).ToDictionary(s => s.Component);
        var rows = breakdown.Components
            .Select(c => storage.TryGetValue(c.Name, out var s)
                ? new ComponentRow(c, s.Type.Name, s.Type.SizeOf(c.Parameters))
                : new ComponentRow(c, c.Loaded ? shape.StoredDtype.Name : null, c.Loaded ? ByteSize.Zero : null))
            .ToImmutableArray();
        return new ModelDescription(model, shape, breakdown, rows);
    }

    /// <summary>A GGUF's own tensors, summed per component by their llama.cpp names: exact bytes, and the types they hold.</summary>
    private static ImmutableArray<ComponentRow> FromGgufTensors(ParameterBreakdown breakdown, StoredWeights stored)
    {
        var byComponent = stored.Tensors.GroupBy(t => GgufComponent(t.Name)).ToDictionary(
            g => g.Key,
            g => (Bytes: g.Aggregate(ByteSize.Zero, (sum, t) => sum + t.Bytes), Types: string.Join("+", g.Select(t => t.Type.Name).Distinct())));
        return
        [
            .. breakdown.Components.Select(c => byComponent.TryGetValue(c.Name, out var x)
                ? new ComponentRow(c, x.Types, x.Bytes)
                : new ComponentRow(c, c.Loaded ? "" : null, c.Loaded ? ByteSize.Zero : null)),
        ];
    }

    /// <summary>The component a GGUF tensor belongs to, from gguf-py's tensor names.</summary>
    internal static string GgufComponent(string name)
    {
        var local = name.StartsWith("blk.", StringComparison.Ordinal) ? name[(name.IndexOf('.', 4) + 1)..] : name;
        return local switch
        {
            _ when local.Contains("norm", StringComparison.Ordinal) => "norms",
            _ when local.StartsWith("token_embd", StringComparison.Ordinal) || local.StartsWith("position_embd", StringComparison.Ordinal)
                || local.StartsWith("token_types", StringComparison.Ordinal) => "embeddings",
            _ when local.StartsWith("output", StringComparison.Ordinal) => "lm_head",
            _ when local.StartsWith("attn", StringComparison.Ordinal) => "attention",
            _ when local.StartsWith("ffn_gate_inp", StringComparison.Ordinal) || local.StartsWith("exp_probs", StringComparison.Ordinal) => "router",
            _ when local.Contains("_exps", StringComparison.Ordinal) => "experts",
            _ when local.Contains("_shexp", StringComparison.Ordinal) => "shared_experts",
            _ when local.StartsWith("ffn", StringComparison.Ordinal) => "mlp",
            _ => "other",
        };
    }

    public ByteSize WeightBytes => Components.Where(c => c.Count.Loaded && c.Bytes is not null).Aggregate(ByteSize.Zero, (sum, c) => sum + c.Bytes!.Value);

    /// <summary>The KV-head count most layers have.</summary>
    public int KvHeads => Shape.Layers.GroupBy(l => l.Attention.KvHeads).OrderByDescending(g => g.Count()).First().Key;

    public AttentionShape FirstAttention => Shape.Layers[0].Attention;

    public MoeShape? Moe => Shape.Layers.Select(l => l.Mlp.Moe).FirstOrDefault(m => m is not null);

    /// <summary>"sliding (4,096) × 21, full × 21": runs of layer kinds, counted.</summary>
    public string AttentionSummary => string.Join(", ", Shape.Layers
        .GroupBy(l => (l.Attention.Kind, l.Attention.SlidingWindow))
        .Select(g => $"{Kind(g.Key.Kind, g.Key.SlidingWindow)} × {g.Count()}"));

    public string MlpSummary
    {
        get
        {
            var dense = Shape.Layers.Count(l => l.Mlp.Moe is null);
            var denseWidth = Shape.Layers.Where(l => l.Mlp.Moe is null).Select(l => l.Mlp.IntermediateSize).FirstOrDefault();
            var kind = Shape.Layers[0].Mlp.Gated ? "gated" : "plain";
            var parts = new List<string>();
            if (dense > 0)
            {
                parts.Add($"dense {kind}, width {N(denseWidth)} × {dense}");
            }

            if (Moe is { } moe)
            {
                var shared = moe.SharedIntermediateSize > 0 ? $", shared width {N(moe.SharedIntermediateSize)}" : "";
                parts.Add($"MoE {moe.Experts} experts, top-{moe.ActiveExperts}, expert width {N(moe.ExpertIntermediateSize)}{shared} × {Shape.Layers.Length - dense}");
            }

            return string.Join("; ", parts);
        }
    }

    public static string Kind(AttentionKind kind, long? window) => kind switch
    {
        AttentionKind.Sliding => $"sliding ({N(window ?? 0)})",
        AttentionKind.Latent => "latent",
        _ => "full",
    };

    public static string N(long value) => value.ToString("N0", CultureInfo.InvariantCulture);
}

/// <param name="Type">Storage type name; null for components not loaded.</param>
/// <param name="Bytes">Bytes in that type; null for components not loaded.</param>
internal sealed record ComponentRow(ComponentCount Count, string? Type, ByteSize? Bytes);
