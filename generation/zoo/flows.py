"""Normalizing flows on 8x8 digits and on 2-D toy densities: NICE and RealNVP, with exact log-likelihood.

- NICE (dinh2015nice): additive coupling layers y_b = x_b + m(x_a) on alternating halves of the flattened
  image (volume preserving), then a learned diagonal scaling, the only part that changes volume.
- RealNVP (dinh2017density): affine coupling layers y_b = x_b * exp(s(x_a)) + t(x_a) with checkerboard masks
  on the 1x8x8 image, a squeeze to 4x4x4, channel masks there, and checkerboard masks again.

Both map data to a standard normal z, so log p(x) = log N(f(x)) + log |det df/dx| is exact.

Digits are 17 discrete levels, and a continuous density on discrete points is unbounded; dequantisation
(theis2016note) turns the density into a lower bound on the discrete log-likelihood:
  log P(x) >= E_q(u|x) [ log p((x + u) / 17) - log q(u | x) ] - D log 17,      u in (0, 1)^D.
Uniform q gives the bound that the Gaussian-mixture baseline also reports; variational dequantisation
(ho2019flow, Flow++) learns q(u | x) as a small conditional flow and tightens it. The flow reads the
dequantised y = (x + u) / 17 after a logit transform (dinh2017density section 4.1), whose log-det is counted.
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
LOG2 = math.log(2.0)


@dataclass
class Config:
    kind: str = "realnvp"  # "realnvp" (affine, dinh2017density) or "nice" (additive, dinh2015nice)
    hidden: int = 32  # channels of the coupling nets (RealNVP) / width of the coupling MLPs (NICE: x4)
    blocks: int = 1  # residual blocks per RealNVP coupling net; hidden layers per NICE coupling MLP (+1)
    couplings: int = 4  # NICE: number of additive couplings (RealNVP uses its fixed 3 + 3 + 3 layout)
    dequantisation: str = "variational"  # "uniform" (theis2016note) or "variational" (ho2019flow)
    deq_hidden: int = 32  # channels of the net that conditions q(u | x) on the digit
    alpha: float = 0.05  # logit transform squashes y into (alpha, 1 - alpha) first (dinh2017density)
    height: int = 8  # image height
    width: int = 8  # image width
    steps: int = 400  # optimiser steps on digits
    batch: int = 32  # images per step
    lr: float = 1e-3  # Adam learning rate
    eval_every: int = 100  # steps between validation passes; the best validation checkpoint is kept
    toy: str = ""  # a 2-D toy density (data.TOYS) to fit a ToyFlow on as well, for the density picture
    toy_steps: int = 600  # optimiser steps of the 2-D flow
    toy_couplings: int = 8  # affine couplings of the 2-D flow
    toy_hidden: int = 64  # width of the 2-D flow's coupling MLPs


# ----------------------------------------------------------------------------- coupling layers


def checkerboard(h: int, w: int, parity: int) -> torch.Tensor:
    """(1, 1, h, w) mask of ones where (i + j) % 2 == parity: the half that conditions the other."""
    i, j = torch.meshgrid(torch.arange(h), torch.arange(w), indexing="ij")
    return ((i + j) % 2 == parity).float()[None, None]


def channel_mask(c: int, h: int, w: int, parity: int) -> torch.Tensor:
    """(1, c, h, w) mask of ones on the first (parity 0) or second (parity 1) half of the channels."""
    mask = torch.zeros(1, c, h, w)
    half = c // 2
    if parity == 0:
        mask[:, :half] = 1
    else:
        mask[:, half:] = 1
    return mask


class ResBlock(nn.Module):
    def __init__(self, c: int):
        super().__init__()
        self.net = nn.Sequential(
            nn.ReLU(), nn.Conv2d(c, c, 3, padding=1), nn.ReLU(), nn.Conv2d(c, c, 3, padding=1)
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.net(x)


class AffineCoupling(nn.Module):
    """y = mask * x + (1 - mask) * (x * exp(s) + t), with (s, t) = net(mask * x): a triangular Jacobian."""

    def __init__(self, mask: torch.Tensor, hidden: int, blocks: int, cond_channels: int = 0):
        super().__init__()
        self.register_buffer("mask", mask)
        c = mask.shape[1]
        self.net = nn.Sequential(
            nn.Conv2d(c + cond_channels, hidden, 3, padding=1),
            *[ResBlock(hidden) for _ in range(blocks)],
            nn.ReLU(),
            nn.Conv2d(hidden, 2 * c, 3, padding=1),
        )
        nn.init.zeros_(self.net[-1].weight)  # start as the identity
        nn.init.zeros_(self.net[-1].bias)
        self.scale = nn.Parameter(torch.zeros(1, c, 1, 1))  # bounds s = scale * tanh(.) for stability

    def _st(self, x: torch.Tensor, cond: torch.Tensor | None) -> tuple[torch.Tensor, torch.Tensor]:
        inp = [x * self.mask]
        if cond is not None:
            inp.append(cond)
        s, t = self.net(torch.cat(inp, dim=1)).chunk(2, dim=1)  # each (B, C, H, W)
        s = self.scale.exp() * torch.tanh(s) * (1 - self.mask)
        return s, t * (1 - self.mask)

    def forward(self, x, cond=None):
        s, t = self._st(x, cond)
        return x * s.exp() + t, s.flatten(1).sum(1)  # y, log|det dy/dx| (B,)

    def inverse(self, y, cond=None):
        s, t = self._st(y, cond)  # the masked half is unchanged, so (s, t) can be recomputed from y
        return (y - t) * (-s).exp()


class AdditiveCoupling(nn.Module):
    """NICE: y_b = x_b + m(x_a) on a flat vector; the log-determinant is 0."""

    def __init__(self, dim: int, parity: int, hidden: int, layers: int):
        super().__init__()
        self.register_buffer("mask", (torch.arange(dim) % 2 == parity).float()[None])  # (1, D)
        mlp: list[nn.Module] = [nn.Linear(dim, hidden), nn.ReLU()]
        for _ in range(layers - 1):
            mlp += [nn.Linear(hidden, hidden), nn.ReLU()]
        self.m = nn.Sequential(*mlp, nn.Linear(hidden, dim))
        nn.init.zeros_(self.m[-1].weight)
        nn.init.zeros_(self.m[-1].bias)

    def forward(self, x, cond=None):
        return x + self.m(x * self.mask) * (1 - self.mask), x.new_zeros(x.shape[0])

    def inverse(self, y, cond=None):
        return y - self.m(y * self.mask) * (1 - self.mask)


def squeeze(x: torch.Tensor) -> torch.Tensor:
    """(B, C, H, W) -> (B, 4C, H/2, W/2): each 2x2 patch becomes 4 channels (dinh2017density fig. 3)."""
    B, C, H, W = x.shape
    x = x.view(B, C, H // 2, 2, W // 2, 2).permute(0, 1, 3, 5, 2, 4)
    return x.reshape(B, 4 * C, H // 2, W // 2)


def unsqueeze(x: torch.Tensor) -> torch.Tensor:
    B, C, H, W = x.shape
    x = x.view(B, C // 4, 2, 2, H, W).permute(0, 1, 4, 2, 5, 3)
    return x.reshape(B, C // 4, 2 * H, 2 * W)


# ----------------------------------------------------------------------------- the flows


class RealNVP(nn.Module):
    """3 checkerboard couplings (1x8x8), squeeze, 3 channel couplings (4x4x4), unsqueeze, 3 checkerboard."""

    def __init__(self, config: Config, cond_channels: int = 0):
        super().__init__()
        h, w, hid, nb = config.height, config.width, config.hidden, config.blocks
        self.stage1 = nn.ModuleList(
            AffineCoupling(checkerboard(h, w, p % 2), hid, nb, cond_channels) for p in range(3)
        )
        self.stage2 = nn.ModuleList(
            AffineCoupling(channel_mask(4, h // 2, w // 2, p % 2), hid, nb, 4 * cond_channels)
            for p in range(3)
        )
        self.stage3 = nn.ModuleList(
            AffineCoupling(checkerboard(h, w, (p + 1) % 2), hid, nb, cond_channels) for p in range(3)
        )

    def forward(self, x, cond=None):
        """x: (B, 1, H, W) -> z (B, 1, H, W), log|det dz/dx| (B,)."""
        logdet = x.new_zeros(x.shape[0])
        cond_sq = squeeze(cond) if cond is not None else None
        for layer in self.stage1:
            x, ld = layer(x, cond)
            logdet = logdet + ld
        x = squeeze(x)  # (B, 4, H/2, W/2)
        for layer in self.stage2:
            x, ld = layer(x, cond_sq)
            logdet = logdet + ld
        x = unsqueeze(x)
        for layer in self.stage3:
            x, ld = layer(x, cond)
            logdet = logdet + ld
        return x, logdet

    def inverse(self, z, cond=None):
        cond_sq = squeeze(cond) if cond is not None else None
        for layer in reversed(self.stage3):
            z = layer.inverse(z, cond)
        z = squeeze(z)
        for layer in reversed(self.stage2):
            z = layer.inverse(z, cond_sq)
        z = unsqueeze(z)
        for layer in reversed(self.stage1):
            z = layer.inverse(z, cond)
        return z


class NICE(nn.Module):
    """Additive couplings on the flat 64-vector (alternating odd/even pixels), then a diagonal scaling."""

    def __init__(self, config: Config):
        super().__init__()
        dim = config.height * config.width
        self.shape = (1, config.height, config.width)
        self.couplings = nn.ModuleList(
            AdditiveCoupling(dim, p % 2, 4 * config.hidden, config.blocks + 1)
            for p in range(config.couplings)
        )
        self.log_scale = nn.Parameter(torch.zeros(dim))  # dinh2015nice section 3.3

    def forward(self, x, cond=None):
        h = x.flatten(1)  # (B, D)
        for layer in self.couplings:
            h, _ = layer(h)
        h = h * self.log_scale.exp()
        return h.view(-1, *self.shape), self.log_scale.sum().expand(x.shape[0])

    def inverse(self, z, cond=None):
        h = z.flatten(1) * (-self.log_scale).exp()
        for layer in reversed(self.couplings):
            h = layer.inverse(h)
        return h.view(-1, *self.shape)


class VariationalDequantiser(nn.Module):
    """q(u | x) for u in (0, 1)^D: eps ~ N(0, I), a conditional affine map and two conditional couplings,
    then a sigmoid (ho2019flow section 3.1). Returns u and log q(u | x)."""

    def __init__(self, config: Config):
        super().__init__()
        c = config.deq_hidden
        self.embed = nn.Sequential(
            nn.Conv2d(1, c, 3, padding=1), ResBlock(c), nn.ReLU(), nn.Conv2d(c, c, 3, padding=1)
        )
        self.affine = nn.Conv2d(c, 2, 3, padding=1)  # per-pixel mean and log-scale of the first map
        nn.init.zeros_(self.affine.weight)
        nn.init.zeros_(self.affine.bias)
        h, w = config.height, config.width
        self.couplings = nn.ModuleList(
            AffineCoupling(checkerboard(h, w, p), c, 1, cond_channels=c) for p in (0, 1)
        )

    def transform(self, eps: torch.Tensor, x_levels: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """eps (B, 1, H, W) -> u in (0, 1), and log |det du/deps| (B,)."""
        cond = self.embed(x_levels.to(eps.dtype) / (LEVELS - 1) * 2 - 1)  # (B, c, H, W)
        mu, log_sigma = self.affine(cond).chunk(2, dim=1)
        v = mu + eps * log_sigma.exp()
        logdet = log_sigma.flatten(1).sum(1)
        for layer in self.couplings:
            v, ld = layer(v, cond)
            logdet = logdet + ld
        u = torch.sigmoid(v)
        logdet = logdet + (F.logsigmoid(v) + F.logsigmoid(-v)).flatten(1).sum(1)  # sigmoid's log-derivative
        return u, logdet

    def forward(self, x_levels: torch.Tensor, generator: torch.Generator | None = None):
        """Draw u ~ q(u | x): returns u and log q(u | x) = log N(eps) - log |det du/deps|, (B,)."""
        eps = torch.randn(x_levels.shape, generator=generator).to(x_levels.device)  # CPU draws
        u, logdet = self.transform(eps, x_levels)
        log_normal = -0.5 * (eps**2 + math.log(2 * math.pi)).flatten(1).sum(1)
        return u, log_normal - logdet


class DigitFlow(nn.Module):
    """Dequantiser + logit transform + NICE or RealNVP + standard normal prior, on 17-level digits."""

    def __init__(self, config: Config):
        super().__init__()
        assert config.kind in ("nice", "realnvp"), f"kind must be 'nice' or 'realnvp', not {config.kind!r}"
        assert config.dequantisation in ("uniform", "variational"), (
            "dequantisation: 'uniform' or 'variational'"
        )
        self.config = config
        self.flow = RealNVP(config) if config.kind == "realnvp" else NICE(config)
        self.dequantiser = VariationalDequantiser(config) if config.dequantisation == "variational" else None
        # The 2-D flow of the density picture travels in the same checkpoint (it weighs a few kB).
        self.toy = ToyFlow(config.toy_couplings, config.toy_hidden) if config.toy else None

    def log_density(self, y: torch.Tensor) -> torch.Tensor:
        """Exact log p(y) of dequantised images y in (0, 1)^D: (B,)."""
        a = self.config.alpha
        s = a + (1 - 2 * a) * y
        h = torch.log(s) - torch.log1p(-s)  # logit, (B, 1, H, W)
        logdet_logit = (math.log(1 - 2 * a) - torch.log(s) - torch.log1p(-s)).flatten(1).sum(1)
        z, logdet = self.flow(h)
        log_prior = -0.5 * (z**2 + math.log(2 * math.pi)).flatten(1).sum(1)
        return log_prior + logdet + logdet_logit

    def bound(self, x: torch.Tensor, *, uniform: bool = False, generator: torch.Generator | None = None):
        """One-sample estimate of the dequantisation bound on log P(x), nats (B,); x: (B, 1, H, W) levels."""
        if uniform or self.dequantiser is None:
            u = torch.rand(x.shape, generator=generator).to(x.device)  # CPU draws: same on any device
            log_q = torch.zeros(x.shape[0], device=x.device)
        else:
            u, log_q = self.dequantiser(x, generator)
        y = (x.float() + u) / LEVELS
        dims = x[0].numel()
        return self.log_density(y) - log_q - dims * math.log(LEVELS)

    def forward(self, x: torch.Tensor, targets: torch.Tensor | None = None):
        """Returns the per-image bound (B,) and, as the loss, its mean negated in bits per dimension."""
        log_p = self.bound(x)
        return log_p, -log_p.mean() / (x[0].numel() * LOG2)

    @torch.inference_mode()
    def sample(self, n: int, *, generator: torch.Generator, temperature: float = 1.0) -> torch.Tensor:
        """Draw z ~ N(0, T^2 I), invert the flow and the logit, and quantise: (n, 1, H, W) levels 0..16."""
        cfg = self.config
        z = torch.randn(n, 1, cfg.height, cfg.width, generator=generator) * temperature  # CPU draws
        h = self.flow.inverse(z.to(next(self.parameters()).device))
        y = (torch.sigmoid(h) - cfg.alpha) / (1 - 2 * cfg.alpha)
        return (y * LEVELS).floor().clamp(0, LEVELS - 1).long().cpu()


# ----------------------------------------------------------------------------- 2-D toy densities


class ToyCoupling(nn.Module):
    def __init__(self, parity: int, hidden: int):
        super().__init__()
        self.register_buffer("mask", torch.tensor([[1.0, 0.0]] if parity == 0 else [[0.0, 1.0]]))
        self.net = nn.Sequential(
            nn.Linear(2, hidden), nn.ReLU(), nn.Linear(hidden, hidden), nn.ReLU(), nn.Linear(hidden, 4)
        )
        nn.init.zeros_(self.net[-1].weight)
        nn.init.zeros_(self.net[-1].bias)

    def _st(self, x):
        s, t = self.net(x * self.mask).chunk(2, dim=1)
        return torch.tanh(s) * (1 - self.mask), t * (1 - self.mask)

    def forward(self, x):
        s, t = self._st(x)
        return x * s.exp() + t, s.sum(1)

    def inverse(self, y):
        s, t = self._st(y)
        return (y - t) * (-s).exp()


class ToyFlow(nn.Module):
    """RealNVP on points of the plane: exact log p(x) for the density picture."""

    def __init__(self, couplings: int, hidden: int):
        super().__init__()
        self.layers = nn.ModuleList(ToyCoupling(p % 2, hidden) for p in range(couplings))

    def log_prob(self, x: torch.Tensor) -> torch.Tensor:
        logdet = x.new_zeros(x.shape[0])
        for layer in self.layers:
            x, ld = layer(x)
            logdet = logdet + ld
        return -0.5 * (x**2).sum(1) - math.log(2 * math.pi) + logdet

    def forward(self, x: torch.Tensor, targets: torch.Tensor | None = None):
        log_p = self.log_prob(x)
        return log_p, -log_p.mean()

    @torch.inference_mode()
    def sample(self, n: int, *, generator: torch.Generator, temperature: float = 1.0) -> torch.Tensor:
        x = torch.randn(n, 2, generator=generator) * temperature
        for layer in reversed(self.layers):
            x = layer.inverse(x)
        return x


# ----------------------------------------------------------------------------- registry functions


def build(config: Config) -> DigitFlow:
    return DigitFlow(config)


@torch.inference_mode()
def nll_bits_per_dim(
    model: DigitFlow, x: torch.Tensor, *, uniform: bool = False, samples: int = 4
) -> torch.Tensor:
    """Bound on the NLL of 17-level digits in bits/dim, (B,): the model's own dequantiser unless ``uniform``.

    Averages ``samples`` one-sample estimates drawn from a fixed generator, so it is reproducible.
    """
    generator = torch.Generator(device="cpu").manual_seed(0)
    x = x.to(next(model.parameters()).device)
    total = torch.zeros(x.shape[0], device=x.device)
    for _ in range(samples):
        total += model.bound(x, uniform=uniform, generator=generator)
    return -(total / samples) / (x[0].numel() * LOG2)


def extra_metrics(model: DigitFlow) -> dict:
    """For the table: this model's bound under uniform dequantisation, the one the Gaussian mixture gets."""
    test = data.digits("test").images
    return {
        "bits_per_dim_uniform": round(nll_bits_per_dim(model, test, uniform=True).mean().item(), 4),
        "dequantisation": model.config.dequantisation,
    }


