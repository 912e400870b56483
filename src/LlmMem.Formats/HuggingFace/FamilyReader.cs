using System.Collections.Immutable;
using LlmMem.DataTypes;
using LlmMem.Estimates;
using LlmMem.Formulas;
using LlmMem.Models;

namespace LlmMem.Formats.HuggingFace;

/// <summary>Reads one family's config into a <see cref="ModelShape"/>; the shared parts of every decoder live here.</summary>
internal sealed class FamilyReader(ConfigJson config, ConfigJson outer, string modelType, List<EstimateWarning> notes)
{
    public ConfigJson Config { get; } = config;

    private string Family => modelType;

    /// <summary>The same config, with <paramref name="defaults"/> for the dimensions it omits.</summary>
    public FamilyReader WithDefaults(IReadOnlyDictionary<string, long> defaults) => new(Config.WithDefaults(defaults), outer, modelType, notes);

    /// <summary>A decoder-only transformer: the layout of Llama and its many relatives, varied by <paramref name="rules"/>.</summary>
    public ModelShape Decoder(DecoderRules rules, Func<int, MoeShape?>? experts = null, bool sinks = false)
    {
        var h = Config.Dimension(Family, "hidden_size", "d_model", "n_embd");
        var layers = Config.Count(Family, "num_hidden_layers", "n_layer", "num_layers");
        CheckLayers(layers);
        var heads = Config.Count(Family, "num_attention_heads", "n_head");
        var kvHeads = KvHeads(heads);
        var headDim = Config.OptionalCount("head_dim") ?? checked((int)(h / heads));
        var intermediate = Config.OptionalDimension("intermediate_size", "ffn_hidden_size", "n_inner") ?? checked(4 * h);
        var bias = Config.OptionalBool("attention_bias") == true || Config.OptionalBool("use_bias") == true || Config.OptionalBool("bias") == true
            ? Max(rules.AttentionBias, rules.AttentionBiasFlag)
            : rules.AttentionBias;
        var mlpBias = rules.MlpBias || Config.OptionalBool("mlp_bias") == true;
        var kinds = SlidingWindows(rules, layers);

        var built = ImmutableArray.CreateBuilder<LayerShape>(layers);
        for (var i = 0; i < layers; i++)
        {
            var window = kinds[i];
            var attention = new AttentionShape(window is null ? AttentionKind.Full : AttentionKind.Sliding, heads, kvHeads, headDim, headDim,
                window, bias, rules.QkNorm, sinks);
            var moe = experts?.Invoke(i);
            var mlp = moe is null
                ? new MlpShape(rules.Gated, intermediate, mlpBias)
                : new MlpShape(rules.Gated, 0, mlpBias, moe);
            built.Add(new LayerShape(attention, mlp, rules.NormsPerLayer));
        }

        var extras = ImmutableArray<ExtraComponent>.Empty;
        var vocab = Vocab();
        if (rules.LmHeadBias)
        {
            extras = [new ExtraComponent("lm_head_bias", vocab, true, "the LM head's bias vector (one per vocabulary entry)")];
        }

        return Shape(h, vocab, rules.Norm, new EmbeddingShape(), built.MoveToImmutable(), finalNorms: 1, extras, rules.TiedByDefault);
    }

    /// <summary>
    /// A rule for which layers are MoE and their experts. Qwen-MoE: dense where listed in <c>mlp_only_layers</c> or off the
    /// <c>decoder_sparse_step</c>; others: every layer.
    /// </summary>
    public Func<int, MoeShape?> Experts(string expertsField, string widthField, string? sharedField = null, bool sharedGate = false,
        bool routerBias = false, bool expertBias = false)
    {
        var experts = ExpertCount(expertsField);
        var active = Config.Count(Family, "num_experts_per_tok", "experts_per_token", "num_experts_per_token");
        var width = Config.Dimension(Family, widthField);
        var shared = sharedField is null ? 0 : Config.OptionalNonNegative(sharedField) ?? 0;
        var denseLayers = Config.OptionalIntArray("mlp_only_layers")?.ToHashSet() ?? [];
        var step = Config.OptionalCount("decoder_sparse_step") ?? 1;
        var moe = new MoeShape(experts, Math.Min(active, experts), width, shared, sharedGate && shared > 0, routerBias, expertBias);
        return i => denseLayers.Contains(i) || (i + 1) % step != 0 ? null : moe;
    }

