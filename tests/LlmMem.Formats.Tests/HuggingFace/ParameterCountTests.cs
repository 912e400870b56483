using LlmMem.Models;

namespace LlmMem.Formats.Tests.HuggingFace;

/// <summary>
/// Every fixture's parameter count against independent published figures. Exact counts: KerasHub preset "params"
/// (keras-team/keras-hub keras_hub/src/models/*/*_presets.py), Hugging Face's safetensors parser tests
/// (huggingface.js parse-safetensors-metadata.spec.ts), Ollama general.parameter_count, library tests
/// (GPTQModel test_parameter_count.py, compressed-tensors). Stated figures: model cards, as listed in data/hf-configs/INDEX.md.
/// </summary>
public class ParameterCountTests
{
    [Theory]
    [InlineData("meta-llama--Llama-2-7b-hf", 6_738_415_616L, "7B")] // keras-hub llama2_7b_en
    [InlineData("meta-llama--Llama-2-70b-hf", 68_976_648_192L, "70B")] // Together fine-tune size table; Megatron-DeepSpeed AuroraGPT note
    [InlineData("meta-llama--Meta-Llama-3-8B", 8_030_261_248L, "8B")] // keras-hub llama3_8b_en; total_size / 2 of its bf16 index
    [InlineData("meta-llama--Meta-Llama-3-70B", 70_553_706_496L, "70B")] // total_size / 2 of its bf16 index
    [InlineData("meta-llama--Llama-3.1-8B", 8_030_261_248L, "8B")] // keras-hub llama3.1_8b; Hub safetensors.total
    [InlineData("meta-llama--Llama-3.1-8B-Instruct", 8_030_261_248L, "8B")] // same shape as the base (keras-hub llama3.1_8b)
    [InlineData("meta-llama--Llama-3.1-70B", 70_553_706_496L, "70B")] // Hub safetensors.total; hf.js (Llama-3.3-70B w4a16 unpacked)
    [InlineData("meta-llama--Llama-3.1-405B", 405_853_388_800L, "405B")] // Hub safetensors.total
    [InlineData("meta-llama--Llama-3.2-1B-Instruct", 1_235_814_400L, "1.23B")] // GPTQModel LLAMA_3_2_1B_PARAMETER_COUNT
    [InlineData("meta-llama--Llama-3.2-3B-Instruct", 3_212_749_824L, "3.21B")] // Hub safetensors.total
    [InlineData("mistralai--Mistral-7B-v0.1", 7_241_732_096L, "7B")] // keras-hub mistral_7b_en; total_size / 2
    [InlineData("mistralai--Mixtral-8x7B-v0.1", 46_702_792_704L, "46.7B")] // keras-hub mixtral_8_7b_en; Mistral's 46.7B
    [InlineData("Qwen--Qwen2.5-0.5B", 494_032_768L, "0.49B")] // keras-hub qwen2.5_0.5b_en
    [InlineData("Qwen--Qwen2.5-1.5B", 1_543_714_304L, "1.54B")] // Hub safetensors.total of -Instruct (same shape)
    [InlineData("Qwen--Qwen2.5-7B", 7_615_616_512L, "7.61B")] // Ollama qwen2 7.6B; keras-hub qwen2.5_math_7b_en (same shape)
    [InlineData("Qwen--Qwen2.5-7B-Instruct", 7_615_616_512L, "7.61B")] // Hub safetensors.total
    [InlineData("Qwen--Qwen2.5-32B", 32_763_876_352L, null)] // Ollama qwen2.5:32b (the card's "32.5B" matches no tensor count)
    [InlineData("Qwen--Qwen2.5-32B-Instruct", 32_763_876_352L, null)] // keras-hub qwen2.5_instruct_32b_en
    [InlineData("Qwen--Qwen2.5-72B-Instruct", 72_706_203_648L, "72.7B")] // keras-hub qwen2.5_instruct_72b_en
    [InlineData("Qwen--Qwen3-0.6B", 596_049_920L, "0.6B")] // compressed-tensors: model.num_parameters() == 596049920
    [InlineData("Qwen--Qwen3-8B", 8_190_735_360L, "8B")] // keras-hub qwen3_8b_en
    [InlineData("Qwen--Qwen3-14B", 14_768_307_200L, "14B")] // keras-hub qwen3_14b_en
    [InlineData("Qwen--Qwen3-32B", 32_762_123_264L, "32B")] // keras-hub qwen3_32b_en
    [InlineData("Qwen--Qwen3-30B-A3B", 30_532_122_624L, "30B")] // keras-hub qwen3_moe_30b_a3b_en
    [InlineData("Qwen--Qwen3-235B-A22B", 235_093_634_560L, "235B")] // keras-hub qwen3_moe_235b_a22b_en; Hub safetensors.total
    [InlineData("Qwen--Qwen3-235B-A22B-FP8", 235_093_634_560L, "235B")] // the same weights in fp8; the block scales are not parameters
    [InlineData("google--gemma-2-9b", 9_241_705_984L, "9B")] // keras-hub gemma2_9b_en
    [InlineData("google--gemma-3-1b-it", 999_885_952L, "1B")] // keras-hub gemma3_instruct_1b
    [InlineData("microsoft--Phi-3-mini-4k-instruct", 3_821_079_552L, "3.8B")] // keras-hub phi3_mini_4k_instruct_en
    [InlineData("microsoft--phi-4", 14_659_507_200L, "14B")] // Hub safetensors.total
    [InlineData("deepseek-ai--DeepSeek-V3", 671_026_419_200L, "671B")] // Fireworks paramCount; header audit without MTP and scales
    [InlineData("deepseek-ai--DeepSeek-R1", 671_026_419_200L, "671B")]
    [InlineData("openai--gpt-oss-20b", 20_914_757_184L, "21B")] // hf.js gpt-oss-20b test; keras-hub gpt_oss_20b_en
    [InlineData("openai--gpt-oss-120b", 116_829_156_672L, "117B")] // Ollama general.parameter_count of gpt-oss:120b
    [InlineData("openai-community--gpt2", 124_439_808L, "124M")] // keras-hub gpt2_base_en
    [InlineData("google-bert--bert-base-uncased", 109_482_240L, "110M")] // keras-hub bert_base_en_uncased (BertModel)
    [InlineData("TinyLlama--TinyLlama-1.1B-Chat-v1.0", 1_100_048_384L, "1.1B")] // llama.cpp model_n_params of its GGUF
    [InlineData("HuggingFaceTB--SmolLM2-135M", 134_515_008L, "135M")] // Hub safetensors.total of -Instruct (same shape)
    [InlineData("01-ai--Yi-1.5-34B", 34_388_917_248L, "34B")] // model-metadata reports of the Yi-34B shape; Yi-1.5 README "34B"
    public void Total_MatchesPublishedCounts(string fixture, long exact, string? stated)
    {
        var model = Fixtures.Read(fixture);

        Assert.Equal(exact, model.Parameters.Value);
        if (stated is not null)
        {
            Assert.True(StatedFigure.Agrees(model.Parameters.Value, stated), $"{model.Parameters.Value:N0} vs stated {stated}");
        }
    }

