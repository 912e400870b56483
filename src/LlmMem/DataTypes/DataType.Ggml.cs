namespace LlmMem.DataTypes;

/// <summary>The GGML tensor types, with ggml's own block sizes.</summary>
/// <remarks>
/// Elements per block and bytes per block as ggml defines them: llama.cpp ggml/src/ggml.c (type_traits:
/// blck_size, type_size), mirrored in gguf-py/gguf/constants.py (GGML_QUANT_SIZES). QK_K = 256.
/// F32, F16, BF16, I8 … I64 and F64 are the framework types above, which carry their ggml ids.
/// </remarks>
public sealed partial record DataType
{
    private static DataType[]? ggmlQuants;

    private const string GgmlSource = "llama.cpp ggml/src/ggml.c type_traits; gguf-py GGML_QUANT_SIZES";

    private static DataType G(string name, int id, int elements, int bytes, string layout, params string[] aliases) =>
        new(name, DataTypeFamily.BlockQuantized, elements, bytes, layout, GgmlSource, id, aliases);

    public static readonly DataType Q4_0 = G("Q4_0", 2, 32, 18, "fp16 scale + 32 × 4-bit");
    public static readonly DataType Q4_1 = G("Q4_1", 3, 32, 20, "fp16 scale + fp16 min + 32 × 4-bit");
    public static readonly DataType Q5_0 = G("Q5_0", 6, 32, 22, "fp16 scale + 32 high bits + 32 × 4-bit");
    public static readonly DataType Q5_1 = G("Q5_1", 7, 32, 24, "fp16 scale + fp16 min + 32 high bits + 32 × 4-bit");
    public static readonly DataType Q8_0 = G("Q8_0", 8, 32, 34, "fp16 scale + 32 × int8");
    public static readonly DataType Q8_1 = G("Q8_1", 9, 32, 36, "fp16 scale + fp16 sum + 32 × int8");
    public static readonly DataType Q2_K = G("Q2_K", 10, 256, 84, "fp16 d + fp16 dmin + 16 B 4-bit scales + 256 × 2-bit");
    public static readonly DataType Q3_K = G("Q3_K", 11, 256, 110, "fp16 d + 12 B 6-bit scales + 256 high bits + 256 × 2-bit");
    public static readonly DataType Q4_K = G("Q4_K", 12, 256, 144, "fp16 d + fp16 dmin + 12 B 6-bit scales/mins + 256 × 4-bit");
    public static readonly DataType Q5_K = G("Q5_K", 13, 256, 176, "fp16 d + fp16 dmin + 12 B scales/mins + 256 high bits + 256 × 4-bit");
    public static readonly DataType Q6_K = G("Q6_K", 14, 256, 210, "fp16 d + 16 int8 scales + 256 × 6-bit");
    public static readonly DataType Q8_K = G("Q8_K", 15, 256, 292, "fp32 d + 256 × int8 + 16 int16 block sums");
    public static readonly DataType IQ2_XXS = G("IQ2_XXS", 16, 256, 66, "fp16 d + 64 B of lattice indices");
    public static readonly DataType IQ2_XS = G("IQ2_XS", 17, 256, 74, "fp16 d + 64 B indices + 8 B scales");
    public static readonly DataType IQ3_XXS = G("IQ3_XXS", 18, 256, 98, "fp16 d + 64 B grid + 32 B signs/scales");
    public static readonly DataType IQ1_S = G("IQ1_S", 19, 256, 50, "fp16 d + 32 B grid + 16 B high bits");
    public static readonly DataType IQ4_NL = G("IQ4_NL", 20, 32, 18, "fp16 scale + 32 × 4-bit non-linear codes");
    public static readonly DataType IQ3_S = G("IQ3_S", 21, 256, 110, "fp16 d + 64 B grid + 32 B high bits + 8 B signs + 4 B scales");
    public static readonly DataType IQ2_S = G("IQ2_S", 22, 256, 82, "fp16 d + 64 B grid + 16 B signs/scales");
    public static readonly DataType IQ4_XS = G("IQ4_XS", 23, 256, 136, "fp16 d + 2 B high scales + 4 B low scales + 256 × 4-bit");
    public static readonly DataType IQ1_M = G("IQ1_M", 29, 256, 56, "32 B grid + 16 B high bits + 8 B scales");
    public static readonly DataType TQ1_0 = G("TQ1_0", 34, 256, 54, "ternary, 1.6875 bits: 52 B of base-3 packs + fp16 d");
    public static readonly DataType TQ2_0 = G("TQ2_0", 35, 256, 66, "ternary in 2 bits: 64 B + fp16 d");
    public static readonly DataType Mxfp4 = G("MXFP4", 39, 32, 17, "E8M0 shared scale + 32 × FP4 (E2M1) — OCP Microscaling", "fp4", "mx_fp4");
    public static readonly DataType Nvfp4 = G("NVFP4", 40, 64, 36, "4 × FP8 scales (one per 16) + 64 × FP4 (E2M1)");
    public static readonly DataType Q1_0 = G("Q1_0", 41, 128, 18, "fp16 scale + 128 × 1-bit");

    /// <summary>The GGML quant types (block types), in ggml_type order.</summary>
    /// <remarks>A computed property, not a field: static fields of a partial class initialise in an unspecified file order.</remarks>
    public static IReadOnlyList<DataType> GgmlQuants => ggmlQuants ??=
    [
        Q4_0, Q4_1, Q5_0, Q5_1, Q8_0, Q8_1, Q2_K, Q3_K, Q4_K, Q5_K, Q6_K, Q8_K,
        IQ2_XXS, IQ2_XS, IQ3_XXS, IQ1_S, IQ4_NL, IQ3_S, IQ2_S, IQ4_XS, IQ1_M, TQ1_0, TQ2_0,
        Mxfp4,
        Nvfp4,
        Q1_0,
    ];
}