    /// <summary>
    /// DeepSeek-V2/V3 (modeling_deepseek.py): multi-head latent attention; the first <c>first_k_dense_replace</c> layers dense,
    /// then MoE every <c>moe_layer_freq</c> layers with <c>n_shared_experts</c> shared experts; V3's noaux_tc router adds a
    /// per-expert score-correction bias; <c>num_nextn_predict_layers</c> multi-token-prediction layers are stored but not loaded.
    /// </summary>
    public ModelShape DeepSeek()
    {
        var h = Config.Dimension(Family, "hidden_size");
        var layers = Config.Count(Family, "num_hidden_layers");
        CheckLayers(layers);
        var heads = Config.Count(Family, "num_attention_heads");
        var latent = new LatentAttentionShape(
            Config.OptionalCount("q_lora_rank"),
            checked((int)Config.Dimension(Family, "kv_lora_rank")),
            checked((int)Config.Dimension(Family, "qk_nope_head_dim")),
            checked((int)Config.Dimension(Family, "qk_rope_head_dim")),
            checked((int)Config.Dimension(Family, "v_head_dim")));
        var attention = new AttentionShape(AttentionKind.Latent, heads, heads, latent.NopeHeadDim + latent.RopeHeadDim, latent.ValueHeadDim, Latent: latent);
        var dense = new MlpShape(true, Config.Dimension(Family, "intermediate_size"), false);
        var experts = ExpertCount("n_routed_experts");
        var moe = new MoeShape(
            experts,
            Math.Min(Config.Count(Family, "num_experts_per_tok"), experts),
            Config.Dimension(Family, "moe_intermediate_size"),
            SharedIntermediateSize: checked((Config.OptionalNonNegative("n_shared_experts") ?? 0) * Config.Dimension(Family, "moe_intermediate_size")),
            RouterBias: Config.OptionalString("topk_method") == "noaux_tc");
        var firstMoe = Config.OptionalNonNegative("first_k_dense_replace") ?? 0;
        var frequency = Config.OptionalCount("moe_layer_freq") ?? 1;

        var built = ImmutableArray.CreateBuilder<LayerShape>(layers);
        for (var i = 0; i < layers; i++)
        {
            var isMoe = i >= firstMoe && i % frequency == 0;
            built.Add(new LayerShape(attention, isMoe ? new MlpShape(true, 0, false, moe) : dense, 2));
        }

        var vocab = Vocab();
        var extras = ImmutableArray<ExtraComponent>.Empty;
        var mtpLayers = Config.OptionalNonNegative("num_nextn_predict_layers") ?? 0;
        if (mtpLayers > 0)
        {
            // DeepSeek-V3 README §"Multi-Token Prediction" and the checkpoint's model.layers.61.*: one MoE block plus enorm,
            // hnorm, eh_proj (2h × h), shared_head.norm and its own copies of embed_tokens and shared_head.head (V × h).
            var block = ParameterFormulas.Attention(h, attention) + ParameterFormulas.Mlp(h, moe.ExpertIntermediateSize, true, false) * moe.Experts
                + ParameterFormulas.Mlp(h, moe.SharedIntermediateSize, true, false) + moe.Experts * h + (moe.RouterBias ? moe.Experts : 0) + 2 * h;
            var perLayer = checked(block + 3 * h + 2 * h * h + 2 * vocab * h);
            extras = [new ExtraComponent("mtp", checked(mtpLayers * perLayer), false,
                "multi-token-prediction layer: stored in the checkpoint, not loaded for inference")];
        }

        return Shape(h, vocab, NormShape.RmsNorm, new EmbeddingShape(), built.MoveToImmutable(), finalNorms: 1, extras, tiedByDefault: false);
    }

