"""RealNVP on 8x8 digits (dinh2017density): affine coupling layers y_b = x_b * exp(s(x_a)) + t(x_a), with
checkerboard masks on the 1x8x8 image, a squeeze to 4x4x4, channel masks there, and checkerboard masks again.
The log-determinant of each coupling is the sum of its s, so the likelihood is exact (up to dequantisation,
which ``flows.py`` shares with NICE).
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
CITATION = "dinh2017density"


@dataclass
class Config(flows.DigitFlowConfig):
    # The layout is fixed: 3 checkerboard couplings, squeeze, 3 channel couplings, unsqueeze, 3 checkerboard.
    hidden: int = 32  # channels of each coupling's convolutional net
    blocks: int = 1  # residual blocks in each coupling's net


def channel_mask(c: int, h: int, w: int, parity: int) -> torch.Tensor:
    """(1, c, h, w) mask of ones on the first (parity 0) or second (parity 1) half of the channels."""
    mask = torch.zeros(1, c, h, w)
    half = c // 2
    if parity == 0:
        mask[:, :half] = 1
    else:
        mask[:, half:] = 1
    return mask


def squeeze(x: torch.Tensor) -> torch.Tensor:
    """(B, C, H, W) -> (B, 4C, H/2, W/2): each 2x2 patch becomes 4 channels (dinh2017density fig. 3)."""
    B, C, H, W = x.shape
    x = x.view(B, C, H // 2, 2, W // 2, 2).permute(0, 1, 3, 5, 2, 4)
    return x.reshape(B, 4 * C, H // 2, W // 2)


def unsqueeze(x: torch.Tensor) -> torch.Tensor:
    B, C, H, W = x.shape
    x = x.view(B, C // 4, 2, 2, H, W).permute(0, 1, 4, 2, 5, 3)
    return x.reshape(B, C // 4, 2 * H, 2 * W)


class RealNVP(nn.Module):
    """3 checkerboard couplings (1x8x8), squeeze, 3 channel couplings (4x4x4), unsqueeze, 3 checkerboard."""

    def __init__(self, config: Config):
        super().__init__()
        h, w, hid, nb = config.height, config.width, config.hidden, config.blocks
        self.stage1 = nn.ModuleList(
            flows.AffineCoupling(flows.checkerboard(h, w, p % 2), hid, nb) for p in range(3)
        )
        self.stage2 = nn.ModuleList(
            flows.AffineCoupling(channel_mask(4, h // 2, w // 2, p % 2), hid, nb) for p in range(3)
        )
        self.stage3 = nn.ModuleList(
            flows.AffineCoupling(flows.checkerboard(h, w, (p + 1) % 2), hid, nb) for p in range(3)
        )

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """x: (B, 1, H, W) -> z (B, 1, H, W), log|det dz/dx| (B,)."""
        logdet = x.new_zeros(x.shape[0])
        for layer in self.stage1:
            x, ld = layer(x)
            logdet = logdet + ld
        x = squeeze(x)  # (B, 4, H/2, W/2)
        for layer in self.stage2:
            x, ld = layer(x)
            logdet = logdet + ld
        x = unsqueeze(x)  # (B, 1, H, W)
        for layer in self.stage3:
            x, ld = layer(x)
            logdet = logdet + ld
        return x, logdet

    def inverse(self, z: torch.Tensor) -> torch.Tensor:
        for layer in reversed(self.stage3):
            z = layer.inverse(z)
        z = squeeze(z)
        for layer in reversed(self.stage2):
            z = layer.inverse(z)
        z = unsqueeze(z)
        for layer in reversed(self.stage1):
            z = layer.inverse(z)
        return z


def build(config: Config) -> flows.DigitFlow:
    return flows.DigitFlow(config, RealNVP(config))


MODELS = (
    ZooModel(
        name="realnvp",
        family="normalizing-flows",
        module=__name__,
        title="RealNVP (affine coupling, checkerboard and channel masks) with variational dequantisation",
        citation_key=CITATION,
        config={"steps": 2400, "eval_every": 200},
        seed=0,
        likelihood="bound",
    ),
)

DEMOS = (
    flows.digits_demo(
        model="realnvp",
        title="RealNVP: digits from Gaussian noise",
        description="Push Gaussian noise backwards through affine coupling layers (checkerboard and channel "
        "masks) to get digits. The same network gives the exact density of any digit. Temperature below 1 "
        "draws from the likelier centre of the Gaussian: cleaner, less varied digits.",
        citation_key=CITATION,
    ),
)