    [Fact]
    public void Qwen3_TiedHead_IsCountedOnce_ThoughTheCheckpointStoresItTwice()
    {
        var model = Fixtures.Read("Qwen--Qwen3-0.6B");

        Assert.Equal(0, model.Breakdown!["lm_head"]);
        // The stored-tensor sum (Hub safetensors.total, llama.cpp) is 751,632,384: the tied 151,936 × 1,024 head saved again.
        Assert.Equal(751_632_384L, model.Parameters.Value + model.Breakdown["embeddings"]);
    }

    [Theory]
    [InlineData("mistralai--Mixtral-8x7B-v0.1", "12.9B", 12_879_925_248L)] // Mistral: 12.9B active; a named_parameters() recount gives 12,879,925,248
    [InlineData("Qwen--Qwen3-30B-A3B", "3B", 3_353_032_704L)] // Qwen: "A3B", 3.3B activated; header-derived recounts give 3,353,032,704
    [InlineData("Qwen--Qwen3-235B-A22B", "22B", null)] // Qwen: "A22B", 22B activated
    [InlineData("Qwen--Qwen3-235B-A22B-FP8", "22B", null)]
    [InlineData("deepseek-ai--DeepSeek-V3", "37B", null)] // DeepSeek: 37B activated
    public void Active_MatchesPublishedFigures(string fixture, string stated, long? recount)
    {
        var model = Fixtures.Read(fixture);

        Assert.True(StatedFigure.Agrees(model.Breakdown!.Active.Value, stated), $"{model.Breakdown.Active.Value:N0} vs {stated}");
        if (recount is { } exact)
        {
            Assert.Equal(exact, model.Breakdown.Active.Value);
        }
    }

