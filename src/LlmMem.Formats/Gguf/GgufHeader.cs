namespace LlmMem.Formats.Gguf;

/// <summary>The fixed start of a GGUF file (spec §File Structure, <c>gguf_header_t</c>): magic, version, tensor and metadata counts.</summary>
/// <param name="Version">2 or 3: both little-endian with 64-bit counts and lengths; version 3 only allowed big-endian files as well.</param>
public sealed record GgufHeader(int Version, long TensorCount, long MetadataCount)
{
    /// <summary>The magic "GGUF" as its four bytes.</summary>
    private static ReadOnlySpan<byte> Magic => "GGUF"u8;

    /// <summary>The smallest metadata pair: an 8-byte key length, a 1-byte key, a 4-byte type, a 1-byte value.</summary>
    private const long MinimumMetadataBytes = 14;

    /// <summary>The smallest tensor info: an 8-byte name length, a 1-byte name, 4-byte dimension count (0), 4-byte type, 8-byte offset.</summary>
    private const long MinimumTensorBytes = 25;

    internal static GgufHeader Read(GgufCursor cursor)
    {
        var magic = cursor.ReadSpan(4, "the magic number");
        if (!magic.SequenceEqual(Magic))
        {
            var shown = new string([.. magic.ToArray().Select(b => b is >= 0x20 and < 0x7f ? (char)b : '.')]);
            throw cursor.Error(0, $"not a GGUF file: it starts with {Convert.ToHexString(magic)} ('{shown}'), not 'GGUF'.");
        }

        var version = cursor.ReadU32("the version");
        switch (version)
        {
            case 2 or 3:
                break;
            case 1:
                throw cursor.Error(4, "GGUF version 1 is not supported: that 2023 draft used 32-bit counts and lengths. Convert the model again with a current llama.cpp.");
            case 0x02000000 or 0x03000000:
                throw cursor.Error(4, "this is a big-endian GGUF (its version bytes are reversed); llmem reads little-endian files only.");
            default:
                throw cursor.Error(4, $"GGUF version {GgufCursor.N(version)} is not supported (llmem reads versions 2 and 3).");
        }

        var tensors = cursor.ReadU64("the tensor count");
        var metadata = cursor.ReadU64("the metadata count");
        if (tensors > GgufLimits.MaxTensors)
        {
            throw cursor.Error(8, $"tensor count {GgufCursor.N(tensors)} is absurd (the most accepted is {GgufCursor.N(GgufLimits.MaxTensors)}; real files hold under 2,000).");
        }

        if (metadata > GgufLimits.MaxMetadataEntries)
        {
            throw cursor.Error(16, $"metadata count {GgufCursor.N(metadata)} is absurd (the most accepted is {GgufCursor.N(GgufLimits.MaxMetadataEntries)}; real files hold under 100).");
        }

        var metadataBytes = (long)metadata * MinimumMetadataBytes;
        var tensorBytes = (long)tensors * MinimumTensorBytes;
        cursor.RequireDeclared((ulong)metadataBytes, 16, $"metadata count {GgufCursor.N(metadata)} (at least {GgufCursor.N(metadataBytes)} bytes)");
        cursor.RequireDeclared((ulong)(metadataBytes + tensorBytes), 8,
            $"tensor count {GgufCursor.N(tensors)} (at least {GgufCursor.N(tensorBytes)} bytes after the metadata's {GgufCursor.N(metadataBytes)} bytes)");
        return new GgufHeader((int)version, (long)tensors, (long)metadata);
    }
}
