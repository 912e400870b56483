"""One setting, measured in a process of its own (measure.py starts one per setting, so no peak, cache or
fragmentation carries over). Prints one JSON object on its last stdout line: outcome ("ok", "oom" or "error"),
the peaks in bytes and the versions it ran with. Needs PyTorch with CUDA and Transformers; PEFT for LoRA."""
import importlib.metadata
import json
import sys
import time


def _version(package):
    try:
        return importlib.metadata.version(package)
    except importlib.metadata.PackageNotFoundError:
        return None


def _dtype(torch, name):
    return {"fp32": torch.float32, "bf16": torch.bfloat16, "fp16": torch.float16}[name]


def _build(torch, transformers, config_dict, attention, dtype):
    """Random weights from config.json, initialised on the GPU itself: no download, no host copy."""
    config_dict = dict(config_dict)
    config = transformers.AutoConfig.for_model(config_dict.pop("model_type"), **config_dict)
    # Transformers 4.56 renamed from_config's torch_dtype to dtype (the old name still warns).
    major, minor = (int(x) for x in transformers.__version__.split(".")[:2])
    dtype_arg = "dtype" if (major, minor) >= (4, 56) else "torch_dtype"
    with torch.device("cuda"):
        return transformers.AutoModelForCausalLM.from_config(config, attn_implementation=attention, **{dtype_arg: dtype})


def _train(torch, transformers, s, config_dict):
    mixed = s["precision"] == "bf16-mixed"
    # Mixed precision keeps fp32 weights (the master copy) and casts to bf16 inside autocast; pure bf16 and LoRA's
    # bf16 base hold bf16 weights.
    dtype = torch.float32 if s["precision"] in ("fp32", "bf16-mixed") else torch.bfloat16
    model = _build(torch, transformers, config_dict, s["attention"], dtype)
    model.config.use_cache = False
    if s["checkpointing"]:
        # Non-reentrant checkpointing: PyTorch's recommended mode, and it needs no input gradients under LoRA.
        model.gradient_checkpointing_enable(gradient_checkpointing_kwargs={"use_reentrant": False})
    if s["method"] == "lora":
        import peft

        targets = s["lora_targets"]
        lora = peft.LoraConfig(r=s["lora_rank"], lora_alpha=2 * s["lora_rank"], lora_dropout=0.0, task_type="CAUSAL_LM",
                               target_modules=targets if targets == "all-linear" else targets.split(","))
        model = peft.get_peft_model(model, lora)
    model.train()
    optimizer = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=1e-5, weight_decay=0.01)
    generator = torch.Generator(device="cuda").manual_seed(0)
    ids = torch.randint(0, config_dict["vocab_size"], (s["batch"], s["seq"]), device="cuda", generator=generator)
    torch.cuda.synchronize()
    torch.cuda.reset_peak_memory_stats()
    for _ in range(s["steps"]):
        with torch.autocast("cuda", dtype=torch.bfloat16, enabled=mixed):
            # As Trainer does: only the loss outlives the forward, so the logits are freed before backward.
            loss = model(input_ids=ids, labels=ids, use_cache=False).loss
        loss.backward()
        del loss
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
    torch.cuda.synchronize()


def _infer(torch, transformers, s, config_dict):
    model = _build(torch, transformers, config_dict, s["attention"], _dtype(torch, s["dtype"]))
    model.eval()
    generator = torch.Generator(device="cuda").manual_seed(0)
    ids = torch.randint(0, config_dict["vocab_size"], (s["batch"], s["prompt"]), device="cuda", generator=generator)
    eos = model.generation_config.eos_token_id
    pad = (eos[0] if isinstance(eos, list) else eos) if eos is not None else 0
    torch.cuda.synchronize()
    torch.cuda.reset_peak_memory_stats()
    with torch.inference_mode():
        model.generate(input_ids=ids, attention_mask=torch.ones_like(ids), max_new_tokens=s["new_tokens"],
                       min_new_tokens=s["new_tokens"], do_sample=False, pad_token_id=pad)
    torch.cuda.synchronize()


def measure(s, config_dict):
    try:
        import torch
        import transformers
    except ImportError as e:
        return {"outcome": "error", "error": f"needs PyTorch and Transformers ({e})"}
    if not torch.cuda.is_available():
        return {"outcome": "error", "error": "PyTorch sees no CUDA GPU"}
    env = {
        "gpu_name": torch.cuda.get_device_name(0),
        "gpu_total_bytes": torch.cuda.get_device_properties(0).total_memory,
        "torch": torch.__version__, "cuda": torch.version.cuda, "transformers": transformers.__version__,
        "peft": _version("peft"), "accelerate": _version("accelerate"),
    }
    out = {"env": env}
    start = time.monotonic()
    try:
        (_train if s["workload"] == "training" else _infer)(torch, transformers, s, config_dict)
    except (RuntimeError, MemoryError) as e:
        # torch.cuda.OutOfMemoryError (PyTorch >= 1.13) is a RuntimeError; older versions raise a plain one.
        if "out of memory" not in str(e).lower():
            raise
        out.update(outcome="oom", error=str(e).splitlines()[0], max_memory_allocated=torch.cuda.max_memory_allocated())
        return out
    free, total = torch.cuda.mem_get_info()
    out.update(outcome="ok", max_memory_allocated=torch.cuda.max_memory_allocated(),
               max_memory_reserved=torch.cuda.max_memory_reserved(), device_used=total - free,
               seconds=round(time.monotonic() - start, 2))
    return out


def main():
    request = json.loads(sys.stdin.read())
    try:
        result = measure(request["setting"], request["config"])
    except Exception as e:  # noqa: BLE001 - reported to the parent as one line, which goes on with the next setting
        result = {"outcome": "error", "error": f"{type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}"}
    sys.stdout.write("\n" + json.dumps(result) + "\n")


if __name__ == "__main__":
    main()
