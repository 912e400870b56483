#!/usr/bin/env python3
"""llmem's GPU measurement kit: measures the memory of real Transformers/PyTorch runs (random weights built from the
catalog's config.json files) and writes them as ground-truth JSON Lines that `llmem validate` reads.

    python3 tools/measure/measure.py --dry-run --suite all              # no GPU, no torch: the plan, as JSON Lines
    python3 tools/measure/measure.py --suite all --out data/groundtruth/measured-h100.jsonl

See tools/measure/README.md. Every setting runs in a fresh process (worker.py); this process never touches the GPU.
"""
import argparse
import contextlib
import dataclasses
import datetime
import importlib.util
import json
import os
import platform
import shlex
import shutil
import subprocess
import sys

from catalog import Catalog, CatalogError
from plan import ATTENTIONS, INFER_DTYPES, METHODS, SUITES, TRAIN_PRECISIONS, expand
import records

VERSION = "1.0"
WORKER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "worker.py")
MAX_TOKENS = 1 << 20  # a bound on --batch, --seq, --prompt and --new-tokens: a typo must not plan a petabyte


class OneLineParser(argparse.ArgumentParser):
    """argparse, but an error is one line (no usage block), exit 2."""

    def error(self, message):
        sys.stderr.write(f"measure.py: error: {message}\n")
        sys.exit(2)


def _list(choices, what):
    def parse(text):
        items = [t.strip() for t in text.split(",") if t.strip()]
        for item in items:
            if item not in choices:
                raise argparse.ArgumentTypeError(f"unknown {what} '{item}'; valid: {', '.join(choices)}")
        if not items:
            raise argparse.ArgumentTypeError(f"no {what} given")
        return list(dict.fromkeys(items))
    return parse


def _counts(text):
    values = []
    for item in (t.strip() for t in text.split(",")):
        if not item.isdigit() or not 1 <= int(item) <= MAX_TOKENS:
            raise argparse.ArgumentTypeError(f"'{item}' is not a whole number from 1 to {MAX_TOKENS}")
        values.append(int(item))
    return list(dict.fromkeys(values))


def _positive(text):
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"'{text}' is not a positive whole number")
    return int(text)


def _checkpointing(text):
    table = {"on": [True], "off": [False], "both": [False, True]}
    if text not in table:
        raise argparse.ArgumentTypeError(f"'{text}' is not on, off or both")
    return table[text]


def _targets(text):
    names = [t.strip() for t in text.split(",") if t.strip()]
    if not names or not all(n == "all-linear" or n.replace("_", "").isalnum() for n in names):
        raise argparse.ArgumentTypeError(f"'{text}' is not all-linear or a comma-separated list of module names")
    return ",".join(names)


def parser():
    p = OneLineParser(prog="measure.py", description="Measure LLM GPU memory with random weights from llmem's catalog configs.")
    p.add_argument("--suite", choices=SUITES, default="all", help="train, infer or all (default) of the default suite (README)")
    p.add_argument("--models", type=lambda t: [m.strip() for m in t.split(",") if m.strip()],
                   help="catalog ids or aliases, comma-separated (replace every suite block's models)")
    p.add_argument("--methods", type=_list(METHODS, "method"), help="full, lora")
    p.add_argument("--precisions", type=_list(list(TRAIN_PRECISIONS), "precision"), help="training: fp32, bf16-mixed, bf16")
    p.add_argument("--batch", type=_counts, help="batch sizes, comma-separated")
    p.add_argument("--seq", type=_counts, help="training sequence lengths")
    p.add_argument("--checkpointing", type=_checkpointing, help="gradient checkpointing: on, off or both")
    p.add_argument("--attention", type=_list(ATTENTIONS, "attention"), help="eager, sdpa")
    p.add_argument("--lora-rank", type=_positive, default=16, help="LoRA rank (default 16; alpha = 2 x rank)")
    p.add_argument("--lora-targets", type=_targets, default="all-linear", help="all-linear (default) or module names")
    p.add_argument("--steps", type=_positive, default=3, help="training steps per setting (default 3: the optimizer states exist from step 1)")
    p.add_argument("--prompt", type=_counts, help="inference prompt lengths")
    p.add_argument("--new-tokens", type=_counts, help="inference tokens to generate")
    p.add_argument("--infer-dtype", choices=INFER_DTYPES, default="bf16", help="inference weights' dtype (default bf16)")
    p.add_argument("--timeout", type=_positive, default=900, help="seconds per setting before it is abandoned (default 900)")
    p.add_argument("--out", default="-", help="the .jsonl file to write (default: stdout)")
    p.add_argument("--dry-run", action="store_true", help="plan and write the lines without measuring: no GPU, no torch")
    p.add_argument("--version", action="version", version=f"llmem measure {VERSION}")
    return p


