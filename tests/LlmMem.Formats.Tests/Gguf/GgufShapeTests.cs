using LlmMem.DataTypes;
using LlmMem.Estimates;
using LlmMem.Formats.Gguf;
using LlmMem.Formulas;
using LlmMem.Models;

namespace LlmMem.Formats.Tests.Gguf;

/// <summary>
/// GGUF metadata and tensor lists read into the same shape as the model's config.json: layer by layer equal, and the
/// parameter count equal to the published figure (the sources are in HuggingFace/ParameterCountTests.cs) and to the sum of
/// the file's own tensor elements.
/// </summary>
public class GgufShapeTests
{
    /// <summary>Each model, its config.json fixture, and its parameter count with the source.</summary>
    public static TheoryData<string, string, long> Models => new()
    {
        { nameof(GgufModels.Llama3_8B), "meta-llama--Meta-Llama-3-8B", 8_030_261_248L }, // keras-hub llama3_8b_en
        { nameof(GgufModels.Mixtral8x7B), "mistralai--Mixtral-8x7B-v0.1", 46_702_792_704L }, // keras-hub mixtral_8_7b_en
        { nameof(GgufModels.Qwen3_30B_A3B), "Qwen--Qwen3-30B-A3B", 30_532_122_624L }, // keras-hub qwen3_moe_30b_a3b_en
        { nameof(GgufModels.Qwen25_05B), "Qwen--Qwen2.5-0.5B", 494_032_768L }, // keras-hub qwen2.5_0.5b_en
        { nameof(GgufModels.Gemma2B), "google--gemma-2b-it", 2_506_172_416L }, // total_size / 2 of its bf16 index
        { nameof(GgufModels.Gemma2_9B), "google--gemma-2-9b", 9_241_705_984L }, // keras-hub gemma2_9b_en
        { nameof(GgufModels.Gemma3_1B), "google--gemma-3-1b-it", 999_885_952L }, // keras-hub gemma3_instruct_1b
        { nameof(GgufModels.Phi3Mini), "microsoft--Phi-3-mini-4k-instruct", 3_821_079_552L }, // keras-hub phi3_mini_4k_instruct_en
        { nameof(GgufModels.Phi2), "microsoft--phi-2", 2_779_683_840L }, // llmem's config.json count, held to the card's "2.7 billion"
        { nameof(GgufModels.CommandR), "CohereForAI--c4ai-command-r-v01", 34_980_831_232L }, // llmem's config.json count, held to the card's "35 billion"
        { nameof(GgufModels.DeepSeekV3), "deepseek-ai--DeepSeek-V3", 671_026_419_200L }, // Fireworks paramCount (no MTP layer)
        { nameof(GgufModels.GptOss20B), "openai--gpt-oss-20b", 20_914_757_184L }, // hf.js gpt-oss-20b test; keras-hub gpt_oss_20b_en
        { nameof(GgufModels.Gpt2), "openai-community--gpt2", 124_439_808L }, // keras-hub gpt2_base_en
        { nameof(GgufModels.BertBase), "google-bert--bert-base-uncased", 109_482_240L - (768 * 768 + 768) }, // keras-hub bert_base_en_uncased less the pooler, which llama.cpp drops
    };

    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, GgufFile> Built = new();

    private static GgufFile Build(string model) => Built.GetOrAdd(model, m =>
        ((GgufBuilder)typeof(GgufModels).GetMethod(m)!.Invoke(null, null)!).Build().Read(m + ".gguf"));

    [Theory]
    [MemberData(nameof(Models))]
    public void Shape_EqualsTheConfigJsonShape_LayerByLayer(string model, string fixture, long _)
    {
        var gguf = GgufShapeReader.Read(Build(model));
        var hf = Fixtures.Read(fixture).Shape!;

        Assert.Equal(hf.Architecture, gguf.Architecture);
        Assert.Equal((hf.HiddenSize, hf.VocabSize, hf.ContextLength, hf.TiedEmbeddings), (gguf.HiddenSize, gguf.VocabSize, gguf.ContextLength, gguf.TiedEmbeddings));
        Assert.Equal((hf.Norm, hf.Embeddings, hf.FinalNorms), (gguf.Norm, gguf.Embeddings, gguf.FinalNorms));
        Assert.Equal(hf.RopeScaling, gguf.RopeScaling);
        Assert.Equal(hf.Layers.Length, gguf.Layers.Length);
        for (var i = 0; i < hf.Layers.Length; i++)
        {
            Assert.Equal(hf.Layers[i], gguf.Layers[i]);
        }
    }