def fit(
    model: DigitFlow, config: Config, *, generator: torch.Generator, log: Callable[[int, dict], None]
) -> dict:
    """Maximise the dequantisation bound with Adam (best validation bound kept); then fit the 2-D toy flow."""
    cpu_started = time.process_time()  # CPU seconds: honest cost on a shared machine
    train, val = data.digits("train").images, data.digits("val").images
    params = [p for name, p in model.named_parameters() if not name.startswith("toy.")]
    opt = torch.optim.Adam(params, lr=config.lr)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=config.steps)
    losses: list[float] = []
    best = (float("inf"), 0, copy.deepcopy(model.state_dict()))
    for step in range(1, config.steps + 1):
        model.train()
        x = train[torch.randint(0, len(train), (config.batch,), generator=generator)]
        _, loss = model(x)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        nn.utils.clip_grad_norm_(params, 10.0)
        opt.step()
        sched.step()
        losses.append(loss.item())
        if step % config.eval_every == 0 or step == config.steps:
            model.eval()
            val_bpd = nll_bits_per_dim(model, val).mean().item()
            if val_bpd < best[0]:
                best = (val_bpd, step, copy.deepcopy(model.state_dict()))
            log(step, {"train_bpd": losses[-1], "val_bpd": val_bpd})
    model.load_state_dict(best[2])
    model.eval()
    metrics = {
        "val_bits_per_dim": best[0],
        "val_bits_per_dim_uniform_dequantisation": nll_bits_per_dim(model, val, uniform=True).mean().item(),
        "best_step": best[1],
    }
    history = {"train_bits_per_dim": losses}
    if model.toy is not None:
        toy_losses = fit_toy(model.toy, config, generator=generator, log=log)
        metrics["toy_final_nll_nats"] = sum(toy_losses[-50:]) / len(toy_losses[-50:])
        history["toy_nll_nats"] = toy_losses
    metrics["cpu_time_s"] = round(time.process_time() - cpu_started, 1)
    return {**metrics, "history": history}