    /// <summary>GPT-2 (modeling_gpt2.py): learned positions (n_positions), LayerNorms with bias, Conv1D projections with biases.</summary>
    public ModelShape Gpt2()
    {
        var h = Config.Dimension(Family, "n_embd", "hidden_size");
        var layers = Config.Count(Family, "n_layer", "num_hidden_layers");
        CheckLayers(layers);
        var heads = Config.Count(Family, "n_head", "num_attention_heads");
        var attention = new AttentionShape(AttentionKind.Full, heads, heads, checked((int)(h / heads)), checked((int)(h / heads)), Bias: ProjectionBias.All);
        var mlp = new MlpShape(false, Config.OptionalDimension("n_inner") ?? checked(4 * h), true);
        var built = Enumerable.Repeat(new LayerShape(attention, mlp, 2), layers).ToImmutableArray();
        var positions = Config.Dimension(Family, "n_positions", "max_position_embeddings");
        return Shape(h, Vocab(), NormShape.LayerNorm, new EmbeddingShape(LearnedPositions: positions), built, finalNorms: 1, [], tiedByDefault: true,
            contextLength: positions);
    }

    /// <summary>BERT (modeling_bert.py, BertModel): word, position and token-type embeddings with a LayerNorm; post-norm blocks; a pooler.</summary>
    public ModelShape Bert()
    {
        var h = Config.Dimension(Family, "hidden_size");
        var layers = Config.Count(Family, "num_hidden_layers");
        CheckLayers(layers);
        var heads = Config.Count(Family, "num_attention_heads");
        var attention = new AttentionShape(AttentionKind.Full, heads, heads, checked((int)(h / heads)), checked((int)(h / heads)), Bias: ProjectionBias.All);
        var mlp = new MlpShape(false, Config.Dimension(Family, "intermediate_size"), true);
        var built = Enumerable.Repeat(new LayerShape(attention, mlp, 2), layers).ToImmutableArray();
        var embeddings = new EmbeddingShape(
            LearnedPositions: Config.Dimension(Family, "max_position_embeddings"),
            TokenTypes: Config.OptionalNonNegative("type_vocab_size") ?? 2,
            Norms: 1);
        ImmutableArray<ExtraComponent> extras = [new ExtraComponent("pooler", checked(h * h + h), true, "BertModel's pooler: a dense layer over the first token")];
        notes.Add(new("encoder_only", "BERT is an encoder: counted as BertModel (with its pooler, without pre-training or task heads).", "model"));
        return Shape(h, Vocab(), NormShape.LayerNorm, embeddings, built, finalNorms: 0, extras, tiedByDefault: true);
    }

    private ModelShape Shape(long h, long vocab, NormShape norm, EmbeddingShape embeddings, ImmutableArray<LayerShape> layers, int finalNorms,
        ImmutableArray<ExtraComponent> extras, bool tiedByDefault, long? contextLength = null)
    {
        var tied = Config.OptionalBool("tie_word_embeddings") ?? outer.OptionalBool("tie_word_embeddings") ?? tiedByDefault;
        var context = contextLength ?? Config.OptionalDimension("max_position_embeddings", "n_positions", "seq_length", "max_sequence_length") ?? 0;
        if (context == 0)
        {
            notes.Add(new("no_context_length", "config.json gives no max_position_embeddings; the context length is unknown.", "context"));
        }

        var dtype = StoredDtype();
        var quantization = QuantizationConfigReader.Read(outer.OptionalObject("quantization_config") ?? Config.OptionalObject("quantization_config"), notes);
        var rope = Config.OptionalObject("rope_scaling") is { } scaling ? scaling.OptionalString("rope_type") ?? scaling.OptionalString("type") : null;
        return new ModelShape(modelType, h, vocab, context, tied, norm, embeddings, layers, finalNorms, extras, dtype, quantization) { RopeScaling = rope };
    }

    private long Vocab() => Config.Dimension(Family, "vocab_size", "padded_vocab_size");

