"""Baselines measured by the same evaluation code as the models, as rows of the same table.

- ``independent-pixels``: a categorical distribution per pixel over the 17 levels, fit on train (add-α
  counts, α chosen on validation). Exact bits/dim; samples every pixel independently. The floor every
  image model must beat.
- ``gmm-dequantised``: a Gaussian mixture (full covariances) fit to uniformly dequantised train digits
  u = x + U[0, 1)^64 (level units, so every bin has width 1). By Jensen, E_u[-log2 p(x + u)] >= -log2 P(x),
  so its bits/dim is a bound on the same discrete likelihood: the fair yardstick for continuous-density
  models (theis2016note). Component count chosen on validation.
- ``kde-pca``: kernel density on the first 15 principal components, Gaussian kernel with the bandwidth
  chosen by 5-fold cross-validated likelihood; a sampler only (``fd`` and friends, no bits/dim).

Baselines are cheap, so they are fit afresh (deterministically, fixed seeds) whenever they are evaluated.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
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

    def sample(self, n: int, seed: int) -> torch.Tensor:  # (n, 1, 8, 8) long levels
        raise NotImplementedError

    def nll_bits_per_dim(self, x: torch.Tensor) -> torch.Tensor | None:  # (B,) or None
        return None


class IndependentPixels(Baseline):
    def __init__(self):
        super().__init__("independent-pixels", "image", "Independent per-pixel categorical over 17 levels")
        train = data.digits("train").images.flatten(1)  # (N, 64)
        counts = torch.stack(
            [(train == level).sum(0) for level in range(data.LEVELS)], 1
        ).double()  # (64, 17)
        val = data.digits("val").images
        best = None
        for alpha in (0.01, 0.05, 0.1, 0.5, 1.0):
            self.log_probs = torch.log((counts + alpha) / (counts + alpha).sum(1, keepdim=True))
            score = self.nll_bits_per_dim(val).mean().item()
            if best is None or score < best[0]:
                best = (score, alpha)
        self.alpha = best[1]
        self.log_probs = torch.log((counts + self.alpha) / (counts + self.alpha).sum(1, keepdim=True))

    def nll_bits_per_dim(self, x: torch.Tensor) -> torch.Tensor:
        flat = x.flatten(1)  # (B, 64)
        nats = -self.log_probs.gather(1, flat.T).T  # (B, 64): -log p_pixel(level)
        return (nats.sum(1) / data.DIMS / math.log(2)).float()

    def sample(self, n: int, seed: int) -> torch.Tensor:
        generator = torch.Generator().manual_seed(seed)
        picks = torch.multinomial(self.log_probs.exp(), n, replacement=True, generator=generator)  # (64, n)
        return picks.T.reshape(n, 1, 8, 8).long()


class DequantisedGMM(Baseline):
    DRAWS = 4  # dequantisation draws averaged in the bound

    def __init__(self):
        from sklearn.mixture import GaussianMixture

        super().__init__("gmm-dequantised", "image", "Gaussian mixture on uniformly dequantised digits")
        rng = np.random.default_rng(FIT_SEED)
        train = data.digits("train").images.flatten(1).numpy().astype(np.float64)
        u_train = train + rng.random(train.shape)
        best = None
        for k in (1, 5, 10, 20):
            gmm = GaussianMixture(
                k, covariance_type="full", reg_covar=1e-2, random_state=FIT_SEED, max_iter=200
            )
            gmm.fit(u_train)
            self.gmm = gmm
            score = self.nll_bits_per_dim(data.digits("val").images).mean().item()
            if best is None or score < best[0]:
                best = (score, k, gmm)
        _, self.components, self.gmm = best

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

    def sample(self, n: int, seed: int) -> torch.Tensor:
        codes = self.kde.sample(n, random_state=seed)
        levels = np.clip(np.round(self.pca.inverse_transform(codes)), 0, data.LEVELS - 1)
        return torch.from_numpy(levels).long().view(n, 1, 8, 8)


def _bigram():  # the text baseline lives with the name models' metrics
    from generation.zoo.text_metrics import BigramBaseline

    return BigramBaseline()


BASELINES = {
    "independent-pixels": IndependentPixels,
    "gmm-dequantised": DequantisedGMM,
    "kde-pca": PCAKernelDensity,
    "bigram": _bigram,
}


@cache
def get_baseline(name: str) -> Baseline:
    if name not in BASELINES:
        raise KeyError(f"unknown baseline {name!r}; known: {', '.join(BASELINES)}")
    return BASELINES[name]()
