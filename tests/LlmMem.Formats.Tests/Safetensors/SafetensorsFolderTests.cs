using LlmMem.Formats.Safetensors;

namespace LlmMem.Formats.Tests.Safetensors;

/// <summary>Checkpoint folders: sharded with model.safetensors.index.json, one file, several files, none.</summary>
public class SafetensorsFolderTests
{
    // Two shards as save_pretrained writes them: embedding and layer 0 in the first, layer 1 and the norm in the second.
    private static readonly SafetensorsBuilder Shard1 = new SafetensorsBuilder().Meta("format", "pt")
        .Add("model.embed_tokens.weight", "BF16", 1000, 64).Add("model.layers.0.mlp.down_proj.weight", "BF16", 64, 256);

    private static readonly SafetensorsBuilder Shard2 = new SafetensorsBuilder().Meta("format", "pt")
        .Add("model.layers.1.mlp.down_proj.weight", "BF16", 64, 256).Add("model.norm.weight", "F32", 64);

    private const string Name1 = "model-00001-of-00002.safetensors";
    private const string Name2 = "model-00002-of-00002.safetensors";

    // 1000 × 64 × 2 + 64 × 256 × 2 + 64 × 256 × 2 + 64 × 4 = 128,000 + 32,768 + 32,768 + 256.
    private const long TotalBytes = 193_792;

    private static string Index(long totalSize, string extraEntries = "") => $$"""
        {
          "metadata": {"total_size": {{totalSize}}},
          "weight_map": {
            {{extraEntries}}"model.embed_tokens.weight": "{{Name1}}",
            "model.layers.0.mlp.down_proj.weight": "{{Name1}}",
            "model.layers.1.mlp.down_proj.weight": "{{Name2}}",
            "model.norm.weight": "{{Name2}}"
          }
        }
        """;

    private static TempFolder Sharded(string index)
    {
        var folder = new TempFolder();
        Shard1.WriteTo(folder.File(Name1));
        Shard2.WriteTo(folder.File(Name2));
        folder.Write(SafetensorsIndex.FileName, index);
        return folder;
    }

    [Fact]
    public void ShardedFolder_ReadsEveryShardInOrder_WithoutNotes()
    {
        using var folder = Sharded(Index(TotalBytes));

        var weights = SafetensorsReader.ReadFolder(folder.Path)!;

        Assert.Equal([folder.File(Name1), folder.File(Name2)], weights.Files.ToArray());
        Assert.Equal(["model.embed_tokens.weight", "model.layers.0.mlp.down_proj.weight", "model.layers.1.mlp.down_proj.weight", "model.norm.weight"],
            weights.Tensors.Select(t => t.Name));
        Assert.Equal([Name1, Name1, Name2, Name2], weights.Tensors.Select(t => Path.GetFileName(t.File)));
        Assert.Equal(TotalBytes, weights.TensorBytes.Bytes);
        Assert.Empty(weights.Notes);
    }

    [Fact]
    public void IndexWhoseTotalSizeDisagrees_GivesANoteWithBothNumbers()
    {
        using var folder = Sharded(Index(200_000));

        var weights = SafetensorsReader.ReadFolder(folder.Path)!;

        Assert.Equal(
            "model.safetensors.index.json gives metadata.total_size 200,000 bytes, but the shards' tensors hold 193,792 bytes (−6,208).",
            Assert.Single(weights.Notes));
        Assert.Equal(TotalBytes, weights.TensorBytes.Bytes);
    }

    [Fact]
    public void IndexWithAFloatTotalSize_IsReadAsWhole()
    {
        using var folder = Sharded(Index(TotalBytes).Replace("193792", "193792.0", StringComparison.Ordinal));

        Assert.Empty(SafetensorsReader.ReadFolder(folder.Path)!.Notes);
    }