def fit_toy(toy: ToyFlow, config: Config, *, generator: torch.Generator, log) -> list[float]:
    """Maximum likelihood on fresh draws of the 2-D toy density."""
    opt = torch.optim.Adam(toy.parameters(), lr=2e-3)
    losses = []
    for step in range(1, config.toy_steps + 1):
        toy.train()
        _, loss = toy(data.toy(config.toy, 256, generator=generator))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        losses.append(loss.item())
        if step % 500 == 0:
            log(step, {"toy_nll_nats": loss.item()})
    toy.eval()
    return losses


def sample(
    model: DigitFlow,
    n: int,
    *,
    generator: torch.Generator,
    device: str = "cpu",
    progress: Callable[[int, int], None] | None = None,
    temperature: float = 1.0,
) -> torch.Tensor:
    """n digits (n, 1, 8, 8), long levels 0..16: one inverse pass of the flow from N(0, T^2 I)."""
    if progress is not None:
        progress(0, 1)
    images = model.sample(n, generator=generator, temperature=temperature)
    if progress is not None:
        progress(1, 1)
    return images


# --- the shipped models and their demos -------------------------------------------------------------------

MODELS = (
    ZooModel(
        name="realnvp",
        family="normalizing-flows",
        module=__name__,
        title="RealNVP (affine coupling, checkerboard and channel masks) with variational dequantisation",
        citation_key="dinh2017density",
        config={"kind": "realnvp", "toy": "two_moons", "steps": 2400, "eval_every": 200},
        seed=0,
        likelihood="bound",
    ),
    ZooModel(
        name="nice",
        family="normalizing-flows",
        module=__name__,
        title="NICE (additive coupling) with variational dequantisation",
        citation_key="dinh2015nice",
        config={
            "kind": "nice",
            "hidden": 64,
            "blocks": 2,
            "couplings": 4,
            "lr": 3e-3,
            "steps": 1200,
            "eval_every": 200,
        },
        seed=0,
        likelihood="bound",
    ),
)


