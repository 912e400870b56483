using LlmMem.DataTypes;
using LlmMem.Estimates;
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
}
