using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Unicode;

namespace LlmMem.Formats;

/// <summary>
/// Checks that a JSON document's text is text. System.Text.Json validates a string's UTF-8 and its escapes only when the
/// string (or a property name, when a lookup compares it) is read, and then throws InvalidOperationException; checking
/// the whole document first turns both into the reader's own one-line error. Both were found by fuzzing (docs/robustness.md).
/// </summary>
internal static class JsonText
{
    /// <summary>The index of the first byte that is not valid UTF-8, or −1 when all of it is.</summary>
    public static long FirstInvalidUtf8(ReadOnlySpan<byte> bytes)
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

    /// <summary>
    /// The offset of the first string or property name whose escapes are no text — half a surrogate pair, "\uD800" — or −1.
    /// Valid JSON allows such an escape (RFC 8259 §8.2); .NET strings cannot hold it. Call it on JSON already parsed.
    /// </summary>
    public static long FirstBadEscape(ReadOnlySpan<byte> json, JsonReaderOptions options)
    {
        var reader = new Utf8JsonReader(json, options);
        try
        {
            while (reader.Read())
            {
                if (reader.TokenType is JsonTokenType.String or JsonTokenType.PropertyName && reader.ValueIsEscaped)
                {
                    try
                    {
                        _ = reader.GetString();
                    }
                    catch (InvalidOperationException)
                    {
                        return reader.TokenStartIndex;
                    }
                }
            }
        }
        catch (JsonException)
        {
            // Malformed JSON is the parser's to report, with its own position.
        }

        return -1;
    }

    /// <summary>
    /// 'text' from a file as a message shows it: control characters and lone surrogates escaped (\u000a), so the message stays
    /// one line, and anything past <paramref name="maxLength"/> characters cut.
    /// </summary>
    public static string Quote(string text, int maxLength)
    {
        var builder = new StringBuilder("'");
        foreach (var c in text.Length > maxLength ? text[..maxLength] : text)
        {
            if (char.IsControl(c) || char.IsSurrogate(c))
            {
                builder.Append(CultureInfo.InvariantCulture, $"\\u{(int)c:x4}");
            }
            else
            {
                builder.Append(c);
            }
        }

        if (text.Length > maxLength)
        {
            builder.Append(CultureInfo.InvariantCulture, $"…' ({text.Length:N0} characters)");
            return builder.ToString();
        }

        return builder.Append('\'').ToString();
    }
}
