"""Data of the zoo: scikit-learn's digits, Fashion-MNIST, the `names` package's name lists, 2-D toy densities.

Nothing here downloads. The digits ship with scikit-learn, Fashion-MNIST with Debian's package
``dataset-fashion-mnist`` (``make fashion-mnist`` installs it), the names with the `names` package, the toys
are drawn from formulas. Optional loaders read a user's MNIST or CIFAR-10 through torchvision, but only from a
folder the user already has (``download=False``), and only where torchvision is installed.

Conventions every family follows:
  * an image batch is a ``torch.long`` tensor (N, 1, side, side) of grey levels 0..levels-1: digits are 8x8
    with 17 levels (0..16), Fashion-MNIST 28x28 with 256 (0..255); ``IMAGE_SETS`` describes both;
  * the digits split is fixed by index, train [0:1000], validation [1000:1350], test [1350:1797]
    (scikit-learn's order, which interleaves writers; no shuffling, so every model sees the same rows);
  * Fashion-MNIST's validation split is 5,000 of the 60,000 training images, chosen once by a seeded
    permutation (``FASHION_VAL_SEED``); train is the other 55,000 in file order; test is the official 10,000.
"""

from __future__ import annotations

import gzip
import math
import os
import random
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np
import torch

from generation.zoo.classes import DIGITS_CLASSES, FASHION_CLASSES

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


def to_unit(x: torch.Tensor, levels: int = LEVELS) -> torch.Tensor:
    """Levels 0..levels-1 -> floats in [-1, 1], the input scale of every network here."""
    return x.float() / (levels - 1) * 2 - 1


def from_unit(x: torch.Tensor, levels: int = LEVELS) -> torch.Tensor:
    """Floats in [-1, 1] -> nearest level 0..levels-1 (long), clamped."""
    return ((x.clamp(-1, 1) + 1) / 2 * (levels - 1)).round().long()


# --- Fashion-MNIST (28x28, 256 levels) ----------------------------------------------------------------------

FASHION_DIR_DEFAULT = "/usr/share/datasets/fashion-mnist"  # where Debian's dataset-fashion-mnist puts it
FASHION_FILES = {
    "train": ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"),
    "test": ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"),
}
FASHION_VAL = 5000  # images of the training file held out for every decision (lengths, checkpoints)
FASHION_VAL_SEED = 2017  # fixes which ones, once and for all


class DataMissing(RuntimeError):
    """A data set the zoo needs is not installed on this machine."""


def fashion_dir() -> Path:
    """The folder of the four IDX files; ATLAS_FASHION_MNIST overrides Debian's location."""
    return Path(os.environ.get("ATLAS_FASHION_MNIST", FASHION_DIR_DEFAULT))


def read_idx(path: Path) -> np.ndarray:
    """An IDX file (optionally gzipped) as a uint8 array of the shape its header gives.

    The format (LeCun et al.): two zero bytes, a type byte (0x08 = unsigned byte), the number of dimensions,
    then each dimension as a big-endian 32-bit integer, then the data in C order.
    """
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rb") as handle:
        raw = handle.read()
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0:
        raise ValueError(f"{path.name}: not an IDX file (bad magic number)")
    if raw[2] != 0x08:
        raise ValueError(f"{path.name}: IDX type 0x{raw[2]:02x} is not unsigned bytes")
    ndim = raw[3]
    header = 4 + 4 * ndim
    shape = tuple(int.from_bytes(raw[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim))
    expected = int(np.prod(shape))
    if len(raw) - header != expected:
        raise ValueError(
            f"{path.name}: header says {shape} ({expected} bytes), file holds {len(raw) - header}"
        )
    return np.frombuffer(raw, dtype=np.uint8, offset=header).reshape(shape)


@cache
def _fashion_file(part: str) -> tuple[np.ndarray, np.ndarray]:
    folder = fashion_dir()
    image_name, label_name = FASHION_FILES[part]
    if not (folder / image_name).exists():
        raise DataMissing(
            f"Fashion-MNIST is not installed: {folder / image_name} is missing. Install Debian's "
            "dataset-fashion-mnist (`make fashion-mnist`) or point ATLAS_FASHION_MNIST at the IDX files."
        )
    images, labels = read_idx(folder / image_name), read_idx(folder / label_name)
    if images.shape[1:] != (28, 28) or len(images) != len(labels):
        raise ValueError(f"{folder}: unexpected Fashion-MNIST shapes {images.shape} and {labels.shape}")
    return images, labels


@cache
def _fashion_val_indices() -> np.ndarray:
    n = len(_fashion_file("train")[1])
    return np.sort(np.random.default_rng(FASHION_VAL_SEED).permutation(n)[:FASHION_VAL])


@cache
def fashion(split: str) -> Digits:
    """One split of Fashion-MNIST: images (N, 1, 28, 28) long levels 0..255, labels (N,) long 0..9.

    Cached per process (the training split is 345 MB as int64); callers must not write into it.
    """
    if split not in SPLITS:
        raise ValueError(f"unknown split {split!r}; expected one of {sorted(SPLITS)}")
    if split == "test":
        images, labels = _fashion_file("test")
    else:
        images, labels = _fashion_file("train")
        held_out = np.zeros(len(labels), dtype=bool)
        held_out[_fashion_val_indices()] = True
        keep = held_out if split == "val" else ~held_out
        images, labels = images[keep], labels[keep]
    return Digits(
        images=torch.from_numpy(images.astype(np.int64)).unsqueeze(1),
        labels=torch.from_numpy(labels.astype(np.int64)),
    )


@dataclass(frozen=True)
class ImageSet:
    """What a family file needs to know about an image data set to size itself for it."""

    name: str
    side: int
    levels: int
    classes: tuple[str, ...]
    title: str

    @property
    def dims(self) -> int:
        return self.side * self.side

    def split(self, split: str) -> Digits:
        return digits(split) if self.name == "digits" else fashion(split)

    def describe(self) -> dict:
        """The split as recorded in a manifest."""
        if self.name == "digits":
            return split_description()
        return {
            "dataset": f"Fashion-MNIST (28x28, levels 0..255) from {fashion_dir()}",
            "train": "the 55,000 training images not in val, in file order",
            "val": f"{FASHION_VAL} training images: np.random.default_rng({FASHION_VAL_SEED})"
            f".permutation(60000)[:{FASHION_VAL}], sorted",
            "test": "the official 10,000 test images",
        }


IMAGE_SETS = {
    "digits": ImageSet("digits", SIDE, LEVELS, DIGITS_CLASSES, "scikit-learn digits, 8x8"),
    "fashion": ImageSet("fashion", 28, 256, FASHION_CLASSES, "Fashion-MNIST, 28x28"),
}


def image_set(name: str) -> ImageSet:
    try:
        return IMAGE_SETS[name]
    except KeyError:
        raise ValueError(f"unknown image data set {name!r}; expected one of {sorted(IMAGE_SETS)}") from None


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
