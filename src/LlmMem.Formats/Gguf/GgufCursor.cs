using System.Buffers.Binary;
using System.Globalization;
using System.Text;

namespace LlmMem.Formats.Gguf;

/// <summary>
/// Little-endian reads from the start of a seekable stream, through one buffer, each checked against the file's length (and
/// <see cref="GgufLimits.MaxHeaderBytes"/>) before it happens. Every error names the byte offset where the problem starts.
/// </summary>
internal sealed class GgufCursor
{
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    private readonly Stream stream;
    private readonly byte[] buffer = new byte[GgufLimits.ReadBufferBytes];

    /// <summary>The file offset of <c>buffer[0]</c>.</summary>
    private long bufferStart;
    private int bufferCount;
    private int bufferIndex;

    public GgufCursor(Stream stream, string file)
    {
        ArgumentNullException.ThrowIfNull(stream);
        if (!stream.CanRead || !stream.CanSeek)
        {
            throw new ArgumentException("A GGUF header is read from a readable, seekable stream.", nameof(stream));
        }

        this.stream = stream;
        File = file;
        Length = stream.Length;
    }

    public string File { get; }

    /// <summary>The file's length in bytes.</summary>
    public long Length { get; }

    /// <summary>The offset of the next byte to read.</summary>
    public long Position => bufferStart + bufferIndex;

    /// <summary>Bytes left before the end of the file or the header limit, whichever comes first.</summary>
    private long Remaining => Math.Min(Length, GgufLimits.MaxHeaderBytes) - Position;

    public static string N(long value) => value.ToString("N0", CultureInfo.InvariantCulture);

    public static string N(ulong value) => value.ToString("N0", CultureInfo.InvariantCulture);

    /// <summary>"file: offset 1,234: problem".</summary>
    public ModelFormatException Error(long offset, string problem) => new(File, $"offset {N(offset)}: {problem}");

    /// <summary>Throws unless <paramref name="count"/> declared bytes (a string's, an array's) lie within the file.</summary>
    /// <param name="at">Where the declaration was read.</param>
    /// <param name="what">The declaration, e.g. "string length 9,999,999,999".</param>
    public void RequireDeclared(ulong count, long at, string what)
    {
        if (!Fits(count))
        {
            throw Error(at, Beyond(what));
        }
    }

    /// <summary>True when <paramref name="count"/> more bytes lie within the file (and the header limit): lets hot loops format a message only on error.</summary>
    public bool Fits(ulong count) => count <= (ulong)Math.Max(0, Remaining);

    /// <summary>"… is past the end of the file (4,096 bytes).", or past the header limit for very large files.</summary>
    public string Beyond(string what) => Length > GgufLimits.MaxHeaderBytes
        ? $"{what} is past the largest header llmem reads ({N(GgufLimits.MaxHeaderBytes)} bytes; real headers are under 20 MB)."
        : $"{what} is past the end of the file ({N(Length)} bytes).";

    public byte ReadU8(string what) => Take(1, what)[0];

    public ushort ReadU16(string what) => BinaryPrimitives.ReadUInt16LittleEndian(Take(2, what));

    public uint ReadU32(string what) => BinaryPrimitives.ReadUInt32LittleEndian(Take(4, what));

    public ulong ReadU64(string what) => BinaryPrimitives.ReadUInt64LittleEndian(Take(8, what));

    /// <summary>The bytes of a fixed-size field, e.g. the 4-byte magic.</summary>
    public ReadOnlySpan<byte> ReadSpan(int count, string what) => Take(count, what);

    /// <summary>
    /// A gguf_string (spec §File Structure: u64 length, then UTF-8 bytes without a terminator) that must be at most
    /// <paramref name="maxBytes"/> long and valid UTF-8 (keys, tensor names).
    /// </summary>
    /// <summary>
    /// Reads a name as <see cref="ReadName"/> does and refuses one already in <paramref name="firstSeen"/> (name to the offset
    /// it was first read at), which it then records. <paramref name="noun"/> names what repeats in the message.
    /// </summary>
    public string ReadUniqueName(Dictionary<string, long> firstSeen, string what, string noun, int maxBytes)
    {
        var at = Position;
        var name = ReadName(what, maxBytes);
        if (firstSeen.TryGetValue(name, out var first))
        {
            throw Error(at, $"{noun} '{name}' appears twice (first at offset {N(first)}).");
        }

        firstSeen[name] = at;
        return name;
    }

