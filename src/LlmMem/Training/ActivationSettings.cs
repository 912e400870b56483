using LlmMem.Inference;

namespace LlmMem.Training;

/// <summary>What the backward pass keeps of the forward pass (activation checkpointing, --checkpointing).</summary>
public enum Checkpointing
{
    /// <summary>Every tensor autograd saves stays on the GPU until the backward pass uses it.</summary>
    None,

    /// <summary>
    /// Only each layer's input is kept; one layer is recomputed at a time in the backward pass
    /// (torch/utils/checkpoint.py; Transformers gradient_checkpointing_enable; Korthikanti et al. 2022 §4.1: 2sbh per layer).
    /// </summary>
    Full,

    /// <summary>The attention's score matrices are recomputed, the rest is kept (Korthikanti et al. 2022 §4.2, "selective").</summary>
    Selective,
}

/// <summary>How the loss is computed over the vocabulary (--loss).</summary>
public enum LossImplementation
{
    /// <summary>Logits for every position, upcast to fp32, then cross-entropy (transformers loss_utils.py ForCausalLMLoss).</summary>
    Standard,

    /// <summary>
    /// Transformers 4.46–4.48's ForCausalLMLoss (loss/loss_utils.py): the compute-dtype logits the model returns, their
    /// fp32 upcast and a contiguous copy of the shifted logits (logits[..., :-1, :].contiguous()) are all live when
    /// cross-entropy's log-softmax output is made; huggingface/transformers#35646 (4.49) removed the copy.
    /// </summary>
    Shifted,

    /// <summary>
    /// The fp32 upcast and the cross-entropy chunk by chunk over the sequence (torchtune CEWithChunkedOutputLoss,
    /// num_output_chunks 8); the compute-dtype logits stay whole.
    /// </summary>
    Chunked,
}

/// <summary>Parsers for the activation options of <c>llmem train</c>; messages name the valid values.</summary>
public static class ActivationOptions
{
    /// <summary>torchtune's CEWithChunkedOutputLoss default (torchtune/modules/loss/ce_chunked_output_loss.py, num_output_chunks = 8).</summary>
    public const int LossChunks = 8;

    public static bool TryParseCheckpointing(string? text, out Checkpointing checkpointing, out string error)
    {
        error = "";
        switch ((text ?? "").Trim().ToLowerInvariant())
        {
            case "none" or "off" or "false" or "no":
                checkpointing = Checkpointing.None;
                return true;
            case "full" or "on" or "true" or "yes":
                checkpointing = Checkpointing.Full;
                return true;
            case "selective":
                checkpointing = Checkpointing.Selective;
                return true;
            default:
                checkpointing = default;
                error = $"Unknown --checkpointing '{text}'. Valid: none, full, selective.";
                return false;
        }
    }

    public static bool TryParseLoss(string? text, out LossImplementation loss, out string error)
    {
        error = "";
        switch ((text ?? "").Trim().ToLowerInvariant())
        {
            case "standard":
                loss = LossImplementation.Standard;
                return true;
            case "chunked" or "chunked-ce" or "fused":
                loss = LossImplementation.Chunked;
                return true;
            case "shifted" or "standard-shifted":
                loss = LossImplementation.Shifted;
                return true;
            default:
                loss = default;
                error = $"Unknown --loss '{text}'. Valid: standard, shifted, chunked.";
                return false;
        }
    }

    /// <summary>"eager", "sdpa", "flash": the names --attention takes.</summary>
    public static string Name(AttentionImplementation attention) => attention.ToString().ToLowerInvariant();
}
