"""Gated PixelCNN on 8x8 digits: an exact-likelihood autoregressive image model.

Follows oord2016conditional (gated PixelCNN: a vertical and a horizontal stack, which removes the blind spot
of the original masked convolutions in oord2016pixel). Each pixel gets a 17-way softmax over the grey levels
0..16 of scikit-learn's digits, so the negative log-likelihood is exact in bits per dimension with no
dequantisation at all.

Raster order: pixel (i, j) may depend on every pixel of rows < i and on pixels (i, < j), nothing else.
  * the vertical stack sees the rows strictly above: its kernels cover the current row and the rows above,
    and the first layer leaves out the current row, so a vertical feature at row i only ever depends on
    input rows < i;
  * the horizontal stack sees the pixels to the left in the current row (the first layer leaves out the
    pixel itself) plus the vertical feature at the same position.
Together they cover the whole causal past, with receptive fields growing with depth (no blind spot).
"""

from __future__ import annotations

import copy
import math
import time
from collections.abc import Callable
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from generation.zoo import data
from generation.zoo.demos import Artefact, Demo, generator_for
from generation.zoo.images import grid_png
from generation.zoo.params import Param, n_param, seed_param
from generation.zoo.registry import ZooModel, load

LEVELS = data.LEVELS  # grey levels of the digits (0..16)
CITATION = "oord2016conditional"


@dataclass
class Config:
    channels: int = 32  # feature maps in each stack
    layers: int = 5  # gated layers after the first one
    kernel: int = 3  # kernel size of the gated layers after the first
    first_kernel: int = 5  # wider first layer so 8x8 is covered after a few layers
    levels: int = LEVELS  # softmax size per pixel
    height: int = 8  # image height (digits are 8x8)
    width: int = 8  # image width
    steps: int = 400  # optimiser steps (validation bits/dim flattens early: 1,000 training digits)
    batch: int = 64  # images per step
    lr: float = 2e-3  # Adam learning rate
    eval_every: int = 100  # steps between validation passes; the best validation checkpoint is kept


