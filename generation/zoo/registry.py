"""The zoo's registry: model name -> family slug, code module, shipped checkpoint.

Each family file declares its models in a module-level ``MODELS`` tuple of ``ZooModel`` and provides the
same few functions, looked up by name (no base class, no plugin machinery):

    Config                      @dataclass with the hyper-parameters, ``steps`` included
    build(config) -> nn.Module  the network, with ``.config`` set
    fit(model, config, *, generator, log) -> dict
                                the training loop (data from ``generation.zoo.data``); returns final metrics
    sample(model, n, *, generator, device="cpu", progress=None, ...) -> tensor
                                images: long (n, 1, 8, 8) levels 0..16; text models: list[str]
    nll_bits_per_dim(model, x) -> tensor (B,)
                                optional: exact NLL or a bound, bits per dimension of 17-level digits
    nats_per_char(model, names) -> float
                                optional, text models: mean test NLL per character

A new family file is added to ``FAMILY_MODULES`` below.
"""

from __future__ import annotations

import dataclasses
import hashlib
import importlib
import json
import threading
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from types import ModuleType

import torch

CHECKPOINTS = Path(__file__).resolve().parent / "checkpoints"

# One line per family file.
FAMILY_MODULES: tuple[str, ...] = (
    "generation.zoo.gan",
    "generation.zoo.vae",
    "generation.zoo.diffusion",
    "generation.zoo.realnvp",
    "generation.zoo.nice",
    "generation.zoo.plane_flow",
    "generation.zoo.pixelcnn",
    "generation.zoo.char_rnn",
    "generation.zoo.ebm",
    "generation.zoo.transformer",
    "generation.zoo.vqvae",
    "generation.zoo.latent_diffusion",
)


@dataclass(frozen=True)
class ZooModel:
    name: str  # registry name, also the checkpoint file stem: checkpoints/<name>.pt
    family: str  # catalog family slug (gans, vaes, diffusion-models, ...)
    module: str  # dotted path of the family file holding Config, build, fit, sample
    kind: str = (
        "image"  # "image" (digits or Fashion-MNIST: see ``dataset``), "text" (names) or "plane" (2-D toy)
    )
    title: str = ""
    citation_key: str = ""  # the paper the implementation follows, as keyed in the catalog
    config: dict = field(default_factory=dict)  # overrides of the family's Config defaults for this model
    seed: int = 0  # the seed the shipped checkpoint was trained with
    likelihood: str = "exact"  # what nll_bits_per_dim gives: "exact", or "bound" (ELBO, dequantised density)
    # A composition of two families: the single-family zoo models it is built from or stands in for, so the
    # report can answer "does the composition beat its parts?" (empty for every other model).
    parts: tuple[str, ...] = ()

    @property
    def dataset(self) -> str:
        """The image set an image model was trained on: ``config["dataset"]``, digits when unset."""
        return self.config.get("dataset", "digits")

    @property
    def code(self) -> ModuleType:
        return importlib.import_module(self.module)

    def make_config(self, **overrides):
        return self.code.Config(**{**self.config, **overrides})

    @property
    def checkpoint_path(self) -> Path:
        return CHECKPOINTS / f"{self.name}.pt"

    @property
    def manifest_path(self) -> Path:
        return CHECKPOINTS / f"{self.name}.json"


@cache
def _models() -> dict[str, ZooModel]:
    found: dict[str, ZooModel] = {}
    for module_name in FAMILY_MODULES:
        for entry in importlib.import_module(module_name).MODELS:
            assert entry.name not in found, f"zoo model {entry.name!r} is declared twice"
            found[entry.name] = entry
    return found


def list_models() -> list[ZooModel]:
    return list(_models().values())


def get_model(name: str) -> ZooModel:
    try:
        return _models()[name]
    except KeyError:
        raise KeyError(f"unknown zoo model {name!r}; known: {', '.join(sorted(_models()))}") from None


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def read_manifest(name: str) -> dict:
    """The JSON manifest written by training (and extended by ``evaluate``); FileNotFoundError if absent."""
    return json.loads(get_model(name).manifest_path.read_text())


def write_manifest(name: str, manifest: dict) -> None:
    path = get_model(name).manifest_path
    path.write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")


class ChecksumMismatch(RuntimeError):
    """The checkpoint on disk is not the one its manifest describes."""


_load_lock = threading.Lock()
_loaded: dict[tuple[str, str], torch.nn.Module] = {}


def load(name: str, *, device: str = "cpu") -> torch.nn.Module:
    """The shipped model in eval mode, loaded once per process and device; the hash is checked first."""
    key = (name, str(device))
    with _load_lock:
        if key not in _loaded:
            entry = get_model(name)
            manifest = read_manifest(name)
            actual = sha256_of(entry.checkpoint_path)
            if actual != manifest["sha256"]:
                raise ChecksumMismatch(
                    f"{entry.checkpoint_path.name}: sha256 {actual} differs from the manifest's "
                    f"{manifest['sha256']}"
                )
            state = torch.load(entry.checkpoint_path, map_location="cpu", weights_only=True)
            config = entry.code.Config(**state["config"])
            model = entry.code.build(config)
            model.load_state_dict(state["state_dict"])
            _loaded[key] = model.to(device).eval()
        return _loaded[key]


def config_dict(config) -> dict:
    return dataclasses.asdict(config)
