"""The JSON Lines the kit writes: data/groundtruth/training.jsonl's schema (read by llmem's TrainingValidator through
src/LlmMem.Formats/Validation/TrainingCase.cs), one line per setting and metric, each with the run's provenance."""
import re

from plan import TRAIN_PRECISIONS

# One line per metric: TrainingCase.Peak() reads one peak field per case, and Metric() says how it counts it.
# Exact bytes, so a comparison's rounding is half a byte.
METRICS = {
    "allocated": ("max_memory_allocated_bytes",
                  "torch.cuda.max_memory_allocated() over the steps, after reset_peak_memory_stats() once the model was built: "
                  "live tensors only (no CUDA context, no caching-allocator slack)"),
    "reserved": ("max_memory_reserved_bytes",
                 "torch.cuda.max_memory_reserved() over the steps: the caching allocator's segments (tensors and their slack; "
                 "no CUDA context)"),
    "device": ("device_used_bytes",
               "device memory used, total - free from torch.cuda.mem_get_info() (as nvidia-smi counts it) after the last step, "
               "before anything is freed: the CUDA context, the allocator's reserved segments and any other process on the GPU"),
}

OPTIMIZER = "torch.optim.AdamW (lr 1e-5, weight_decay 0.01; PyTorch's default implementation)"


def gpu_slug(env):
    name = (env or {}).get("gpu_name")
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") if name else "dry-run"


def _gpu_text(env):
    if not env or not env.get("gpu_name"):
        return None
    return f"{env['gpu_name']} ({env['gpu_total_bytes'] // 2**20} MiB)"


def _common(setting, env, provenance, dry_run):
    date = provenance["date"][:10]
    where = f"on {env['gpu_name']}" if env and env.get("gpu_name") else "dry run, nothing measured"
    return {
        "source": f"llmem tools/measure/measure.py {provenance['tool_version']} ({where}, {date}); random weights from {setting.model}'s config.json",
        "source_url": None,
        "kind": "measured",
        "dry_run": dry_run,
        "workload": setting.workload,
        "model": setting.model,
        "params": None,
        "attention": setting.attention,
        # TrainingValidator reads flash_attention (true: flash, false: eager, null: SDPA); "attention" says it outright.
        "flash_attention": False if setting.attention == "eager" else None,
        "parallelism": "single GPU",
        "num_gpus": 1,
        "cpu_offload": False,
        "torch_compile": False,
        "gpu": _gpu_text(env),
    }


def _training_fields(s, env):
    lora = {"rank": s.lora_rank, "alpha": 2 * s.lora_rank, "targets": s.lora_targets, "dropout": 0.0,
            "note": "peft.LoraConfig(task_type='CAUSAL_LM'); adapters in fp32 (PEFT's autocast_adapter_dtype default)"} if s.method == "lora" else None
    versions = f"transformers {env.get('transformers') or '?'}" + (f" + peft {env.get('peft') or '?'}" if lora else "") if env else "transformers"
    return {
        "framework": f"{versions}, a training loop like Trainer's: loss = model(input_ids, labels).loss; loss.backward(); AdamW step; zero_grad(set_to_none=True)",
        "task": "LoRA fine-tuning (PEFT)" if lora else "full fine-tuning",
        "precision": TRAIN_PRECISIONS[s.precision],
        "optimizer": OPTIMIZER,
        "per_device_batch_size": s.batch,
        "gradient_accumulation_steps": 1,
        "seq_len": s.seq,
        # Random token ids, every sequence exactly seq_len long: nothing is padded.
        "packed": None,
        "gradient_checkpointing": s.checkpointing,
        "lora": lora,
        "base_quantization": None,
        "steps": s.steps,
    }


def _inference_fields(s):
    return {
        "engine": "transformers",
        "framework": "transformers generate(): prefill of the prompt, then greedy decoding with min_new_tokens = max_new_tokens (random weights never stop early)",
        "task": "inference: generate() prefill + decode",
        "precision": s.dtype,
        "batch": s.batch,
        "prompt_tokens": s.prompt,
        "new_tokens": s.new_tokens,
        "cache": "dynamic (DynamicCache, generate()'s default)",
    }


def lines(setting, result, env, provenance, dry_run):
    """The records of one setting: one per metric, or one "oom" record when the setting did not fit."""
    base = _common(setting, env, provenance, dry_run)
    base.update(_training_fields(setting, env) if setting.workload == "training" else _inference_fields(setting))
    stem = f"measured-{gpu_slug(env)}-{setting.key}"
    outcome = None if dry_run else result["outcome"]
    tail = {"outcome": outcome, "notes": None, "raw": None, "provenance": provenance}
    if outcome == "oom":
        record = dict({"id": f"{stem}-oom"}, **base, metric=f"out of memory on {base['gpu']}: the setting does not fit (a capacity datum)",
                      measured={"oom": True, "max_memory_allocated_before_oom_bytes": result.get("max_memory_allocated")}, **tail)
        record["raw"] = [result.get("error")]
        return [record]
    records = []
    for name, (field, text) in METRICS.items():
        value = None if dry_run else result[{"allocated": "max_memory_allocated", "reserved": "max_memory_reserved", "device": "device_used"}[name]]
        measured = {field: value, "oom": False if not dry_run else None}
        if not dry_run and result.get("seconds") is not None:
            measured["seconds"] = result["seconds"]
        records.append(dict({"id": f"{stem}-{name}"}, **base, metric=text, measured=measured, **tail))
    return records
