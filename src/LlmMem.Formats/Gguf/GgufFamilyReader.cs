using System.Collections.Immutable;
using LlmMem.Estimates;
using LlmMem.Models;

namespace LlmMem.Formats.Gguf;

/// <summary>
/// Turns one architecture's GGUF metadata into a <see cref="ModelShape"/>, the same record the config.json reader fills.
/// Dimensions come from the metadata (llama.cpp src/llama-model.cpp, load_hparams); what it leaves unsaid — biases, norms,
/// q/k norms, sinks, a stored LM head — from the tensor list (load_tensors).
/// </summary>
internal sealed class GgufFamilyReader(GgufFile file, string architecture, GgufArchitecture rules, List<EstimateWarning> notes)
{
    private readonly GgufHyperparameters hp = new(file, architecture);
    private readonly GgufTensorNames tensors = new(file);

    public ModelShape Read()
    {
        if (tensors.IsEmpty)
        {
            notes.Add(new("gguf_no_tensors", "The GGUF lists no tensors: biases, norms and tied embeddings follow the architecture's defaults.", "model"));
        }

        return rules.Layout switch
        {
            GgufLayout.DeepSeek2 => DeepSeek2(),
            GgufLayout.Gpt2 => Encoded(gpt2: true),
            GgufLayout.Bert => Encoded(gpt2: false),
            _ => Decoder(),
        };
    }

    /// <summary>Llama and its relatives: per-layer heads and widths, optional experts, the family's sliding-window rule.</summary>
    private ModelShape Decoder()
    {
        var h = hp.Dimension("embedding_length");
        var layers = hp.Layers();
        var (heads, kvHeads) = Heads(layers);
        var keyLength = hp.OptionalDimension("attention.key_length");
        var valueLength = hp.OptionalDimension("attention.value_length");
        var widths = hp.PerLayer("feed_forward_length", layers, allowZero: true);
        var moe = Experts(widths);
        var windows = SlidingWindows(layers);
        var bias = tensors.IsEmpty ? rules.AttentionBias : tensors.AttentionBias();
        var mlpBias = tensors.IsEmpty ? rules.MlpBias : tensors.MlpBias();
        var headDim0 = keyLength ?? HeadDim(h, heads[0]);
        var qkNorm = tensors.IsEmpty ? rules.QkNorm : tensors.QkNorm(headDim0);
        var sinks = tensors.Sinks();
        var norms = NormsPerLayer();

        var built = ImmutableArray.CreateBuilder<LayerShape>(layers);
        for (var i = 0; i < layers; i++)
        {
            var headDim = keyLength ?? HeadDim(h, heads[i]);
            var attention = new AttentionShape(windows[i] is null ? AttentionKind.Full : AttentionKind.Sliding, heads[i], kvHeads[i],
                (int)headDim, (int)(valueLength ?? headDim), windows[i], bias, qkNorm, sinks);
            var isMoe = moe is not null && (tensors.IsEmpty || tensors.InBlock(i, "ffn_gate_inp.weight"));
            var mlp = isMoe
                ? new MlpShape(rules.Gated, 0, mlpBias, moe)
                : new MlpShape(rules.Gated, widths?[i] ?? throw hp.Missing("feed_forward_length"), mlpBias);
            built.Add(new LayerShape(attention, mlp, norms));
        }

        var vocab = Vocab();
        ImmutableArray<ExtraComponent> extras = tensors.Has("output.bias")
            ? [new ExtraComponent("lm_head_bias", vocab, true, "the LM head's bias vector (one per vocabulary entry)")]
            : [];
        var modelType = moe is null ? rules.ModelType : rules.ExpertModelType ?? rules.ModelType;
        return Shape(modelType, h, vocab, tensors.IsEmpty ? rules.Norm : tensors.Norm(rules.Norm), new EmbeddingShape(), built.MoveToImmutable(), 1, extras);
    }