class MaskedConv2d(nn.Conv2d):
    """A Conv2d whose weight is multiplied by a fixed 0/1 mask before every use."""

    def __init__(self, c_in: int, c_out: int, kernel: tuple[int, int], mask: torch.Tensor):
        super().__init__(c_in, c_out, kernel, padding=(kernel[0] // 2, kernel[1] // 2))
        self.register_buffer("mask", mask[None, None].expand_as(self.weight).clone())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.conv2d(x, self.weight * self.mask, self.bias, padding=self.padding)


def vertical_mask(k: int, *, include_centre_row: bool) -> torch.Tensor:
    # (k, k): rows above the centre, and the centre row only when allowed; all columns.
    mask = torch.zeros(k, k)
    mask[: k // 2] = 1
    if include_centre_row:
        mask[k // 2] = 1
    return mask


def horizontal_mask(k: int, *, include_centre: bool) -> torch.Tensor:
    # (1, k): pixels to the left of the centre, and the centre only when allowed.
    mask = torch.zeros(1, k)
    mask[0, : k // 2] = 1
    if include_centre:
        mask[0, k // 2] = 1
    return mask


class GatedLayer(nn.Module):
    """One gated layer: tanh(W_f * x) * sigmoid(W_g * x) on both stacks, and a vertical-to-horizontal 1x1."""

    def __init__(self, c: int, k: int, *, first: bool, c_in: int | None = None):
        super().__init__()
        c_in = c_in or c
        self.first = first
        self.v_conv = MaskedConv2d(c_in, 2 * c, (k, k), vertical_mask(k, include_centre_row=not first))
        self.h_conv = MaskedConv2d(c_in, 2 * c, (1, k), horizontal_mask(k, include_centre=not first))
        self.v_to_h = nn.Conv2d(2 * c, 2 * c, 1)
        self.h_out = nn.Conv2d(c, c, 1)

    def forward(self, v: torch.Tensor, h: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        v_feat = self.v_conv(v)  # (B, 2C, H, W), depends on rows above only
        v_a, v_b = v_feat.chunk(2, dim=1)
        v_new = torch.tanh(v_a) * torch.sigmoid(v_b)

        h_feat = self.h_conv(h) + self.v_to_h(v_feat)  # (B, 2C, H, W)
        h_a, h_b = h_feat.chunk(2, dim=1)
        h_new = self.h_out(torch.tanh(h_a) * torch.sigmoid(h_b))
        if not self.first:  # residual connection on the horizontal stack (shapes differ on the first layer)
            h_new = h_new + h
        return v_new, h_new


class PixelCNN(nn.Module):
    def __init__(self, config: Config):
        super().__init__()
        self.config = config
        c = config.channels
        self.first = GatedLayer(c, config.first_kernel, first=True, c_in=1)
        self.layers = nn.ModuleList(GatedLayer(c, config.kernel, first=False) for _ in range(config.layers))
        self.head = nn.Sequential(
            nn.ReLU(), nn.Conv2d(c, 4 * c, 1), nn.ReLU(), nn.Conv2d(4 * c, config.levels, 1)
        )

    def forward(self, x: torch.Tensor, targets: torch.Tensor | None = None):
        """x: (B, 1, H, W) levels 0..16 -> logits (B, 17, H, W) and the mean NLL in nats per pixel."""
        inp = x.float() / (self.config.levels - 1) * 2 - 1  # (B, 1, H, W) in [-1, 1]
        v, h = self.first(inp, inp)
        for layer in self.layers:
            v, h = layer(v, h)
        logits = self.head(h)  # (B, 17, H, W)
        loss = None
        if targets is not None:
            loss = F.cross_entropy(logits, targets[:, 0].long())  # exact NLL, nats per pixel
        return logits, loss


def build(config: Config) -> PixelCNN:
    return PixelCNN(config)


@torch.inference_mode()
def nll_bits_per_dim(model: PixelCNN, x: torch.Tensor) -> torch.Tensor:
    """Exact negative log-likelihood of each image in bits per dimension: (B,). No dequantisation needed."""
    logits, _ = model(x)
    nll = F.cross_entropy(logits, x[:, 0].long(), reduction="none")  # (B, H, W) nats
    return nll.flatten(1).mean(1) / math.log(2)


def fit(
    model: PixelCNN, config: Config, *, generator: torch.Generator, log: Callable[[int, dict], None]
) -> dict:
    """Maximum likelihood with Adam; keeps the weights of the best validation bits/dim (early stopping)."""
    cpu_started = time.process_time()  # CPU seconds: honest cost on a shared machine
    train, val = data.digits("train").images, data.digits("val").images
    opt = torch.optim.Adam(model.parameters(), lr=config.lr)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=config.steps)
    losses: list[float] = []
    best = (float("inf"), 0, copy.deepcopy(model.state_dict()))
    for step in range(1, config.steps + 1):
        model.train()
        x = train[torch.randint(0, len(train), (config.batch,), generator=generator)]
        _, loss = model(x, x)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        sched.step()
        losses.append(loss.item() / math.log(2))
        if step % config.eval_every == 0 or step == config.steps:
            model.eval()
            val_bpd = nll_bits_per_dim(model, val).mean().item()
            if val_bpd < best[0]:
                best = (val_bpd, step, copy.deepcopy(model.state_dict()))
            log(step, {"train_bpd": losses[-1], "val_bpd": val_bpd})
    model.load_state_dict(best[2])
    model.eval()
    cpu = round(time.process_time() - cpu_started, 1)
    return {
        "val_bits_per_dim": best[0],
        "best_step": best[1],
        "cpu_time_s": cpu,
        "history": {"train_bits_per_dim": losses},
    }


@torch.inference_mode()
def sample(
    model: PixelCNN,
    n: int,
    *,
    generator: torch.Generator,
    device: str = "cpu",
    progress: Callable[[int, int], None] | None = None,
    temperature: float = 1.0,
) -> torch.Tensor:
    """Draw n images pixel by pixel in raster order: (n, 1, H, W) integer levels 0..16.

    Each of the H * W steps reruns the network on the partial image (fine at 8x8) and reports progress.
    """
    assert temperature > 0, "temperature must be positive"
    cfg = model.config
    x = torch.zeros(n, 1, cfg.height, cfg.width, dtype=torch.long, device=device)
    total = cfg.height * cfg.width
    for step in range(total):
        i, j = divmod(step, cfg.width)
        logits, _ = model(x)  # (n, 17, H, W)
        probs = F.softmax(logits[:, :, i, j] / temperature, dim=-1)  # (n, 17)
        # Sample on CPU with the caller's generator so a seed gives the same digits on any device.
        x[:, 0, i, j] = torch.multinomial(probs.cpu(), 1, generator=generator)[:, 0].to(device)
        if progress is not None:
            progress(step + 1, total)
    return x


# --- the shipped model and its demo -----------------------------------------------------------------------

MODELS = (
    ZooModel(
        name="pixelcnn",
        family="autoregressive-models",
        module=__name__,
        title="Gated PixelCNN on 8x8 digits",
        citation_key=CITATION,
        seed=0,
    ),
)


def _run_samples(params: dict, *, device: str, progress) -> tuple[list[Artefact], dict]:
    model = load("pixelcnn", device=device)
    images = sample(
        model,
        params["n"],
        generator=generator_for(params["seed"]),
        device=device,
        progress=progress,
        temperature=params["temperature"],
    )
    return [Artefact("samples.png", "image/png", grid_png(images))], {"shape": list(images.shape)}


DEMOS = (
    Demo(
        slug="pixelcnn-digits",
        family="autoregressive-models",
        title="Gated PixelCNN: digits pixel by pixel",
        description="Sample digits one pixel at a time in raster order, each grey level drawn from a 17-way "
        "softmax given every pixel above and to the left. Lower temperature sharpens each choice.",
        model="pixelcnn",
        params=(
            seed_param(),
            n_param(),
            Param("temperature", "float", 1.0, 0.1, 2.0, help="Divides the logits of every pixel's softmax."),
        ),
        citation_key=CITATION,
        run=_run_samples,
    ),
)
