using System.Globalization;
using System.Text;

namespace LlmMem.Formats.Safetensors;

/// <summary>How names from a file appear in messages: quoted, one line, and short, whatever the file holds.</summary>
internal static class SafetensorsText
{
    /// <summary>'name' with control characters escaped and anything past <see cref="SafetensorsLimits.MaxQuotedLength"/> cut.</summary>
    public static string Quote(string text) => JsonText.Quote(text, SafetensorsLimits.MaxQuotedLength);

    /// <summary>"1,024" in the invariant culture.</summary>
    public static string N(long value) => value.ToString("N0", CultureInfo.InvariantCulture);

    /// <summary>"18,446,744,073,709,551,615" in the invariant culture.</summary>
    public static string N(ulong value) => value.ToString("N0", CultureInfo.InvariantCulture);

    /// <summary>A problem at a file offset: "byte 57: …".</summary>
    public static ModelFormatException At(string file, long offset, string problem) => new(file, $"byte {N(offset)}: {problem}");

    /// <summary>A problem with one tensor, at the file offset of its name: "byte 57, tensor 'a': …".</summary>
    public static ModelFormatException Tensor(string file, long offset, string name, string problem) =>
        new(file, $"byte {N(offset)}, tensor {Quote(name)}: {problem}");
}
