"""What the two digit flows (``nice.py``, ``realnvp.py``) share: dequantisation, the logit transform, the
standard normal prior, training, the likelihood bound and sampling. Each flow file holds its own network and
its own Config; this file never looks at which flow it wraps.

A flow maps data to a standard normal z, so log p(x) = log N(f(x)) + log |det df/dx| is exact.

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
from generation.zoo.registry import load

LEVELS = data.LEVELS  # grey levels of the digits (0..16)
LOG2 = math.log(2.0)


@dataclass
class DigitFlowConfig:
    """The fields every digit flow has; ``nice.Config`` and ``realnvp.Config`` add their network's."""

    dequantisation: str = "variational"  # "uniform" (theis2016note) or "variational" (ho2019flow)
    deq_hidden: int = 32  # channels of the net that conditions q(u | x) on the digit
    alpha: float = 0.05  # logit transform squashes y into (alpha, 1 - alpha) first (dinh2017density)
    height: int = 8  # image height
    width: int = 8  # image width
    steps: int = 400  # optimiser steps on digits
    batch: int = 32  # images per step
    lr: float = 1e-3  # Adam learning rate
    eval_every: int = 100  # steps between validation passes; the best validation checkpoint is kept


# ----------------------------------------------------------------------------- building blocks


def checkerboard(h: int, w: int, parity: int) -> torch.Tensor:
    """(1, 1, h, w) mask of ones where (i + j) % 2 == parity: the half that conditions the other."""
    i, j = torch.meshgrid(torch.arange(h), torch.arange(w), indexing="ij")
    return ((i + j) % 2 == parity).float()[None, None]


class ResBlock(nn.Module):
    def __init__(self, c: int):
        super().__init__()
        self.net = nn.Sequential(
            nn.ReLU(), nn.Conv2d(c, c, 3, padding=1), nn.ReLU(), nn.Conv2d(c, c, 3, padding=1)
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.net(x)


class AffineCoupling(nn.Module):
    """y = mask * x + (1 - mask) * (x * exp(s) + t), with (s, t) = net(mask * x): a triangular Jacobian
    (dinh2017density). RealNVP stacks these; the variational dequantiser uses two."""

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


class VariationalDequantiser(nn.Module):
    """q(u | x) for u in (0, 1)^D: eps ~ N(0, I), a conditional affine map and two conditional couplings,
    then a sigmoid (ho2019flow section 3.1). Returns u and log q(u | x)."""

    def __init__(self, config: DigitFlowConfig):
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


# ----------------------------------------------------------------------------- the digit model


class DigitFlow(nn.Module):
    """Dequantiser + logit transform + a flow (x -> z, log-det; and its inverse) + standard normal prior."""

    def __init__(self, config: DigitFlowConfig, flow: nn.Module):
        super().__init__()
        assert config.dequantisation in ("uniform", "variational"), (
            "dequantisation: 'uniform' or 'variational'"
        )
        self.config = config
        self.flow = flow
        self.dequantiser = VariationalDequantiser(config) if config.dequantisation == "variational" else None

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


# ----------------------------------------------------------------------------- registry functions


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
    model: DigitFlow,
    config: DigitFlowConfig,
    *,
    generator: torch.Generator,
    log: Callable[[int, dict], None],
) -> dict:
    """Maximise the dequantisation bound with Adam, keeping the best validation bound."""
    cpu_started = time.process_time()  # CPU seconds: honest cost on a shared machine
    train, val = data.digits("train").images, data.digits("val").images
    params = list(model.parameters())
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
    return {
        "val_bits_per_dim": best[0],
        "val_bits_per_dim_uniform_dequantisation": nll_bits_per_dim(model, val, uniform=True).mean().item(),
        "best_step": best[1],
        "cpu_time_s": round(time.process_time() - cpu_started, 1),
        "history": {"train_bits_per_dim": losses},
    }


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


# ----------------------------------------------------------------------------- the digits demo of a flow

TEMPERATURE = Param("temperature", "float", 1.0, 0.0, 1.5, help="Scales the Gaussian noise fed to the flow.")


def digits_demo(*, model: str, title: str, description: str, citation_key: str) -> Demo:
    """The demo of a shipped digit flow: n digits from Gaussian noise at a temperature."""

    def run(params: dict, *, device: str, progress) -> tuple[list[Artefact], dict]:
        flow = load(model, device=device)
        images = sample(
            flow,
            params["n"],
            generator=generator_for(params["seed"]),
            device=device,
            progress=progress,
            temperature=params["temperature"],
        )
        return [Artefact("samples.png", "image/png", grid_png(images))], {"shape": list(images.shape)}

    return Demo(
        slug=f"{model}-digits",
        family="normalizing-flows",
        title=title,
        description=description,
        model=model,
        params=(seed_param(), n_param(), TEMPERATURE),
        citation_key=citation_key,
        run=run,
    )
