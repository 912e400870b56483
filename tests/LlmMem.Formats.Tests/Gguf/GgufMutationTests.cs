using System.Buffers.Binary;
using System.Diagnostics;
using LlmMem.Formats.Gguf;

namespace LlmMem.Formats.Tests.Gguf;

/// <summary>
/// Thousands of seeded random corruptions of a valid file — bytes set, bits flipped, 64-bit fields overwritten with
/// extreme values, truncations — read as files and as shapes: only <see cref="ModelFormatException"/> may escape, and quickly.
/// </summary>
public class GgufMutationTests
{
    private const int Mutations = 5_000;

    /// <summary>Values that stress lengths and counts: zero, one, 2³¹ ± 1, 2³², 2⁶³ and around, all ones.</summary>
    private static readonly ulong[] Extremes =
        [0, 1, 2, 4, 5, 13, 0x7FFF_FFFF, 0x8000_0000, 0xFFFF_FFFF, 0x1_0000_0000, long.MaxValue, 1UL << 63, ulong.MaxValue, ulong.MaxValue - 7];

    [Theory]
    [InlineData(nameof(GgufModels.Tiny), 20_240_501)]
    [InlineData(nameof(GgufModels.Tiny), 7)]
    [InlineData(nameof(GgufModels.TinyDeepSeek), 11)]
    public void RandomCorruptions_OnlyEverThrowModelFormatException_AndQuickly(string model, int seed)
    {
        var valid = ((GgufBuilder)typeof(GgufModels).GetMethod(model)!.Invoke(null, null)!).Build();
        _ = GgufShapeReader.Read(valid.Read());
        var random = new Random(seed);
        var (read, refused) = (0, 0);
        var watch = Stopwatch.StartNew();
        for (var i = 0; i < Mutations; i++)
        {
            var (header, length, what) = Mutate(valid, random);
            try
            {
                var file = GgufReader.Read(new ZeroTailStream(header, length), "mutant.gguf");
                _ = GgufShapeReader.Read(file);
                read++;
            }
            catch (ModelFormatException e)
            {
                Assert.DoesNotContain('\n', e.Message);
                refused++;
            }
            catch (Exception e)
            {
                Assert.Fail($"seed {seed}, mutation {i} ({what}): {e.GetType().Name}: {e.Message}\n{e.StackTrace}");
            }
        }

        // Both outcomes occur: a flipped byte in a tensor name or a float is harmless; most are caught.
        Assert.InRange(refused, Mutations / 4, Mutations);
        Assert.InRange(read, 1, Mutations);
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(10), $"{Mutations} mutations took {watch.Elapsed.TotalSeconds:0.0} s");
    }

    /// <summary>One corruption of the header (or the file's length): where, and as what.</summary>
    private static (byte[] Header, long Length, string What) Mutate(GgufImage valid, Random random)
    {
        var header = valid.Header.ToArray();
        var end = (int)valid.At["header_end"];
        var at = random.Next(end);
        switch (random.Next(5))
        {
            case 0:
                header[at] = (byte)random.Next(256);
                return (header, valid.Length, $"byte {at} set to {header[at]}");
            case 1:
                var bit = random.Next(8);
                header[at] ^= (byte)(1 << bit);
                return (header, valid.Length, $"bit {bit} of byte {at} flipped");
            case 2:
                at = Math.Min(at, end - 8);
                var value = Extremes[random.Next(Extremes.Length)];
                BinaryPrimitives.WriteUInt64LittleEndian(header.AsSpan(at), value);
                return (header, valid.Length, $"u64 at {at} set to {value}");
            case 3:
                var length = random.Next(2) == 0 ? random.Next(end + 1) : random.NextInt64(valid.Length);
                return (header.AsSpan(0, (int)Math.Min(length, header.Length)).ToArray(), length, $"truncated to {length}");
            default:
                var count = random.Next(2, 6);
                for (var i = 0; i < count; i++)
                {
                    header[random.Next(end)] = (byte)random.Next(256);
                }

                return (header, valid.Length, $"{count} random bytes set (first at {at})");
        }
    }
}