def _samples_runner(name: str):
    def run(params: dict, *, device: str, progress) -> tuple[list[Artefact], dict]:
        model = load(name, device=device)
        images = sample(
            model,
            params["n"],
            generator=generator_for(params["seed"]),
            device=device,
            progress=progress,
            temperature=params["temperature"],
        )
        return [Artefact("samples.png", "image/png", grid_png(images))], {"shape": list(images.shape)}

    return run


def _run_toy_density(params: dict, *, device: str, progress) -> tuple[list[Artefact], dict]:
    from generation.zoo import density_maps

    model = load("realnvp", device="cpu")  # a 2-D flow on a 128x128 grid: the CPU is the right device
    assert model.toy is not None, "the realnvp checkpoint carries no toy flow"
    generator = generator_for(params["seed"])
    if progress is not None:
        progress(0, 2)
    points = data.toy(model.config.toy, 20000, generator=generator)
    left = density_maps.colourise(density_maps.histogram(points))
    density = density_maps.evaluate_on_grid(lambda g: model.toy.log_prob(g).exp())
    right = density_maps.colourise(density)
    if progress is not None:
        progress(1, 2)
    samples = model.toy.sample(params["n"], generator=generator, temperature=params["temperature"])
    density_maps.mark(right, samples)
    if progress is not None:
        progress(2, 2)
    png = density_maps.side_by_side([left, right])
    return [Artefact("density.png", "image/png", png)], {
        "toy": model.config.toy,
        "panels": ["data histogram (20,000 draws)", "learned density exp(log p) with the model's samples"],
    }


