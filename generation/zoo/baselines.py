"""Baselines measured by the same evaluation code as the models, as rows of the same table, per data set.

Digits (8x8, 17 levels):
- ``independent-pixels``: a categorical distribution per pixel over the 17 levels, fit on train (add-α
  counts, α chosen on validation). Exact bits/dim; samples every pixel independently. The floor every
  image model must beat.
- ``gmm-dequantised``: a Gaussian mixture (full covariances) fit to uniformly dequantised train digits
  u = x + U[0, 1)^64 (level units, so every bin has width 1). By Jensen, E_u[-log2 p(x + u)] >= -log2 P(x),
  so its bits/dim is a bound on the same discrete likelihood: the fair yardstick for continuous-density
  models (theis2016note). Component count chosen on validation.
- ``kde-pca``: kernel density on the first 15 principal components, Gaussian kernel with the bandwidth
  chosen by 5-fold cross-validated likelihood; a sampler only (``fd`` and friends, no bits/dim).

Fashion-MNIST (28x28, 256 levels), the same three ideas sized for 784 dimensions:
- ``independent-pixels-fashion``: a 256-way categorical per pixel, add-α counts (α on validation); exact.
- ``gmm-fashion``: a Gaussian mixture with diagonal covariances over all 784 pixels, fit to uniformly
  dequantised training images u = x + U[0, 1)^784 (a fixed 10,000-image subset: EM is the slow part), the
  component count chosen on validation; its bits/dim is a bound on the discrete likelihood, as for the
  digits. Full covariances (784² parameters per component) are too slow here. A first version, a full
  mixture in the top 64 principal directions times an isotropic Gaussian in the rest, scored 6.89 bits/dim
  on validation (25 components; the isotropic residual cannot model the near-constant background);
  diagonal covariances scored about 5.1 with 40 components in a quick check on 500 validation images, and
  cost seconds instead of minutes.
- ``kde-pca-fashion``: a Gaussian kernel density on the top 30 principal components of all training images,
  the bandwidth chosen by validation likelihood; a sampler only.

Baselines are cheap, so they are fit afresh (deterministically, fixed seeds) whenever they are evaluated.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import cache

import numpy as np
import torch

from generation.zoo import data

FIT_SEED = 0


@dataclass
class Baseline:
    name: str
    kind: str  # "image" (text baselines live with the name models)
    description: str
    dataset: str = "digits"
    likelihood: str | None = None  # "exact", "bound", or None for a sampler only
    chosen: dict = field(default_factory=dict)  # what was chosen on validation, for the row

    def sample(self, n: int, seed: int) -> torch.Tensor:  # (n, 1, side, side) long levels
        raise NotImplementedError

    def nll_bits_per_dim(self, x: torch.Tensor) -> torch.Tensor:  # (B,)
        raise NotImplementedError

    def details(self) -> dict:
        return {"chosen_on_val": self.chosen} if self.chosen else {}


class IndependentPixels(Baseline):
    def __init__(self, dataset: str = "digits"):
        image_set = data.image_set(dataset)
        name = "independent-pixels" if dataset == "digits" else f"independent-pixels-{dataset}"
        super().__init__(
            name,
            "image",
            f"Independent per-pixel categorical over {image_set.levels} levels",
            dataset=dataset,
            likelihood="exact",
        )
        self.image_set = image_set
        train = image_set.split("train").images.flatten(1)  # (N, D)
        counts = torch.zeros(image_set.dims, image_set.levels, dtype=torch.float64)
        counts.scatter_add_(1, train.T.contiguous(), torch.ones(train.T.shape, dtype=torch.float64))
        val = image_set.split("val").images
        scores = {}
        for alpha in (0.01, 0.05, 0.1, 0.5, 1.0):
            self.log_probs = torch.log((counts + alpha) / (counts + alpha).sum(1, keepdim=True))
            scores[alpha] = round(self.nll_bits_per_dim(val).double().mean().item(), 5)
        self.alpha = min(scores, key=scores.get)
        self.chosen = {"alpha": self.alpha, "val_bits_per_dim": scores}
        self.log_probs = torch.log((counts + self.alpha) / (counts + self.alpha).sum(1, keepdim=True))

    def nll_bits_per_dim(self, x: torch.Tensor) -> torch.Tensor:
        flat = x.flatten(1)  # (B, D)
        nats = -self.log_probs.gather(1, flat.T).T  # (B, D): -log p_pixel(level)
        return (nats.sum(1) / self.image_set.dims / math.log(2)).float()

    def sample(self, n: int, seed: int) -> torch.Tensor:
        generator = torch.Generator().manual_seed(seed)
        picks = torch.multinomial(self.log_probs.exp(), n, replacement=True, generator=generator)  # (D, n)
        side = self.image_set.side
        return picks.T.reshape(n, 1, side, side).long()


class DequantisedGMM(Baseline):
    DRAWS = 4  # dequantisation draws averaged in the bound

    def __init__(self):
        from sklearn.mixture import GaussianMixture

        super().__init__(
            "gmm-dequantised",
            "image",
            "Gaussian mixture on uniformly dequantised digits",
            likelihood="bound",
        )
        rng = np.random.default_rng(FIT_SEED)
        train = data.digits("train").images.flatten(1).numpy().astype(np.float64)
        u_train = train + rng.random(train.shape)
        best, scores = None, {}
        for k in (1, 5, 10, 20):
            gmm = GaussianMixture(
                k, covariance_type="full", reg_covar=1e-2, random_state=FIT_SEED, max_iter=200
            )
            gmm.fit(u_train)
            self.gmm = gmm
            score = self.nll_bits_per_dim(data.digits("val").images).mean().item()
            scores[k] = round(score, 5)
            if best is None or score < best[0]:
                best = (score, k, gmm)
        _, self.components, self.gmm = best
        self.chosen = {"components": self.components, "val_bits_per_dim": scores}

    def nll_bits_per_dim(self, x: torch.Tensor) -> torch.Tensor:
        rng = np.random.default_rng(1)
        flat = x.flatten(1).numpy().astype(np.float64)
        nats = np.mean([-self.gmm.score_samples(flat + rng.random(flat.shape)) for _ in range(self.DRAWS)], 0)
        return torch.from_numpy(nats / data.DIMS / math.log(2)).float()

    def sample(self, n: int, seed: int) -> torch.Tensor:
        self.gmm.random_state = seed  # GaussianMixture.sample draws from self.random_state
        u, _ = self.gmm.sample(n)
        u = u[np.random.default_rng(seed).permutation(n)]  # sklearn returns the draws grouped by component
        levels = np.clip(np.floor(u), 0, data.LEVELS - 1)  # undo the dequantisation: the bin u falls in
        return torch.from_numpy(levels).long().view(n, 1, 8, 8)


class PCAKernelDensity(Baseline):
    COMPONENTS = 15

    def __init__(self):
        from sklearn.decomposition import PCA
        from sklearn.model_selection import GridSearchCV
        from sklearn.neighbors import KernelDensity

        super().__init__("kde-pca", "image", "Kernel density on 15 PCA components, CV bandwidth")
        train = data.digits("train").images.flatten(1).numpy().astype(np.float64)
        self.pca = PCA(self.COMPONENTS, random_state=FIT_SEED).fit(train)
        search = GridSearchCV(
            KernelDensity(kernel="gaussian"), {"bandwidth": np.logspace(-0.5, 1.5, 20)}, cv=5
        )
        search.fit(self.pca.transform(train))
        self.kde = search.best_estimator_
        self.bandwidth = float(self.kde.bandwidth)
        self.chosen = {"bandwidth": round(self.bandwidth, 4), "by": "5-fold CV on train"}

    def sample(self, n: int, seed: int) -> torch.Tensor:
        codes = self.kde.sample(n, random_state=seed)
        levels = np.clip(np.round(self.pca.inverse_transform(codes)), 0, data.LEVELS - 1)
        return torch.from_numpy(levels).long().view(n, 1, 8, 8)


# --- Fashion-MNIST -----------------------------------------------------------------------------------------


def _principal_directions(x: np.ndarray, dims: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Mean (D,), the top ``dims`` principal directions (dims, D) and all eigenvalues (D,) of x (N, D)."""
    mean = x.mean(0)
    cov = np.cov(x - mean, rowvar=False)
    values, vectors = np.linalg.eigh(cov)  # ascending
    values, vectors = values[::-1], vectors[:, ::-1]
    return mean, np.ascontiguousarray(vectors[:, :dims].T), values