    [Theory]
    [MemberData(nameof(Models))]
    public void ParameterCount_IsThePublishedOne_AndTheSumOfTheFilesTensors(string model, string _, long published)
    {
        var file = Build(model);
        var spec = GgufModel.FromFile(file, model);

        Assert.Equal(published, spec.Parameters.Value);
        Assert.Equal(published, file.Tensors.Sum(t => t.Elements));
        Assert.Same(file.Tensors[0], spec.Stored!.Tensors[0]);
    }

    [Fact]
    public void Llama3_GqaUntied_VocabularyFromTheTokenizer()
    {
        var shape = GgufShapeReader.Read(Build(nameof(GgufModels.Llama3_8B)));

        Assert.Equal((32, 8, 128), (shape.Layers[0].Attention.Heads, shape.Layers[0].Attention.KvHeads, shape.Layers[0].Attention.HeadDim));
        Assert.False(shape.TiedEmbeddings);
        Assert.Equal(128_256, shape.VocabSize);
        Assert.Equal(NormShape.RmsNorm, shape.Norm);
    }

    [Fact]
    public void Qwen3Moe_EveryBlockRoutesTo128Experts_WithPerHeadQkNorms()
    {
        var shape = GgufShapeReader.Read(Build(nameof(GgufModels.Qwen3_30B_A3B)));

        Assert.Equal("qwen3_moe", shape.Architecture);
        Assert.All(shape.Layers, l => Assert.Equal(new MoeShape(128, 8, 768), l.Mlp.Moe));
        Assert.All(shape.Layers, l => Assert.Equal(QkNorm.PerHeadDim, l.Attention.QkNorm));
    }

    [Fact]
    public void Gemma2_EvenLayersSlide_OddLayersAreGlobal_FourNormsAndTied()
    {
        var shape = GgufShapeReader.Read(Build(nameof(GgufModels.Gemma2_9B)));

        Assert.Equal(4096, shape.Layers[0].Attention.SlidingWindow);
        Assert.Equal(AttentionKind.Full, shape.Layers[1].Attention.Kind);
        Assert.Equal(21, shape.Layers.Count(l => l.Attention.Kind == AttentionKind.Sliding));
        Assert.All(shape.Layers, l => Assert.Equal(4, l.Norms));
        Assert.True(shape.TiedEmbeddings);
    }

    [Fact]
    public void DeepSeekV3_LatentAttentionFromTheMlaKeys_ThreeDenseBlocks_ThenExperts()
    {
        var shape = GgufShapeReader.Read(Build(nameof(GgufModels.DeepSeekV3)));

        Assert.Equal("deepseek_v3", shape.Architecture);
        Assert.Equal(new LatentAttentionShape(1536, 512, 128, 64, 128), shape.Layers[0].Attention.Latent);
        Assert.All(shape.Layers.Take(3), l => Assert.Equal(18432, l.Mlp.IntermediateSize));
        Assert.All(shape.Layers.Skip(3), l => Assert.Equal(new MoeShape(256, 8, 2048, 2048, RouterBias: true), l.Mlp.Moe));
    }

