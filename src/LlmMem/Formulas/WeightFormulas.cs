using System.Collections.Immutable;
using LlmMem.DataTypes;
using LlmMem.Estimates;
using LlmMem.Models;
using LlmMem.Quantization;
using LlmMem.Units;

namespace LlmMem.Formulas;

/// <summary>The memory that holds a model's parameters.</summary>
public static class WeightFormulas
{
    /// <summary>Bytes of <paramref name="parameters"/> stored as <paramref name="type"/>, split evenly over <paramref name="shards"/> devices.</summary>
    /// <remarks>
    /// weights = parameters × bytes per parameter; for block types, whole blocks (ggml: row bytes = type_size × n / blck_size).
    /// Example: 8B in fp32 = 32,000,000,000 B = 29.80 GiB; fp16 halves it, int8 quarters it.
    /// An even split over tensor- or pipeline-parallel shards is exact only for the sharded matrices; embeddings,
    /// norms and uneven layer counts need the architecture.
    /// </remarks>
    public static Term Weights(ParameterCount parameters, DataType type, long shards = 1)
    {
        var perShard = parameters.DivideCeiling(shards).Value;
        return new Term(
            TermId.Weights,
            $"Weights ({type.Name})",
            type.SizeOf(perShard),
            "parameters × bytes per parameter; block types: ggml type_traits (blck_size, type_size)",
            () => FormulaText.Storage(parameters.Value, shards, perShard, "params", type));
    }

    /// <summary>
    /// Bytes of a model stored component by component (<see cref="WeightLayout"/>), split evenly over <paramref name="shards"/>.
    /// Components that share a type are summed before rounding to whole blocks, as a single count would be.
    /// Example: gpt-oss-20b as published: 19,110,297,600 expert parameters in MXFP4 (4.25 bits) + 1,804,459,584 in bf16.
    /// </summary>
    public static Term Weights(ImmutableArray<ComponentStorage> storage, long shards = 1)
    {
        // Types in order of first appearance, as GroupBy would give them. A plain loop: this runs on every estimate
        // (a model has one to three types), and LINQ grouping was half the cost of a whole estimate (docs/performance.md).
        var groups = new List<(DataType Type, long Parameters)>(2);
        foreach (var component in storage)
        {
            var at = 0;
            while (at < groups.Count && groups[at].Type != component.Type)
            {
                at++;
            }

            if (at == groups.Count)
            {
                groups.Add((component.Type, component.Parameters));
            }
            else
            {
                groups[at] = (component.Type, checked(groups[at].Parameters + component.Parameters));
            }
        }

        var bytes = ByteSize.Zero;
        foreach (var (type, parameters) in groups)
        {
            bytes += type.SizeOf(ParameterCount.Of(parameters).DivideCeiling(shards).Value);
        }

        var label = groups.Count == 1 ? $"Weights ({groups[0].Type.Name})" : $"Weights ({string.Join(" + ", groups.Select(g => g.Type.Name))})";
        return new Term(TermId.Weights, label, bytes,
            "parameters per component × bytes per parameter of each component's type; block types: ggml type_traits",
            () => string.Join(" + ", groups.Select(g =>
            {
                var perShard = ParameterCount.Of(g.Parameters).DivideCeiling(shards).Value;
                var text = FormulaText.Storage(g.Parameters, shards, perShard, "params", g.Type);
                return groups.Count == 1 ? text : $"[{string.Join(", ", storage.Where(s => s.Type == g.Type).Select(s => s.Component))}] {text}";
            })));
    }

    /// <summary>
    /// Bytes of a predicted GGUF file: every tensor in the type llama.cpp's quantiser gives it (<see cref="GgufSizePredictor"/>),
    /// split evenly over <paramref name="shards"/>.
    /// Example: Qwen3-30B-A3B Q4_K_M = 289 × Q4_K + 49 × Q6_K + 241 × F32 tensors = 17.28 GiB, as llama.cpp prints it.
    /// </summary>
    public static Term Gguf(GgufPrediction prediction, long shards = 1)
    {
        var bytes = prediction.TotalBytes.DivideCeiling(shards);
        return new Term(TermId.Weights, $"Weights ({prediction.FileType.Name}, {prediction.BitsPerWeight:0.00} bpw)", bytes,
            "llama.cpp src/llama-quant.cpp llama_tensor_get_type: each tensor's type; ggml type_traits: its bytes",
            () =>
            {
                var groups = prediction.Tensors.GroupBy(t => t.Type)
                    .Select(g => $"{g.Count()} × {g.Key.Name} ({FormulaText.Count(g.Sum(t => t.Tensor.Elements))} elements, {FormulaText.Count(g.Sum(t => t.Bytes.Bytes))} B)");
                var total = $"{prediction.Tensors.Length} tensors: " + string.Join(" + ", groups);
                return shards == 1 ? total : $"({total}) / {shards}";
            });
    }

    /// <summary>
    /// The exact bytes of the tensors a checkpoint's files hold (safetensors headers, GGUF tensor infos), less a tied
    /// copy a loader drops; split evenly over <paramref name="shards"/>.
    /// </summary>
    public static Term Stored(StoredWeights stored, long shards = 1)
    {
        var bytes = stored.LoadedBytes.DivideCeiling(shards);
        var types = stored.ByType;
        var label = types.Length == 1 ? $"Weights ({types[0].Type.Name}, as stored)" : $"Weights ({string.Join(" + ", types.Take(3).Select(t => t.Type.Name))}{(types.Length > 3 ? " …" : "")}, as stored)";
        return new Term(TermId.Weights, label, bytes,
            $"{stored.Format} headers: the sum of every tensor's bytes",
            () =>
            {
                var sum = $"{stored.Tensors.Length} tensors in {stored.Files.Length} file(s): "
                    + string.Join(" + ", types.Select(t => $"{FormulaText.Count(t.Elements)} {t.Type.Name} elements ({FormulaText.Count(t.Bytes.Bytes)} B)"));
                if (stored.Unloaded.Count > 0)
                {
                    sum += $" − {stored.Unloaded.Count} tied duplicate(s) not loaded";
                }

                return shards == 1 ? sum : $"({sum}) / {shards}";
            });
    }
}