    /// <summary>
    /// DeepSeek-V2/V3 (llama.cpp LLM_ARCH_DEEPSEEK2): multi-head latent attention, <c>leading_dense_block_count</c> dense blocks,
    /// then MoE with <c>expert_shared_count</c> shared experts. Newer conversions state the latent head sizes in
    /// <c>attention.key_length_mla</c> / <c>value_length_mla</c> (key_length then being kv_lora_rank + rope), older ones in key_length / value_length.
    /// V3's score-correction bias (<c>exp_probs_b</c>) marks a V3.
    /// </summary>
    private ModelShape DeepSeek2()
    {
        var h = hp.Dimension("embedding_length");
        var layers = hp.Layers();
        var (heads, _) = Heads(layers);
        var queryRank = hp.OptionalNonNegative("attention.q_lora_rank") is > 0 and var q ? (int?)q : null;
        var kvRank = (int)hp.Dimension("attention.kv_lora_rank");
        var rope = (int)hp.Dimension("rope.dimension_count");
        var mlaKeyLength = hp.OptionalDimension("attention.key_length_mla");
        var keyLength = (int)(mlaKeyLength ?? hp.Dimension("attention.key_length"));
        var valueLength = (int)(hp.OptionalDimension("attention.value_length_mla") ?? hp.Dimension("attention.value_length"));
        if (keyLength <= rope)
        {
            throw new ModelFormatException(file.File,
                $"{hp.Key("attention.key_length")} ({keyLength}) must be larger than {hp.Key("rope.dimension_count")} ({rope}): it is the no-rope plus rope head size.");
        }

        var latent = new LatentAttentionShape(queryRank, kvRank, keyLength - rope, rope, valueLength, LegacyGguf: mlaKeyLength is null);
        var moe = Experts(widths: null) ?? throw hp.Missing("expert_count");
        var leading = hp.OptionalNonNegative("leading_dense_block_count") ?? 0;
        var dense = leading > 0 ? hp.Dimension("feed_forward_length") : 0;
        var routerBias = moe.RouterBias || (tensors.IsEmpty && file.GetInteger(hp.Key("expert_gating_func")) == 2);
        moe = moe with { RouterBias = routerBias };
        var norms = NormsPerLayer();

        var built = ImmutableArray.CreateBuilder<LayerShape>(layers);
        for (var i = 0; i < layers; i++)
        {
            var attention = new AttentionShape(AttentionKind.Latent, heads[i], heads[i], keyLength, valueLength, Latent: latent);
            built.Add(new LayerShape(attention, i < leading ? new MlpShape(true, dense, false) : new MlpShape(true, 0, false, moe), norms));
        }

        return Shape(routerBias ? "deepseek_v3" : rules.ModelType, h, Vocab(), NormShape.RmsNorm, new EmbeddingShape(), built.MoveToImmutable(), 1, []);
    }

    /// <summary>
    /// GPT-2 and BERT: learned positions (the <c>position_embd</c> table's rows, else the context length), full multi-head
    /// attention, a plain MLP. BERT adds token types and an embedding norm, and has no final norm.
    /// </summary>
    private ModelShape Encoded(bool gpt2)
    {
        var h = hp.Dimension("embedding_length");
        var layers = hp.Layers();
        var (heads, kvHeads) = Heads(layers);
        var width = hp.OptionalDimension("feed_forward_length") ?? (gpt2 ? checked(4 * h) : throw hp.Missing("feed_forward_length"));
        var bias = tensors.IsEmpty ? rules.AttentionBias : tensors.AttentionBias();
        var mlpBias = tensors.IsEmpty ? rules.MlpBias : tensors.MlpBias();
        var norms = NormsPerLayer();
        var built = ImmutableArray.CreateBuilder<LayerShape>(layers);
        for (var i = 0; i < layers; i++)
        {
            var headDim = (int)HeadDim(h, heads[i]);
            built.Add(new LayerShape(new AttentionShape(AttentionKind.Full, heads[i], kvHeads[i], headDim, headDim, Bias: bias),
                new MlpShape(false, width, mlpBias), norms));
        }

        var context = hp.OptionalDimension("context_length");
        var positions = tensors.Find("position_embd.weight") is { Shape.Length: 2 } table ? table.Shape[1] : context ?? throw hp.Missing("context_length");
        var embeddings = new EmbeddingShape(LearnedPositions: positions);
        if (!gpt2)
        {
            var types = tensors.Find("token_types.weight") is { Shape.Length: 2 } typeTable ? typeTable.Shape[1]
                : file.GetInteger("tokenizer.ggml.token_type_count") is { } n and > 0 and <= int.MaxValue ? n : 2;
            embeddings = embeddings with { TokenTypes = types, Norms = tensors.IsEmpty || tensors.Has("token_embd_norm.weight") ? 1 : 0 };
            notes.Add(new("encoder_only", "BERT is an encoder: counted as the GGUF stores it (llama.cpp converts no pooler or pre-training heads).", "model"));
        }

        var norm = tensors.IsEmpty ? rules.Norm : tensors.Norm(rules.Norm);
        return Shape(rules.ModelType, h, Vocab(), norm, embeddings, built.MoveToImmutable(), gpt2 ? 1 : 0, [], context ?? positions);
    }