class DiagonalGaussianMixture(Baseline):
    """A Gaussian mixture with diagonal covariances over all pixels of uniformly dequantised images."""

    FIT_IMAGES = 10_000  # training images EM sees (a fixed seeded subset: EM is the slow part)
    COMPONENTS = (10, 50, 100, 200)  # candidates, chosen on validation
    VAL_IMAGES = 1000
    DRAWS = 2  # dequantisation draws averaged in the bound

    def __init__(self, dataset: str = "fashion"):
        from sklearn.mixture import GaussianMixture

        super().__init__(
            f"gmm-{dataset}",
            "image",
            "Gaussian mixture (diagonal covariances) on uniformly dequantised images",
            dataset=dataset,
            likelihood="bound",
        )
        self.image_set = data.image_set(dataset)
        rng = np.random.default_rng(FIT_SEED)
        train = self.image_set.split("train").images.flatten(1).numpy().astype(np.float64)
        subset = np.sort(rng.permutation(len(train))[: self.FIT_IMAGES])
        u = train[subset] + rng.random((len(subset), train.shape[1]))
        val = self.image_set.split("val").images[: self.VAL_IMAGES]
        best, scores = None, {}
        for k in self.COMPONENTS:
            self.gmm = GaussianMixture(
                k, covariance_type="diag", reg_covar=1e-3, random_state=FIT_SEED, max_iter=100
            ).fit(u)
            score = self.nll_bits_per_dim(val).double().mean().item()
            scores[k] = round(score, 5)
            if best is None or score < best[0]:
                best = (score, k, self.gmm)
        _, self.components, self.gmm = best
        self.chosen = {
            "components": self.components,
            "fit_images": self.FIT_IMAGES,
            "val_bits_per_dim": scores,
            "val_images": len(val),
        }

    def nll_bits_per_dim(self, x: torch.Tensor) -> torch.Tensor:
        rng = np.random.default_rng(1)
        flat = x.flatten(1).numpy().astype(np.float64)
        nats = np.mean([-self.gmm.score_samples(flat + rng.random(flat.shape)) for _ in range(self.DRAWS)], 0)
        return torch.from_numpy(nats / self.image_set.dims / math.log(2)).float()

    def sample(self, n: int, seed: int) -> torch.Tensor:
        self.gmm.random_state = seed  # GaussianMixture.sample draws from self.random_state
        u, _ = self.gmm.sample(n)
        u = u[np.random.default_rng(seed).permutation(n)]  # sklearn returns the draws grouped by component
        levels = np.clip(np.floor(u), 0, self.image_set.levels - 1)  # the bin u falls in
        side = self.image_set.side
        return torch.from_numpy(levels).long().view(n, 1, side, side)


