using LlmMem.DataTypes;
using LlmMem.Text;

namespace LlmMem.Training;

/// <summary>How an optimizer stores its per-parameter state.</summary>
public enum OptimizerStateStorage
{
    /// <summary>No state (plain SGD).</summary>
    None,

    /// <summary>Each state is a full tensor the size of the parameters, in the precision's state type.</summary>
    Dense,

    /// <summary>Each state is 8-bit codes with an fp32 absmax per block of 256 (bitsandbytes).</summary>
    Blockwise8Bit,

    /// <summary>Row and column statistics of each matrix instead of a full second moment (Adafactor).</summary>
    Factored,
}

/// <summary>An optimizer and the state it keeps per parameter.</summary>
/// <param name="StateCount">Full-size states per parameter: 2 for Adam (exp_avg, exp_avg_sq), 1 for momentum or Lion.</param>
/// <remarks>
/// bitsandbytes' "paged" optimizers (<see cref="Paged"/>) allocate the states of tensors with at least 100,000 elements
/// in CUDA unified memory (bitsandbytes optim/optimizer.py, Optimizer8bit.get_state_buffer → functional.py get_paged,
/// cudaMallocManaged): the same bytes on the GPU while memory allows, moved to host RAM by the driver under pressure.
/// </remarks>
public sealed record Optimizer(
    string Name,
    int StateCount,
    OptimizerStateStorage Storage,
    string Description,
    string Source,
    IReadOnlyList<string> Aliases)
{
    /// <summary>States live in CUDA unified memory (bitsandbytes paged optimizers).</summary>
    public bool Paged { get; init; }

    /// <summary>
    /// The state type when the optimizer fixes it whatever the training precision: bitsandbytes' 32-bit optimizers keep
    /// fp32 states (optim/optimizer.py, Optimizer2State.init_state with optim_bits 32); null follows the precision.
    /// </summary>
    public DataType? StateType { get; init; }

    /// <summary>bitsandbytes optim/optimizer.py, Optimizer8bit.get_state_buffer: smaller tensors get ordinary device tensors.</summary>
    public const long PagedMinimumElements = 100_000;

    private const string Bnb2State = "bitsandbytes optim/optimizer.py Optimizer2State.init_state";
    private const string Bnb1State = "bitsandbytes optim/optimizer.py Optimizer1State.init_state";
    private const string BnbPaged = "; paged: Optimizer8bit.get_state_buffer → functional.get_paged (cudaMallocManaged)";
    private const string BnbBlockwise = ": uint8 states, fp32 absmax per block of 256; Dettmers et al. 2021 (arXiv:2110.02861)";

    public static Optimizer Sgd { get; } = new("sgd", 0, OptimizerStateStorage.None,
        "SGD without momentum: no state", "torch.optim.SGD (momentum=0 keeps no momentum_buffer)", ["plain-sgd"]);

    public static Optimizer SgdMomentum { get; } = new("sgd-momentum", 1, OptimizerStateStorage.Dense,
        "SGD with momentum: one momentum buffer", "torch.optim.SGD: state['momentum_buffer']", ["momentum", "sgd_momentum", "nesterov"]);

    public static Optimizer Adam { get; } = new("adam", 2, OptimizerStateStorage.Dense,
        "Adam: first and second moments", "torch.optim.Adam: state['exp_avg'], state['exp_avg_sq']", ["torch-adam"]);

    public static Optimizer AdamW { get; } = new("adamw", 2, OptimizerStateStorage.Dense,
        "AdamW: first and second moments", "torch.optim.AdamW: state['exp_avg'], state['exp_avg_sq']", ["adamw_torch", "adamw-torch", "adamw_torch_fused", "fused-adamw"]);

    public static Optimizer AdamW8Bit { get; } = new("adamw-8bit", 2, OptimizerStateStorage.Blockwise8Bit,
        "8-bit AdamW: two uint8 states with an fp32 absmax per 256 values",
        Bnb2State + BnbBlockwise,
        ["adam8bit", "adamw8bit", "adam-8bit", "adamw_8bit", "adamw_bnb_8bit", "bnb-adamw-8bit"]);

    public static Optimizer PagedAdamW8Bit { get; } = new("paged-adamw-8bit", 2, OptimizerStateStorage.Blockwise8Bit,
        "paged 8-bit AdamW: 8-bit states in CUDA unified memory",
        Bnb2State + BnbBlockwise + BnbPaged,
        ["paged_adamw_8bit", "pagedadamw8bit", "paged-adam-8bit"]) { Paged = true };

    public static Optimizer PagedAdamW { get; } = new("paged-adamw", 2, OptimizerStateStorage.Dense,
        "paged 32-bit AdamW: fp32 moments in CUDA unified memory (QLoRA's default)",
        Bnb2State + " (optim_bits 32: fp32 state1/state2)" + BnbPaged + "; Dettmers et al. 2023 (QLoRA, arXiv:2305.14314) §2",
        ["paged_adamw_32bit", "paged-adamw-32bit", "paged_adamw", "pagedadamw", "pagedadamw32bit"]) { Paged = true, StateType = DataType.Fp32 };

    public static Optimizer Adafactor { get; } = new("adafactor", 0, OptimizerStateStorage.Factored,
        "Adafactor (beta1 off): a row and a column statistic per matrix",
        "Shazeer & Stern 2018 (arXiv:1804.04235) §3; transformers Adafactor: exp_avg_sq_row, exp_avg_sq_col", ["adafactor-hf"]);

    public static Optimizer Lion { get; } = new("lion", 1, OptimizerStateStorage.Dense,
        "Lion: one momentum state", "Chen et al. 2023 (arXiv:2302.06675) Algorithm 2; lion-pytorch: state['exp_avg']", ["lion32bit"]);

    public static Optimizer Lion8Bit { get; } = new("lion-8bit", 1, OptimizerStateStorage.Blockwise8Bit,
        "8-bit Lion: one uint8 momentum with an fp32 absmax per 256 values",
        Bnb1State + BnbBlockwise, ["lion_8bit", "lion8bit", "bnb-lion-8bit"]);

    public static Optimizer PagedLion8Bit { get; } = new("paged-lion-8bit", 1, OptimizerStateStorage.Blockwise8Bit,
        "paged 8-bit Lion: its 8-bit momentum in CUDA unified memory",
        Bnb1State + BnbBlockwise + BnbPaged, ["paged_lion_8bit", "pagedlion8bit"]) { Paged = true };

    public static Optimizer PagedLion { get; } = new("paged-lion", 1, OptimizerStateStorage.Dense,
        "paged 32-bit Lion: an fp32 momentum in CUDA unified memory",
        Bnb1State + " (optim_bits 32: fp32 state1)" + BnbPaged, ["paged_lion_32bit", "paged-lion-32bit", "pagedlion"]) { Paged = true, StateType = DataType.Fp32 };

    public static IReadOnlyList<Optimizer> All { get; } =
        [Sgd, SgdMomentum, Adam, AdamW, AdamW8Bit, PagedAdamW8Bit, PagedAdamW, Adafactor, Lion, Lion8Bit, PagedLion8Bit, PagedLion];

    public static bool TryParse(string? text, out Optimizer optimizer, out string error) =>
        NameSuggestion.TryFind(text, All, e => e.Name, e => e.Aliases, "optimizer", out optimizer, out error);
}
