using System.Collections.Immutable;
using System.Text.Json;
using LlmMem.DataTypes;
using LlmMem.Formats.Catalog;
using LlmMem.Formulas;
using LlmMem.Inference;
using LlmMem.Models;
using LlmMem.Quantization;

namespace LlmMem.Formats.Validation;

/// <summary>
/// Re-estimates every llama.cpp ground-truth case from what it records and compares term by term: the KV cache from
/// the case's geometry (`meta`) and context settings; the weights (llama.cpp's "model size" line) from the catalog model
/// whose geometry matches, predicted for the case's file type. Cases that cannot be rebuilt are kept, with the reason.
/// </summary>
public static class LlamaCppValidator
{
    public const string Engine = "llamacpp";

    public static ValidationReport Run(IEnumerable<string> jsonLines) =>
        new([.. jsonLines.Where(l => !string.IsNullOrWhiteSpace(l)).Select((l, i) => Validate(l, i + 1))]);

    private static CaseResult Validate(string line, int number)
    {
        if (!GroundTruthLine.TryParse(line, number, Engine, out var root, out var notACase))
        {
            return notACase;
        }

        var c = new LlamaCppCase(root);

        if (c.Meta is null || c.MetaLong("n_layer") is null || c.MetaLong("n_head_kv") is null || c.MetaLong("n_embd_head_k") is null)
        {
            return Skipped(c, "the case records no model geometry (n_layer, n_head_kv, head dims)");
        }

        if ((c.MetaText("arch") ?? "").Contains("hybrid", StringComparison.Ordinal) || (c.MetaText("arch") ?? "").StartsWith("qwen35", StringComparison.Ordinal))
        {
            return Skipped(c, "hybrid recurrent architecture: its state memory is not modelled");
        }

        var comparisons = ImmutableArray.CreateBuilder<Comparison>();
        var reasons = new List<string>();
        var version = Version(c, reasons);
        if (c.KvMiB() is { } kv)
        {
            var estimate = KvCacheFormulas.LlamaCpp(ShapeFromMeta(c), c.ContextLong("n_ctx") ?? 4096, c.ContextLong("n_ubatch") ?? 512,
                (int)(c.ContextLong("n_seq_max") ?? 1), c.CacheType("type_k") ?? DataType.Fp16, c.CacheType("type_v") ?? DataType.Fp16,
                c.FlashAttention, c.SwaFull, version, kvUnified: c.KvUnified);
            comparisons.Add(new Comparison("kv_cache", (long)Math.Round(kv.MiB * 1048576), estimate.Bytes.Bytes, 0.005 * 1048576 * kv.Lines));
        }
        else
        {
            reasons.Add("no KV buffer line in the log");
        }

        if (c.OutputMiB() is { } output)
        {
            var estimate = LlamaCppPlacement.OutputBuffer(ShapeFromMeta(c), (int)(c.ContextLong("n_seq_max") ?? 1), c.Embeddings);
            comparisons.Add(new Comparison("output_buffer", (long)Math.Round(output.MiB * 1048576), estimate.Bytes.Bytes, 0.005 * 1048576 * output.Lines));
        }

        if (c.LargestComputeMiB() is { } compute && c.MetaLong("n_head") is { } heads)
        {
            // All layers and the output on one device: the largest buffer a log prints is that device's.
            var shape = ShapeFromMeta(c);
            var ubatch = c.ContextLong("n_ubatch") ?? 512;
            var perLayer = shape.Layers.Select(l => (l.Attention, Cells: KvCacheFormulas.Cells(l.Attention, c.ContextLong("n_ctx") ?? 4096, ubatch,
                (int)(c.ContextLong("n_seq_max") ?? 1), c.FlashAttention, c.SwaFull, version, c.KvUnified))).ToList();
            var estimate = LlamaCppComputeBuffer.Estimate(shape, perLayer.Max(l => l.Cells), (int)heads, ubatch, c.FlashAttention, holdsOutput: true,
                version: version, slidingMaskCells: LlamaCppComputeBuffer.SlidingMaskCells(perLayer));
            comparisons.Add(new Comparison("compute_buffer", (long)Math.Round(compute * 1048576), estimate.Bytes.Bytes, 0.005 * 1048576));
        }

        if (c.ModelSize() is { } size)
        {
            var fileType = c.FileType();
            var model = fileType is null ? null : CatalogModelFor(c);
            if (fileType is null)
            {
                reasons.Add($"file type '{c.MetaText("ftype")}' is not a llama.cpp file type llmem predicts");
            }
            else if (model is null)
            {
                reasons.Add("no catalog model has this geometry, so the weights cannot be predicted");
            }
            else
            {
                var predicted = GgufSizePredictor.Predict(model.Shape!, fileType, c.Imatrix);
                comparisons.Add(new Comparison("weights", (long)Math.Round(size.Bytes), predicted.TotalBytes.Bytes, size.Precision));
            }
        }
        else
        {
            reasons.Add("no model size line in the log");
        }

        return comparisons.Count == 0
            ? Skipped(c, string.Join("; ", reasons))
            : new CaseResult(c.Id, Engine, c.Group, "estimated", reasons.Count == 0 ? null : string.Join("; ", reasons), comparisons.ToImmutable());
    }