    public string ReadName(string what, int maxBytes)
    {
        var at = Position;
        var length = ReadU64($"the length of {what}");
        if (length > (ulong)maxBytes)
        {
            RequireDeclared(length, at, $"{what} length {N(length)}");
            throw Error(at, $"{what} length {N(length)} is longer than the {N(maxBytes)} bytes the GGUF spec allows.");
        }

        if (length == 0)
        {
            throw Error(at, $"{what} is empty.");
        }

        RequireDeclared(length, at, $"{what} length {N(length)}");
        var bytes = new byte[(int)length];
        ReadInto(bytes);
        string text;
        try
        {
            text = StrictUtf8.GetString(bytes);
        }
        catch (DecoderFallbackException)
        {
            throw Error(at + 8, $"{what} is not valid UTF-8.");
        }

        // Names appear in messages, which are one line: a control character in one is refused (keys must be ASCII, spec §File Structure).
        foreach (var c in text)
        {
            if (char.IsControl(c))
            {
                throw Error(at + 8, $"{what} contains the control character U+{(int)c:X4}.");
            }
        }

        return text;
    }

    /// <summary>A string from the file as a message may show it: control characters escaped, at most 100 characters.</summary>
    public static string Show(string text)
    {
        var shown = string.Concat(text.Take(100).Select(c => char.IsControl(c) ? $"\\u{(int)c:X4}" : c.ToString()));
        return text.Length > 100 ? shown + "…" : shown;
    }

    /// <summary>A string value: its text when at most <paramref name="keepAtMost"/> bytes (invalid UTF-8 replaced), else only its length.</summary>
    public (string? Text, long Length) ReadText(string what, int keepAtMost)
    {
        var at = Position;
        var length = ReadU64($"the length of {what}");
        RequireDeclared(length, at, $"{what}: string length {N(length)}");
        if (length > (ulong)keepAtMost)
        {
            Skip((long)length);
            return (null, (long)length);
        }

        var bytes = new byte[(int)length];
        ReadInto(bytes);
        return (Encoding.UTF8.GetString(bytes), (long)length);
    }

    /// <summary>Moves past <paramref name="count"/> bytes already checked with <see cref="RequireDeclared"/>.</summary>
    public void Skip(long count)
    {
        if (count <= bufferCount - bufferIndex)
        {
            bufferIndex += (int)count;
            return;
        }

        bufferStart = checked(Position + count);
        bufferIndex = 0;
        bufferCount = 0;
    }

    private void ReadInto(Span<byte> destination)
    {
        while (destination.Length > 0)
        {
            if (bufferIndex == bufferCount)
            {
                Fill(1);
            }

            var n = Math.Min(destination.Length, bufferCount - bufferIndex);
            buffer.AsSpan(bufferIndex, n).CopyTo(destination);
            bufferIndex += n;
            destination = destination[n..];
        }
    }

    private ReadOnlySpan<byte> Take(int count, string what)
    {
        if (count > Remaining)
        {
            var left = Math.Max(0, Length - Position);
            throw Error(Position, Length > GgufLimits.MaxHeaderBytes && Position + count > GgufLimits.MaxHeaderBytes
                ? Beyond(what)
                : $"{what} needs {count} bytes but the file ends {(left == 0 ? "here" : $"after {N(left)}")} ({N(Length)} bytes): it is truncated.");
        }

        if (bufferCount - bufferIndex < count)
        {
            Fill(count);
        }

        var span = buffer.AsSpan(bufferIndex, count);
        bufferIndex += count;
        return span;
    }

    /// <summary>Makes at least <paramref name="count"/> bytes (already known to lie within the file) available from <see cref="bufferIndex"/>.</summary>
    private void Fill(int count)
    {
        var kept = bufferCount - bufferIndex;
        System.Array.Copy(buffer, bufferIndex, buffer, 0, kept);
        bufferStart += bufferIndex;
        bufferIndex = 0;
        bufferCount = kept;
        stream.Position = bufferStart + bufferCount;
        var wanted = (int)Math.Min(buffer.Length, Length - bufferStart);
        while (bufferCount < count)
        {
            var read = stream.Read(buffer, bufferCount, wanted - bufferCount);
            if (read == 0)
            {
                throw Error(bufferStart + bufferCount, $"the file ends before its stated length ({N(Length)} bytes): it is truncated.");
            }

            bufferCount += read;
        }
    }
}
