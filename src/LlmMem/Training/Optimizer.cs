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
public sealed record Optimizer(
    string Name,
    int StateCount,
    OptimizerStateStorage Storage,
    string Description,
    string Source,
    IReadOnlyList<string> Aliases)
{
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
        "bitsandbytes optim/optimizer.py Optimizer2State.init_state: uint8 state1/state2, fp32 absmax per block of 256; Dettmers et al. 2021 (arXiv:2110.02861)",
        ["adam8bit", "adamw8bit", "adam-8bit", "adamw_8bit", "adamw_bnb_8bit", "paged_adamw_8bit", "paged-adamw-8bit", "bnb-adamw-8bit"]);

    public static Optimizer Adafactor { get; } = new("adafactor", 0, OptimizerStateStorage.Factored,
        "Adafactor (beta1 off): a row and a column statistic per matrix",
        "Shazeer & Stern 2018 (arXiv:1804.04235) §3; transformers Adafactor: exp_avg_sq_row, exp_avg_sq_col", ["adafactor-hf"]);

    public static Optimizer Lion { get; } = new("lion", 1, OptimizerStateStorage.Dense,
        "Lion: one momentum state", "Chen et al. 2023 (arXiv:2302.06675) Algorithm 2; lion-pytorch: state['exp_avg']", ["lion32bit"]);

    public static IReadOnlyList<Optimizer> All { get; } = [Sgd, SgdMomentum, Adam, AdamW, AdamW8Bit, Adafactor, Lion];

    public static bool TryParse(string? text, out Optimizer optimizer, out string error) =>
        NameSuggestion.TryFind(text, All, e => e.Name, e => e.Aliases, "optimizer", out optimizer, out error);
}