    /// <summary>
    /// The build the case's version hint records ("build = 3673", "version: 8816", "llama.cpp b6100-b6150": the lower
    /// bound); without one, or for a fork (whose build numbers count its own commits), the newest rules, noted.
    /// </summary>
    private static LlamaCppVersion Version(LlamaCppCase c, List<string> notes)
    {
        if (c.IsFork)
        {
            notes.Add($"a fork: mainline's rules of {LlamaCppVersion.Latest}");
            return LlamaCppVersion.Latest;
        }

        if (LlamaCppVersion.FromNote(c.VersionHint) is { } recorded)
        {
            return recorded;
        }

        notes.Add($"version not recorded: the rules of {LlamaCppVersion.Latest}");
        return LlamaCppVersion.Latest;
    }

    private static CaseResult Skipped(LlamaCppCase c, string reason) => new(c.Id, Engine, c.Group, "skipped", reason, []);

    /// <summary>
    /// Layers from the case's meta. Sliding windows where llama.cpp gives the architecture one (src/llama-model.cpp
    /// hparams): gemma2 and gpt-oss alternate, sliding first; gemma3 slides on 5 of 6 layers; phi3's window covers all.
    /// </summary>
    internal static ModelShape ShapeFromMeta(LlamaCppCase c)
    {
        var arch = c.MetaText("arch") ?? "";
        var layers = (int)c.MetaLong("n_layer")!.Value;
        var kvHeads = (int)c.MetaLong("n_head_kv")!.Value;
        var dk = (int)c.MetaLong("n_embd_head_k")!.Value;
        var dv = (int)(c.MetaLong("n_embd_head_v") ?? dk);
        long? swa = c.MetaLong("n_swa") is > 0 and var w ? w : null;
        var heads = (int)(c.MetaLong("n_head") ?? kvHeads);
        // The feed-forward widths the compute buffer's feed-forward step needs (llama.cpp prints n_ff, n_expert,
        // n_expert_used, n_ff_exp). Ungated MLPs: the architectures whose llm_build_* call build_ffn without a gate.
        var ff = c.MetaLong("n_ff") ?? 0;
        var gated = arch is not ("gptneox" or "gpt2" or "phi2" or "starcoder" or "bloom" or "falcon" or "mpt");
        var mlp = c.MetaLong("n_expert") is > 0 and var experts && c.MetaLong("n_expert_used") is > 0 and var used
            ? new MlpShape(gated, 0, false, new MoeShape((int)experts, (int)used, c.MetaLong("n_ff_exp") ?? ff))
            : new MlpShape(gated, ff, false);
        var built = ImmutableArray.CreateBuilder<LayerShape>(layers);
        for (var i = 0; i < layers; i++)
        {
            var slides = swa is not null && arch switch
            {
                "gemma2" or "gpt-oss" => i % 2 == 0,
                "gemma3" => (i + 1) % 6 != 0,
                "phi3" => true,
                _ => false,
            };
            var attention = new AttentionShape(slides ? AttentionKind.Sliding : AttentionKind.Full, heads, kvHeads, dk, dv, slides ? swa : null);
            built.Add(new LayerShape(attention, mlp, 2));
        }

        return new ModelShape(arch, c.MetaLong("n_embd") ?? 1, c.MetaLong("n_vocab") ?? 1, 0, false, NormShape.RmsNorm, new EmbeddingShape(),
            built.MoveToImmutable(), 1, [], DataType.Fp16);
    }

    /// <summary>The catalog model with the case's architecture, layers, width, heads, KV heads and vocabulary.</summary>
    private static ModelSpec? CatalogModelFor(LlamaCppCase c) =>
        ModelCatalog.Entries.Select(ModelCatalog.Load).FirstOrDefault(m =>
            m.Shape is { } s
            && GgufTensorPlan.ArchitectureOf(s) == c.MetaText("arch")
            && s.LayerCount == c.MetaLong("n_layer")
            && s.HiddenSize == c.MetaLong("n_embd")
            && s.VocabSize == c.MetaLong("n_vocab")
            && s.Layers[0].Attention.Heads == c.MetaLong("n_head")
            && s.Layers[0].Attention.KvHeads == c.MetaLong("n_head_kv"));
}
