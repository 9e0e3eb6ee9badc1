"""The digits classifier whose features every sample-based metric uses (FD, coverage, Inception Score).

The Fréchet Inception Distance of heusel2017gans and the Inception Score of salimans2016improved measure
samples in the feature space of an ImageNet classifier; 8x8 digits need their own, so the project trains and
ships this small CNN (checkpoints/classifier.pt). It is trained on the train split only, with one-pixel
random shifts as augmentation, and its test accuracy is recorded in its manifest.

    python -m generation.zoo train classifier
"""

from __future__ import annotations

import dataclasses
import json
import time
from dataclasses import dataclass
from functools import cache

import torch
import torch.nn.functional as F
from torch import nn

from generation.zoo import data, registry

CHECKPOINT = registry.CHECKPOINTS / "classifier.pt"
MANIFEST = registry.CHECKPOINTS / "classifier.json"


@dataclass
class Config:
    width: int = 32  # channels of the first conv block; doubled in the second
    features: int = 64  # size of the feature vector the metrics use
    steps: int = 1500  # Adam steps
    batch: int = 64  # images per step
    lr: float = 2e-3  # Adam learning rate
    shift: int = 1  # random translation, in pixels, applied to training images


class DigitsClassifier(nn.Module):
    def __init__(self, cfg: Config):
        super().__init__()
        self.config = cfg
        w = cfg.width
        self.body = nn.Sequential(
            nn.Conv2d(1, w, 3, padding=1),  # (B, w, 8, 8)
            nn.ReLU(),
            nn.Conv2d(w, w, 3, padding=1),
            nn.ReLU(),
            nn.MaxPool2d(2),  # (B, w, 4, 4)
            nn.Conv2d(w, 2 * w, 3, padding=1),  # (B, 2w, 4, 4)
            nn.ReLU(),
            nn.Flatten(),
            nn.Linear(2 * w * 16, cfg.features),  # (B, features)
            nn.ReLU(),
        )
        self.head = nn.Linear(cfg.features, 10)

    def forward(self, levels: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """levels (B, 1, 8, 8) in 0..16 -> features (B, F) and class logits (B, 10)."""
        features = self.body(levels.float() / (data.LEVELS - 1))
        return features, self.head(features)


def _shift(x: torch.Tensor, max_shift: int, generator: torch.Generator) -> torch.Tensor:
    """Translate each image by up to max_shift pixels with zero fill (digits sit on a zero background)."""
    if max_shift == 0:
        return x
    padded = F.pad(x, (max_shift,) * 4)
    out = torch.empty_like(x)
    offsets = torch.randint(0, 2 * max_shift + 1, (x.shape[0], 2), generator=generator)
    for i, (dy, dx) in enumerate(offsets.tolist()):
        out[i] = padded[i, :, dy : dy + 8, dx : dx + 8]
    return out


def accuracy(model: DigitsClassifier, split: str) -> float:
    digits = data.digits(split)
    with torch.inference_mode():
        _, logits = model(digits.images)
    return (logits.argmax(1) == digits.labels).float().mean().item()


def train_classifier(*, seed: int = 0, cfg: Config | None = None, out_dir=None, quiet: bool = False) -> dict:
    from generation.zoo.train import library_versions, seed_everything

    cfg = cfg or Config()
    torch.set_num_threads(1)
    generator = seed_everything(seed)
    model = DigitsClassifier(cfg)
    train = data.digits("train")
    optimiser = torch.optim.Adam(model.parameters(), lr=cfg.lr)
    schedule = torch.optim.lr_scheduler.CosineAnnealingLR(optimiser, cfg.steps)
    started = time.perf_counter()
    for step in range(1, cfg.steps + 1):
        index = torch.randint(0, len(train.images), (cfg.batch,), generator=generator)
        x = _shift(train.images[index], cfg.shift, generator)
        _, logits = model(x)
        loss = F.cross_entropy(logits, train.labels[index])
        optimiser.zero_grad(set_to_none=True)
        loss.backward()
        optimiser.step()
        schedule.step()
        if not quiet and step % 250 == 0:
            print(f"[classifier] step {step} loss {loss.item():.4f}", flush=True)
    model.eval()
    wall = time.perf_counter() - started
    out_dir = registry.CHECKPOINTS if out_dir is None else out_dir
    checkpoint = out_dir / "classifier.pt"
    torch.save({"config": dataclasses.asdict(cfg), "state_dict": model.state_dict()}, checkpoint)
    manifest = {
        "name": "classifier",
        "config": dataclasses.asdict(cfg),
        "seed": seed,
        "split": data.split_description(),
        "steps": cfg.steps,
        "wall_time_s": round(wall, 2),
        "versions": library_versions(),
        "sha256": registry.sha256_of(checkpoint),
        "metrics": {
            split: {"accuracy": round(accuracy(model, split), 4)} for split in ("train", "val", "test")
        },
    }
    (out_dir / "classifier.json").write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
    return manifest


@cache
def load_classifier() -> DigitsClassifier:
    """The shipped classifier (CPU, eval mode), hash-checked against its manifest."""
    manifest = json.loads(MANIFEST.read_text())
    actual = registry.sha256_of(CHECKPOINT)
    if actual != manifest["sha256"]:
        raise registry.ChecksumMismatch(f"classifier.pt: sha256 {actual} differs from {manifest['sha256']}")
    state = torch.load(CHECKPOINT, map_location="cpu", weights_only=True)
    model = DigitsClassifier(Config(**state["config"]))
    model.load_state_dict(state["state_dict"])
    return model.eval()


@torch.inference_mode()
def embed(levels: torch.Tensor, *, batch: int = 500) -> tuple[torch.Tensor, torch.Tensor]:
    """Features (N, F) and class probabilities (N, 10) of images (N, 1, 8, 8) in levels 0..16."""
    model = load_classifier()
    features, probs = [], []
    for start in range(0, len(levels), batch):
        f, logits = model(levels[start : start + batch].cpu())
        features.append(f)
        probs.append(logits.softmax(1))
    return torch.cat(features).double(), torch.cat(probs).double()
