using System.Collections.Immutable;
using LlmMem.Estimates;
using LlmMem.Inference;
using LlmMem.Models;
using LlmMem.Training;
using LlmMem.Units;

namespace LlmMem.Formulas;

/// <summary>
/// What autograd keeps of one layer for the backward pass, per token, in bytes — listed tensor by tensor and split the
/// way Korthikanti et al. 2022 ("Reducing Activation Recomputation in Large Transformer Models", §4) split it:
/// <paramref name="Replicated"/> (norm inputs, the inputs of the first linear of each block, dropout masks: kept whole
/// on every tensor-parallel rank), <paramref name="Parallel"/> (inside attention and the MLP: divided by TP) and
/// <paramref name="ScoresPerToken"/> (eager attention's score matrices: this many bytes per token per context token).
/// </summary>
public sealed record LayerActivations(long Replicated, long Parallel, long ScoresPerToken, ImmutableArray<(string Tensor, long Bytes)> Listing)
{
    /// <summary>Bytes per token for a context of <paramref name="tokens"/>, with tensor parallelism <paramref name="tp"/>.</summary>
    /// <remarks>Korthikanti Table 2: TP keeps the replicated part whole (sbh(10 + 24/t + 5as/(ht))); sequence parallelism divides it too (sbh(34 + 5as/h)/t).</remarks>
    public long PerToken(long tokens, int tp = 1, bool sequenceParallel = false, bool keepScores = true)
    {
        var scores = keepScores ? checked(ScoresPerToken * tokens) : 0;
        return sequenceParallel
            ? CeilDiv(checked(Replicated + Parallel + scores), tp)
            : checked(Replicated + CeilDiv(checked(Parallel + scores), tp));
    }

    private static long CeilDiv(long a, long b) => (a + b - 1) / b;
}

/// <summary>
/// How LoRA adapters read their module's input (PEFT tuners/lora/layer.py Linear.forward:
/// <c>lora_B(lora_A(dropout(x.to(lora_A.weight.dtype))))</c>). When the adapters' dtype is the input's and there is no
/// dropout (torchtune: bf16 adapters, nn.Identity for lora_dropout 0), lora_A saves the module's own input, shared by the
/// modules that read it (q/k/v; gate/up). Otherwise each adapted module's lora_A saves a tensor of its own: the cast
/// copy in the adapters' dtype or nn.Dropout's output (a new tensor), plus dropout's 1-byte bool mask
/// (torch native_dropout saves the mask for its backward).
/// </summary>
/// <param name="Bytes">Bytes per element of the adapters' dtype (4 for PEFT's fp32 adapters).</param>
/// <param name="Dropout">lora_dropout &gt; 0.</param>
/// <param name="ResidualBytes">Bytes per element of the hidden state the q/k/v and gate/up modules read (and of the
/// MLP product down_proj reads): the compute dtype, or 4 after prepare_model_for_kbit_training (fp32 norms and residual;
/// bitsandbytes Linear4bit casts its output back to its input's dtype).</param>
public sealed record AdapterInput(int Bytes, bool Dropout, int ResidualBytes);

/// <summary>Activations of training: what the forward pass leaves for the backward pass, and the loss over the vocabulary.</summary>
public static class ActivationFormulas
{
    /// <summary>
    /// Families whose eager attention takes the softmax in the compute dtype; the others upcast it to fp32
    /// (transformers models/llama/modeling_llama.py eager_attention_forward: softmax(dtype=torch.float32).to(query.dtype);
    /// models/gpt2/modeling_gpt2.py and models/bert/modeling_bert.py: softmax in the input dtype).
    /// </summary>
    private static readonly ImmutableHashSet<string> SoftmaxInComputeDtype = ["gpt2", "bert"];

