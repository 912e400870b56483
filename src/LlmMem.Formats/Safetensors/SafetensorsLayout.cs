using System.Collections.Immutable;
using static LlmMem.Formats.Safetensors.SafetensorsText;

namespace LlmMem.Formats.Safetensors;

/// <summary>Checks that a header's tensors tile its data section exactly, as the format requires.</summary>
/// <remarks>
/// safetensors README §Format: data_offsets are [BEGIN, END) relative to the start of the byte buffer, and "total
/// tensor byte size = END - BEGIN"; §Format, Notes: "The byte buffer needs to be entirely indexed, and cannot contain
/// holes"; §Benefits: "addresses in the file do not overlap in any way". A hole, trailing bytes or an overlap is an
/// error, not a note: the reference loader refuses such a file, so no checkpoint that loads has one.
/// </remarks>
internal static class SafetensorsLayout
{
    /// <summary>The entries as tensors, once each holds exactly its bytes and together they cover the data section.</summary>
    /// <param name="dataStart">The file offset of the data section (8 + N), to give file offsets in messages.</param>
    public static ImmutableArray<SafetensorsTensor> Check(List<SafetensorsEntry> entries, long dataLength, long dataStart, string file)
    {
        var tensors = ImmutableArray.CreateBuilder<SafetensorsTensor>(entries.Count);
        foreach (var entry in entries)
        {
            tensors.Add(Sized(entry, dataLength, dataStart, file));
        }

        var order = Enumerable.Range(0, tensors.Count).OrderBy(i => tensors[i].Begin).ThenBy(i => tensors[i].End).ToArray();
        var cursor = 0L;
        var previous = -1;
        foreach (var i in order)
        {
            var tensor = tensors[i];
            if (tensor.Begin < cursor)
            {
                var other = tensors[previous];
                throw Tensor(file, entries[i].At, tensor.Name, $"data_offsets {Range(tensor)} overlap tensor {Quote(other.Name)} at {Range(other)}; "
                    + "the README's §Benefits guarantees that addresses do not overlap.");
            }

            if (tensor.Begin > cursor)
            {
                throw At(file, dataStart + cursor, $"data section bytes {N(cursor)} to {N(tensor.Begin)} (before tensor {Quote(tensor.Name)}) "
                    + "belong to no tensor; the README's §Format notes require the byte buffer to be entirely indexed, without holes.");
            }

            if (tensor.End > cursor)
            {
                (cursor, previous) = (tensor.End, i);
            }
        }

        if (cursor < dataLength)
        {
            throw At(file, dataStart + cursor, $"the data section holds {N(dataLength)} bytes but its tensors end at {N(cursor)}: "
                + $"the last {N(dataLength - cursor)} bytes belong to no tensor; the README's §Format notes require the byte buffer "
                + "to be entirely indexed, without holes.");
        }

        return tensors.MoveToImmutable();
    }

    /// <summary>The entry as a tensor, once its offsets lie in the data section and hold exactly elements × element size bytes.</summary>
    private static SafetensorsTensor Sized(SafetensorsEntry entry, long dataLength, long dataStart, string file)
    {
        var offsets = $"[{N(entry.Begin)}, {N(entry.End)}]";
        if (entry.Begin > entry.End)
        {
            throw Tensor(file, entry.At, entry.Name, $"data_offsets {offsets} end before they begin.");
        }

        if (entry.End > (ulong)dataLength)
        {
            throw Tensor(file, entry.At, entry.Name, $"data_offsets {offsets} run past the end of the data section, which holds "
                + $"{N(dataLength)} bytes from file byte {N(dataStart)}; the file may be truncated.");
        }

        var tensor = new SafetensorsTensor(entry.Name, entry.Dtype, entry.Type, entry.Shape, (long)entry.Begin, (long)entry.End);
        var size = entry.Type.BytesPerBlock;
        var fits = tensor.Elements <= long.MaxValue / size;
        if (!fits || tensor.Elements * size != tensor.Bytes)
        {
            var needs = fits ? $"{N(tensor.Elements * size)} bytes" : "more bytes than a file can hold";
            throw Tensor(file, entry.At, entry.Name, $"{entry.Dtype} shape {SafetensorsHeaderJson.ShapeText(entry.Shape)} is "
                + $"{N(tensor.Elements)} elements of {size} bytes = {needs}, but data_offsets {offsets} hold {N(tensor.Bytes)}.");
        }

        return tensor;
    }

    private static string Range(SafetensorsTensor tensor) => $"[{N(tensor.Begin)}, {N(tensor.End)}]";
}
