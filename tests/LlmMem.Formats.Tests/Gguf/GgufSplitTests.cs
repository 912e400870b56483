using LlmMem.DataTypes;
using LlmMem.Formats.Gguf;

namespace LlmMem.Formats.Tests.Gguf;

/// <summary>Split models (llama.cpp gguf-split): reading any part reads every part.</summary>
public sealed class GgufSplitTests : IDisposable
{
    private readonly string folder = Directory.CreateTempSubdirectory("llmem-split-").FullName;

    public void Dispose() => Directory.Delete(folder, recursive: true);

    /// <summary>Writes part <paramref name="number"/> (1-based) of <paramref name="count"/>; metadata only in the first, as gguf-split does.</summary>
    private string WritePart(int number, int count, long? splitNumber = null, int tensorsInAll = 6, string prefix = "model", Action<GgufBuilder>? vary = null)
    {
        var b = new GgufBuilder();
        if (number == 1)
        {
            b.Str("general.architecture", "llama").Str("general.name", "split-test");
        }

        b.Set("split.no", GgufValueType.UInt16, (ushort)(splitNumber ?? number - 1))
            .Set("split.count", GgufValueType.UInt16, (ushort)count)
            .Set("split.tensors.count", GgufValueType.Int32, tensorsInAll)
            .Tensor($"blk.{number}.attn_q.weight", DataType.Q4_K, 256, 4)
            .Tensor($"blk.{number}.ffn_norm.weight", DataType.Fp32, 256);
        vary?.Invoke(b);
        var path = Path.Combine(folder, $"{prefix}-{number:D5}-of-{count:D5}.gguf");
        File.WriteAllBytes(path, b.Build().Bytes());
        return path;
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void AnyPart_ReadsAllThreeParts_MetadataFromTheFirst(int given)
    {
        var paths = Enumerable.Range(1, 3).Select(n => WritePart(n, 3)).ToArray();
        var file = GgufReader.ReadPath(paths[given - 1]);

        Assert.Equal(paths, file.Files.ToArray());
        Assert.Equal(paths[0], file.File);
        Assert.Equal("split-test", file.GetString("general.name"));
        Assert.Equal(
            ["blk.1.attn_q.weight", "blk.1.ffn_norm.weight", "blk.2.attn_q.weight", "blk.2.ffn_norm.weight", "blk.3.attn_q.weight", "blk.3.ffn_norm.weight"],
            file.Tensors.Select(t => t.Name).ToArray());
        Assert.Equal([paths[0], paths[0], paths[1], paths[1], paths[2], paths[2]], file.Tensors.Select(t => t.File).ToArray());
        var weights = file.ToStoredWeights();
        Assert.Equal(3, weights.Files.Length);
        // Q4_K [256, 4]: 144 B a row × 4 = 576 B; F32 [256]: 1,024 B; three parts.
        Assert.Equal(3 * (576 + 1024), weights.TensorBytes.Bytes);
        Assert.Contains("Split model: 3 parts, 6 tensors.", weights.Notes);
    }

    [Fact]
    public void MissingPart_IsAClearError()
    {
        var first = WritePart(1, 3);
        WritePart(3, 3);

        var error = Assert.Throws<ModelFormatException>(() => GgufReader.ReadPath(first));

        Assert.Equal(Path.Combine(folder, "model-00002-of-00003.gguf"), error.File);
        Assert.Contains("part 2 of 3 is missing: a split model needs every part next to model-00001-of-00003.gguf.", error.Message);
    }

    [Fact]
    public void PartWithTheWrongSplitNumber_IsRefused()
    {
        var first = WritePart(1, 2);
        WritePart(2, 2, splitNumber: 0);

        var error = Assert.Throws<ModelFormatException>(() => GgufReader.ReadPath(first));

        Assert.Contains("metadata 'split.no' is 0, but the file is named as part 2 (split.no counts from 0, so it should be 1).", error.Message);
    }

    [Fact]
    public void PartsHoldingFewerTensorsThanSplitTensorsCount_AreRefused()
    {
        var first = WritePart(1, 2, tensorsInAll: 5);
        WritePart(2, 2, tensorsInAll: 5);

        var error = Assert.Throws<ModelFormatException>(() => GgufReader.ReadPath(first));

        Assert.Contains("metadata 'split.tensors.count' is 5 but the 2 parts hold 4 tensors.", error.Message);
    }

    [Fact]
    public void TensorInTwoParts_IsRefused()
    {
        var first = WritePart(1, 2);
        WritePart(2, 2, vary: b => b.Tensor("blk.1.ffn_norm.weight", DataType.Fp32, 256));

        var error = Assert.Throws<ModelFormatException>(() => GgufReader.ReadPath(first));

        Assert.Contains("tensor 'blk.1.ffn_norm.weight' is also in model-00001-of-00002.gguf", error.Message);
    }

    [Fact]
    public void SplitCountWithoutASplitName_CannotFindTheOtherParts()
    {
        var path = Path.Combine(folder, "renamed.gguf");
        File.Move(WritePart(1, 2), path);

        var error = Assert.Throws<ModelFormatException>(() => GgufReader.ReadPath(path));

        Assert.Contains("split.count is 2 but the file is not named like part of 2 (name-00001-of-00002.gguf)", error.Message);
    }

    [Fact]
    public void SplitNameWithoutSplitMetadata_IsReadAsOneFile_AndNoted()
    {
        var path = Path.Combine(folder, "single-00001-of-00002.gguf");
        File.WriteAllBytes(path, GgufModels.Tiny().Build().Bytes());

        var file = GgufReader.ReadPath(path);

        Assert.Single(file.Files);
        Assert.Contains(file.Notes, n => n.Contains("no split.count", StringComparison.Ordinal));
    }
}
