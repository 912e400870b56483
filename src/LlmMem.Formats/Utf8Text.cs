using System.Buffers;
using System.Text;
using System.Text.Unicode;

namespace LlmMem.Formats;

/// <summary>
/// UTF-8 checks for the JSON readers. System.Text.Json validates a string's UTF-8 only when the string is read, and then
/// throws InvalidOperationException; checking the whole document first turns that into the reader's own one-line error.
/// </summary>
internal static class Utf8Text
{
    /// <summary>The index of the first byte that is not valid UTF-8, or −1 when all of it is.</summary>
    public static long FirstInvalid(ReadOnlySpan<byte> bytes)
    {
        if (Utf8.IsValid(bytes))
        {
            return -1;
        }

        var index = 0;
        while (index < bytes.Length)
        {
            if (Rune.DecodeFromUtf8(bytes[index..], out _, out var consumed) != OperationStatus.Done)
            {
                return index;
            }

            index += consumed;
        }

        return -1;
    }
}
