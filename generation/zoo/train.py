"""The training entry point: seeded, single-threaded CPU training that writes a checkpoint and a manifest.

    python -m generation.zoo train dcgan          # writes checkpoints/dcgan.pt and checkpoints/dcgan.json

The manifest records what is needed to trust and reproduce the checkpoint: config, seed, data split, steps,
wall time, library versions, the checkpoint's SHA-256 and the training metrics. ``evaluate`` later adds the
evaluation metrics under ``metrics.evaluation``.
"""

from __future__ import annotations

import dataclasses
import platform
import random
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import torch

from generation.zoo import data, registry


def library_versions() -> dict:
    import PIL
    import sklearn

    return {
        "python": platform.python_version(),
        "torch": torch.__version__,
        "numpy": np.__version__,
        "scikit-learn": sklearn.__version__,
        "pillow": PIL.__version__,
    }


def seed_everything(seed: int) -> torch.Generator:
    """Seed every RNG a training loop might touch; returns the generator the loops draw batches with."""
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    return torch.Generator().manual_seed(seed)


def _curve(values: list[float], points: int = 20) -> list[float]:
    """A short, evenly spaced summary of a loss history for the manifest (the full one is too long)."""
    if not values:
        return []
    stride = max(1, len(values) // points)
    return [
        round(sum(values[i : i + stride]) / len(values[i : i + stride]), 5)
        for i in range(0, len(values), stride)
    ]


def _split(kind: str, config) -> dict:
    """What the model was trained on, for the manifest."""
    if kind == "image":
        return data.image_set(getattr(config, "dataset", "digits")).describe()
    if kind == "plane":
        return {"dataset": f"fresh draws of data.toy({config.toy!r})"}
    return {"dataset": "names package", **data.NAME_SPLITS}


def train(
    name: str,
    *,
    seed: int | None = None,
    overrides: dict | None = None,
    out_dir: Path | None = None,
    threads: int = 1,
    quiet: bool = False,
) -> dict:
    """Train one registry model from scratch, write ``<name>.pt`` and ``<name>.json``; return the manifest.

    ``out_dir`` defaults to the shipped checkpoints folder; tests pass a temporary one.
    """
    entry = registry.get_model(name)
    seed = entry.seed if seed is None else seed
    cfg = entry.make_config(**(overrides or {}))
    torch.set_num_threads(threads)  # the machine is shared; one thread also keeps runs reproducible
    generator = seed_everything(seed)
    model = entry.code.build(cfg)

    def log(step: int, values: dict) -> None:
        if not quiet:
            shown = " ".join(f"{key}={value:.4f}" for key, value in values.items())
            print(f"[{name}] step {step}/{cfg.steps} {shown}", file=sys.stderr, flush=True)

    started, cpu_started = time.perf_counter(), time.process_time()
    metrics = entry.code.fit(model, cfg, generator=generator, log=log)
    wall = time.perf_counter() - started
    cpu = time.process_time() - cpu_started  # wall time swells on a loaded machine; CPU time does not
    history = metrics.pop("history", {})

    out_dir = Path(out_dir) if out_dir is not None else registry.CHECKPOINTS
    out_dir.mkdir(parents=True, exist_ok=True)
    checkpoint = out_dir / f"{name}.pt"
    state = {key: value.detach().cpu() for key, value in model.state_dict().items()}
    torch.save({"name": name, "config": dataclasses.asdict(cfg), "state_dict": state}, checkpoint)
    manifest = {
        "name": name,
        "family": entry.family,
        "module": entry.module,
        "citation_key": entry.citation_key,
        "config": dataclasses.asdict(cfg),
        "seed": seed,
        "split": _split(entry.kind, cfg),
        "steps": cfg.steps,
        "wall_time_s": round(wall, 2),
        "cpu_time_s": round(cpu, 2),
        "threads": threads,
        "device": "cpu",
        "trained_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "versions": library_versions(),
        "parameters": sum(p.numel() for p in model.parameters()),
        "checkpoint": checkpoint.name,
        "checkpoint_bytes": checkpoint.stat().st_size,
        "sha256": registry.sha256_of(checkpoint),
        "metrics": {"training": metrics},
        "loss_curves": {key: _curve(values) for key, values in history.items()},
    }
    import json

    (out_dir / f"{name}.json").write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
    return manifest