class PCAKernelDensityLarge(Baseline):
    """Gaussian KDE on the top principal components; the bandwidth maximises the validation likelihood."""

    COMPONENTS = 30
    BANDWIDTHS = tuple(np.round(np.logspace(1.5, 3.0, 10), 2))  # in level units along the components

    def __init__(self, dataset: str = "fashion"):
        super().__init__(
            f"kde-pca-{dataset}",
            "image",
            f"Kernel density on {self.COMPONENTS} PCA components, bandwidth chosen on validation",
            dataset=dataset,
        )
        self.image_set = data.image_set(dataset)
        train = self.image_set.split("train").images.flatten(1).double()
        mean, basis, _ = _principal_directions(train.numpy(), self.COMPONENTS)
        self.mean, self.basis = torch.from_numpy(mean), torch.from_numpy(basis)
        self.codes = (train - self.mean) @ self.basis.T  # (N, C)
        val = self.image_set.split("val").images[:1000].flatten(1).double()
        totals = dict.fromkeys(self.BANDWIDTHS, 0.0)
        for part in ((val - self.mean) @ self.basis.T).split(100):
            distances_sq = torch.cdist(part, self.codes) ** 2  # (100, N)
            for h in self.BANDWIDTHS:
                log_k = -distances_sq / (2 * h**2) - 0.5 * self.COMPONENTS * math.log(2 * math.pi * h**2)
                totals[h] += -(torch.logsumexp(log_k, 1) - math.log(len(self.codes))).sum().item()
        scores = {float(h): round(total / len(val), 3) for h, total in totals.items()}
        self.bandwidth = min(scores, key=scores.get)
        self.chosen = {
            "bandwidth": self.bandwidth,
            "val_nll_nats_in_pca_space": scores,
            "val_images": len(val),
        }

    def sample(self, n: int, seed: int) -> torch.Tensor:
        generator = torch.Generator().manual_seed(seed)
        picks = torch.randint(0, len(self.codes), (n,), generator=generator)
        codes = self.codes[picks] + self.bandwidth * torch.randn(
            n, self.COMPONENTS, generator=generator, dtype=torch.float64
        )
        pixels = self.mean + codes @ self.basis
        side = self.image_set.side
        return pixels.round().clamp(0, self.image_set.levels - 1).long().view(n, 1, side, side)


def _bigram():  # the text baseline lives with the name models' metrics
    from generation.zoo.text_metrics import BigramBaseline

    return BigramBaseline()


BASELINES = {
    "independent-pixels": IndependentPixels,
    "gmm-dequantised": DequantisedGMM,
    "kde-pca": PCAKernelDensity,
    "independent-pixels-fashion": lambda: IndependentPixels("fashion"),
    "gmm-fashion": lambda: DiagonalGaussianMixture("fashion"),
    "kde-pca-fashion": lambda: PCAKernelDensityLarge("fashion"),
    "bigram": _bigram,
}
DATASETS = {name: "fashion" if name.endswith("-fashion") else "digits" for name in BASELINES} | {
    "bigram": "names"
}


def dataset_of(name: str) -> str:
    """The data set a baseline models: digits, fashion or names."""
    if name not in DATASETS:
        raise KeyError(f"unknown baseline {name!r}; known: {', '.join(BASELINES)}")
    return DATASETS[name]


@cache
def get_baseline(name: str) -> Baseline:
    if name not in BASELINES:
        raise KeyError(f"unknown baseline {name!r}; known: {', '.join(BASELINES)}")
    return BASELINES[name]()