    private int KvHeads(int heads)
    {
        if (Config.OptionalCount("num_key_value_heads", "num_kv_heads", "n_head_kv") is { } kv)
        {
            return kv <= heads && heads % kv == 0
                ? kv
                : throw new ModelFormatException(Config.File, $"num_key_value_heads {kv} does not divide num_attention_heads {heads}.");
        }

        if (Config.OptionalBool("multi_query") == true)
        {
            return 1;
        }

        notes.Add(new("assumed_kv_heads", $"config.json has no num_key_value_heads; assuming full multi-head attention ({heads} KV heads).", "model"));
        return heads;
    }

    private int ExpertCount(string field)
    {
        var experts = Config.Count(Family, field);
        return experts <= ConfigLimits.MaxExperts
            ? experts
            : throw new ModelFormatException(Config.File, $"'{field}' = {experts:N0} experts is absurd.");
    }

    private void CheckLayers(int layers)
    {
        if (layers > ConfigLimits.MaxLayers)
        {
            throw new ModelFormatException(Config.File, $"{layers:N0} layers is absurd (the most accepted is {ConfigLimits.MaxLayers:N0}).");
        }
    }

    /// <summary>The window of each layer (null: full attention), from <c>layer_types</c> when the config lists them, else the family's rule.</summary>
    private long?[] SlidingWindows(DecoderRules rules, int layers)
    {
        var windows = new long?[layers];
        var window = Config.OptionalDimension("sliding_window");
        if (Config.OptionalStringArray("layer_types") is { } types)
        {
            if (types.Count != layers)
            {
                throw new ModelFormatException(Config.File, $"layer_types lists {types.Count} layers but num_hidden_layers is {layers}.");
            }

            for (var i = 0; i < layers; i++)
            {
                if (types[i] is "sliding_attention" or "sliding")
                {
                    windows[i] = window ?? throw Config.Missing(Family, "sliding_window");
                }
                else if (types[i] is not ("full_attention" or "attention" or "global"))
                {
                    throw new ModelFormatException(Config.File, $"layer_types has {ConfigJson.Quote(types[i])}, a layer kind llmem does not model (recurrent or linear attention).");
                }
            }

            return windows;
        }

        if (window is null || rules.Sliding == SlidingRule.None)
        {
            return windows;
        }

        var pattern = Config.OptionalCount("sliding_window_pattern") ?? rules.DefaultSlidingPattern;
        var useQwen = Config.OptionalBool("use_sliding_window") == true;
        var qwenFrom = Config.OptionalNonNegative("max_window_layers") ?? 0;
        for (var i = 0; i < layers; i++)
        {
            var slides = rules.Sliding switch
            {
                SlidingRule.AllLayers => true,
                SlidingRule.EvenLayers => i % 2 == 0,
                SlidingRule.Pattern => (i + 1) % pattern != 0,
                SlidingRule.QwenWindowLayers => useQwen && i >= qwenFrom,
                _ => false,
            };
            windows[i] = slides ? window : null;
        }

        return windows;
    }

    /// <summary><c>torch_dtype</c> (or <c>dtype</c>, its newer name), in the text config or the wrapper.</summary>
    private DataType StoredDtype()
    {
        var text = Config.OptionalString("torch_dtype") ?? Config.OptionalString("dtype") ?? outer.OptionalString("torch_dtype") ?? outer.OptionalString("dtype");
        if (text is null)
        {
            // transformers loads a checkpoint without torch_dtype in fp32; a quantised checkpoint keeps its other tensors in 16 bits.
            var quantised = outer.Has("quantization_config") || Config.Has("quantization_config");
            var assumed = quantised ? DataType.Bf16 : DataType.Fp32;
            notes.Add(new("assumed_dtype", $"config.json gives no torch_dtype; assuming {assumed.Name}.", "dtype"));
            return assumed;
        }

        if (DataType.TryParse(text, out var type, out _) && type.IsPlain && type.Family == DataTypeFamily.Float)
        {
            return type;
        }

        throw new ModelFormatException(Config.File, $"torch_dtype {ConfigJson.Quote(text)} is not a floating-point type llmem knows (float32, float16, bfloat16).");
    }

    private static ProjectionBias Max(ProjectionBias a, ProjectionBias b) => (ProjectionBias)Math.Max((int)a, (int)b);
}
