using System.Collections.Immutable;
using LlmMem.Models;
using LlmMem.Text;

namespace LlmMem.Training;

/// <summary>One linear layer LoRA can adapt: its module name and its in and out widths.</summary>
public sealed record LinearModule(string Name, long In, long Out, long Count = 1);

/// <summary>
/// LoRA adapters on a model: for each targeted linear layer W (out × in), A (r × in) and B (out × r), so r × (in + out)
/// parameters (Hu et al. 2021, §4.1; PEFT tuners/lora/layer.py). DoRA adds a magnitude vector of out values per module
/// (Liu et al. 2024; PEFT use_dora).
/// Example: Llama-3.1-8B, r = 16, all linear layers: 41,943,040 parameters.
/// </summary>
public static class LoraAdapters
{
    /// <summary>The names PEFT's target_modules use for the linear layers of decoder blocks.</summary>
    public static readonly ImmutableArray<string> KnownModules =
        ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj", "q_a_proj", "q_b_proj", "kv_a_proj_with_mqa", "kv_b_proj"];

    /// <summary>PEFT's default target_modules for Llama-like models (TRANSFORMERS_MODELS_TO_LORA_TARGET_MODULES_MAPPING).</summary>
    public static readonly ImmutableArray<string> DefaultTargets = ["q_proj", "v_proj"];

    /// <summary>PEFT's LoraConfig default rank.</summary>
    public const int DefaultRank = 8;

    /// <summary>"all-linear" (every linear layer of the blocks; PEFT leaves out the LM head) or a comma-separated list of module names.</summary>
    public static bool TryParseTargets(string? text, out ImmutableArray<string> targets, out string error)
    {
        var t = (text ?? "").Trim().ToLowerInvariant();
        if (t is "all-linear" or "all_linear" or "all")
        {
            (targets, error) = (KnownModules, "");
            return true;
        }

        var names = t.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        foreach (var name in names)
        {
            if (!KnownModules.Contains(name))
            {
                targets = [];
                error = NameSuggestion.UnknownMessage("LoRA target module", name, ["all-linear", .. KnownModules]);
                return false;
            }
        }

        if (names.Length == 0)
        {
            (targets, error) = ([], "--targets is empty: name modules such as q_proj,v_proj or use all-linear.");
            return false;
        }

        (targets, error) = ([.. names], "");
        return true;
    }

    /// <summary>Every linear module of the model's blocks, with its widths (routed experts counted per expert).</summary>
    public static ImmutableArray<LinearModule> Modules(ModelShape shape)
    {
        var h = shape.HiddenSize;
        var modules = ImmutableArray.CreateBuilder<LinearModule>();
        foreach (var layer in shape.Layers)
        {
            var a = layer.Attention;
            if (a.Latent is { } m)
            {
                var qk = (long)m.NopeHeadDim + m.RopeHeadDim;
                if (m.QueryRank is { } rq)
                {
                    modules.Add(new("q_a_proj", h, rq));
                    modules.Add(new("q_b_proj", rq, a.Heads * qk));
                }
                else
                {
                    modules.Add(new("q_proj", h, a.Heads * qk));
                }

                modules.Add(new("kv_a_proj_with_mqa", h, m.KvRank + m.RopeHeadDim));
                modules.Add(new("kv_b_proj", m.KvRank, (long)a.Heads * (m.NopeHeadDim + m.ValueHeadDim)));
            }
            else
            {
                modules.Add(new("q_proj", h, (long)a.Heads * a.HeadDim));
                modules.Add(new("k_proj", h, (long)a.KvHeads * a.HeadDim));
                modules.Add(new("v_proj", h, (long)a.KvHeads * a.ValueHeadDim));
            }

            modules.Add(new("o_proj", (long)a.Heads * a.ValueHeadDim, h));
            if (layer.Mlp.IntermediateSize > 0)
            {
                Mlp(modules, h, layer.Mlp.IntermediateSize, layer.Mlp.Gated, 1);
            }

            if (layer.Mlp.Moe is { } moe)
            {
                // gpt-oss keeps its experts as fused 3-D parameters (transformers GptOssExperts), not nn.Linear modules:
                // LoRA's target_modules cannot reach them.
                if (shape.Architecture != "gpt_oss")
                {
                    Mlp(modules, h, moe.ExpertIntermediateSize, layer.Mlp.Gated, moe.Experts);
                }

                if (moe.SharedIntermediateSize > 0)
                {
                    Mlp(modules, h, moe.SharedIntermediateSize, layer.Mlp.Gated, 1);
                }
            }
        }

        return modules.ToImmutable();
    }

    /// <summary>Adapter parameters: Σ over targeted modules of r × (in + out), plus out per module for DoRA.</summary>
    public static long Parameters(ModelShape shape, int rank, ImmutableArray<string> targets, bool dora) =>
        Modules(shape).Where(m => targets.Contains(m.Name))
            .Sum(m => checked(m.Count * (rank * (m.In + m.Out) + (dora ? m.Out : 0))));

    private static void Mlp(ImmutableArray<LinearModule>.Builder modules, long h, long f, bool gated, long count)
    {
        if (gated)
        {
            modules.Add(new("gate_proj", h, f, count));
        }

        modules.Add(new("up_proj", h, f, count));
        modules.Add(new("down_proj", f, h, count));
    }
}