    [Fact]
    public void DeepSeekV2Lite_OlderKeys_NoQueryRank_NoCorrectionBias()
    {
        // deepseek-ai/DeepSeek-V2-Lite as 2024 conversions wrote it: key_length = nope + rope, q_lora_rank 0.
        var file = new GgufBuilder().Str("general.architecture", "deepseek2").U32("deepseek2.block_count", 27).U32("deepseek2.embedding_length", 2048)
            .U32("deepseek2.context_length", 163_840).U32("deepseek2.attention.head_count", 16).U32("deepseek2.attention.head_count_kv", 16)
            .U32("deepseek2.attention.key_length", 192).U32("deepseek2.attention.value_length", 128).U32("deepseek2.attention.q_lora_rank", 0)
            .U32("deepseek2.attention.kv_lora_rank", 512).U32("deepseek2.rope.dimension_count", 64).U32("deepseek2.feed_forward_length", 10944)
            .U32("deepseek2.leading_dense_block_count", 1).U32("deepseek2.expert_count", 64).U32("deepseek2.expert_used_count", 6)
            .U32("deepseek2.expert_shared_count", 2).U32("deepseek2.expert_feed_forward_length", 1408).U32("deepseek2.vocab_size", 102_400)
            .Tensor("blk.0.attn_norm.weight", DataType.Fp32, 2048).Tensor("blk.0.ffn_norm.weight", DataType.Fp32, 2048)
            .Tensor("output.weight", DataType.Fp16, 2048, 102_400).Build().Read();

        var shape = GgufShapeReader.Read(file);

        Assert.Equal("deepseek_v2", shape.Architecture);
        // No key_length_mla: llama.cpp runs it without MLA, caching per-head K and V (gt014's log: 16 × 192 K, 16 × 128 V per cell).
        Assert.Equal(new LatentAttentionShape(null, 512, 128, 64, 128, LegacyGguf: true), shape.Layers[0].Attention.Latent);
        Assert.Null(shape.Layers[0].Mlp.Moe);
        Assert.Equal(new MoeShape(64, 6, 1408, 2816), shape.Layers[1].Mlp.Moe);
    }

    [Fact]
    public void GptOss_SinksBiasesAndAWindowOnEvenLayers_FromTheTensorList()
    {
        var shape = GgufShapeReader.Read(Build(nameof(GgufModels.GptOss20B)));
        var attention = shape.Layers[0].Attention;

        Assert.True(attention.Sinks);
        Assert.Equal(ProjectionBias.All, attention.Bias);
        Assert.Equal(128, attention.SlidingWindow);
        Assert.Null(shape.Layers[1].Attention.SlidingWindow);
        Assert.Equal(new MoeShape(32, 4, 2880, RouterBias: true, ExpertBias: true), shape.Layers[0].Mlp.Moe);
    }

    [Fact]
    public void Llama31_RopeFreqsTensor_MeansLlama3RopeScaling()
    {
        // Llama 3.1's scaled RoPE is written as a rope_freqs tensor (one factor per rotary pair), not as rope.scaling.type.
        var file = Tiny(b => b.Tensor("rope_freqs.weight", DataType.Fp32, 32)).Read();

        Assert.Equal("llama3", GgufShapeReader.Read(file).RopeScaling);
    }

    [Fact]
    public void KvHeadsAsAPerLayerArray_AreStoredPerLayer()
    {
        var file = Tiny(b => b.Array("llama.attention.head_count_kv", GgufValueType.UInt32, [2u, 4u, 1u])).Read();

        Assert.Equal([2, 4, 1], GgufShapeReader.Read(file).Layers.Select(l => l.Attention.KvHeads).ToArray());
    }

    [Fact]
    public void ALayerWithoutKvHeads_IsAHybridModel_AndRefused()
    {
        var file = Tiny(b => b.Array("llama.attention.head_count_kv", GgufValueType.UInt32, [2u, 0u, 2u])).Read();

        var error = Assert.Throws<ModelFormatException>(() => GgufShapeReader.Read(file));

        Assert.Contains("layer 1 has no attention heads (llama.attention.head_count_kv): a recurrent or attention-free layer (a hybrid model)", error.Message);
    }

    [Fact]
    public void BiasesAndNormKind_AreInferredFromTheTensorList()
    {
        var file = Tiny(b => b.Tensor("blk.0.attn_q.bias", DataType.Fp32, 256).Tensor("blk.0.attn_k.bias", DataType.Fp32, 128)).Read();

        Assert.Equal(ProjectionBias.Qkv, GgufShapeReader.Read(file).Layers[0].Attention.Bias);
    }

