using LlmMem.Text;

namespace LlmMem.DataTypes;

/// <summary>Every storage type llmem knows: framework element types and every GGML type.</summary>
public sealed partial record DataType
{
    private const string PyTorch = "PyTorch torch.dtype element sizes";

    public static readonly DataType Fp32 = new("fp32", DataTypeFamily.Float, 1, 4, "IEEE 754 binary32", PyTorch, 0,
        ["float32", "float", "f32", "single", "torch.float32"]);

    public static readonly DataType Fp16 = new("fp16", DataTypeFamily.Float, 1, 2, "IEEE 754 binary16", PyTorch, 1,
        ["float16", "half", "f16", "torch.float16"]);

    public static readonly DataType Bf16 = new("bf16", DataTypeFamily.Float, 1, 2, "bfloat16: fp32's 8-bit exponent, 7-bit mantissa", PyTorch, 30,
        ["bfloat16", "torch.bfloat16"]);

    public static readonly DataType Fp8E4M3 = new("fp8", DataTypeFamily.Float, 1, 1, "OCP FP8 E4M3 (per-tensor or per-channel scales are negligible)",
        "OCP 8-bit Floating Point Specification (OFP8) v1.0", null, ["fp8_e4m3", "e4m3", "float8_e4m3fn", "f8_e4m3", "float8"]);

    public static readonly DataType Fp8E5M2 = new("fp8_e5m2", DataTypeFamily.Float, 1, 1, "OCP FP8 E5M2",
        "OCP 8-bit Floating Point Specification (OFP8) v1.0", null, ["e5m2", "float8_e5m2", "f8_e5m2"]);

    public static readonly DataType Fp64 = new("fp64", DataTypeFamily.Float, 1, 8, "IEEE 754 binary64", PyTorch, 28,
        ["float64", "double", "f64"]);

    public static readonly DataType Int8 = new("int8", DataTypeFamily.Integer, 1, 1, "8-bit integer", PyTorch, 24,
        ["i8", "qint8"]);

    /// <summary>Unsigned bytes: how safetensors stores packed 4-bit weights (bitsandbytes, MXFP4 blocks) and scales.</summary>
    public static readonly DataType UInt8 = new("uint8", DataTypeFamily.Integer, 1, 1, "8-bit unsigned integer", PyTorch, null, ["u8"]);

    public static readonly DataType Bool = new("bool", DataTypeFamily.Integer, 1, 1, "boolean, one byte each", PyTorch, null, []);

    public static readonly DataType Int16 = new("int16", DataTypeFamily.Integer, 1, 2, "16-bit integer", PyTorch, 25, ["i16"]);

    public static readonly DataType Int32 = new("int32", DataTypeFamily.Integer, 1, 4, "32-bit integer", PyTorch, 26, ["i32"]);

    public static readonly DataType Int64 = new("int64", DataTypeFamily.Integer, 1, 8, "64-bit integer", PyTorch, 27, ["i64"]);

    /// <summary>Bare 4-bit integers, two to a byte, no scales: the article's "int4 is an eighth of fp32".</summary>
    public static readonly DataType Int4 = new("int4", DataTypeFamily.Integer, 2, 1, "two 4-bit integers per byte, no scales",
        "Accelerate estimate-memory (int4 = fp32 size / 8)", null, ["i4", "uint4", "4bit"]);

    /// <summary>bitsandbytes NF4 without double quantisation: 64 four-bit codes and one fp32 absmax.</summary>
    public static readonly DataType Nf4 = new("nf4", DataTypeFamily.BlockQuantized, 64, 36, "64 × 4-bit NormalFloat codes + fp32 absmax",
        "bitsandbytes functional.quantize_4bit (blocksize 64); QLoRA, Dettmers et al. 2023, §2", null, ["bnb_nf4", "normalfloat4"]);

    /// <summary>
    /// NF4 with double quantisation (QLoRA): each 64-block's absmax is itself quantised to 8 bits in groups of 256,
    /// with one fp32 constant per group: 16,384 elements = 8,192 B codes + 256 B absmax + 4 B = 8,452 B (4.127 bits).
    /// </summary>
    public static readonly DataType Nf4DoubleQuant = new("nf4_dq", DataTypeFamily.BlockQuantized, 16_384, 8_452,
        "NF4 codes + 8-bit absmax per 64 + fp32 constant per 256 absmax",
        "QLoRA, Dettmers et al. 2023, pp. 5-6 (0.127 bits per parameter of constants)", null, ["nf4_double_quant", "nf4-dq"]);

    /// <summary>4-bit integers in groups of 128 with an fp16 scale and a packed 4-bit zero point each (GPTQ, AWQ checkpoints).</summary>
    public static readonly DataType Int4G128 = new("int4_g128", DataTypeFamily.BlockQuantized, 256, 133,
        "per 128 elements: 64 B of 4-bit weights + fp16 scale + 4-bit zero (GPTQ's per-column g_idx not counted)",
        "AutoGPTQ / AutoAWQ packed layout: qweight int32 (8 per word), scales fp16 and qzeros int32 per group of 128", null,
        ["gptq_int4", "awq_int4", "w4a16"]);

    private static DataType[]? all;
    private static DataType[]? plain;

    /// <summary>Every known type, framework types first, then GGML quant types in ggml_type order.</summary>
    public static IReadOnlyList<DataType> All => all ??=
        [Fp32, Fp16, Bf16, Fp8E4M3, Fp8E5M2, Fp64, Int8, UInt8, Bool, Int16, Int32, Int64, Int4, Nf4, Nf4DoubleQuant, Int4G128, .. GgmlQuants];

    /// <summary>The plain element types <c>--dtype</c> accepts.</summary>
    public static IReadOnlyList<DataType> Plain => plain ??= [Fp32, Fp16, Bf16, Fp8E4M3, Fp8E5M2, Int8, Int4];

    /// <summary>The GGML type with this <c>ggml_type</c> number, or null.</summary>
    public static DataType? FromGgmlId(int id) => All.FirstOrDefault(t => t.GgmlId == id);

    /// <summary>Finds a type by name or alias among <paramref name="candidates"/> (all types by default).</summary>
    /// <param name="what">What the error calls the value: "dtype", or the option that took it ("--adapter-dtype").</param>
    public static bool TryParse(string? text, out DataType type, out string error, IReadOnlyList<DataType>? candidates = null, string what = "dtype")
    {
        candidates ??= All;
        var found = text is null ? null : candidates.FirstOrDefault(t => t.Matches(text));
        if (found is not null)
        {
            type = found;
            error = "";
            return true;
        }

        type = Fp32;
        error = NameSuggestion.UnknownMessage(what, text ?? "", candidates.Select(t => t.Name).ToArray());
        return false;
    }
}
