"""What the image flows (``nice.py``, ``realnvp.py``) share: dequantisation, the logit transform, the
prior, training, the likelihood bound and sampling. Each flow file holds its own network and its own Config;
this file never looks at which flow it wraps.

A flow maps data to a latent z, so log p(x) = log p(f(x)) + log |det df/dx| is exact. The digit flows use a
standard normal prior; a flow that owns its prior (the multi-scale RealNVP of Fashion-MNIST in
``realnvp.py``, whose factored-out latents have learned, class-dependent Gaussians) provides ``log_prob``
and ``sample_logits`` instead, and this file uses those.

Images are L discrete levels (17 for the digits, 256 for Fashion-MNIST), and a continuous density on discrete
points is unbounded; dequantisation (theis2016note) turns the density into a lower bound on the discrete
log-likelihood:
  log P(x) >= E_q(u|x) [ log p((x + u) / L) - log q(u | x) ] - D log L,      u in (0, 1)^D.
Uniform q gives the bound that the Gaussian-mixture baseline also reports; variational dequantisation
(ho2019flow, Flow++) learns q(u | x) as a small conditional flow and tightens it. The flow reads the
dequantised y = (x + u) / L after a logit transform (dinh2017density section 4.1), whose log-det is counted.
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
from generation.zoo.demos import Artefact, Demo, generator_for, labels_for
from generation.zoo.images import grid_png
from generation.zoo.params import Param, n_param, seed_param
from generation.zoo.registry import load

LEVELS = data.LEVELS  # grey levels of the digits (0..16); Fashion-MNIST has 256 (``data.image_set``)
LOG2 = math.log(2.0)


@dataclass
class DigitFlowConfig:
    """The fields every image flow has; ``nice.Config`` and ``realnvp.Config`` add their network's.

    ``height`` and ``width`` default to the side of ``dataset``'s images (8 for digits, 28 for Fashion-MNIST).
    """

    dequantisation: str = "variational"  # "uniform" (theis2016note) or "variational" (ho2019flow)
    deq_hidden: int = 32  # channels of the net that conditions q(u | x) on the digit
    alpha: float = 0.05  # logit transform squashes y into (alpha, 1 - alpha) first (dinh2017density)
    height: int | None = None  # image height; None: the data set's side
    width: int | None = None  # image width; None: the data set's side
    steps: int = 400  # optimiser steps on digits
    batch: int = 32  # images per step
    lr: float = 1e-3  # Adam learning rate
    eval_every: int = 100  # steps between validation passes; the best validation checkpoint is kept
    dataset: str = "digits"  # "digits" (8x8, 17 levels) or "fashion" (28x28, 256 levels): data.image_set
    warmup: int = 0  # steps of linear learning-rate warm-up before the cosine decay
    clip: float = 10.0  # gradient-norm clipping

    def __post_init__(self):
        side = data.image_set(self.dataset).side
        self.height = side if self.height is None else self.height
        self.width = side if self.width is None else self.width

    @property
    def levels(self) -> int:
        return data.image_set(self.dataset).levels


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

    def __init__(
        self, mask: torch.Tensor, hidden: int, blocks: int, cond_channels: int = 0, net: str = "res"
    ):
        """``net``: "res" (3x3 conv, ``blocks`` residual blocks of two 3x3 convs, 3x3 conv; the digit flows)
        or "glow" (3x3 conv, ReLU, 1x1 conv, ReLU, 3x3 conv: kingma2018glow's cheaper coupling net)."""
        super().__init__()
        self.register_buffer("mask", mask)
        c = mask.shape[1]
        if net == "res":
            middle: list[nn.Module] = [ResBlock(hidden) for _ in range(blocks)]
        elif net == "glow":
            middle = [nn.ReLU(), nn.Conv2d(hidden, hidden, 1)]
        else:
            raise ValueError(f"coupling net {net!r}: 'res' or 'glow'")
        self.net = nn.Sequential(
            nn.Conv2d(c + cond_channels, hidden, 3, padding=1),
            *middle,
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
        self.levels = config.levels
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
        cond = self.embed(x_levels.to(eps.dtype) / (self.levels - 1) * 2 - 1)  # (B, c, H, W)
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
    """Dequantiser + logit transform + a flow (x -> z, log-det; and its inverse) + its prior.

    The prior is a standard normal unless the flow owns one (``log_prob(h, labels)`` and
    ``sample_logits(n, ...)``, as the multi-scale RealNVP does). ``labels`` (B,) of class ids select a
    class-conditional density where the flow has one; ``None`` is the density of any class.
    """

    def __init__(self, config: DigitFlowConfig, flow: nn.Module):
        super().__init__()
        assert config.dequantisation in ("uniform", "variational"), (
            "dequantisation: 'uniform' or 'variational'"
        )
        self.config = config
        self.levels = config.levels
        self.flow = flow
        self.dequantiser = VariationalDequantiser(config) if config.dequantisation == "variational" else None

    @property
    def conditional(self) -> bool:
        return getattr(self.flow, "classes", 0) > 0

    def log_density(self, y: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        """Exact log p(y) (or log p(y | label)) of dequantised images y in (0, 1)^D: (B,)."""
        a = self.config.alpha
        s = a + (1 - 2 * a) * y
        h = torch.log(s) - torch.log1p(-s)  # logit, (B, 1, H, W)
        logdet_logit = (math.log(1 - 2 * a) - torch.log(s) - torch.log1p(-s)).flatten(1).sum(1)
        if hasattr(self.flow, "log_prob"):  # a flow with its own (conditional) prior
            return self.flow.log_prob(h, labels) + logdet_logit
        z, logdet = self.flow(h)
        log_prior = -0.5 * (z**2 + math.log(2 * math.pi)).flatten(1).sum(1)
        return log_prior + logdet + logdet_logit

    def bound(
        self,
        x: torch.Tensor,
        *,
        uniform: bool = False,
        generator: torch.Generator | None = None,
        labels: torch.Tensor | None = None,
    ):
        """One-sample estimate of the dequantisation bound on log P(x) (or log P(x | label)), nats (B,);
        x: (B, 1, H, W) levels."""
        if uniform or self.dequantiser is None:
            u = torch.rand(x.shape, generator=generator).to(x.device)  # CPU draws: same on any device
            log_q = torch.zeros(x.shape[0], device=x.device)
        else:
            u, log_q = self.dequantiser(x, generator)
        y = (x.float() + u) / self.levels
        dims = x[0].numel()
        return self.log_density(y, labels) - log_q - dims * math.log(self.levels)

    def forward(self, x: torch.Tensor, labels: torch.Tensor | None = None):
        """Returns the per-image bound (B,) and, as the loss, its mean negated in bits per dimension.

        With ``labels`` a class-conditional flow is trained on log p(x | label); other flows ignore them."""
        log_p = self.bound(x, labels=labels if self.conditional else None)
        return log_p, -log_p.mean() / (x[0].numel() * LOG2)

    @torch.inference_mode()
    def sample(
        self,
        n: int,
        *,
        generator: torch.Generator,
        temperature: float = 1.0,
        labels: torch.Tensor | None = None,
    ) -> torch.Tensor:
        """Draw z from the prior with its scale times T (N(0, T^2 I) for the digit flows), invert the flow and
        the logit, and quantise: (n, 1, H, W) levels 0..L-1."""
        cfg = self.config
        device = next(self.parameters()).device
        if hasattr(self.flow, "sample_logits"):
            h = self.flow.sample_logits(
                n, generator=generator, temperature=temperature, labels=labels, device=device
            )
        else:
            z = torch.randn(n, 1, cfg.height, cfg.width, generator=generator) * temperature  # CPU draws
            h = self.flow.inverse(z.to(device))
        y = (torch.sigmoid(h) - cfg.alpha) / (1 - 2 * cfg.alpha)
        return (y * self.levels).floor().clamp(0, self.levels - 1).long().cpu()


# ----------------------------------------------------------------------------- registry functions

CHUNK = 500  # images per forward pass when scoring a whole split (bounds the memory of 28x28 flows)


@torch.inference_mode()
def nll_bits_per_dim(
    model: DigitFlow,
    x: torch.Tensor,
    *,
    uniform: bool = False,
    samples: int | None = None,
    labels: torch.Tensor | None = None,
) -> torch.Tensor:
    """Bound on the NLL of L-level images in bits/dim, (B,): the model's own dequantiser unless ``uniform``.

    Averages ``samples`` one-sample estimates drawn from a fixed generator, so it is reproducible; the
    default is 4 for the 64-pixel digits and 1 for 784-pixel Fashion-MNIST, where the spread of one draw
    of u over 784 pixels is already small (and a pass over the test set costs a CPU-minute). ``labels``
    gives -log2 P(x | label) of a class-conditional flow; without them a class-conditional flow is scored
    on its marginal over the classes, the number that compares with unconditional models.
    """
    if samples is None:
        samples = 4 if model.config.dataset == "digits" else 1
    device = next(model.parameters()).device
    rows = []
    generator = torch.Generator(device="cpu").manual_seed(0)
    for start in range(0, x.shape[0], CHUNK):
        chunk = x[start : start + CHUNK].to(device)
        chunk_labels = None if labels is None else labels[start : start + CHUNK].to(device)
        total = torch.zeros(chunk.shape[0], device=device)
        for _ in range(samples):
            total += model.bound(chunk, uniform=uniform, generator=generator, labels=chunk_labels)
        rows.append(-(total / samples) / (chunk[0].numel() * LOG2))
    return torch.cat(rows)


def extra_metrics(model: DigitFlow) -> dict:
    """For the table: this model's bound under uniform dequantisation, the one the Gaussian mixture gets
    (a flow trained with uniform dequantisation reports that as its own bound already)."""
    if model.config.dequantisation == "uniform":
        return {"dequantisation": "uniform"}
    test = data.image_set(model.config.dataset).split("test").images
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
    """Maximise the dequantisation bound with Adam (linear warm-up, cosine decay), keeping the best
    validation bound. A class-conditional flow trains on log p(x | label) and is chosen on its marginal."""
    cpu_started = time.process_time()  # CPU seconds: honest cost on a shared machine
    image_set = data.image_set(config.dataset)
    train, val = image_set.split("train"), image_set.split("val")
    params = list(model.parameters())
    opt = torch.optim.Adam(params, lr=config.lr)
    warmup = max(config.warmup, 0)

    def lr_factor(step: int) -> float:  # step counts from 0
        if step < warmup:
            return (step + 1) / warmup
        return 0.5 * (1 + math.cos(math.pi * (step - warmup) / max(config.steps - warmup, 1)))

    if warmup:
        sched = torch.optim.lr_scheduler.LambdaLR(opt, lr_factor)
    else:  # the digit flows' shipped schedule, unchanged
        sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=config.steps)
    losses: list[float] = []
    history: dict[str, list[float]] = {"train_bits_per_dim": losses, "val_bits_per_dim": [], "val_step": []}
    best = (float("inf"), 0, copy.deepcopy(model.state_dict()))
    for step in range(1, config.steps + 1):
        model.train()
        index = torch.randint(0, len(train.images), (config.batch,), generator=generator)
        _, loss = model(train.images[index], train.labels[index])
        opt.zero_grad(set_to_none=True)
        loss.backward()
        nn.utils.clip_grad_norm_(params, config.clip)
        opt.step()
        sched.step()
        losses.append(loss.item())
        if step % config.eval_every == 0 or step == config.steps:
            model.eval()
            val_bpd = nll_bits_per_dim(model, val.images).mean().item()
            history["val_bits_per_dim"].append(val_bpd)
            history["val_step"].append(step)
            if val_bpd < best[0]:
                best = (val_bpd, step, copy.deepcopy(model.state_dict()))
            log(step, {"train_bpd": losses[-1], "val_bpd": val_bpd})
    model.load_state_dict(best[2])
    model.eval()
    metrics = {
        "val_bits_per_dim": best[0],
        "best_step": best[1],
        "val_curve": [
            [s, round(v, 4)] for s, v in zip(history["val_step"], history["val_bits_per_dim"], strict=True)
        ],
    }
    if config.dequantisation == "variational":
        metrics["val_bits_per_dim_uniform_dequantisation"] = (
            nll_bits_per_dim(model, val.images, uniform=True).mean().item()
        )
    if model.conditional:
        metrics["val_bits_per_dim_given_label"] = (
            nll_bits_per_dim(model, val.images, labels=val.labels).mean().item()
        )
    metrics["cpu_time_s"] = round(time.process_time() - cpu_started, 1)
    metrics["history"] = {"train_bits_per_dim": losses}
    return metrics


def sample(
    model: DigitFlow,
    n: int,
    *,
    generator: torch.Generator,
    device: str = "cpu",
    progress: Callable[[int, int], None] | None = None,
    temperature: float = 1.0,
    labels: torch.Tensor | None = None,
) -> torch.Tensor:
    """n images (n, 1, side, side), long levels 0..L-1: one inverse pass of the flow from its prior, whose
    scale is multiplied by ``temperature`` (1: the model's own samples). ``labels`` (n,) of class ids
    condition a class-conditional flow; None draws each image's class uniformly (the marginal)."""
    if progress is not None:
        progress(0, 1)
    images = model.sample(n, generator=generator, temperature=temperature, labels=labels)
    if progress is not None:
        progress(1, 1)
    return images


# ----------------------------------------------------------------------------- the demos of a flow

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


def fashion_demo(*, model: str, title: str, description: str, citation_key: str, temperature: float) -> Demo:
    """The demo of a shipped Fashion-MNIST flow: n garments of one class (or any) at a temperature whose
    default is ``temperature`` (the model's own samples are T = 1)."""
    classes = data.FASHION_CLASSES

    def run(params: dict, *, device: str, progress) -> tuple[list[Artefact], dict]:
        flow = load(model, device=device)
        labels = labels_for(params["label"], params["n"], classes)
        images = sample(
            flow,
            params["n"],
            generator=generator_for(params["seed"]),
            device=device,
            progress=progress,
            temperature=params["temperature"],
            labels=labels,
        )
        return [Artefact("samples.png", "image/png", grid_png(images))], {"shape": list(images.shape)}

    return Demo(
        slug=model,
        family="normalizing-flows",
        title=title,
        description=description,
        model=model,
        params=(
            seed_param(),
            n_param(),
            Param("label", "choice", "any", choices=("any", *classes), help="The garment class to draw."),
            Param(
                "temperature",
                "float",
                temperature,
                0.0,
                1.5,
                help="Scales the spread of the Gaussian latents; 1 is the model's own distribution, lower "
                "gives cleaner, less varied garments.",
            ),
        ),
        citation_key=citation_key,
        run=run,
    )
