using System.Collections.Immutable;
using LlmMem.Estimates;
using LlmMem.Hardware;
using LlmMem.Models;

namespace LlmMem.Training;

/// <summary>What to estimate for training a model. Null means "not given": the estimator applies and reports the default.</summary>
/// <param name="Batch">Micro-batch: sequences per GPU per step (--batch).</param>
/// <param name="SequenceTokens">Tokens per sequence (--seq / --context).</param>
/// <param name="Zero">ZeRO stage (--zero 0–3): 1 shards optimizer states and master weights over the data-parallel ranks, 2 also gradients, 3 also weights.</param>
/// <param name="OffloadParameters">ZeRO-3 parameter offload (--offload param): the weights' shards in host RAM too.</param>
/// <param name="HybridShard">FSDP hybrid sharding: shard within a node, replicate across nodes (ranks = GPUs per node).</param>
/// <param name="OffloadOptimizer">ZeRO-Offload (--offload optimizer): optimizer states and master weights in host RAM.</param>
/// <param name="Rank">LoRA rank (--rank); PEFT's default 8 when null.</param>
/// <param name="Targets">LoRA target modules (--targets); PEFT's default q_proj, v_proj when null.</param>
/// <param name="Checkpointing">Activation checkpointing (--checkpointing); none when null.</param>
/// <param name="Attention">Attention implementation (--attention); SDPA, Transformers' default, when null.</param>
/// <param name="Loss">Cross-entropy implementation (--loss); standard when null.</param>
/// <param name="SequenceParallel">Megatron sequence parallelism (--sequence-parallel): norms and dropout divided by TP too.</param>
/// <param name="MicroBatches">Pipeline micro-batches per step (--micro-batches); the first stage holds min(micro-batches, pp) in flight.</param>
/// <param name="GradientAccumulation">Micro-batches accumulated per optimizer step (--grad-accum): the gradients live through the backward passes.</param>
/// <param name="OffloadActivations">Saved activations in host RAM (--offload-activations); the GPU keeps the layer being computed.</param>
/// <param name="Dropout">Dropout probability of the model's hidden and attention dropout (--dropout); 0 when null.</param>
/// <param name="OptimizerInBackward">The optimizer steps each parameter as soon as its gradient exists (torchtune optimizer_in_bwd): the gradients never all live.</param>
/// <param name="Compiled">torch.compile (--compile): AOTAutograd recomputes cheap pointwise results (RMSNorm's fp32 upcast, the loss's log-softmax) instead of saving them.</param>
/// <param name="Preference">DPO-style preference training (--dpo): a frozen reference model, and chosen and rejected sequences in one batch.</param>
/// <param name="BucketView">DDP's gradient_as_bucket_view (--ddp-bucket-view): gradients live in the all-reduce buckets, with no second copy.</param>
/// <param name="VirtualStages">Model chunks per GPU of the interleaved pipeline schedule (--virtual-stages, Megatron's virtual pipeline size).</param>
/// <param name="Fsdp">The sharding is PyTorch FSDP's (--fsdp) rather than DeepSpeed ZeRO's: FSDP prefetches the next unit's parameters.</param>
/// <param name="AdapterType">LoRA adapters' dtype (--adapter-dtype); fp32 when null, as PEFT casts them (autocast_adapter_dtype). torchtune keeps them in the training dtype.</param>
/// <param name="KbitPreparation">QLoRA through PEFT's prepare_model_for_kbit_training (--kbit-prep; on when null, as TRL's SFTTrainer and the QLoRA scripts call it): the parameters left unquantised (embeddings, norms, LM head) become fp32, and so does the residual stream the checkpointed layer inputs hold.</param>
/// <param name="ZeroBucketElements">DeepSpeed's reduce_bucket_size in elements (--zero-bucket-size); DeepSpeed's default 5e8 when null.</param>
/// <param name="OverlapComm">DeepSpeed's overlap_comm (--overlap-comm); DeepSpeed's default (on for stage 3 only) when null.</param>
/// <param name="DeepSpeed">Which DeepSpeed's rules apply (--deepspeed-version); the newest modelled when null.</param>
/// <param name="AdapterDropout">LoRA's lora_dropout (--lora-dropout); 0 when null. Above 0 each adapted module keeps nn.Dropout's output and its 1-byte mask (PEFT tuners/lora/layer.py).</param>
/// <param name="FsdpSeparateEmbeddings">FSDP wraps the embeddings and the LM head as units of their own (--fsdp-shard-embeddings; torchtune's custom_sharded_layers: ['tok_embeddings', 'output']): they are resharded after the forward like a layer, instead of staying gathered in the root unit.</param>
/// <param name="BaseType">LoRA's frozen base, as stored (--base-dtype); the training dtype when null. Transformers' from_pretrained without torch_dtype loads fp32, and FSDP's MixedPrecision keeps the sharded parameters in that dtype (param_dtype is the gathered compute copy's).</param>
/// <param name="LanguageModelHead">False for an encoder with a small task head: no logits over the vocabulary.</param>
public sealed record TrainingRequest(
    ModelSpec Model,
    TrainingMethod? Method = null,
    TrainingPrecision? Precision = null,
    Optimizer? Optimizer = null,
    long? SequenceTokens = null,
    long? Batch = null,
    Parallelism? Parallelism = null,
    DeviceCapacity? Capacity = null,
    int? Rank = null,
    ImmutableArray<string>? Targets = null,
    int Zero = 0,
    bool OffloadOptimizer = false,
    bool OffloadParameters = false,
    bool HybridShard = false,
    Checkpointing? Checkpointing = null,
    LlmMem.Inference.AttentionImplementation? Attention = null,
    LossImplementation? Loss = null,
    bool SequenceParallel = false,
    int? MicroBatches = null,
    int? GradientAccumulation = null,
    bool OffloadActivations = false,
    double? Dropout = null,
    bool OptimizerInBackward = false,
    bool LanguageModelHead = true,
    bool Compiled = false,
    bool Preference = false,
    int? VirtualStages = null,
    bool BucketView = false,
    bool Fsdp = false,
    LlmMem.DataTypes.DataType? AdapterType = null,
    bool? KbitPreparation = null,
    long? ZeroBucketElements = null,
    bool? OverlapComm = null,
    System.Version? DeepSpeed = null,

    double? AdapterDropout = null,
    bool FsdpSeparateEmbeddings = false,
    LlmMem.DataTypes.DataType? BaseType = null)
{
    /// <summary>DeepSpeed's reduce_bucket_size default (deepspeed/runtime/zero/config.py: 5e8 elements).</summary>
    public const long DefaultZeroBucketElements = 500_000_000;

    /// <summary>
    /// The first DeepSpeed whose ZeRO-1 honours contiguous_gradients and overlap_comm (PR #4887, 2024-01-06, v0.13.0);
    /// before it, engine.py switched both off for stage 1 ("meaningless in stage 1"), so stage 1 had no gradient bucket.
    /// </summary>
    public static readonly System.Version ZeroOneBucketsSince = new(0, 13, 0);

    /// <summary>DeepSpeed's overlap_comm: as given, else its default (config.py overlap_comm_valid: on for stage 3 only).</summary>
    public bool OverlapsComm => OverlapComm ?? Zero == 3;

    /// <summary>
    /// The number of ZeRO gradient buckets DeepSpeed allocates (0 for FSDP, plain DDP, or stage 1 before v0.13.0):
    /// stage_1_and_2.py setup_buckets allocates one, two with overlap_comm; stage3.py one.
    /// </summary>
    public int ZeroBucketBuffers => Fsdp || Zero == 0 || (Zero == 1 && DeepSpeed is { } v && v < ZeroOneBucketsSince) ? 0
        : Zero == 3 ? 1
        : OverlapsComm ? 2 : 1;

    public const long DefaultSequenceTokens = 4096;
    public const long DefaultBatch = 1;

    /// <summary>Whether PEFT's prepare_model_for_kbit_training upcasts this QLoRA run (see <see cref="KbitPreparation"/>).</summary>
    public bool UpcastsForKbit => Method == TrainingMethod.Qlora && (KbitPreparation ?? true);

    /// <summary>The dtypes adapters can be kept in (<see cref="AdapterType"/>).</summary>
    public static IReadOnlyList<LlmMem.DataTypes.DataType> BaseTypes => AdapterTypes;

    public static IReadOnlyList<LlmMem.DataTypes.DataType> AdapterTypes { get; } =
        [LlmMem.DataTypes.DataType.Fp32, LlmMem.DataTypes.DataType.Bf16, LlmMem.DataTypes.DataType.Fp16];
}
