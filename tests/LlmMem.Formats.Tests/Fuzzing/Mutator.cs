using System.Buffers.Binary;
using System.Text;

namespace LlmMem.Formats.Tests.Fuzzing;

/// <summary>
/// Seeded random mutations in the manner of AFL++'s havoc stage (docs/afl-fuzz_approach.md, "havoc"): bit flips, random bytes,
/// inserted and deleted runs, truncation, splicing with another seed, and "interesting" integers (0, −1, 2³¹, 2³², 2⁶³ …)
/// written over length and count fields in 1, 2, 4 or 8 bytes, plus JSON tokens that stress a parser's numbers, strings and nesting.
/// Deterministic for a seed, so a failure names the seed and the mutation number that reproduce it.
/// </summary>
internal sealed class Mutator(int seed, IReadOnlyList<byte[]> seeds)
{
    /// <summary>
    /// AFL++'s interesting values (include/config.h INTERESTING_8/16/32), lengths just under the readers' limits (2²⁴; 2²⁷ and
    /// 2²⁸ − 64 under GGUF's 256 MiB header), and the 64-bit edges a length field can hold.
    /// </summary>
    private static readonly ulong[] Interesting =
    [
        0, 1, 2, 4, 8, 16, 32, 64, 100, 127, 128, 255, 256, 512, 1000, 1024, 4096, 32767, 32768, 65535, 65536, 1 << 24, 1 << 27, (1 << 28) - 64,
        0x7FFF_FFFF, 0x8000_0000, 0xFFFF_FFFF, 0x1_0000_0000, 1UL << 40, long.MaxValue, 1UL << 63, ulong.MaxValue, ulong.MaxValue - 7, unchecked((ulong)-128),
    ];

    /// <summary>Text that stresses a JSON reader: extreme numbers, escapes, nesting, and the field names the readers look up.</summary>
    private static readonly string[] JsonTokens =
    [
        "18446744073709551615", "18446744073709551616", "9223372036854775807", "-9223372036854775808", "4294967296", "-1", "0", "1e308", "1e999",
        "-0", "0.5", "NaN", "null", "true", "[]", "{}", "\"\"", "\"\\uD800\"", "\"\\u0000\"", "[[[[[[[[[[[[[[[[[[[[", "{\"a\":{\"a\":{\"a\":",
        "\"dtype\"", "\"shape\"", "\"data_offsets\"", "\"__metadata__\"", "\"weight_map\"", "\"total_size\"", "\"sha\"", "\"type\"", "\"path\"",
        "\"size\"", "\"file\"", "\"model_type\"", "\"text_config\"", "\"num_hidden_layers\"", "\"hidden_size\"", "\"num_attention_heads\"",
        "\"num_key_value_heads\"", "\"intermediate_size\"", "\"vocab_size\"", "\"num_local_experts\"", "\"quantization_config\"", "\"rope_scaling\"",
        "\"head_dim\"", "\"layer_types\"", "\"sliding_window\"", ",", ":", "\"", "\\",
    ];

    private readonly Random random = new(seed);

    /// <summary>One mutant of a random seed, and what was done to it (for a failure's message).</summary>
    public (byte[] Bytes, string What) Next()
    {
        var start = random.Next(seeds.Count);
        var bytes = new List<byte>(seeds[start]);
        var steps = new List<string>();

        // Stacked mutations, as havoc stacks 2 to 128; mostly few, so mutants stay close enough to parse deep.
        var count = 1 << random.Next(4);
        for (var i = 0; i < count; i++)
        {
            steps.Add(MutateOnce(bytes));
        }

        return ([.. bytes], $"seed {start}: {string.Join("; ", steps)}");
    }

    private string MutateOnce(List<byte> bytes)
    {
        var at = bytes.Count == 0 ? 0 : random.Next(bytes.Count);
        switch (random.Next(10))
        {
            case 0 when bytes.Count > 0:
                var bit = random.Next(8);
                bytes[at] ^= (byte)(1 << bit);
                return $"bit {bit} of byte {at} flipped";
            case 1 when bytes.Count > 0:
                bytes[at] = (byte)random.Next(256);
                return $"byte {at} set to {bytes[at]}";
            case 2:
                var width = 1 << random.Next(4);
                var value = Interesting[random.Next(Interesting.Length)];
                var le = new byte[8];
                if (random.Next(4) == 0)
                {
                    BinaryPrimitives.WriteUInt64BigEndian(le, value << (64 - (8 * width)));
                }
                else
                {
                    BinaryPrimitives.WriteUInt64LittleEndian(le, value);
                }

                for (var i = 0; i < width && at + i < bytes.Count; i++)
                {
                    bytes[at + i] = le[i];
                }

                return $"{width * 8}-bit {value} written at {at}";
            case 3:
                var inserted = new byte[random.Next(1, 33)];
                random.NextBytes(inserted);
                bytes.InsertRange(at, inserted);
                return $"{inserted.Length} random bytes inserted at {at}";
            case 4 when bytes.Count > 0:
                var deleted = random.Next(1, Math.Min(64, bytes.Count - at) + 1);
                bytes.RemoveRange(at, deleted);
                return $"{deleted} bytes deleted at {at}";
            case 5:
                bytes.RemoveRange(at, bytes.Count - at);
                return $"truncated to {at}";
            case 6 when bytes.Count > 0:
                var length = random.Next(1, Math.Min(256, bytes.Count - at) + 1);
                var copy = bytes.GetRange(at, length);
                var to = random.Next(bytes.Count);
                bytes.InsertRange(to, copy);
                return $"{length} bytes from {at} repeated at {to}";
            case 7:
                var other = seeds[random.Next(seeds.Count)];
                var cut = random.Next(other.Length + 1);
                bytes.RemoveRange(at, bytes.Count - at);
                bytes.AddRange(other.AsSpan(cut).ToArray());
                return $"spliced at {at} with another seed from {cut}";
            case 8:
                var token = JsonTokens[random.Next(JsonTokens.Length)];
                bytes.InsertRange(at, Encoding.UTF8.GetBytes(token));
                return $"'{token}' inserted at {at}";
            default:
                // Replace a run of digits (a JSON number) with an extreme one: lengths and counts as text.
                var digits = FindDigits(bytes, at);
                if (digits is not { } run)
                {
                    goto case 2;
                }

                var number = JsonTokens[random.Next(10)];
                bytes.RemoveRange(run.Start, run.Length);
                bytes.InsertRange(run.Start, Encoding.ASCII.GetBytes(number));
                return $"number at {run.Start} replaced by {number}";
        }
    }

    private static (int Start, int Length)? FindDigits(List<byte> bytes, int from)
    {
        for (var i = from; i < bytes.Count; i++)
        {
            if (bytes[i] is >= (byte)'0' and <= (byte)'9')
            {
                var end = i;
                while (end < bytes.Count && bytes[end] is >= (byte)'0' and <= (byte)'9')
                {
                    end++;
                }

                return (i, end - i);
            }
        }

        return null;
    }
}