    /// <summary>
    /// Korthikanti et al. 2022, Table 2, for a GPT layer (LayerNorm, 4h GeLU MLP, dropout, materialised scores), in bytes:
    /// sbh(34 + 5as/h) without parallelism; sbh(10 + 24/t + 5as/(ht)) with tensor parallelism t; sbh(34 + 5as/h)/t with
    /// sequence parallelism too; selective recomputation drops the 5as/h term; full recomputation keeps 2sbh (the input).
    /// Example: GPT-3 175B (s 2048, h 12,288, a 96), b 1: 2,868,903,936 B per layer.
    /// </summary>
    public static ByteSize Korthikanti(long s, long b, long h, long a, int t = 1, bool sequenceParallel = false, Checkpointing checkpointing = Checkpointing.None)
    {
        long sbh = checked(s * b * h);
        if (checkpointing == Checkpointing.Full)
        {
            return ByteSize.FromBytes(sequenceParallel ? checked(2 * sbh) / t : checked(2 * sbh));
        }

        // 5as/h · sbh = 5 a s² b.
        long scores = checkpointing == Checkpointing.Selective ? 0 : checked(5 * a * s * s * b);
        long bytes = sequenceParallel
            ? checked(34 * sbh + scores) / t
            : checked(10 * sbh + 24 * sbh / t + scores / t);
        return ByteSize.FromBytes(bytes);
    }