_TEMPERATURE = Param("temperature", "float", 1.0, 0.0, 1.5, help="Scales the Gaussian noise fed to the flow.")

DEMOS = (
    Demo(
        slug="realnvp-digits",
        family="normalizing-flows",
        title="RealNVP: digits from Gaussian noise",
        description="Push Gaussian noise backwards through affine coupling layers (checkerboard and channel "
        "masks) to get digits. The same network gives the exact density of any digit. Temperature below 1 "
        "draws from the likelier centre of the Gaussian: cleaner, less varied digits.",
        model="realnvp",
        params=(seed_param(), n_param(), _TEMPERATURE),
        citation_key="dinh2017density",
        run=_samples_runner("realnvp"),
    ),
    Demo(
        slug="nice-digits",
        family="normalizing-flows",
        title="NICE: digits from Gaussian noise",
        description="The first coupling flow: additive couplings, volume preserving except a final scaling. "
        "Temperature scales the Gaussian noise.",
        model="nice",
        params=(seed_param(), n_param(), _TEMPERATURE),
        citation_key="dinh2015nice",
        run=_samples_runner("nice"),
    ),
    Demo(
        slug="realnvp-two-moons",
        family="normalizing-flows",
        title="RealNVP on a 2-D toy: learned density beside the data",
        description="A RealNVP of the plane fitted to the two-moons density. Left: a histogram of the data. "
        "Right: the density the flow assigns to every point (exact, by the change of variables), with n of "
        "its samples as white dots.",
        model="realnvp",
        params=(seed_param(), n_param(), _TEMPERATURE),
        citation_key="dinh2017density",
        run=_run_toy_density,
    ),
)
