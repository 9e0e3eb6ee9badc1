"""The demo contract between the zoo and the generation app (plain Python; no Django).

A demo is one runnable request a user can make of a shipped model: a parameter schema (names, kinds, ranges,
defaults) that the web form and the API validate against, and a run function that returns artefacts (PNG
grids, text, frames of a trajectory) and metadata. Each family file declares its demos in a module-level
``DEMOS`` tuple; ``list_demos`` collects them from the registry's family modules, so new demos need no
change here or in the generation app.

    validate_params(demo, raw) -> dict     fills defaults, coerces types, raises ParamError(errors)
    run_demo(slug, params, device=..., progress=...) -> DemoResult
        progress(step, total) is called at every step; if it raises, sampling stops and the exception
        propagates (that is how a job is cancelled).
"""

from __future__ import annotations

import inspect
import math
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import torch

Progress = Callable[[int, int], None]

SEED_MAX = 2**31 - 1
N_MAX = 64


@dataclass(frozen=True)
class Param:
    name: str
    kind: str  # "int" | "float" | "choice" | "str"
    default: object
    minimum: float | None = None  # inclusive; for "str", the shortest allowed length
    maximum: float | None = None  # inclusive; for "str", the longest allowed length
    choices: tuple = ()  # allowed values of a "choice" (strings)
    help: str = ""

    def __post_init__(self):
        assert self.kind in ("int", "float", "choice", "str"), (
            f"param {self.name}: unknown kind {self.kind!r}"
        )
        assert self.kind != "choice" or self.default in self.choices, (
            f"param {self.name}: default not a choice"
        )


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


class ParamError(ValueError):
    """Parameters a demo cannot take; ``errors`` maps each offending field to what was wrong."""

    def __init__(self, errors: dict[str, str]):
        self.errors = errors
        super().__init__("; ".join(f"{key}: {message}" for key, message in errors.items()))


def seed_param(default: int = 0) -> Param:
    return Param(
        "seed", "int", default, 0, SEED_MAX, help="Random seed: the same seed gives the same output."
    )


def n_param(default: int = 16, help: str = "Number of samples.") -> Param:
    return Param("n", "int", default, 1, N_MAX, help=help)


# --- collection ----------------------------------------------------------------------------------------


def list_demos() -> list[Demo]:
    import importlib

    from generation.zoo import registry

    found: list[Demo] = []
    for module_name in registry.FAMILY_MODULES:
        found.extend(getattr(importlib.import_module(module_name), "DEMOS", ()))
    slugs = [demo.slug for demo in found]
    assert len(slugs) == len(set(slugs)), f"duplicate demo slugs: {slugs}"
    return found


def get_demo(slug: str) -> Demo:
    for demo in list_demos():
        if demo.slug == slug:
            return demo
    raise KeyError(f"unknown demo {slug!r}")


# --- validation --------------------------------------------------------------------------------------


def _coerce(param: Param, value: object) -> object:
    """The value in the param's type, or ValueError with a message for the user."""
    if param.kind == "int":
        if isinstance(value, bool):
            raise ValueError("must be a whole number")
        if isinstance(value, int):
            return value
        if isinstance(value, float) and value.is_integer():
            return int(value)
        if isinstance(value, str):
            try:
                return int(value.strip())
            except ValueError:
                pass
        raise ValueError("must be a whole number")
    if param.kind == "float":
        if isinstance(value, bool):
            raise ValueError("must be a number")
        if isinstance(value, int | float):
            number = float(value)
        elif isinstance(value, str):
            try:
                number = float(value.strip())
            except ValueError:
                raise ValueError("must be a number") from None
        else:
            raise ValueError("must be a number")
        if not math.isfinite(number):
            raise ValueError("must be a finite number")
        return number
    if param.kind == "choice":
        text = str(value) if isinstance(value, int) and not isinstance(value, bool) else value
        if not isinstance(text, str) or text not in param.choices:
            raise ValueError(f"must be one of {', '.join(map(str, param.choices))}")
        return text
    if not isinstance(value, str):
        raise ValueError("must be text")
    return value


def _check_range(param: Param, value: object) -> None:
    measured = len(value) if param.kind == "str" else value
    what = "length" if param.kind == "str" else "value"
    if param.minimum is not None and measured < param.minimum:
        raise ValueError(f"{what} must be at least {param.minimum} (got {measured})")
    if param.maximum is not None and measured > param.maximum:
        raise ValueError(f"{what} must be at most {param.maximum} (got {measured})")


def validate_params(demo: Demo, raw: Mapping) -> dict:
    """Every param of the demo, typed and in range, defaults filled; ParamError lists every problem."""
    if not isinstance(raw, Mapping):
        raise ParamError({"__all__": "parameters must be a mapping of names to values"})
    known = {param.name: param for param in demo.params}
    errors: dict[str, str] = {}
    for name in raw:
        if name not in known:
            errors[str(name)] = f"unknown parameter; {demo.slug} takes {', '.join(known)}"
    clean: dict[str, object] = {}
    for name, param in known.items():
        if name not in raw or raw[name] is None:
            clean[name] = param.default
            continue
        try:
            value = _coerce(param, raw[name])
            if param.kind in ("int", "float", "str"):
                _check_range(param, value)
            clean[name] = value
        except ValueError as error:
            errors[name] = str(error)
    if errors:
        raise ParamError(errors)
    return clean


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


def generator_for(seed: int) -> torch.Generator:
    """A CPU generator: noise is drawn on the CPU and moved, so a seed means the same noise on any device."""
    return torch.Generator(device="cpu").manual_seed(int(seed))