    [Fact]
    public void IndexListingATensorNoShardHolds_IsRefused()
    {
        using var folder = Sharded(Index(TotalBytes, $"\"lm_head.weight\": \"{Name2}\",\n    "));

        var error = Assert.Throws<ModelFormatException>(() => SafetensorsReader.ReadFolder(folder.Path));

        Assert.Equal(folder.File(SafetensorsIndex.FileName), error.File);
        Assert.Contains($"weight_map puts tensor 'lm_head.weight' in shard '{Name2}', which does not hold it; no shard does.", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ShardTensorsTheIndexDoesNotList_AreCounted_WithANote()
    {
        var index = Index(TotalBytes);
        var withoutNorm = index.Replace($",\n    \"model.norm.weight\": \"{Name2}\"", "", StringComparison.Ordinal);
        Assert.NotEqual(index, withoutNorm);
        using var folder = Sharded(withoutNorm);

        var weights = SafetensorsReader.ReadFolder(folder.Path)!;

        Assert.Equal(4, weights.Tensors.Length);
        Assert.Equal("the shards hold 1 tensors that model.safetensors.index.json does not list (first: 'model.norm.weight'); they are counted.",
            Assert.Single(weights.Notes));
    }

    [Fact]
    public void TensorListedInTheWrongShard_IsCountedWhereItIs_WithANote()
    {
        using var folder = Sharded(Index(TotalBytes).Replace($"\"model.norm.weight\": \"{Name2}\"", $"\"model.norm.weight\": \"{Name1}\"", StringComparison.Ordinal));

        var weights = SafetensorsReader.ReadFolder(folder.Path)!;

        Assert.Contains("(first: 'model.norm.weight' is listed in 'model-00001-of-00002.safetensors' but stored in 'model-00002-of-00002.safetensors')",
            Assert.Single(weights.Notes), StringComparison.Ordinal);
    }

    [Fact]
    public void SafetensorsFileTheIndexDoesNotName_IsNotRead_WithANote()
    {
        // Mistral's repositories keep consolidated.safetensors (the same weights, other names) beside the shards.
        using var folder = Sharded(Index(TotalBytes));
        new SafetensorsBuilder().Add("tok_embeddings.weight", "BF16", 1000, 64).WriteTo(folder.File("consolidated.safetensors"));

        var weights = SafetensorsReader.ReadFolder(folder.Path)!;

        Assert.Equal(4, weights.Tensors.Length);
        Assert.Equal("consolidated.safetensors is in the folder but not in model.safetensors.index.json; it was not read.", Assert.Single(weights.Notes));
    }

    [Fact]
    public void IndexNamingAMissingShard_IsRefused()
    {
        using var folder = Sharded(Index(TotalBytes));
        File.Delete(folder.File(Name2));

        var error = Assert.Throws<ModelFormatException>(() => SafetensorsReader.ReadFolder(folder.Path));

        Assert.Contains($"weight_map puts tensor 'model.layers.1.mlp.down_proj.weight' in shard '{Name2}', which is not in the folder.", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("\"weight_map\"", "\"weights\"", "the index has no \"weight_map\"")]
    [InlineData($"\"model.norm.weight\": \"{Name2}\"", "\"model.norm.weight\": \"../../etc/passwd\"", "weight_map: tensor 'model.norm.weight' names shard '../../etc/passwd', which is not a plain file name in the index's folder.")]
    [InlineData($"\"model.norm.weight\": \"{Name2}\"", "\"model.norm.weight\": \"/dev/zero\"", "which is not a plain file name")]
    [InlineData($"\"model.norm.weight\": \"{Name2}\"", "\"model.norm.weight\": \"..\"", "which is not a plain file name")]
    [InlineData($"\"model.norm.weight\": \"{Name2}\"", "\"model.norm.weight\": 2", "weight_map: tensor 'model.norm.weight' must name a shard file, not the number '2'.")]
    [InlineData($"\"model.norm.weight\": \"{Name2}\"", $"\"model.norm.weight\": \"{Name2}\", \"model.norm.weight\": \"{Name2}\"", "\"weight_map\" lists 'model.norm.weight' twice.")]
    [InlineData("193792", "\"193792\"", "metadata.total_size must be a whole number of bytes, not a string.")]
    [InlineData("193792", "-1", "metadata.total_size must be a whole number of bytes, not the number '-1'.")]
    [InlineData("{\"total_size\": 193792}", "[]", "\"metadata\" must be a JSON object, not an array.")]
    [InlineData("\n}", "\n},", "the index is not valid JSON")]
    public void BrokenIndex_IsRefusedWithItsReason(string find, string replace, string message)
    {
        var index = Index(TotalBytes);
        Assert.Contains(find, index, StringComparison.Ordinal);
        using var folder = Sharded(index.Replace(find, replace, StringComparison.Ordinal));

        var error = Assert.Throws<ModelFormatException>(() => SafetensorsReader.ReadFolder(folder.Path));

        Assert.Equal(folder.File(SafetensorsIndex.FileName), error.File);
        Assert.Contains(message, error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', error.Message);
    }

    [Fact]
    public void EmptyWeightMap_IsRefused() =>
        Assert.Contains("the index's \"weight_map\" is empty", Assert.Throws<ModelFormatException>(() => SafetensorsIndex.Parse("{\"weight_map\": {}}"u8, "i.json")).Message, StringComparison.Ordinal);

    [Fact]
    public void IndexShards_AreEachNamedOnceInOrder()
    {
        var index = SafetensorsIndex.Parse("{\"weight_map\": {\"b\": \"2.safetensors\", \"a\": \"1.safetensors\", \"c\": \"2.safetensors\"}}"u8, "i.json");

        Assert.Equal(["1.safetensors", "2.safetensors"], index.Shards.ToArray());
        Assert.Null(index.TotalSize);
        Assert.Equal(["b", "a", "c"], index.WeightMap.Select(p => p.Key));
    }

    [Fact]
    public void RandomEditsOfAnIndex_OnlyEverThrowModelFormatException()
    {
        var random = new Random(20_250_602);
        var valid = Index(TotalBytes);
        const string Alphabet = "{}[]\",:0123456789-.eE \\u/";
        var refused = 0;
        for (var i = 0; i < 2000; i++)
        {
            var text = new System.Text.StringBuilder(valid);
            for (var edits = random.Next(1, 3); edits > 0; edits--)
            {
                var at = random.Next(text.Length);
                if (random.Next(2) == 0)
                {
                    text[at] = Alphabet[random.Next(Alphabet.Length)];
                }
                else
                {
                    text.Remove(at, 1);
                }
            }

            try
            {
                SafetensorsIndex.Parse(System.Text.Encoding.UTF8.GetBytes(text.ToString()), "i.json");
            }
            catch (ModelFormatException e)
            {
                Assert.DoesNotContain('\n', e.Message);
                refused++;
            }
        }

        Assert.True(refused > 500, $"{refused} refused (many edits only touch indentation)");
    }

    [Fact]
    public void FolderWithOneFileAndNoIndex_ReadsIt()
    {
        using var folder = new TempFolder();
        Shard1.WriteTo(folder.File("model.safetensors"));
        folder.Write("config.json", "{}");

        var weights = SafetensorsReader.ReadFolder(folder.Path)!;

        Assert.Equal([folder.File("model.safetensors")], weights.Files.ToArray());
        Assert.Equal(2, weights.Tensors.Length);
        Assert.Empty(weights.Notes);
    }

    [Fact]
    public void FolderWithSeveralFilesAndNoIndex_ReadsThemAll_WithANote()
    {
        using var folder = new TempFolder();
        Shard2.WriteTo(folder.File(Name2));
        Shard1.WriteTo(folder.File(Name1));

        var weights = SafetensorsReader.ReadFolder(folder.Path)!;

        Assert.Equal(TotalBytes, weights.TensorBytes.Bytes);
        Assert.Equal("model.embed_tokens.weight", weights.Tensors[0].Name);
        Assert.Equal("2 .safetensors files and no model.safetensors.index.json: all of them are read as one checkpoint.", Assert.Single(weights.Notes));
    }

    [Fact]
    public void SameTensorInTwoFiles_IsRefused_NotCountedTwice()
    {
        using var folder = new TempFolder();
        Shard1.WriteTo(folder.File("a.safetensors"));
        Shard1.WriteTo(folder.File("b.safetensors"));

        var error = Assert.Throws<ModelFormatException>(() => SafetensorsReader.ReadFolder(folder.Path));

        Assert.Equal(folder.File("b.safetensors"), error.File);
        Assert.Contains("tensor 'model.embed_tokens.weight' is also stored in a.safetensors; a checkpoint stores each tensor once", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void FolderWithoutSafetensors_IsNull()
    {
        using var folder = new TempFolder();
        folder.Write("config.json", "{}");

        Assert.Null(SafetensorsReader.ReadFolder(folder.Path));
    }

    [Fact]
    public void BrokenShard_NamesTheShard()
    {
        using var folder = Sharded(Index(TotalBytes));
        File.WriteAllBytes(folder.File(Name2), new byte[4]);

        var error = Assert.Throws<ModelFormatException>(() => SafetensorsReader.ReadFolder(folder.Path));

        Assert.Equal(folder.File(Name2), error.File);
        Assert.Contains("the file is 4 bytes, too short", error.Message, StringComparison.Ordinal);
    }
}
