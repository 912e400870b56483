"""Unit tests of the measurement kit that need no GPU and no torch (run by `dotnet test` through MeasureKitTests)."""
import contextlib
import importlib.util
import io
import json
import os
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import measure  # noqa: E402
import plan  # noqa: E402
import records  # noqa: E402
from catalog import Catalog, CatalogError  # noqa: E402


def _args(*argv):
    return measure.parser().parse_args(list(argv))


class CatalogTests(unittest.TestCase):
    def test_aliases_resolve_to_catalog_ids(self):
        catalog = Catalog()
        self.assertEqual("meta-llama/Llama-3.2-1B-Instruct", catalog.resolve("llama-3.2-1b"))
        self.assertEqual("meta-llama/Llama-3.1-8B", catalog.resolve("LLAMA3.1-8B"))
        self.assertEqual("Qwen/Qwen2.5-0.5B", catalog.resolve("Qwen/Qwen2.5-0.5B"))

    def test_unknown_model_names_the_nearest(self):
        with self.assertRaises(CatalogError) as e:
            Catalog().resolve("qwen2.5-0.6b")
        self.assertIn("unknown model 'qwen2.5-0.6b'", str(e.exception))
        self.assertIn("qwen2.5-0.5b", str(e.exception))


class PlanTests(unittest.TestCase):
    def test_default_suite_is_small_and_unique(self):
        settings = plan.expand(_args(), Catalog())
        self.assertEqual(25, len(settings))
        self.assertEqual(len(settings), len({s.key for s in settings}))
        self.assertEqual(9, sum(s.workload == "inference" for s in settings))

    def test_axes_replace_the_suites(self):
        settings = plan.expand(_args("--suite", "train", "--models", "qwen2.5-0.5b", "--methods", "lora", "--checkpointing", "on", "--seq", "512"), Catalog())
        # LoRA with bf16-mixed is dropped (plan.VALID_PAIRS); the blocks collapse into fp32 and bf16.
        self.assertEqual({("lora", "fp32"), ("lora", "bf16")}, {(s.method, s.precision) for s in settings})
        self.assertTrue(all(s.checkpointing and s.seq == 512 and s.model == "Qwen/Qwen2.5-0.5B" for s in settings))


class RecordTests(unittest.TestCase):
    setting = plan.Setting("training", "Qwen/Qwen2.5-0.5B", "sdpa", 2, method="lora", precision="bf16", seq=1024,
                           checkpointing=True, lora_rank=8, lora_targets="q_proj,v_proj", steps=3)
    env = {"gpu_name": "NVIDIA H100 80GB HBM3", "gpu_total_bytes": 85045395456, "transformers": "4.57.1", "peft": "0.17.1"}
    provenance = {"tool_version": measure.VERSION, "date": "2026-01-02T03:04:05+00:00"}

    def test_one_line_per_metric_with_exact_bytes(self):
        result = {"outcome": "ok", "max_memory_allocated": 111, "max_memory_reserved": 222, "device_used": 333, "seconds": 1.5}
        lines = records.lines(self.setting, result, self.env, self.provenance, dry_run=False)
        self.assertEqual(["allocated", "reserved", "device"], [line["id"].rsplit("-", 1)[1] for line in lines])
        self.assertEqual([111, 222, 333], [line["measured"][records.METRICS[m][0]] for m, line in zip(records.METRICS, lines)])
        first = lines[0]
        self.assertEqual("measured-nvidia-h100-80gb-hbm3-qwen-qwen2.5-0.5b-train-lora-r8-q-proj-v-proj-bf16-b2-s1024-sdpa-ckpt-allocated", first["id"])
        self.assertEqual({"rank": 8, "targets": "q_proj,v_proj"}, {k: first["lora"][k] for k in ("rank", "targets")})
        self.assertEqual(("measured", 2, 1024, True, "NVIDIA H100 80GB HBM3 (81105 MiB)"),
                         (first["kind"], first["per_device_batch_size"], first["seq_len"], first["gradient_checkpointing"], first["gpu"]))
        self.assertTrue(first["precision"].startswith("bf16 pure"))

    def test_out_of_memory_is_one_capacity_line(self):
        result = {"outcome": "oom", "error": "CUDA out of memory.", "max_memory_allocated": 5}
        [line] = records.lines(self.setting, result, self.env, self.provenance, dry_run=False)
        self.assertTrue(line["id"].endswith("-oom"))
        self.assertEqual({"oom": True, "max_memory_allocated_before_oom_bytes": 5}, line["measured"])

    def test_inference_says_so(self):
        s = plan.Setting("inference", "Qwen/Qwen2.5-0.5B", "eager", 8, dtype="bf16", prompt=1024, new_tokens=128)
        [line, *_] = records.lines(s, None, None, self.provenance, dry_run=True)
        self.assertEqual(("inference", "transformers", 8, 1024, 128, "eager", None),
                         (line["workload"], line["engine"], line["batch"], line["prompt_tokens"], line["new_tokens"], line["attention"], line["measured"]["max_memory_allocated_bytes"]))


class CommandTests(unittest.TestCase):
    def test_dry_run_imports_no_torch(self):
        with tempfile.TemporaryDirectory() as folder:
            out = os.path.join(folder, "measured-dry.jsonl")
            self.assertEqual(0, measure.main(["--dry-run", "--suite", "infer", "--out", out]))
            with open(out, encoding="utf-8") as f:
                lines = [json.loads(line) for line in f]
        self.assertEqual(27, len(lines))
        self.assertTrue(all(line["dry_run"] for line in lines))
        self.assertNotIn("torch", sys.modules)

    @unittest.skipIf(importlib.util.find_spec("torch") is not None, "torch is installed: the worker would really measure")
    def test_worker_answers_on_its_last_line(self):
        # The parent-worker protocol (a JSON request on stdin, a JSON result on the last stdout line), without torch.
        [setting] = plan.expand(_args("--suite", "infer", "--models", "qwen2.5-0.5b", "--batch", "1", "--prompt", "16", "--new-tokens", "4", "--attention", "sdpa"), Catalog())
        result = measure._run_one(setting, Catalog().load_config(setting.model), timeout=60)
        self.assertEqual("error", result["outcome"])
        self.assertIn("needs PyTorch and Transformers", result["error"])

    def test_bad_arguments_are_one_line_and_exit_2(self):
        for argv in (["--precisions", "fp8"], ["--batch", "0"], ["--attention", "flash"], ["--lora-targets", "q proj"]):
            err = io.StringIO()
            with self.subTest(argv=argv), contextlib.redirect_stderr(err), self.assertRaises(SystemExit) as e:
                measure.main(["--dry-run", *argv])
            self.assertEqual(2, e.exception.code)
            self.assertEqual(1, len(err.getvalue().strip().splitlines()), err.getvalue())


if __name__ == "__main__":
    unittest.main()