    /// <summary>
    /// The tensors autograd saves in one layer, per token, listed from the modules' forward code:
    /// <list type="bullet">
    /// <item>each norm: RMSNorm (modeling_llama.py LlamaRMSNorm) saves its fp32 upcast input (4h) and the normalised
    /// value before the weight (d·h); LayerNorm (torch.nn.functional.layer_norm) its input (d·h);</item>
    /// <item>the input of each linear layer whose weight is trained (one shared copy for q/k/v, one for gate/up), and
    /// nothing for a frozen linear (autograd saves mm's input only when the weight needs a gradient) — LoRA keeps the
    /// inputs of its adapted modules only;</item>
    /// <item>attention: q and k after rotary, v; SDPA and eager repeat K/V to every query head first (repeat_kv;
    /// integrations/sdpa_attention.py skips it only without an attention mask on torch ≥ 2.5, so a padded batch repeats),
    /// flash-attn 2 does not; flash and SDPA keep their output and the fp32 log-sum-exp (4 B per head); SDPA's output is
    /// then copied by transpose().contiguous() for o_proj; eager keeps the softmax (fp32 in most families) and the
    /// probabilities cast back to the compute dtype (or the dropout mask and output), heads × s per token;</item>
    /// <item>the MLP: gated (SwiGLU) keeps the gate output (SiLU's input), the SiLU output and the up output (the
    /// product's operands) and the product (down's input); plain (GeLU) the activation's input and output;</item>
    /// <item>dropout &gt; 0: a 1-byte mask after attention and after the MLP, and in the scores.</item>
    /// </list>
    /// Per-token scalars (RMSNorm's rsqrt, LayerNorm's mean and rstd) are left out, as Korthikanti leaves them out.
    /// With a GPT layer (LayerNorm, 4h GeLU MLP, eager, fp16, dropout) this listing is Korthikanti's 34h + 5as.
    /// Example: a Llama-3.1-8B layer, bf16, SDPA, no dropout: 221,312 B per token (see the tests for the sum).
    /// </summary>
    /// <param name="bytes">Bytes of the compute dtype (2 for bf16/fp16, 4 for fp32).</param>
    /// <param name="adapterTargets">LoRA's target modules (frozen base), or null when every weight is trained.</param>
    /// <param name="compiled">torch.compile: AOTAutograd's min-cut partitioner (torch/_functorch/partitioners.py
    /// min_cut_rematerialization_partition) recomputes RMSNorm's fp32 upcast from its input, so a norm saves its input (d·h) only.</param>
    /// <param name="adapterInput">How LoRA's adapters read their inputs (<see cref="AdapterInput"/>); null: shared inputs in the compute dtype.</param>
    public static LayerActivations Layer(ModelShape shape, LayerShape layer, int bytes, AttentionImplementation attention, bool dropout,
        ImmutableArray<string>? adapterTargets = null, bool compiled = false, AdapterInput? adapterInput = null)
    {
        long d = bytes, h = shape.HiddenSize;
        var a = layer.Attention;
        bool Kept(params string[] modules) => adapterTargets is not { } t || modules.Any(t.Contains);
        long residual = adapterTargets is not null && adapterInput is { } ri ? ri.ResidualBytes : d;

        // An adapted module's input per element: its own copy (adapter dtype, + mask with dropout) unless lora_A can
        // save the shared input itself; inputBytes is the dtype the module receives.
        long Copy(long inputBytes) => adapterTargets is not null && adapterInput is { } ai && (ai.Bytes != inputBytes || ai.Dropout)
            ? ai.Bytes + (ai.Dropout ? 1 : 0)
            : 0;
        long Input(long width, long inputBytes, params string[] modules)
        {
            var copy = Copy(inputBytes);
            return copy > 0 ? copy * width * modules.Count(adapterTargets!.Value.Contains) : Kept(modules) ? inputBytes * width : 0;
        }

        string InputName(string name, long inputBytes) => Copy(inputBytes) > 0 ? $"{name} adapters' own input copies" : $"{name} input";
        var listing = ImmutableArray.CreateBuilder<(string, long)>();
        long replicated = 0, parallel = 0;
        void R(string name, long value)
        {
            if (value > 0)
            {
                listing.Add((name, value));
                replicated += value;
            }
        }

        void P(string name, long value)
        {
            if (value > 0)
            {
                listing.Add((name, value));
                parallel += value;
            }
        }

        var rms = shape.Norm == NormShape.RmsNorm && !compiled;
        // The normalised value is what the weight's gradient needs: a frozen norm (LoRA) saves only its fp32 input (torch's
        // mul saves an operand only for the other operand's gradient).
        var frozenNorms = adapterTargets is not null;
        R($"{layer.Norms} norm{(layer.Norms == 1 ? "" : "s")} ({(rms ? frozenNorms ? "fp32 input, frozen weight" : "fp32 input + normalised" : "input")})",
            layer.Norms * (rms ? 4 * h + (frozenNorms ? 0 : d * h) : d * h));
        string[] attentionInputs = a.Latent is { } lat ? [lat.QueryRank is null ? "q_proj" : "q_a_proj", "kv_a_proj_with_mqa"] : ["q_proj", "k_proj", "v_proj"];
        R(InputName("q/k/v", residual), Input(h, residual, attentionInputs));
        long q = (long)a.Heads * a.HeadDim, kv = (long)a.KvHeads * a.HeadDim, vv = (long)a.KvHeads * a.ValueHeadDim, o = (long)a.Heads * a.ValueHeadDim;
        if (a.Latent is { } m)
        {
            // MLA (transformers deepseek_v3): per-head q and k of nope + rope dims, v of v dim, no K/V sharing.
            q = (long)a.Heads * (m.NopeHeadDim + m.RopeHeadDim);
            kv = q;
            vv = o = (long)a.Heads * m.ValueHeadDim;
            P("latent down-projections", d * (m.KvRank + m.RopeHeadDim + (m.QueryRank ?? 0)));
        }

        var repeated = attention != AttentionImplementation.Flash;
        P("q", d * q);
        P(repeated && a.Latent is null ? "k, v repeated to every head" : "k, v", d * (repeated && a.Latent is null ? q + o : kv + vv));
        if (a.QkNorm != QkNorm.None)
        {
            P("q/k norms", (4 + d) * (q + kv));
        }

        long scores = 0;
        switch (attention)
        {
            case AttentionImplementation.Eager:
                var upcast = !SoftmaxInComputeDtype.Contains(shape.Architecture);
                scores = a.Heads * ((upcast ? 4 : d) + (dropout ? 1 + d : upcast && d != 4 ? d : 0));
                listing.Add(($"scores: softmax{(upcast ? " (fp32)" : "")}{(dropout ? " + dropout mask and output" : upcast && d != 4 ? " + probabilities" : "")} × s", scores));
                P(InputName("o_proj", d), Input(o, d, "o_proj"));
                break;
            case AttentionImplementation.Sdpa:
                P("attention output + log-sum-exp (fp32)", d * o + 4L * a.Heads);
                P(Copy(d) > 0 ? InputName("o_proj", d) : "o_proj input (contiguous copy)", Input(o, d, "o_proj"));
                break;
            default:
                P("attention output (= o_proj input) + log-sum-exp (fp32)", d * o + 4L * a.Heads);
                P(InputName("o_proj", d), Copy(d) > 0 ? Input(o, d, "o_proj") : 0);
                break;
        }

        R("dropout masks", dropout ? 2 * h : 0);
        string[] mlpInputs = layer.Mlp.Gated ? ["gate_proj", "up_proj"] : ["up_proj"];
        R(InputName("MLP", residual), Input(h, residual, mlpInputs));
        long Mlp(long width) => (layer.Mlp.Gated ? d * width * 3 : d * width) + Input(width, residual, "down_proj");
        if (layer.Mlp.Moe is { } moe)
        {
            // Each routed token is copied to its experts; the router's softmax is fp32 (transformers mixtral/qwen3_moe).
            P($"router (fp32) + {moe.ActiveExperts} experts' inputs and MLPs", 4L * moe.Experts + moe.ActiveExperts * (d * h + Mlp(moe.ExpertIntermediateSize))
                + (moe.SharedIntermediateSize > 0 ? Mlp(moe.SharedIntermediateSize) : 0));
        }
        else
        {
            P(layer.Mlp.Gated ? "MLP gate, activation, up, product" : "MLP activation input and output", Mlp(layer.Mlp.IntermediateSize));
        }

        return new LayerActivations(replicated, parallel, scores, listing.ToImmutable());
    }