    /// <summary>Query and KV heads per layer; a layer with none is a recurrent or attention-free layer llmem does not model.</summary>
    private (int[] Heads, int[] KvHeads) Heads(int layers)
    {
        var heads = hp.PerLayer("attention.head_count", layers, allowZero: true) ?? throw hp.Missing("attention.head_count");
        var kvHeads = hp.PerLayer("attention.head_count_kv", layers, allowZero: true) ?? heads;
        for (var i = 0; i < layers; i++)
        {
            if (heads[i] == 0 || kvHeads[i] == 0)
            {
                throw new ModelFormatException(file.File, $"layer {i} has no attention heads ({hp.Key(heads[i] == 0 ? "attention.head_count" : "attention.head_count_kv")}): "
                    + "a recurrent or attention-free layer (a hybrid model); llmem does not model its state memory yet.");
            }

            if (kvHeads[i] > heads[i] || heads[i] % kvHeads[i] != 0)
            {
                throw hp.Error("attention.head_count_kv", $"gives layer {i} {kvHeads[i]} KV heads, which does not divide its {heads[i]} query heads.");
            }
        }

        return ([.. heads.Select(n => (int)n)], [.. kvHeads.Select(n => (int)n)]);
    }

    private long HeadDim(long h, long heads) => h % heads == 0
        ? h / heads
        : throw new ModelFormatException(file.File, $"{hp.Key("embedding_length")} {h} is not a multiple of {heads} heads, and {hp.Key("attention.key_length")} is missing.");

    /// <summary>Routed experts (<c>expert_count</c>, <c>expert_used_count</c>, <c>expert_feed_forward_length</c>), or null for a dense model.</summary>
    private MoeShape? Experts(long[]? widths)
    {
        var count = hp.OptionalNonNegative("expert_count") ?? 0;
        if (count == 0)
        {
            return null;
        }

        if (count > GgufLimits.MaxExperts)
        {
            throw hp.Error("expert_count", $"is {GgufCursor.N(count)} experts, absurd (the most accepted is {GgufCursor.N(GgufLimits.MaxExperts)}).");
        }

        var used = hp.Dimension("expert_used_count");
        // Mixtral converted as llama states its expert width as feed_forward_length.
        var width = hp.OptionalDimension("expert_feed_forward_length")
            ?? (widths is { Length: > 0 } && widths.All(w => w == widths[0]) && widths[0] > 0 ? widths[0] : throw hp.Missing("expert_feed_forward_length"));
        var shared = checked((hp.OptionalNonNegative("expert_shared_count") ?? 0) * width);
        return new MoeShape((int)count, (int)Math.Min(used, count), width, shared,
            SharedExpertGate: shared > 0 && tensors.InAnyBlock("ffn_gate_inp_shexp.weight"),
            RouterBias: tensors.InAnyBlock("ffn_gate_inp.bias") || tensors.InAnyBlock("exp_probs_b.bias") || tensors.InAnyBlock("exp_probs_b"),
            ExpertBias: tensors.InAnyBlock("ffn_up_exps.bias") || tensors.InAnyBlock("ffn_down_exps.bias"));
    }

