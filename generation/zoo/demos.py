"""Demos: what the generation app asks of the zoo (plain Python and torch; no Django).

A demo is one runnable request a user can make of a shipped model: a parameter schema (names, kinds, ranges,
defaults) that the web form and the API validate against, and a run function that returns artefacts (PNG
grids, text, frames of a trajectory) and metadata. Each family file declares its demos in a module-level
``DEMOS`` tuple; ``list_demos`` collects them from the registry's family modules, so new demos need no
change here or in the generation app.

    validate_params(demo, raw) -> dict     fills defaults, coerces types, raises params.ParamError(errors)
    run_demo(slug, params, device=..., progress=...) -> DemoResult
        progress(step, total) is called at every step; if it raises, sampling stops and the exception
        propagates (that is how a job is cancelled).
"""

from __future__ import annotations

import inspect
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import torch

from generation.zoo.classes import FASHION_CLASSES
from generation.zoo.params import Param, validate

Progress = Callable[[int, int], None]


@dataclass
class Artefact:
    name: str  # unique within one result, e.g. "samples.png"
    content_type: str  # "image/png" | "text/plain" | ...
    data: bytes
    role: str = "result"  # "result" | "frame" (a step of a trajectory, in order)


@dataclass
class DemoResult:
    artefacts: list[Artefact]
    metadata: dict  # seed, device, timings, checkpoint sha256, ...


# run(params, *, device, progress) -> (artefacts, extra metadata); params are already validated.
Runner = Callable[..., tuple[list[Artefact], dict]]


@dataclass(frozen=True)
class Demo:
    slug: str
    family: str  # catalog family slug
    title: str
    description: str
    model: str  # zoo registry name
    params: tuple[Param, ...]
    citation_key: str
    run: Runner = field(repr=False, compare=False, default=None)
    also: tuple[str, ...] = ()  # further family slugs whose pages show it: a composition belongs to each

    @property
    def families(self) -> tuple[str, ...]:
        return (self.family, *self.also)

    @property
    def checkpoint_path(self) -> Path:
        from generation.zoo import registry

        return registry.get_model(self.model).checkpoint_path

    @property
    def manifest(self) -> dict:
        """Config, seed, split, steps, wall time, versions, sha256 and metrics of the shipped checkpoint."""
        from generation.zoo import registry

        return registry.read_manifest(self.model)

    def param(self, name: str) -> Param:
        return next(p for p in self.params if p.name == name)


# --- collection ----------------------------------------------------------------------------------------


def list_demos() -> list[Demo]:
    import importlib

    from generation.zoo import registry

    found: list[Demo] = []
    for module_name in registry.FAMILY_MODULES:
        found.extend(getattr(importlib.import_module(module_name), "DEMOS", ()))
    slugs = [demo.slug for demo in found]
    assert len(slugs) == len(set(slugs)), f"duplicate demo slugs: {slugs}"
    # The 28x28 Fashion-MNIST models are each family's headline; the 8x8 digits ones follow (a stable sort,
    # so each family file's own order holds within each group).
    dataset = {entry.name: entry.dataset for entry in registry.list_models()}
    found.sort(key=lambda demo: dataset[demo.model] != "fashion")
    return found


def get_demo(slug: str) -> Demo:
    for demo in list_demos():
        if demo.slug == slug:
            return demo
    raise KeyError(f"unknown demo {slug!r}")


# --- validation --------------------------------------------------------------------------------------


def validate_params(demo: Demo, raw: Mapping) -> dict:
    """Every param of the demo, typed and in range, defaults filled; ParamError lists every problem."""
    return validate(demo.params, raw, owner=demo.slug)


# --- running -------------------------------------------------------------------------------------------


def run_demo(
    slug: str,
    params: dict,
    *,
    device: str = "cpu",
    progress: Progress | None = None,
    preview: Callable[[Artefact], None] | None = None,
) -> DemoResult:
    """Validate, run, and describe one demo request. Exceptions from ``progress`` propagate (cancel).

    ``preview(artefact)`` receives each frame artefact as soon as a demo that makes frames (diffusion,
    Langevin) makes it; other demos never call it. Its exceptions propagate like ``progress``'s.
    """
    from generation.zoo import registry

    demo = get_demo(slug)
    clean = validate_params(demo, params)
    started = time.perf_counter()
    registry.load(demo.model, device=device)  # cached per process; timed separately from sampling
    loaded = time.perf_counter()
    with torch.random.fork_rng(devices=[]):  # never disturb the caller's global RNG
        extra_kwargs = {"preview": preview} if preview is not None and _accepts_preview(demo.run) else {}
        artefacts, extra = demo.run(clean, device=device, progress=progress, **extra_kwargs)
    finished = time.perf_counter()
    manifest = demo.manifest
    metadata = {
        "demo": demo.slug,
        "model": demo.model,
        "family": demo.family,
        "params": clean,
        "seed": clean.get("seed"),
        "device": str(device),
        "checkpoint_sha256": manifest.get("sha256", ""),
        "torch": torch.__version__,
        "timings": {"load_s": round(loaded - started, 4), "run_s": round(finished - loaded, 4)},
        **extra,
    }
    return DemoResult(artefacts=artefacts, metadata=metadata)


def _accepts_preview(run: Callable) -> bool:
    """Only demos that make frames declare ``preview``; the others keep their plain signature."""
    return "preview" in inspect.signature(run).parameters


def labels_for(choice: str, n: int, classes: tuple[str, ...] = FASHION_CLASSES) -> torch.Tensor | None:
    """A demo's ``label`` choice as class ids (n,) long, or None for "any" (the model draws the classes)."""
    return None if choice == "any" else torch.full((n,), classes.index(choice), dtype=torch.long)


def generator_for(seed: int) -> torch.Generator:
    """A CPU generator: noise is drawn on the CPU and moved, so a seed means the same noise on any device."""
    return torch.Generator(device="cpu").manual_seed(int(seed))