def _driver():
    """The NVIDIA driver, from nvidia-smi (a separate process: no CUDA context in this one)."""
    if shutil.which("nvidia-smi") is None:
        return None
    try:
        out = subprocess.run(["nvidia-smi", "--query-gpu=driver_version", "--format=csv,noheader"],
                             capture_output=True, text=True, timeout=30, check=False).stdout.strip().splitlines()
    except (OSError, subprocess.SubprocessError):
        return None
    return out[0] if out else None


def _provenance(argv, env, driver):
    env = env or {}
    return {
        "tool": "llmem tools/measure", "tool_version": VERSION,
        "command": shlex.join(["python3", "tools/measure/measure.py", *argv]),
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "python": platform.python_version(),
        "gpu": env.get("gpu_name"), "gpu_total_bytes": env.get("gpu_total_bytes"), "driver": driver,
        "cuda": env.get("cuda"), "torch": env.get("torch"), "transformers": env.get("transformers"),
        "peft": env.get("peft"), "accelerate": env.get("accelerate"),
        "pytorch_cuda_alloc_conf": os.environ.get("PYTORCH_CUDA_ALLOC_CONF"),
    }


def _run_one(setting, config, timeout):
    request = json.dumps({"setting": dataclasses.asdict(setting), "config": config})
    try:
        done = subprocess.run([sys.executable, WORKER], input=request, capture_output=True, text=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        return {"outcome": "error", "error": f"no result within {timeout} s (--timeout)"}
    last = next((line for line in reversed(done.stdout.splitlines()) if line.startswith("{")), None)
    if last is None:
        tail = (done.stderr.strip().splitlines() or ["no output"])[-1]
        return {"outcome": "error", "error": f"the worker exited with {done.returncode}: {tail}"}
    return json.loads(last)


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    args = parser().parse_args(argv)
    try:
        catalog = Catalog()
        settings = expand(args, catalog)
        configs = {m: catalog.load_config(m) for m in dict.fromkeys(s.model for s in settings)}
    except CatalogError as e:
        sys.stderr.write(f"measure.py: error: {e}\n")
        return 2
    for model, config in configs.items():
        if not isinstance(config.get("vocab_size"), int):
            sys.stderr.write(f"measure.py: error: {model}: its config.json has no top-level vocab_size (a multimodal config); the kit builds causal LMs\n")
            return 2
    if not settings:
        sys.stderr.write("measure.py: error: no setting to run: LoRA runs in bf16 or fp32, not bf16-mixed\n")
        return 2

    if not args.dry_run:
        needed = ["torch", "transformers"] + (["peft"] if any(s.method == "lora" for s in settings) else [])
        missing = [m for m in needed if importlib.util.find_spec(m) is None]
        if missing:
            sys.stderr.write(f"measure.py: error: {', '.join(missing)} not installed (tools/measure/README.md); --dry-run needs none\n")
            return 1

    driver = None if args.dry_run else _driver()
    try:
        out = sys.stdout if args.out == "-" else open(args.out, "w", encoding="utf-8")
    except OSError as e:
        sys.stderr.write(f"measure.py: error: cannot write {args.out}: {e.strerror}\n")
        return 1
    failures = 0
    with out if out is not sys.stdout else contextlib.nullcontext():
        for number, setting in enumerate(settings, 1):
            result, env = None, None
            if not args.dry_run:
                result = _run_one(setting, configs[setting.model], args.timeout)
                env = result.get("env")
                if result["outcome"] == "error":
                    failures += 1
                    sys.stderr.write(f"[{number}/{len(settings)}] {setting.describe()}: error: {result['error']}\n")
                    if env is None and number == 1:
                        sys.stderr.write("measure.py: error: the first setting could not start; nothing measured\n")
                        return 1
                    continue
                sys.stderr.write(f"[{number}/{len(settings)}] {setting.describe()}: {result['outcome']}"
                                 + (f", allocated {result['max_memory_allocated'] / 2**30:.2f} GiB" if result["outcome"] == "ok" else "") + "\n")
            for record in records.lines(setting, result, env, _provenance(argv, env, driver), args.dry_run):
                out.write(json.dumps(record, ensure_ascii=False) + "\n")
            out.flush()
    return 1 if failures else 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except BrokenPipeError:
        # The reader of stdout went away (`| head`): nothing more to say.
        sys.stderr.close()
        sys.exit(1)
    except KeyboardInterrupt:
        sys.stderr.write("measure.py: interrupted; the lines written so far are complete\n")
        sys.exit(130)
