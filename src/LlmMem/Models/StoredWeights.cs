using System.Collections.Immutable;
using LlmMem.DataTypes;
using LlmMem.Units;

namespace LlmMem.Models;

/// <summary>One tensor as a file stores it: exact type, shape and bytes.</summary>
/// <param name="Name">Its name in the file: "model.layers.0.self_attn.q_proj.weight", "blk.0.attn_q.weight".</param>
/// <param name="Type">Its storage type (GGML type, or the safetensors dtype).</param>
/// <param name="Shape">Its dimensions as the file lists them (safetensors: outermost first; GGUF: ne0 first).</param>
/// <param name="Bytes">Its exact size in the file.</param>
/// <param name="File">Which file of a sharded or split checkpoint holds it.</param>
public sealed record StoredTensor(string Name, DataType Type, ImmutableArray<long> Shape, ByteSize Bytes, string File)
{
    /// <summary>The product of the dimensions (checked by the reader, which refuses an overflow).</summary>
    public long Elements { get; } = Shape.Aggregate(1L, (product, d) => checked(product * d));
}

/// <summary>What a checkpoint's files hold, tensor by tensor: the exact bytes a loader reads.</summary>
/// <param name="Format">"safetensors" or "gguf".</param>
/// <param name="Files">Every file read (shards, split parts), headers only.</param>
/// <param name="Tensors">Every tensor, in file order.</param>
/// <param name="Notes">What reading noticed: a tied weight stored twice, packed integers, an index that disagrees with the shards.</param>
public sealed record StoredWeights(string Format, ImmutableArray<string> Files, ImmutableArray<StoredTensor> Tensors, ImmutableArray<string> Notes)
{
    /// <summary>The sum of every tensor's bytes: the model's weights as the files hold them.</summary>
    public ByteSize TensorBytes { get; } = Tensors.Aggregate(ByteSize.Zero, (sum, t) => sum + t.Bytes);

    /// <summary>Tensors a loader does not keep: a tied LM head stored beside the embedding it shares.</summary>
    public ImmutableHashSet<string> Unloaded { get; init; } = [];

    /// <summary>What a loader holds in memory: every tensor but the <see cref="Unloaded"/> ones, in its stored type.</summary>
    public ByteSize LoadedBytes => Unloaded.Count == 0
        ? TensorBytes
        : Tensors.Where(t => !Unloaded.Contains(t.Name)).Aggregate(ByteSize.Zero, (sum, t) => sum + t.Bytes);

    /// <summary>Stored elements per storage type, with their bytes, largest first.</summary>
    public ImmutableArray<(DataType Type, long Elements, ByteSize Bytes)> ByType =>
    [
        .. Tensors.GroupBy(t => t.Type)
            .Select(g => (g.Key, g.Sum(t => t.Elements), g.Aggregate(ByteSize.Zero, (sum, t) => sum + t.Bytes)))
            .OrderByDescending(g => g.Item3),
    ];
}