    /// <summary>The window of each layer (null: full attention), by the architecture's rule (llama.cpp hparams.swa_layers).</summary>
    private long?[] SlidingWindows(int layers)
    {
        var windows = new long?[layers];
        var window = hp.OptionalDimension("attention.sliding_window");
        if (rules.Sliding == GgufSliding.None || (rules.Sliding == GgufSliding.AllLayersWhenSet && window is null))
        {
            return windows;
        }

        if (window is null)
        {
            window = rules.DefaultWindow ?? throw hp.Missing("attention.sliding_window");
            notes.Add(new("assumed_sliding_window", $"The GGUF states no {hp.Key("attention.sliding_window")}; assuming {window} tokens.", "model"));
        }

        var slides = rules.Sliding switch
        {
            GgufSliding.EvenLayers => [.. Enumerable.Range(0, layers).Select(i => i % 2 == 0)],
            GgufSliding.Pattern => SlidingPattern(layers),
            _ => Enumerable.Repeat(true, layers).ToArray(),
        };
        for (var i = 0; i < layers; i++)
        {
            windows[i] = slides[i] ? window : null;
        }

        return windows;
    }

    /// <summary>
    /// <c>{arch}.attention.sliding_window_pattern</c>: a bool per layer (true: sliding), or n (all but every n-th layer slide);
    /// absent, the architecture's n (Gemma 3: 6).
    /// </summary>
    private bool[] SlidingPattern(int layers)
    {
        const string suffix = "attention.sliding_window_pattern";
        var key = hp.Key(suffix);
        if (file.Find(key) is { Type: GgufValueType.Array } array)
        {
            if (array.ElementType != GgufValueType.Bool || !array.IsKept || array.Length != layers)
            {
                throw hp.Error(suffix, $"is {array.Describe()}; expected one bool per layer ({layers}).");
            }

            return [.. array.Items.Select(v => v.TryGetBool(out var b) && b)];
        }

        var n = hp.OptionalDimension(suffix) ?? rules.SlidingPattern;
        return [.. Enumerable.Range(0, layers).Select(i => (i + 1) % n != 0)];
    }

    private int NormsPerLayer() => tensors.IsEmpty || tensors.NormsInBlock(0) is 0 ? rules.NormsPerLayer : tensors.NormsInBlock(0);

    /// <summary><c>{arch}.vocab_size</c>, else the tokenizer's token count, else the token embedding's rows.</summary>
    private long Vocab()
    {
        if (hp.OptionalDimension("vocab_size") is { } size)
        {
            return size;
        }

        if (file.GetArrayLength("tokenizer.ggml.tokens") is { } tokens and > 0 and <= int.MaxValue)
        {
            return tokens;
        }

        return tensors.Find("token_embd.weight") is { Shape.Length: 2 } embedding
            ? embedding.Shape[1]
            : throw hp.Missing("vocab_size");
    }

    private ModelShape Shape(string modelType, long h, long vocab, NormShape norm, EmbeddingShape embeddings, ImmutableArray<LayerShape> layers,
        int finalNorms, ImmutableArray<ExtraComponent> extras, long? contextLength = null)
    {
        var tied = tensors.IsEmpty ? rules.TiedByDefault : !tensors.Has("output.weight");
        var context = contextLength ?? hp.OptionalDimension("context_length") ?? 0;
        if (context == 0)
        {
            notes.Add(new("no_context_length", $"The GGUF states no {hp.Key("context_length")}; the context length is unknown.", "context"));
        }

        var dtype = GgufStorage.StoredDtype(file, notes);
        return new ModelShape(modelType, h, vocab, context, tied, norm, embeddings, layers, finalNorms, extras, dtype, GgufStorage.Quantization(file))
        {
            RopeScaling = RopeScaling(),
        };
    }

    /// <summary>
    /// <c>{arch}.rope.scaling.type</c> ("linear", "yarn" …); Llama 3.1's scaling, which the converter writes as a
    /// <c>rope_freqs</c> tensor instead, is "llama3".
    /// </summary>
    private string? RopeScaling()
    {
        var stated = file.GetString(hp.Key("rope.scaling.type"));
        if (stated is not null && stated != "none")
        {
            return GgufCursor.Show(stated);
        }

        return tensors.Has("rope_freqs.weight") ? "llama3" : null;
    }
}
