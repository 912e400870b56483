"""What to measure: settings, the default suites, and the grid the command line narrows or replaces."""
import dataclasses
import itertools
import re

# Training precisions, each as the kit runs it (worker.py) and as it is written for llmem's TrainingValidator, which
# reads the "precision" text (src/LlmMem.Formats/Validation/TrainingValidator.cs, Precision).
TRAIN_PRECISIONS = {
    "fp32": "fp32 (fp32 weights, gradients and AdamW states; no autocast)",
    "bf16-mixed": "bf16 mixed (torch.autocast bf16; fp32 master weights, gradients and AdamW states)",
    "bf16": "bf16 pure (bf16 weights, gradients and AdamW states; LoRA: bf16 base, PEFT's fp32 adapters)",
}
METHODS = ("full", "lora")
ATTENTIONS = ("eager", "sdpa")
INFER_DTYPES = ("bf16", "fp16", "fp32")
SUITES = ("train", "infer", "all")

# LoRA keeps a frozen base: autocast over an fp32 base is not a recipe llmem models (its LoRA base is in the weights'
# type), so LoRA runs in bf16 (bf16 base) or fp32.
VALID_PAIRS = {("full", "fp32"), ("full", "bf16-mixed"), ("full", "bf16"), ("lora", "fp32"), ("lora", "bf16")}

SMALL = ["qwen2.5-0.5b", "llama-3.2-1b"]

# The default suite: about 25 settings, each a fresh process of ~15-30 s on an H100, so < 20 minutes; the largest
# (Llama 3.1 8B LoRA at 2,048 tokens without checkpointing) needs ~16 GiB of bf16 weights plus activations, well
# inside 80 GB. Each block is a small grid.
TRAIN_SUITE = [
    dict(models=SMALL, methods=["full"], precisions=["fp32", "bf16-mixed"], batches=[2], seqs=[1024], checkpointing=[False, True], attentions=["sdpa"]),
    dict(models=SMALL, methods=["full"], precisions=["bf16-mixed"], batches=[2], seqs=[1024], checkpointing=[False], attentions=["eager"]),
    dict(models=SMALL, methods=["lora"], precisions=["bf16"], batches=[4], seqs=[1024], checkpointing=[False, True], attentions=["sdpa"]),
    dict(models=["llama-3.1-8b"], methods=["lora"], precisions=["bf16"], batches=[1], seqs=[2048], checkpointing=[False, True], attentions=["sdpa"]),
]
INFER_SUITE = [
    dict(models=SMALL, batches=[1, 8], prompts=[1024], new_tokens=[128], attentions=["eager", "sdpa"]),
    dict(models=["llama-3.1-8b"], batches=[4], prompts=[2048], new_tokens=[128], attentions=["sdpa"]),
]


@dataclasses.dataclass(frozen=True)
class Setting:
    """One measurement, run in its own process. Training fields are None for inference and the other way round."""

    workload: str  # "training" or "inference"
    model: str  # the catalog id
    attention: str
    batch: int
    method: str = None
    precision: str = None
    seq: int = None
    checkpointing: bool = None
    lora_rank: int = None
    lora_targets: str = None
    steps: int = None
    dtype: str = None
    prompt: int = None
    new_tokens: int = None

    @property
    def key(self):
        """A short, unique, file-name-safe name: the stem of every id this setting writes."""
        model = re.sub(r"[^a-z0-9.]+", "-", self.model.lower()).strip("-")
        if self.workload == "inference":
            return f"{model}-infer-{self.dtype}-b{self.batch}-p{self.prompt}-n{self.new_tokens}-{self.attention}"
        lora = f"-r{self.lora_rank}-{re.sub(r'[^a-z0-9]+', '-', self.lora_targets.lower())}" if self.method == "lora" else ""
        ckpt = "ckpt" if self.checkpointing else "nockpt"
        return f"{model}-train-{self.method}{lora}-{self.precision}-b{self.batch}-s{self.seq}-{self.attention}-{ckpt}"

    def describe(self):
        if self.workload == "inference":
            return f"{self.model} generate() {self.dtype} batch {self.batch} prompt {self.prompt} + {self.new_tokens} new, {self.attention}"
        lora = f" r{self.lora_rank} {self.lora_targets}" if self.method == "lora" else ""
        ckpt = "checkpointing" if self.checkpointing else "no checkpointing"
        return f"{self.model} {self.method}{lora} {self.precision} batch {self.batch} seq {self.seq}, {self.attention}, {ckpt}"


def expand(args, catalog):
    """Every setting the command line asks for: each suite block, with any axis the user gave replacing the block's."""
    settings = []
    if args.suite in ("train", "all"):
        for block in TRAIN_SUITE:
            for model, method, precision, batch, seq, ckpt, attention in itertools.product(
                args.models or block["models"], args.methods or block["methods"], args.precisions or block["precisions"],
                args.batch or block["batches"], args.seq or block["seqs"],
                args.checkpointing if args.checkpointing is not None else block["checkpointing"],
                args.attention or block["attentions"],
            ):
                if (method, precision) not in VALID_PAIRS:
                    continue
                lora = method == "lora"
                settings.append(Setting(
                    "training", catalog.resolve(model), attention, batch, method=method, precision=precision, seq=seq,
                    checkpointing=ckpt, lora_rank=args.lora_rank if lora else None,
                    lora_targets=args.lora_targets if lora else None, steps=args.steps))
    if args.suite in ("infer", "all"):
        for block in INFER_SUITE:
            for model, batch, prompt, new, attention in itertools.product(
                args.models or block["models"], args.batch or block["batches"], args.prompt or block["prompts"],
                args.new_tokens or block["new_tokens"], args.attention or block["attentions"],
            ):
                settings.append(Setting("inference", catalog.resolve(model), attention, batch, dtype=args.infer_dtype,
                                        prompt=prompt, new_tokens=new))
    return list(dict.fromkeys(settings))