    /// <summary>The layer of a model that keeps the most (the first of the widest).</summary>
    public static (LayerShape Layer, LayerActivations Activations) Widest(ModelShape shape, long tokens, int bytes, AttentionImplementation attention, bool dropout,
        ImmutableArray<string>? adapterTargets, int tp, bool sequenceParallel, bool compiled = false, AdapterInput? adapterInput = null)
    {
        return shape.Layers.Select(l => (l, Layer(shape, l, bytes, attention, dropout, adapterTargets, compiled, adapterInput)))
            .MaxBy(x => x.Item2.PerToken(tokens, tp, sequenceParallel));
    }

    /// <summary>
    /// The layers' saved tensors for the whole micro-batch: Σ layers b × s × bytes per token (<see cref="Layer"/>), times the
    /// micro-batches a pipeline stage holds in flight (1F1B: the first stage holds p micro-batches of its L/p layers,
    /// Narayanan et al. 2021 §2.2; Korthikanti §4.2.3).
    /// </summary>
    public static Term Layers(ModelShape shape, IReadOnlyList<LayerShape> layers, long batch, long tokens, int bytes, AttentionImplementation attention, bool dropout,
        ImmutableArray<string>? adapterTargets, int tp, bool sequenceParallel, bool keepScores, long inFlight, string label, bool compiled = false, AdapterInput? adapterInput = null)
    {
        var total = ByteSize.Zero;
        foreach (var layer in layers)
        {
            total += ByteSize.FromBytes(checked(batch * tokens * Layer(shape, layer, bytes, attention, dropout, adapterTargets, compiled, adapterInput).PerToken(tokens, tp, sequenceParallel, keepScores)));
        }

        total *= inFlight;
        var first = Layer(shape, layers[0], bytes, attention, dropout, adapterTargets, compiled, adapterInput);
        return new Term(TermId.Activations, label, total,
            "tensors autograd saves per layer, listed from transformers modeling_llama.py and torch's saved variables; Korthikanti et al. 2022 §4",
            () => $"{(inFlight > 1 ? $"{inFlight} micro-batches × " : "")}{layers.Count} layers × {FormulaText.Count(batch)} × {FormulaText.Count(tokens)} tokens × "
                + $"{FormulaText.Count(first.PerToken(tokens, tp, sequenceParallel, keepScores))} B per token ({Describe(first, tp, sequenceParallel, keepScores)})");
    }

    /// <summary>
    /// The interleaved 1F1B schedule (Narayanan et al. 2021 §2.2; Megatron schedules.py
    /// forward_backward_pipelining_with_interleaving): each stage holds v model chunks of L/(p·v) layers, and stage s runs
    /// 2(p − s − 1) + (v − 1)·p warm-up chunk forwards before its first backward, so it keeps that many + 1 chunks'
    /// activations (at most m·v) — v·p + p − 1 chunks on the first stage, Korthikanti et al. 2022 §4.2.3's
    /// 1 + (p − 1)/(p·v) times a stage's p micro-batches. <paramref name="activations"/> is one micro-batch through the stage.
    /// </summary>
    public static Term Interleaved(Term activations, int pipeline, int virtualStages, int stage, long microBatches)
    {
        long chunks = Math.Min(checked(microBatches * virtualStages), 2L * (pipeline - stage - 1) + (long)(virtualStages - 1) * pipeline + 1);
        return new Term(activations.Id, $"{activations.Label}, interleaved: {chunks} chunks of 1/{virtualStages}", (activations.Bytes * chunks).DivideCeiling(virtualStages),
            activations.Source + "; interleaved 1F1B: 2(p − s − 1) + (v − 1)·p + 1 chunks in flight on stage s (Megatron schedules.py; Korthikanti §4.2.3)",
            () => $"({activations.Formula}) × min({microBatches} × {virtualStages}, 2 × ({pipeline} − {stage} − 1) + ({virtualStages} − 1) × {pipeline} + 1) chunks / {virtualStages}");
    }