    [Fact]
    public void Gemma3_FiveOfSixLayersSlide_ByDefault_OrAsThePatternKeySays()
    {
        GgufBuilder Gemma3(Action<GgufBuilder>? vary = null)
        {
            var b = new GgufBuilder().Str("general.architecture", "gemma3").U32("gemma3.block_count", 12).U32("gemma3.embedding_length", 1152)
                .U32("gemma3.context_length", 32768).U32("gemma3.attention.head_count", 4).U32("gemma3.attention.head_count_kv", 1)
                .U32("gemma3.attention.key_length", 256).U32("gemma3.feed_forward_length", 6912).U32("gemma3.attention.sliding_window", 512)
                .U32("gemma3.vocab_size", 262_144);
            vary?.Invoke(b);
            return b;
        }

        var byDefault = GgufShapeReader.Read(Gemma3().Build().Read());
        var byKey = GgufShapeReader.Read(Gemma3(b => b.U32("gemma3.attention.sliding_window_pattern", 4)).Build().Read());

        Assert.Equal("gemma3_text", byDefault.Architecture);
        Assert.Equal([5, 11], Full(byDefault));
        Assert.Equal([3, 7, 11], Full(byKey));
        static int[] Full(ModelShape s) => [.. s.Layers.Select((l, i) => (l, i)).Where(x => x.l.Attention.SlidingWindow is null).Select(x => x.i)];
    }

    [Fact]
    public void QuantisedFile_ReportsFp16AsItsDtype_AndItsQuantisation()
    {
        var notes = new List<EstimateWarning>();
        var shape = GgufShapeReader.Read(Build(nameof(GgufModels.Llama3_8B)), notes);

        Assert.Equal(DataType.Fp16, shape.StoredDtype);
        Assert.Contains(notes, n => n.Code == "gguf_dequantised_dtype" && n.Message.Contains("Q4_K_M", StringComparison.Ordinal));
        Assert.Equal("gguf", shape.Quantization!.Method);
        Assert.Equal(DataType.Q4_K, shape.Quantization.WeightType);
        Assert.Equal(["embeddings", "attention", "mlp", "lm_head"], shape.Quantization.QuantisedComponents.ToArray());
    }

    [Theory]
    [InlineData(0u, "fp32")] // LLAMA_FTYPE_ALL_F32
    [InlineData(1u, "fp16")] // LLAMA_FTYPE_MOSTLY_F16
    [InlineData(32u, "bf16")] // LLAMA_FTYPE_MOSTLY_BF16
    public void UnquantisedFile_ReportsItsFileType(uint fileType, string dtype)
    {
        var file = Tiny(b => b.U32("general.file_type", fileType)).Read();

        Assert.Equal(dtype, GgufShapeReader.Read(file).StoredDtype.Name);
    }

    [Theory]
    [InlineData("mamba", "architecture 'mamba' is a recurrent or linear-attention (hybrid) model")]
    [InlineData("qwen3next", "architecture 'qwen3next' is a recurrent or linear-attention (hybrid) model")]
    [InlineData("t5", "unsupported architecture 't5'. Supported: bert, command-r, deepseek2, gemma, gemma2, gemma3, gpt-oss, gpt2, llama, phi2, phi3, qwen2, qwen3, qwen3moe.")]
    public void OtherArchitectures_AreRefused_ListingTheSupportedOnes(string architecture, string message)
    {
        var file = new GgufBuilder().Str("general.architecture", architecture).Build().Read();

        Assert.Contains(message, Assert.Throws<ModelFormatException>(() => GgufShapeReader.Read(file)).Message);
    }

    [Fact]
    public void MissingHyperparameter_NamesTheKey()
    {
        var file = new GgufBuilder().Str("general.architecture", "qwen2").U32("qwen2.embedding_length", 896).Build().Read();

        Assert.Equal("test.gguf: a qwen2 GGUF needs 'qwen2.block_count', which is missing.",
            Assert.Throws<ModelFormatException>(() => GgufShapeReader.Read(file)).Message);
    }

    private static GgufImage Tiny(Action<GgufBuilder> vary)
    {
        var b = new GgufBuilder().Str("general.architecture", "llama").U32("llama.block_count", 3).U32("llama.embedding_length", 256)
            .U32("llama.context_length", 4096).U32("llama.feed_forward_length", 512).U32("llama.attention.head_count", 4).U32("llama.vocab_size", 1000)
            .Tensor("blk.0.attn_norm.weight", DataType.Fp32, 256).Tensor("blk.0.ffn_norm.weight", DataType.Fp32, 256);
        vary(b);
        return b.Build();
    }
}
