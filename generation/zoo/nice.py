"""NICE on 8x8 digits (dinh2015nice): additive coupling layers y_b = x_b + m(x_a) on alternating halves of
the flattened image, volume preserving (log-determinant 0), then a learned diagonal scaling, the only part
that changes volume (section 3.3). Dequantisation and training are shared with RealNVP (``flows.py``).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from generation.zoo import flows
from generation.zoo.registry import ZooModel

# Training, the likelihood bound and sampling are the same for every digit flow.
fit, sample = flows.fit, flows.sample
nll_bits_per_dim, extra_metrics = flows.nll_bits_per_dim, flows.extra_metrics
CITATION = "dinh2015nice"


@dataclass
class Config(flows.DigitFlowConfig):
    couplings: int = 4  # additive coupling layers, alternating which half of the pixels they change
    hidden: int = 128  # units in each hidden layer of a coupling's MLP m
    layers: int = 2  # hidden layers in each coupling's MLP m


class AdditiveCoupling(nn.Module):
    """y_b = x_b + m(x_a) on a flat vector, x_a the pixels of one parity; the log-determinant is 0."""

    def __init__(self, dim: int, parity: int, hidden: int, layers: int):
        super().__init__()
        self.register_buffer("mask", (torch.arange(dim) % 2 == parity).float()[None])  # (1, D)
        mlp: list[nn.Module] = [nn.Linear(dim, hidden), nn.ReLU()]
        for _ in range(layers - 1):
            mlp += [nn.Linear(hidden, hidden), nn.ReLU()]
        self.m = nn.Sequential(*mlp, nn.Linear(hidden, dim))
        nn.init.zeros_(self.m[-1].weight)  # start as the identity
        nn.init.zeros_(self.m[-1].bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.m(x * self.mask) * (1 - self.mask)

    def inverse(self, y: torch.Tensor) -> torch.Tensor:
        return y - self.m(y * self.mask) * (1 - self.mask)


class NICE(nn.Module):
    """Additive couplings on the flat 64-vector (alternating odd/even pixels), then a diagonal scaling."""

    def __init__(self, config: Config):
        super().__init__()
        dim = config.height * config.width
        self.shape = (1, config.height, config.width)
        self.couplings = nn.ModuleList(
            AdditiveCoupling(dim, p % 2, config.hidden, config.layers) for p in range(config.couplings)
        )
        self.log_scale = nn.Parameter(torch.zeros(dim))  # dinh2015nice section 3.3

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """x: (B, 1, H, W) -> z (B, 1, H, W), log|det dz/dx| (B,): only the scaling counts."""
        h = x.flatten(1)  # (B, D)
        for layer in self.couplings:
            h = layer(h)
        h = h * self.log_scale.exp()
        return h.view(-1, *self.shape), self.log_scale.sum().expand(x.shape[0])

    def inverse(self, z: torch.Tensor) -> torch.Tensor:
        h = z.flatten(1) * (-self.log_scale).exp()
        for layer in reversed(self.couplings):
            h = layer.inverse(h)
        return h.view(-1, *self.shape)


def build(config: Config) -> flows.DigitFlow:
    return flows.DigitFlow(config, NICE(config))


MODELS = (
    ZooModel(
        name="nice",
        family="normalizing-flows",
        module=__name__,
        title="NICE (additive coupling) with variational dequantisation",
        citation_key=CITATION,
        config={"hidden": 256, "layers": 3, "couplings": 4, "lr": 3e-3, "steps": 1200, "eval_every": 200},
        seed=0,
        likelihood="bound",
    ),
)

DEMOS = (
    flows.digits_demo(
        model="nice",
        title="NICE: digits from Gaussian noise",
        description="The first coupling flow: additive couplings, volume preserving except a final scaling. "
        "Temperature scales the Gaussian noise.",
        citation_key=CITATION,
    ),
)
