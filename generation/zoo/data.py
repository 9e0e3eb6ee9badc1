"""Data of the zoo: scikit-learn's digits, the `names` package's name lists, 2-D toy densities.

Nothing here downloads. The digits ship with scikit-learn, the names with the `names` package, the toys are
drawn from formulas. Optional loaders read a user's MNIST or CIFAR-10 through torchvision, but only from a
folder the user already has (``download=False``), and only where torchvision is installed.

Conventions every family follows:
  * an image batch is a ``torch.long`` tensor (N, 1, 8, 8) of grey levels 0..16 (17 levels);
  * the digits split is fixed by index, train [0:1000], validation [1000:1350], test [1350:1797]
    (scikit-learn's order, which interleaves writers; no shuffling, so every model sees the same rows).
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np
import torch

LEVELS = 17  # grey levels of the digits: 0..16
SIDE = 8  # digits are 8x8
DIMS = SIDE * SIDE
SPLITS = {"train": (0, 1000), "val": (1000, 1350), "test": (1350, 1797)}


@dataclass(frozen=True)
class Digits:
    images: torch.Tensor  # (N, 1, 8, 8) long, levels 0..16
    labels: torch.Tensor  # (N,) long, 0..9


@cache
def _all_digits() -> tuple[np.ndarray, np.ndarray]:
    from sklearn.datasets import load_digits

    bunch = load_digits()
    images = bunch.images.astype(np.int64)  # (1797, 8, 8), already integer levels 0..16
    assert images.min() == 0 and images.max() == LEVELS - 1, "unexpected digits range"
    return images, bunch.target.astype(np.int64)


def digits(split: str) -> Digits:
    """One split of the digits as tensors; ``split`` is train, val or test."""
    if split not in SPLITS:
        raise ValueError(f"unknown split {split!r}; expected one of {sorted(SPLITS)}")
    start, stop = SPLITS[split]
    images, labels = _all_digits()
    return Digits(
        images=torch.from_numpy(images[start:stop].copy()).unsqueeze(1),
        labels=torch.from_numpy(labels[start:stop].copy()),
    )


def split_description() -> dict:
    """The split as recorded in every manifest."""
    return {
        "dataset": "sklearn.datasets.load_digits (8x8, levels 0..16)",
        **{name: [start, stop] for name, (start, stop) in SPLITS.items()},
    }


def to_unit(x: torch.Tensor) -> torch.Tensor:
    """Levels 0..16 -> floats in [-1, 1], the input scale of every network here."""
    return x.float() / (LEVELS - 1) * 2 - 1


def from_unit(x: torch.Tensor) -> torch.Tensor:
    """Floats in [-1, 1] -> nearest level 0..16 (long), clamped."""
    return ((x.clamp(-1, 1) + 1) / 2 * (LEVELS - 1)).round().long()


# --- names (the sequence models) ---------------------------------------------------------------------------

NAME_FILES = ("dist.male.first", "dist.female.first", "dist.all.last")
NAME_SPLITS = {"train": 0.8, "val": 0.1, "test": 0.1}  # shares of the shuffled, de-duplicated list
NAMES_SEED = 1234  # fixed shuffle, so the split never changes


@cache
def _all_names() -> tuple[str, ...]:
    import names as names_package

    folder = Path(names_package.__file__).parent
    found: set[str] = set()
    for file_name in NAME_FILES:
        for line in (folder / file_name).read_text().splitlines():
            if line.strip():
                word = line.split()[0].lower()
                if word.isalpha() and word.isascii():
                    found.add(word)
    ordered = sorted(found)
    random.Random(NAMES_SEED).shuffle(ordered)
    return tuple(ordered)


def names(split: str) -> list[str]:
    """Lowercase names (letters a-z only) of one split: train 80%, val 10%, test 10% of the shuffled set."""
    if split not in NAME_SPLITS:
        raise ValueError(f"unknown split {split!r}; expected one of {sorted(NAME_SPLITS)}")
    everything = _all_names()
    n_train = int(len(everything) * NAME_SPLITS["train"])
    n_val = int(len(everything) * NAME_SPLITS["val"])
    bounds = {"train": (0, n_train), "val": (n_train, n_train + n_val), "test": (n_train + n_val, None)}
    start, stop = bounds[split]
    return list(everything[start:stop])


# --- 2-D toy densities ----------------------------------------------------------------------------------

TOYS = ("two_moons", "eight_gaussians", "checkerboard", "spirals")


def toy(name: str, n: int, *, generator: torch.Generator) -> torch.Tensor:
    """n points (n, 2) of a 2-D toy density, roughly within [-4, 4]^2."""
    g = generator
    if name == "two_moons":
        t = torch.rand(n, generator=g) * math.pi
        upper = torch.rand(n, generator=g) < 0.5
        x = torch.where(upper, torch.cos(t), 1 - torch.cos(t))
        y = torch.where(upper, torch.sin(t), 0.5 - torch.sin(t))
        points = torch.stack([x - 0.5, y - 0.25], 1) * 2
        return points + 0.1 * torch.randn(n, 2, generator=g)
    if name == "eight_gaussians":
        k = torch.randint(0, 8, (n,), generator=g).float()
        centres = torch.stack([torch.cos(k * math.pi / 4), torch.sin(k * math.pi / 4)], 1) * 2.5
        return centres + 0.2 * torch.randn(n, 2, generator=g)
    if name == "checkerboard":
        x1 = torch.rand(n, generator=g) * 4 - 2
        x2 = torch.rand(n, generator=g) - torch.randint(0, 2, (n,), generator=g).float() * 2
        x2 = x2 + (torch.floor(x1) % 2)
        return torch.stack([x1, x2], 1) * 2
    if name == "spirals":
        t = torch.sqrt(torch.rand(n, generator=g)) * 3 * math.pi
        arm = torch.randint(0, 2, (n,), generator=g).float() * math.pi
        r = t / (3 * math.pi) * 3.5
        points = torch.stack([r * torch.cos(t + arm), r * torch.sin(t + arm)], 1)
        return points + 0.08 * torch.randn(n, 2, generator=g)
    raise ValueError(f"unknown toy {name!r}; expected one of {TOYS}")


# --- larger image sets a user may already have ------------------------------------------------------------


def torchvision_images(name: str, root: str | Path, *, train: bool = True):
    """MNIST or CIFAR-10 from a folder the user already has, through torchvision; never downloads.

    Returns the torchvision dataset (``ToTensor`` applied). The zoo's shipped models are trained on the
    8x8 digits; these loaders exist so a user can point the same training code at bigger data.
    """
    try:
        import torchvision
    except ImportError as error:  # torchvision is optional, not in requirements.txt
        raise RuntimeError(
            "torchvision is not installed; pip install torchvision to read MNIST/CIFAR-10"
        ) from error
    classes = {"mnist": torchvision.datasets.MNIST, "cifar10": torchvision.datasets.CIFAR10}
    if name not in classes:
        raise ValueError(f"unknown dataset {name!r}; expected one of {sorted(classes)}")
    transform = torchvision.transforms.ToTensor()
    try:
        return classes[name](str(root), train=train, download=False, transform=transform)
    except RuntimeError as error:
        raise RuntimeError(f"{name} not found under {root}; the zoo never downloads data") from error
