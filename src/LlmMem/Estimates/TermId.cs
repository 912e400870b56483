namespace LlmMem.Estimates;

/// <summary>
/// The stable snake_case id of a term. Scripts and the web page key on these: add ids, never rename one.
/// </summary>
public readonly record struct TermId(string Value)
{
    /// <summary>Model weights (for llama.cpp: its model buffers).</summary>
    public static readonly TermId Weights = new("weights");
    public static readonly TermId KvCache = new("kv_cache");

    /// <summary>Transformers' DynamicCache: the extra copy torch.cat holds while a layer's cache grows.</summary>
    public static readonly TermId KvCacheGrowth = new("kv_cache_growth");
    public static readonly TermId Activations = new("activations");

    /// <summary>Training with activation checkpointing: the layer inputs kept for recomputation.</summary>
    public static readonly TermId ActivationCheckpoints = new("activation_checkpoints");
    public static readonly TermId Logits = new("logits");
    public static readonly TermId Gradients = new("gradients");
    public static readonly TermId OptimizerStates = new("optimizer_states");
    public static readonly TermId MasterWeights = new("master_weights");
    public static readonly TermId AdapterWeights = new("adapter_weights");
    public static readonly TermId ComputeBuffer = new("compute_buffer");
    public static readonly TermId OutputBuffer = new("output_buffer");
    public static readonly TermId NonTorch = new("non_torch");
    public static readonly TermId CudaGraphs = new("cuda_graphs");
    public static readonly TermId CudaContext = new("cuda_context");

    /// <summary>vLLM's rotary-embedding cos/sin table, loaded beside the weights.</summary>
    public static readonly TermId RotaryCache = new("rotary_cache");
    public static readonly TermId FrameworkOverhead = new("framework_overhead");

    /// <summary>DPO-style preference training: the frozen reference model's weights.</summary>
    public static readonly TermId ReferenceModel = new("reference_model");

    /// <summary>ZeRO-3 / FSDP: the full parameters of the unit being computed, gathered from every rank.</summary>
    public static readonly TermId GatheredParameters = new("gathered_parameters");

    /// <summary>FSDP: the root unit's parameters (embeddings, final norm, LM head), left unsharded from the forward to the backward.</summary>
    public static readonly TermId GatheredRoot = new("gathered_root");

    public override string ToString() => Value;
}
