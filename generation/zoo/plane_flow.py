"""RealNVP on points of the plane (dinh2017density), fitted to a 2-D toy density for the density picture:
affine couplings that alternate which coordinate they change, so log p(x) is exact and cheap on a grid.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import torch
from torch import nn

from generation.zoo import data
from generation.zoo.demos import Artefact, Demo, generator_for
from generation.zoo.flows import TEMPERATURE
from generation.zoo.params import n_param, seed_param
from generation.zoo.registry import ZooModel, load

CITATION = "dinh2017density"


@dataclass
class Config:
    toy: str = "two_moons"  # the 2-D density fitted (a name in data.TOYS)
    couplings: int = 8  # affine couplings, alternating the coordinate they change
    hidden: int = 64  # width of each coupling's two-hidden-layer MLP
    steps: int = 600  # optimiser steps, each on fresh draws of the toy density
    batch: int = 256  # points per step
    lr: float = 2e-3  # Adam learning rate


class PlaneCoupling(nn.Module):
    """y = mask * x + (1 - mask) * (x * exp(s) + t), (s, t) = MLP(mask * x), s = tanh(.) for stability."""

    def __init__(self, parity: int, hidden: int):
        super().__init__()
        self.register_buffer("mask", torch.tensor([[1.0, 0.0]] if parity == 0 else [[0.0, 1.0]]))
        self.net = nn.Sequential(
            nn.Linear(2, hidden), nn.ReLU(), nn.Linear(hidden, hidden), nn.ReLU(), nn.Linear(hidden, 4)
        )
        nn.init.zeros_(self.net[-1].weight)  # start as the identity
        nn.init.zeros_(self.net[-1].bias)

    def _st(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        s, t = self.net(x * self.mask).chunk(2, dim=1)  # each (B, 2)
        return torch.tanh(s) * (1 - self.mask), t * (1 - self.mask)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        s, t = self._st(x)
        return x * s.exp() + t, s.sum(1)  # y, log|det dy/dx| (B,)

    def inverse(self, y: torch.Tensor) -> torch.Tensor:
        s, t = self._st(y)
        return (y - t) * (-s).exp()


class PlaneFlow(nn.Module):
    """x (B, 2) -> z (B, 2) through the couplings; a standard normal prior on z."""

    def __init__(self, config: Config):
        super().__init__()
        self.config = config
        self.layers = nn.ModuleList(PlaneCoupling(p % 2, config.hidden) for p in range(config.couplings))

    def log_prob(self, x: torch.Tensor) -> torch.Tensor:
        """Exact log p(x), (B,)."""
        logdet = x.new_zeros(x.shape[0])
        for layer in self.layers:
            x, ld = layer(x)
            logdet = logdet + ld
        return -0.5 * (x**2).sum(1) - math.log(2 * math.pi) + logdet

    def forward(self, x: torch.Tensor, targets: torch.Tensor | None = None):
        """Returns log p(x) (B,) and, as the loss, the mean negative log-likelihood in nats."""
        log_p = self.log_prob(x)
        return log_p, -log_p.mean()

    @torch.inference_mode()
    def sample(self, n: int, *, generator: torch.Generator, temperature: float = 1.0) -> torch.Tensor:
        """z ~ N(0, T^2 I) through the inverse couplings: (n, 2) points."""
        x = torch.randn(n, 2, generator=generator) * temperature
        for layer in reversed(self.layers):
            x = layer.inverse(x)
        return x


# ----------------------------------------------------------------------------- registry functions


def build(config: Config) -> PlaneFlow:
    return PlaneFlow(config)


def fit(model: PlaneFlow, config: Config, *, generator: torch.Generator, log: Callable[[int, dict], None]):
    """Maximum likelihood on fresh draws of the toy density."""
    opt = torch.optim.Adam(model.parameters(), lr=config.lr)
    losses = []
    for step in range(1, config.steps + 1):
        model.train()
        _, loss = model(data.toy(config.toy, config.batch, generator=generator))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        losses.append(loss.item())
        if step % 500 == 0 or step == config.steps:
            log(step, {"nll_nats": loss.item()})
    model.eval()
    return {"final_nll_nats": sum(losses[-50:]) / len(losses[-50:]), "history": {"nll_nats": losses}}


def sample(model: PlaneFlow, n: int, *, generator: torch.Generator, device: str = "cpu", progress=None):
    """n points of the plane, (n, 2)."""
    return model.sample(n, generator=generator)


MODELS = (
    ZooModel(
        name="realnvp-two-moons",
        family="normalizing-flows",
        module=__name__,
        kind="plane",
        title="RealNVP of the plane fitted to two moons (the density picture)",
        citation_key=CITATION,
        seed=0,
    ),
)


def _run_density(params: dict, *, device: str, progress) -> tuple[list[Artefact], dict]:
    from generation.zoo import density_maps

    model = load("realnvp-two-moons", device="cpu")  # a 2-D flow on a 128x128 grid: the CPU is the right one
    generator = generator_for(params["seed"])
    if progress is not None:
        progress(0, 2)
    points = data.toy(model.config.toy, 20000, generator=generator)
    density = density_maps.evaluate_on_grid(lambda g: model.log_prob(g).exp())
    if progress is not None:
        progress(1, 2)
    samples = model.sample(params["n"], generator=generator, temperature=params["temperature"])
    png = density_maps.model_beside_data(points, density, samples)
    if progress is not None:
        progress(2, 2)
    return [Artefact("density.png", "image/png", png)], {
        "toy": model.config.toy,
        "panels": ["data histogram (20,000 draws)", "learned density exp(log p) with the model's samples"],
    }


DEMOS = (
    Demo(
        slug="realnvp-two-moons",
        family="normalizing-flows",
        title="RealNVP on a 2-D toy: learned density beside the data",
        description="A RealNVP of the plane fitted to the two-moons density. Left: a histogram of the data. "
        "Right: the density the flow assigns to every point (exact, by the change of variables), with n of "
        "its samples as white dots.",
        model="realnvp-two-moons",
        params=(seed_param(), n_param(), TEMPERATURE),
        citation_key=CITATION,
        run=_run_density,
    ),
)
