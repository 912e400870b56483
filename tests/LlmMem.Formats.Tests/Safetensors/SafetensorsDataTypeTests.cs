using LlmMem.DataTypes;
using LlmMem.Formats.Safetensors;

namespace LlmMem.Formats.Tests.Safetensors;

/// <summary>safetensors dtype names map onto llmem's storage types, byte for byte.</summary>
public class SafetensorsDataTypeTests
{
    public static TheoryData<string, DataType, int> Mapped => new()
    {
        { "F64", DataType.Fp64, 8 }, { "F32", DataType.Fp32, 4 }, { "F16", DataType.Fp16, 2 }, { "BF16", DataType.Bf16, 2 },
        { "F8_E4M3", DataType.Fp8E4M3, 1 }, { "F8_E5M2", DataType.Fp8E5M2, 1 }, { "I64", DataType.Int64, 8 }, { "I32", DataType.Int32, 4 },
        { "I16", DataType.Int16, 2 }, { "I8", DataType.Int8, 1 }, { "U8", DataType.UInt8, 1 }, { "BOOL", DataType.Bool, 1 },
    };

    [Theory]
    [MemberData(nameof(Mapped))]
    public void EachDtype_MapsToItsTypeAndBack(string name, DataType type, int bytes)
    {
        Assert.True(SafetensorsDataType.TryFromName(name, out var found, out _));
        Assert.Equal(type, found);
        Assert.Equal((1, bytes), (found.ElementsPerBlock, found.BytesPerBlock));
        Assert.Equal(name, SafetensorsDataType.NameOf(type));
    }

    [Theory]
    [InlineData("U16", "dtype 'U16' is a safetensors type llmem does not read yet (it reads F64, F32, F16, BF16, F8_E4M3, F8_E5M2, I64, I32, I16, I8, U8, BOOL).")]
    [InlineData("F4", "dtype 'F4' is a safetensors type llmem does not read yet")]
    [InlineData("F8_E8M0", "dtype 'F8_E8M0' is a safetensors type llmem does not read yet")]
    [InlineData("bf16", "dtype 'bf16' is not a safetensors dtype (known: F64, F32,")]
    [InlineData("", "dtype '' is not a safetensors dtype")]
    public void OtherNames_AreRefusedWithTheKnownOnes(string name, string message)
    {
        Assert.False(SafetensorsDataType.TryFromName(name, out _, out var error));
        Assert.StartsWith(message, error, StringComparison.Ordinal);
    }

    [Fact]
    public void TypesTheFormatCannotStore_HaveNoName() =>
        Assert.Null(SafetensorsDataType.NameOf(DataType.Q4_K));
}