    [Theory]
    [InlineData("openai--gpt-oss-20b", "3.6B")]
    [InlineData("openai--gpt-oss-120b", "5.1B")]
    public void GptOss_ActiveWithoutTheInputEmbedding_IsOpenAIsFigure(string fixture, string stated)
    {
        // OpenAI's "3.6B active" / "5.1B active" leave out the token embedding (a lookup); llmem's active count includes it,
        // as DeepSeek's does.
        var model = Fixtures.Read(fixture);
        var withoutEmbedding = model.Breakdown!.Active.Value - model.Breakdown["embeddings"];

        Assert.True(StatedFigure.Agrees(withoutEmbedding, stated), $"{withoutEmbedding:N0}");
    }

    [Fact]
    public void DeepSeekV3_MtpLayer_ExplainsTheHubsLargerTotal()
    {
        var model = Fixtures.Read("deepseek-ai--DeepSeek-V3");
        var mtp = model.Breakdown!.Components.Single(c => c.Name == "mtp");

        Assert.False(mtp.Loaded);
        // Hub safetensors.total of the checkpoint: BF16 3,918,786,560 + F8_E4M3 680,571,043,840 + F32 41,555,600 = 684,531,386,000.
        // The F32 tensors are the fp8 block scales and the 59 MoE layers' 256-entry e_score_correction_bias (15,104 values).
        const long bf16AndFp8 = 3_918_786_560L + 680_571_043_840L;
        Assert.Equal(bf16AndFp8 + 59 * 256, model.Parameters.Value + mtp.Parameters);
        // Active without the token embedding: a third-party recount's 36,625,603,584 plus the 58 main-model correction biases.
        Assert.Equal(36_625_603_584L + 58 * 256, model.Breakdown.Active.Value - model.Breakdown["embeddings"]);
    }

    [Fact]
    public void Bert_IsBertModel_WithItsPooler()
    {
        var model = Fixtures.Read("google-bert--bert-base-uncased");

        Assert.Equal(768L * 768 + 768, model.Breakdown!["pooler"]);
        Assert.Contains(model.Notes, n => n.Code == "encoder_only");
    }
}

/// <summary>Families beyond the shared fixtures, each on a real published config (data/hf-configs/INDEX.md, "Added by llmem").</summary>
public class MoreFamiliesTests
{
    [Theory]
    [InlineData("google--gemma-2b-it", 2_506_172_416L, "2B")] // total_size 5,012,344,832 B / 2 of its bf16 index; Gemma report "2 billion"
    [InlineData("microsoft--phi-2", 2_779_683_840L, "2.7B")] // model card "2.7 billion"
    [InlineData("CohereForAI--c4ai-command-r-v01", 34_980_831_232L, "35B")] // model card "35 billion"
    public void Total_AgreesWithTheModelCard(string fixture, long computed, string stated)
    {
        var model = Fixtures.Read(fixture);

        // gemma-2b's exact figure is independent (its checkpoint index); phi-2's and command-r's are llmem's own count, held to the card.
        Assert.Equal(computed, model.Parameters.Value);
        Assert.True(StatedFigure.Agrees(model.Parameters.Value, stated));
    }

    [Fact]
    public void Gemma3Multimodal_ReadsTheNestedTextConfig_WithGemma3TextDefaults()
    {
        // gemma-3-4b-it's text_config leaves out heads (8), KV heads (4), head_dim (256) and vocab_size (262,208).
        var model = Fixtures.Read("google--gemma-3-4b-it");
        var shape = model.Shape!;

        Assert.Equal("gemma3_text", shape.Architecture);
        Assert.Equal(262_208, shape.VocabSize);
        Assert.Equal(4, shape.Layers[0].Attention.KvHeads);
        Assert.Equal(256, shape.Layers[0].Attention.HeadDim);
        Assert.Contains(model.Notes, n => n.Code == "vision_not_counted");
        // The language model is 3.88B; Google's "4B" includes the 0.4B SigLIP vision encoder.
        Assert.True(StatedFigure.Agrees(model.Parameters.Value, "3.88B"));
    }

    [Fact]
    public void Gemma3_FiveOfSixLayersSlide()
    {
        var layers = Fixtures.Read("google--gemma-3-27b-it").Shape!.Layers;

        Assert.Equal(62, layers.Length);
        Assert.All(layers.Where((_, i) => (i + 1) % 6 != 0), l => Assert.Equal(1024, l.Attention.SlidingWindow));
        Assert.All(layers.Where((_, i) => (i + 1) % 6 == 0), l => Assert.Equal(AttentionKind.Full, l.Attention.Kind));
    }
}
