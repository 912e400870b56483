namespace LlmMem.Formats.Hub;

/// <summary>
/// A read-only, seekable stream over a Hub file whose length is the file's: the readers (SafetensorsReader, GgufReader)
/// read it as a local file, and only the bytes they read are fetched (<see cref="HubRepoFiles.Ensure"/>).
/// </summary>
internal sealed class HubRangeStream(HubRepoFiles files, string name, long length) : Stream
{
    public override bool CanRead => true;

    public override bool CanSeek => true;

    public override bool CanWrite => false;

    public override long Length => length;

    public override long Position { get; set; }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        var count = (int)Math.Clamp(length - Position, 0, buffer.Length);
        if (count == 0)
        {
            return 0;
        }

        var prefix = files.Ensure(name, Position + count);
        prefix.Buffer.AsSpan((int)Position, count).CopyTo(buffer);
        Position += count;
        return count;
    }

    public override long Seek(long offset, SeekOrigin origin) => Position = origin switch
    {
        SeekOrigin.Begin => offset,
        SeekOrigin.Current => Position + offset,
        _ => length + offset,
    };

    public override void Flush()
    {
    }

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