    /// <summary>
    /// Full checkpointing keeps each layer's input (d·h per token, Korthikanti §4.1: 2sbh per layer), divided by TP only
    /// under sequence parallelism (torch/utils/checkpoint.py saves the inputs of the checkpointed function).
    /// </summary>
    public static Term CheckpointedInputs(ModelShape shape, long layers, long batch, long tokens, int bytes, int tp, bool sequenceParallel, long inFlight, string label)
    {
        var perToken = sequenceParallel ? (bytes * shape.HiddenSize + tp - 1) / tp : bytes * shape.HiddenSize;
        var total = ByteSize.FromBytes(checked(inFlight * layers * batch * tokens * perToken));
        return new Term(TermId.ActivationCheckpoints, label, total,
            "torch/utils/checkpoint.py keeps each checkpointed layer's input; Korthikanti et al. 2022 §4.1 (2sbh per layer)",
            () => $"{(inFlight > 1 ? $"{inFlight} micro-batches × " : "")}{layers} layers × {FormulaText.Count(batch)} × {FormulaText.Count(tokens)} tokens × {bytes} B × {FormulaText.Count(shape.HiddenSize)} hidden{(sequenceParallel && tp > 1 ? $" / {tp} (sequence parallel)" : "")}");
    }

    /// <summary>
    /// The LM head and the loss, at the start of the backward pass. Standard (transformers loss_utils.py ForCausalLMLoss:
    /// logits.float(), then cross_entropy = log_softmax + nll_loss): log_softmax keeps its fp32 output, and its backward
    /// holds that output, the incoming gradient and its own result at once: 3 × 4 B per vocabulary entry, more than the
    /// forward's compute-dtype logits + fp32 copy + log-softmax (d + 8 B). Chunked (torchtune CEWithChunkedOutputLoss):
    /// the compute-dtype logits stay whole, each chunk is upcast and its log-softmax output kept: d + 4 + 4/chunks B.
    /// Plus the final norm (RMSNorm: its fp32 input, and the normalised value when its weight trains) and the LM head's input. Megatron's vocabulary-parallel cross-entropy divides the vocabulary
    /// by TP (megatron/core/tensor_parallel/cross_entropy.py).
    /// Compiled chunked loss (torchtune training.compile_loss compiles compute_cross_entropy per chunk): AOTAutograd's
    /// min-cut partitioner (torch/_functorch/partitioners.py) saves each chunk's compute-dtype logits (the graph's input)
    /// and per-row reductions and recomputes the fp32 upcast in the backward; Inductor turns nll_loss's full + scatter into
    /// a pointwise where (torch/_inductor/fx_passes/post_grad.py scatter_upon_const_tensor) and fuses it with the
    /// log-softmax backward and the cast back, so a chunk's backward writes only its gradient in the compute dtype:
    /// d + d/chunks B.
    /// Shifted (Transformers 4.46–4.48 ForCausalLMLoss): at the end of the forward the returned compute-dtype logits, the
    /// fp32 upcast, the shifted contiguous copy and the log-softmax output are live: (d + 12) B, or 12 B when the logits
    /// are already fp32 (.float() returns the same tensor).
    /// An fp32 LM head under autocast (prepare_model_for_kbit_training with mixed precision): autocast casts the weight
    /// to the compute dtype for the matmul, and mm saves that copy for the input's gradient (torch autocast: casts are
    /// cached only for leaf tensors that require grad, a frozen head's copy is a new tensor): vocab × hidden × d B more,
    /// live from the head's forward to its backward.
    /// Example: Llama-3.2-3B (vocab 128,256), b 2 × 4,096 tokens, standard: 8,192 × 128,256 × 12 B = 12.6 GB.
    /// </summary>
    public static Term Loss(ModelShape shape, long batch, long tokens, int bytes, LossImplementation loss, int tp, bool compiled = false, bool autocastHeadCopy = false,
        bool frozenNorms = false)
    {
        long v = (shape.VocabSize + tp - 1) / tp, h = shape.HiddenSize;
        var rms = shape.Norm == NormShape.RmsNorm && !compiled;
        long head = shape.FinalNorms * (rms ? 4 * h + (frozenNorms ? 0 : bytes * h) : bytes * h) + bytes * h;
        var chunks = ActivationOptions.LossChunks;
        long headCopy = autocastHeadCopy ? checked(v * h * bytes) : 0;
        long perToken = loss == LossImplementation.Standard
            ? checked(Math.Max(12 * v, (bytes == 4 ? 4 : bytes + 4) * v + 4 * v))
            : loss == LossImplementation.Shifted
                ? checked((bytes == 4 ? 12 : bytes + 12) * v)
            : compiled
                ? checked(bytes * v + bytes * v / chunks)
                : checked(bytes * v + 4 * v + 4 * v / chunks);
        var total = ByteSize.FromBytes(checked(batch * tokens * (perToken + head) + headCopy));
        var what = loss == LossImplementation.Standard
            ? "3 × 4 B (fp32 log-softmax output, its gradient and the logits' gradient)"
            : loss == LossImplementation.Shifted
                ? bytes == 4 ? "3 × 4 B (fp32 logits, their shifted copy, log-softmax output)" : $"({bytes} + 3 × 4) B (returned logits, fp32 upcast, its shifted copy, log-softmax output)"
            : compiled
                ? $"({bytes} + {bytes}/{chunks}) B (compute-dtype logits saved by every chunk, one chunk's gradient; compiled, fused backward)"
                : $"({bytes} + 4 + 4/{chunks}) B (compute-dtype logits, fp32 log-softmax of every chunk, one chunk's upcast)";
        return new Term(TermId.Logits, $"Logits and loss ({loss switch { LossImplementation.Standard => "fp32 cross-entropy", LossImplementation.Shifted => "fp32 cross-entropy, shifted copy", _ => "chunked cross-entropy" }}{(autocastHeadCopy ? ", autocast head copy" : "")})", total,
            loss == LossImplementation.Standard
                ? "transformers loss_utils.py ForCausalLMLoss (logits.float(), cross_entropy); torch log_softmax backward"
                : loss == LossImplementation.Shifted
                ? "transformers 4.46–4.48 loss/loss_utils.py ForCausalLMLoss (logits.float(), logits[..., :-1, :].contiguous(), cross_entropy); removed by huggingface/transformers#35646"
                : compiled
                    ? "torchtune modules/loss/ce_chunked_output_loss.py (8 chunks), compiled: torch/_functorch/partitioners.py, torch/_inductor/fx_passes/post_grad.py scatter_upon_const_tensor"
                    : "torchtune modules/loss/ce_chunked_output_loss.py (8 chunks)",
            () => $"{FormulaText.Count(batch)} × {FormulaText.Count(tokens)} tokens × ({FormulaText.Count(v)} vocab{(tp > 1 ? $" (/ {tp})" : "")} × {what} + {FormulaText.Count(head)} B final norm and head input)"
                + (autocastHeadCopy ? $" + {FormulaText.Count(v)} × {FormulaText.Count(h)} × {bytes} B autocast copy of the fp32 LM head" : ""));
    }

    private static string Describe(LayerActivations layer, int tp, bool sequenceParallel, bool keepScores)
    {
        var parts = layer.Listing.Where(x => keepScores || !x.Tensor.StartsWith("scores", StringComparison.Ordinal))
            .Select(x => $"{x.Tensor} {FormulaText.Count(x.Bytes)}");
        var division = tp == 1 ? "" : sequenceParallel ? $"; all / {tp} (sequence parallel)" : $"; inside attention and MLP / {tp} (tensor parallel)";
        return string.Join(" + ", parts) + division;
    }
}
