"""llmem's offline catalog (data/hf-configs) as the measurement kit sees it: ids, aliases and config.json files.

The aliases follow llmem's own ModelCatalog (src/LlmMem.Formats/Catalog/ModelCatalog.cs): the id, the repository name,
"meta-" and "-hf" dropped, Ollama's joined family and version ("llama3.1"), and a name without its variant suffix when
the catalog holds only that variant. The kit always writes the full catalog id, which llmem resolves exactly.
"""
import difflib
import json
import os
import re

REPO_ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
CONFIG_DIR = os.path.join(REPO_ROOT, "data", "hf-configs")

# ModelCatalog.VariantSuffixes: suffixes a name may leave out when the catalog holds only that variant.
VARIANT_SUFFIXES = ("-instruct", "-it", "-chat-v1.0", "-chat", "-v0.1")


class CatalogError(Exception):
    """A model the catalog does not hold, or a catalog file that cannot be read: one line for the user."""


def _aliases(model_id):
    key = model_id.lower()
    repo = key.split("/", 1)[-1]
    names = [key, repo]
    if repo.startswith("meta-"):
        names.append(repo[len("meta-"):])
    names += [n[:-3] for n in names if n.endswith("-hf")]
    names += [re.sub(r"^([a-z]+)-(\d)", r"\1\2", n) for n in names]
    return list(dict.fromkeys(names))


class Catalog:
    def __init__(self, config_dir=CONFIG_DIR):
        self.config_dir = config_dir
        path = os.path.join(config_dir, "catalog.json")
        try:
            with open(path, encoding="utf-8") as f:
                entries = json.load(f)
        except (OSError, ValueError) as e:
            raise CatalogError(f"cannot read the catalog {path}: {e}") from None
        self.entries = {e["id"]: e["file"] for e in entries}
        self.index = {}
        for model_id in self.entries:
            for alias in _aliases(model_id):
                self.index.setdefault(alias, model_id)
        variantless = {}
        for model_id in self.entries:
            for alias in _aliases(model_id):
                for suffix in VARIANT_SUFFIXES:
                    if alias.endswith(suffix) and alias[: -len(suffix)] not in self.index:
                        variantless.setdefault(alias[: -len(suffix)], set()).add(model_id)
        for alias, ids in variantless.items():
            if len(ids) == 1:
                self.index[alias] = next(iter(ids))

    def resolve(self, name):
        """The catalog id a user's name means, or a one-line CatalogError naming the nearest ids."""
        hit = self.index.get(name.strip().lower())
        if hit is None:
            near = difflib.get_close_matches(name.strip().lower(), list(self.index), n=3)
            hint = f"; did you mean {', '.join(near)}?" if near else "; `llmem models` lists the catalog"
            raise CatalogError(f"unknown model '{name}': not in data/hf-configs/catalog.json{hint}")
        return hit

    def config_file(self, model_id):
        return os.path.join(self.config_dir, self.entries[model_id])

    def load_config(self, model_id):
        path = self.config_file(model_id)
        try:
            with open(path, encoding="utf-8") as f:
                config = json.load(f)
        except (OSError, ValueError) as e:
            raise CatalogError(f"cannot read {path}: {e}") from None
        if not isinstance(config, dict) or "model_type" not in config:
            raise CatalogError(f"{path} is not a Transformers config.json (no model_type)")
        return config
