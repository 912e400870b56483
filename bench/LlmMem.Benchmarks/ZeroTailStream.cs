namespace LlmMem.Benchmarks;

/// <summary>A read-only stream of <c>prefix</c> then zeros up to <c>length</c>: a full-size file whose data is never read.</summary>
internal sealed class ZeroTailStream(byte[] prefix, long length) : Stream
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
        var fromPrefix = (int)Math.Clamp(prefix.Length - Position, 0, count);
        if (fromPrefix > 0)
        {
            prefix.AsSpan((int)Position, fromPrefix).CopyTo(buffer);
        }

        buffer[fromPrefix..count].Clear();
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
