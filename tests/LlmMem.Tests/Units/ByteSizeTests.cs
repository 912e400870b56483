using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using LlmMem.Units;

namespace LlmMem.Tests.Units;

public class ByteSizeTests
{
    [Theory]
    [InlineData(1_073_741_824L, "1.00 GiB", "1.07 GB")] // 1024³ bytes, the example
    [InlineData(32_000_000_000L, "29.80 GiB", "32.00 GB")] // 8B params × 4 B (the article: 8B in fp32 = 29.8 GiB)
    [InlineData(4_000_000_000L, "3.73 GiB", "4.00 GB")] // the article: 1B in fp32 = 4 GB
    [InlineData(1024L, "1.00 KiB", "1.02 kB")]
    [InlineData(1000L, "1000 B", "1.00 kB")]
    [InlineData(0L, "0 B", "0 B")]
    [InlineData(1_099_511_627_776L, "1.00 TiB", "1.10 TB")]
    public void Format_PrintsTheUnitSymbol_InBinaryAndDecimal(long bytes, string iec, string si)
    {
        var size = ByteSize.FromBytes(bytes);

        Assert.Equal(iec, size.Format(UnitSystem.Iec));
        Assert.Equal(si, size.Format(UnitSystem.Si));
        Assert.Equal($"{si} = {iec}", size.Format(UnitSystem.Both));
    }

    [Fact]
    public void FormatIn_FixedUnit_UsesThousandsSeparators()
    {
        Assert.Equal("1,313.57 GiB", ByteSize.FromBytes(1_410_431_574_976).FormatIn(ByteUnit.GiB));
        Assert.Equal("0.71 GiB", ByteSize.FromMiB(722).FormatIn(ByteUnit.GiB));
    }

    [Fact]
    public void FormatExact_PrintsEveryByte() =>
        Assert.Equal("32,000,000,000 B", ByteSize.FromBytes(32_000_000_000).FormatExact());

    [Fact]
    public void Addition_Overflow_ThrowsInsteadOfWrapping()
    {
        var huge = ByteSize.FromBytes(long.MaxValue);

        Assert.Throws<OverflowException>(() => huge + ByteSize.FromBytes(1));
        Assert.Throws<OverflowException>(() => huge * 2);
    }

    [Fact]
    public void FromBytes_Negative_IsRejected() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => ByteSize.FromBytes(-1));

    [Theory]
    [InlineData("24GiB", 25_769_803_776L)]
    [InlineData("80 GB", 80_000_000_000L)]
    [InlineData("24576MiB", 25_769_803_776L)]
    [InlineData("1.5 TiB", 1_649_267_441_664L)]
    [InlineData("24gib", 25_769_803_776L)]
    [InlineData("512 kB", 512_000L)]
    public void TryParse_NumberWithUnit_IsExact(string text, long bytes)
    {
        Assert.True(ByteSize.TryParse(text, out var size, out var error), error);
        Assert.Equal(bytes, size.Bytes);
    }

    [Theory]
    [InlineData("24", "give a number and a unit")]
    [InlineData("24 GiBs", "give a number and a unit")]
    [InlineData("-5GiB", "must be a positive number")]
    [InlineData("0GB", "must be a positive number")]
    [InlineData("99999999999 PiB", "absurdly large")]
    public void TryParse_BadSize_SaysWhy(string text, string message)
    {
        Assert.False(ByteSize.TryParse(text, out _, out var error));
        Assert.Contains(message, error);
    }

    [Property]
    public Property DivideCeiling_LosesNoByte_AndAddsLessThanOnePerPart()
    {
        var sizes = Gen.Choose(0, int.MaxValue).Select(i => (long)i * 4099).ToArbitrary();
        var parts = Gen.Choose(1, 4096).ToArbitrary();
        return Prop.ForAll(sizes, parts, (bytes, n) =>
        {
            var share = ByteSize.FromBytes(bytes).DivideCeiling(n).Bytes;
            return share * n >= bytes && share * n < bytes + n;
        });
    }

    [Property]
    public Property Format_ThenParse_RoundTripsWithinRounding()
    {
        var sizes = Gen.Choose(1, int.MaxValue).Select(i => (long)i * 1_000_003).ToArbitrary();
        return Prop.ForAll(sizes, bytes =>
        {
            var size = ByteSize.FromBytes(bytes);
            var ok = ByteSize.TryParse(size.Format(UnitSystem.Iec), out var back, out _);
            // Two decimals of a value at least 1 in its unit: relative error at most 0.005 / 1.
            return ok && Math.Abs(back.Bytes - bytes) <= bytes * 0.005 + 1;
        });
    }
}
