using System.Collections.Immutable;
using System.Globalization;
using System.Text.RegularExpressions;
using LlmMem.Models;

namespace LlmMem.Formats.Gguf;

/// <summary>
/// Split models (llama.cpp gguf-split): parts named <c>name-00001-of-00003.gguf</c>, each a complete GGUF file whose metadata
/// carries <c>split.no</c> (0-based), <c>split.count</c> and, in the first part, every other key and <c>split.tensors.count</c>.
/// Reading any part reads all of them: metadata from the first, tensors concatenated in part order.
/// </summary>
internal static partial class GgufSplit
{
    private const string CountKey = "split.count";
    private const string NumberKey = "split.no";
    private const string TensorsKey = "split.tensors.count";

    [GeneratedRegex(@"^(?<prefix>.+)-(?<no>\d{5})-of-(?<count>\d{5})(?<extension>\.gguf)$", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex PartName();

    /// <summary>Whether the file is named like a part of a split model (a '/'-separated name's last part).</summary>
    public static bool IsPart(string name) => PartName().IsMatch(name[(name.LastIndexOf('/') + 1)..]);

    /// <summary>Whether the file is named like the first part of a split model.</summary>
    public static bool IsFirstPart(string name) => PartName().Match(name[(name.LastIndexOf('/') + 1)..]) is { Success: true } m && m.Groups["no"].Value == "00001";

    /// <summary>The name of part <paramref name="number"/> (1-based) of <paramref name="count"/>: "name-00002-of-00003.gguf".</summary>
    public static string PartFileName(string prefix, int number, int count, string extension = GgufReader.Extension) =>
        string.Create(CultureInfo.InvariantCulture, $"{prefix}-{number:D5}-of-{count:D5}{extension}");

    public static GgufFile Read(string path)
    {
        var (source, name) = LocalFolderFiles.Of(path);
        return Read(source, name);
    }

    /// <summary>Reads file <paramref name="name"/> of <paramref name="source"/>, and the other parts beside it when it is one part of a split model.</summary>
    public static GgufFile Read(IModelFiles source, string name)
    {
        var path = source.Label(name);
        var given = ReadOne(source, name);
        var count = given.GetInteger(CountKey) ?? 1;
        var slash = name.LastIndexOf('/') + 1;
        var (folder, fileName) = (name[..slash], name[slash..]);
        var match = PartName().Match(fileName);
        if (count <= 1)
        {
            return match.Success && int.Parse(match.Groups["count"].Value, CultureInfo.InvariantCulture) > 1
                ? With(given, given.Notes.Add($"Named like part {match.Groups["no"].Value} of a split model but has no split.count; read as one file."))
                : given;
        }

        if (count > GgufLimits.MaxSplitParts)
        {
            throw given.Error(given.Find(CountKey)!, CountKey, $"is {GgufCursor.N(count)} parts; the most accepted is {GgufCursor.N(GgufLimits.MaxSplitParts)}.");
        }

        if (!match.Success || int.Parse(match.Groups["count"].Value, CultureInfo.InvariantCulture) != count)
        {
            throw new ModelFormatException(path, $"split.count is {count} but the file is not named like part of {count} "
                + $"({PartFileName("name", 1, (int)count)}), so its other parts cannot be found.");
        }

        var prefix = match.Groups["prefix"].Value;
        var givenNumber = int.Parse(match.Groups["no"].Value, CultureInfo.InvariantCulture);
        var parts = new List<GgufFile>((int)count);
        for (var number = 1; number <= count; number++)
        {
            var partName = folder + PartFileName(prefix, number, (int)count, match.Groups["extension"].Value);
            if (number != givenNumber && !source.Exists(partName))
            {
                throw new ModelFormatException(source.Label(partName), $"part {number} of {count} is missing: a split model needs every part next to {fileName}.");
            }

            var part = number == givenNumber ? given : ReadOne(source, partName);
            Check(part, number, count);
            parts.Add(part);
        }

        return Combine(parts);
    }

    private static GgufFile ReadOne(IModelFiles source, string name)
    {
        var path = source.Label(name);
        Stream stream;
        try
        {
            stream = source.OpenRead(name);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ModelFormatException(path, $"cannot be opened: {e.Message}");
        }

        using (stream)
        {
            return GgufReader.Read(stream, path);
        }
    }

    /// <summary>Each part says which it is: split.no = its number − 1, split.count the same in all.</summary>
    private static void Check(GgufFile part, int number, long count)
    {
        if (part.GetInteger(CountKey) is not { } partCount)
        {
            throw new ModelFormatException(part.File, $"part {number} of {count} has no {CountKey}: it is not part of this split model.");
        }

        if (partCount != count)
        {
            throw part.Error(part.Find(CountKey)!, CountKey, $"is {partCount} but part 1 says {count}.");
        }

        var partNumber = part.GetInteger(NumberKey)
            ?? throw new ModelFormatException(part.File, $"part {number} of {count} has no {NumberKey}.");
        if (partNumber != number - 1)
        {
            throw part.Error(part.Find(NumberKey)!, NumberKey, $"is {partNumber}, but the file is named as part {number} (split.no counts from 0, so it should be {number - 1}).");
        }
    }

    /// <summary>Metadata and header from the first part; tensors of every part in order, each naming its file.</summary>
    private static GgufFile Combine(List<GgufFile> parts)
    {
        var first = parts[0];
        var tensors = parts.SelectMany(p => p.Tensors).ToImmutableArray();
        var seen = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var t in tensors)
        {
            if (!seen.TryAdd(t.Name, t.File))
            {
                throw new ModelFormatException(t.File, $"tensor '{t.Name}' is also in {Path.GetFileName(seen[t.Name])}: split parts must not share tensors.");
            }
        }

        if (first.GetInteger(TensorsKey) is { } declared && declared != tensors.Length)
        {
            throw first.Error(first.Find(TensorsKey)!, TensorsKey, $"is {GgufCursor.N(declared)} but the {parts.Count} parts hold {GgufCursor.N(tensors.Length)} tensors.");
        }

        var notes = parts.SelectMany(p => p.Notes).Distinct().Prepend($"Split model: {parts.Count} parts, {GgufCursor.N(tensors.Length)} tensors.");
        var values = first.Keys.ToDictionary(k => k, k => first.Metadata[k], StringComparer.Ordinal);
        return new GgufFile(first.File, [.. parts.Select(p => p.File)], first.Header, first.Alignment, first.DataOffset, first.Length, first.Keys, values,
            tensors, [.. parts.SelectMany(p => p.TensorOffsets)], [.. notes]);
    }

    private static GgufFile With(GgufFile file, ImmutableArray<string> notes)
    {
        var values = file.Keys.ToDictionary(k => k, k => file.Metadata[k], StringComparer.Ordinal);
        return new GgufFile(file.File, file.Files, file.Header, file.Alignment, file.DataOffset, file.Length, file.Keys, values, file.Tensors, file.TensorOffsets, notes);
    }
}
