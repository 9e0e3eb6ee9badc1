"""VQ-VAE on Fashion-MNIST: a convolutional autoencoder whose 7x7 latent grid is a grid of codebook indices.

Follows oord2017neural (van den Oord, Vinyals, Kavukcuoglu, "Neural Discrete Representation Learning"):

  encoder    z_e(x): 28x28 -> two stride-2 convolutions and a residual block -> a 7x7 grid of D-dim vectors
  quantiser  z_q = e_k, k = argmin_j ||z_e - e_j||  (eq. 1-2), per grid cell, over a codebook of K vectors;
             the decoder's gradient is copied straight through to z_e (sec. 3.2)
  codebook   updated by exponential moving averages of the assigned encoder outputs (the paper's appendix
             A.1, decay 0.99) instead of the codebook loss term; the commitment loss beta ||z_e - sg[e]||^2
             (eq. 3, beta = 0.25) keeps the encoder close to its codes. Codes nobody has used for a while
             (EMA count below ``dead_below``) are restarted at a random encoder output of the batch
  decoder    z_q -> the mirror image of the encoder -> per pixel a discretised logistic over the 256 grey
             levels (salimans2017pixelcnn, one component): location mu and log-scale s per pixel, each level
             owning the bin of width 2/255 around it in [-1, 1], the outer bins reaching +-inf

The loss is -log p(x | z_q) (nats per pixel, the reconstruction term of eq. 3) plus the commitment term.

Images: ``decode(mode="mode")`` shows each pixel's likeliest level (mu rounded to a level, clamped); that is
what reconstructions and samples show, so they are sharp rather than speckled. ``mode="sample"`` draws the
pixels from their logistics instead.

The likelihood. The encoder is deterministic, so q(z | x) is a point mass on z*(x) = the encoder's codes, its
entropy is 0, and the ELBO is log p(x | z*) + log p(z*): -log2 P(x) <= -log2 p(x | z*) - log2 p(z*) for any
prior p(z) over the 49 codes. This module's own prior (``prior_logits``, a buffer filled at the end of
training) is the independent per-cell categorical of the training codes given the class, a mixture over the
classes' training frequencies when no class is given: a factorised baseline against which the transformer
prior of ``gpt-vq-fashion`` (transformer.py, same decoder, same bound) shows what modelling the code
sequence buys. ``nll_bits_per_dim`` is that bound with the factorised prior, in bits per pixel (/784).

The shipped checkpoint keeps the weights of the best validation reconstruction NLL (bits per pixel).
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
from generation.zoo.registry import ZooModel

CITATION = "oord2017neural"


@dataclass
class Config:
    dataset: str = "fashion"  # the only image set with a 28x28 grid; 7x7 codes
    codes: int = 128  # K: codebook entries
    code_dim: int = 32  # D: width of a code vector
    hidden: int = 64  # channels of the first stride-2 stage; the 7x7 stage has twice as many
    beta: float = 0.25  # commitment weight (eq. 3)
    decay: float = 0.99  # EMA decay of the codebook (appendix A.1)
    dead_below: float = 0.5  # EMA assignment count under which a code is restarted from the batch
    steps: int = 1000  # optimiser steps
    batch: int = 64  # images per step
    lr: float = 2e-3  # Adam peak learning rate (one-cycle)
    eval_every: int = 250  # steps between validation passes; the best validation weights are kept

    def __post_init__(self):
        assert self.dataset == "fashion", "the VQ-VAE is built for 28x28 Fashion-MNIST"


class ResBlock(nn.Module):
    """x + conv1x1(relu(conv3x3(relu(x)))): the residual block of the paper's encoder and decoder."""

    def __init__(self, channels: int):
        super().__init__()
        self.body = nn.Sequential(
            nn.ReLU(),
            nn.Conv2d(channels, channels // 2, 3, padding=1),
            nn.ReLU(),
            nn.Conv2d(channels // 2, channels, 1),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.body(x)


class VQVAE(nn.Module):
    def __init__(self, config: Config):
        super().__init__()
        self.config = config
        h, d, k = config.hidden, config.code_dim, config.codes
        self.encoder = nn.Sequential(
            nn.Conv2d(1, h, 4, stride=2, padding=1),  # 14x14
            nn.ReLU(),
            nn.Conv2d(h, 2 * h, 4, stride=2, padding=1),  # 7x7
            ResBlock(2 * h),
            nn.ReLU(),
            nn.Conv2d(2 * h, d, 1),
        )
        self.decoder = nn.Sequential(
            nn.Conv2d(d, 2 * h, 3, padding=1),
            ResBlock(2 * h),
            nn.ReLU(),
            nn.ConvTranspose2d(2 * h, h, 4, stride=2, padding=1),  # 14x14
            nn.ReLU(),
            nn.ConvTranspose2d(h, h, 4, stride=2, padding=1),  # 28x28
            nn.ReLU(),
            nn.Conv2d(h, 2, 3, padding=1),  # location and log-scale of each pixel's logistic
        )
        # The codebook and its EMA statistics are buffers: the optimiser never touches them (appendix A.1).
        codebook = torch.randn(k, d) * 0.1
        self.register_buffer("codebook", codebook)
        self.register_buffer("ema_count", torch.ones(k))
        self.register_buffer("ema_sum", codebook.clone())
        classes = len(data.image_set(config.dataset).classes)
        # The factorised prior over codes, per class and grid cell (log-probabilities); filled after training.
        self.register_buffer("prior_logits", torch.zeros(classes, 49, k))
        self.register_buffer("class_log_freq", torch.full((classes,), -math.log(classes)))

    # --- the three parts ----------------------------------------------------------------------------------

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        """Levels (B, 1, 28, 28) -> encoder outputs z_e (B, D, 7, 7)."""
        return self.encoder(data.to_unit(x, 256))

    def quantise(self, z_e: torch.Tensor) -> torch.Tensor:
        """z_e (B, D, 7, 7) -> the nearest code's index per cell (B, 7, 7) (eq. 2)."""
        flat = z_e.permute(0, 2, 3, 1).reshape(-1, z_e.shape[1])  # (B*49, D)
        dist = (
            flat.pow(2).sum(1, keepdim=True) - 2 * flat @ self.codebook.T + self.codebook.pow(2).sum(1)[None]
        )
        return dist.argmin(1).view(z_e.shape[0], z_e.shape[2], z_e.shape[3])

    def embed(self, codes: torch.Tensor) -> torch.Tensor:
        """Indices (B, 7, 7) -> code vectors z_q (B, D, 7, 7)."""
        return self.codebook[codes].permute(0, 3, 1, 2)

    def decode_params(self, z_q: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """z_q (B, D, 7, 7) -> logistic location mu in [-1, 1] units and log-scale, each (B, 1, 28, 28)."""
        out = self.decoder(z_q)
        return out[:, :1], out[:, 1:].clamp(min=-7.0)

    @torch.no_grad()
    def codes_of(self, x: torch.Tensor, batch: int = 1000) -> torch.Tensor:
        """The code grid of each image: (B, 7, 7) long, in batches."""
        return torch.cat([self.quantise(self.encode(x[i : i + batch])) for i in range(0, len(x), batch)])

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
        """Training pass: (-log p(x | z_q) in nats per image (B,), commitment loss, z_e, codes)."""
        z_e = self.encode(x)
        codes = self.quantise(z_e)
        z_q = self.embed(codes)
        commitment = F.mse_loss(z_e, z_q.detach())
        z_st = z_e + (z_q - z_e).detach()  # straight-through: the decoder's gradient flows on to z_e
        mu, log_s = self.decode_params(z_st)
        nll = -discretised_logistic_log_prob(x, mu, log_s).flatten(1).sum(1)
        return nll, commitment, z_e, codes


def discretised_logistic_log_prob(x: torch.Tensor, mu: torch.Tensor, log_s: torch.Tensor) -> torch.Tensor:
    """log P(x) per pixel of levels x (0..255) under a logistic(mu, e^log_s) on [-1, 1] whose level k owns
    [c - 1/255, c + 1/255], c = 2k/255 - 1; level 0 owns (-inf, ...] and level 255 [..., +inf)."""
    c = data.to_unit(x, 256)
    inv_s = torch.exp(-log_s)
    upper = inv_s * (c - mu + 1 / 255)
    lower = inv_s * (c - mu - 1 / 255)
    log_cdf_upper = F.logsigmoid(upper)  # log sigmoid(upper): the bottom bin
    log_sf_lower = F.logsigmoid(-lower)  # log (1 - sigmoid(lower)): the top bin
    # log(sigmoid(upper) - sigmoid(lower)) computed stably: sigmoid(u) - sigmoid(l) =
    # sigmoid(u) * (1 - sigmoid(l)) * (1 - exp(l - u)).
    log_mid = F.logsigmoid(upper) + F.logsigmoid(-lower) + torch.log(-torch.expm1(lower - upper))
    return torch.where(x == 0, log_cdf_upper, torch.where(x == 255, log_sf_lower, log_mid))


def build(config: Config) -> VQVAE:
    return VQVAE(config)


# --- training ---------------------------------------------------------------------------------------------


@torch.no_grad()
def _ema_update(model: VQVAE, z_e: torch.Tensor, codes: torch.Tensor, generator: torch.Generator) -> int:
    """Move each code to the running mean of the encoder outputs assigned to it; restart dead codes."""
    cfg = model.config
    flat = z_e.permute(0, 2, 3, 1).reshape(-1, z_e.shape[1])  # (N, D)
    onehot = F.one_hot(codes.flatten(), cfg.codes).to(flat.dtype)  # (N, K)
    model.ema_count.mul_(cfg.decay).add_(onehot.sum(0), alpha=1 - cfg.decay)
    model.ema_sum.mul_(cfg.decay).add_(onehot.T @ flat, alpha=1 - cfg.decay)
    n = model.ema_count.sum()
    count = (model.ema_count + 1e-5) / (n + cfg.codes * 1e-5) * n  # Laplace smoothing, as in the appendix
    model.codebook.copy_(model.ema_sum / count[:, None])
    dead = (model.ema_count < cfg.dead_below).nonzero().flatten()
    if len(dead):
        picks = flat[torch.randint(0, len(flat), (len(dead),), generator=generator)]
        model.codebook[dead] = picks
        model.ema_sum[dead] = picks
        model.ema_count[dead] = 1.0
    return len(dead)


@torch.no_grad()
def recon_bits_per_dim(model: VQVAE, x: torch.Tensor, batch: int = 500) -> torch.Tensor:
    """-log2 p(x | z*(x)) / 784 per image (B,): the decoder's term of the bound."""
    out = []
    for i in range(0, len(x), batch):
        chunk = x[i : i + batch]
        mu, log_s = model.decode_params(model.embed(model.quantise(model.encode(chunk))))
        nll = -discretised_logistic_log_prob(chunk, mu, log_s).flatten(1).sum(1)
        out.append(nll / (784 * math.log(2)))
    return torch.cat(out)


@torch.no_grad()
def fit_prior(model: VQVAE, images: torch.Tensor, labels: torch.Tensor) -> None:
    """The factorised prior: per class and cell, the frequencies of the training codes (+0.5 smoothing)."""
    codes = model.codes_of(images).flatten(1)  # (N, 49)
    classes, k = model.prior_logits.shape[0], model.config.codes
    counts = torch.full((classes, 49, k), 0.5)
    for c in range(classes):
        mine = codes[labels == c]
        counts[c] += F.one_hot(mine, k).sum(0).float()
    model.prior_logits.copy_(counts.log() - counts.sum(-1, keepdim=True).log())
    freq = torch.bincount(labels, minlength=classes).float()
    model.class_log_freq.copy_((freq / freq.sum()).log())


def prior_log_prob(model: VQVAE, codes: torch.Tensor) -> torch.Tensor:
    """log p(z) of code grids (B, 7, 7) under the factorised prior, no class given (the class mixture)."""
    flat = codes.flatten(1)  # (B, 49)
    per_class = model.prior_logits[:, torch.arange(49)[None], flat]  # (C, B, 49)
    return torch.logsumexp(per_class.sum(-1) + model.class_log_freq[:, None], dim=0)


def fit(
    model: VQVAE, config: Config, *, generator: torch.Generator, log: Callable[[int, dict], None]
) -> dict:
    """Adam on -log p(x | z_q) + beta * commitment, EMA codebook; keeps the best validation weights."""
    cpu_started = time.process_time()
    train, val = data.fashion("train"), data.fashion("val")
    val_x = val.images[:2000]  # a fixed part of the validation split keeps each check cheap
    params = list(model.encoder.parameters()) + list(model.decoder.parameters())
    opt = torch.optim.Adam(params, lr=config.lr)
    sched = torch.optim.lr_scheduler.OneCycleLR(
        opt, max_lr=config.lr, total_steps=config.steps, pct_start=0.1
    )
    # Start the codebook on encoder outputs of the first batch rather than noise.
    with torch.no_grad():
        first = train.images[torch.randint(0, len(train.images), (config.batch,), generator=generator)]
        z = model.encode(first).permute(0, 2, 3, 1).reshape(-1, config.code_dim)
        init = z[torch.randint(0, len(z), (config.codes,), generator=generator)]
        model.codebook.copy_(init)
        model.ema_sum.copy_(init)
    losses, restarts = [], 0
    best = (float("inf"), 0, None)
    for step in range(1, config.steps + 1):
        model.train()
        x = train.images[torch.randint(0, len(train.images), (config.batch,), generator=generator)]
        nll, commitment, z_e, codes = model(x)
        bits = nll.mean() / (784 * math.log(2))
        loss = bits + config.beta * commitment
        opt.zero_grad(set_to_none=True)
        loss.backward()
        nn.utils.clip_grad_norm_(params, 1.0)
        opt.step()
        sched.step()
        restarts += _ema_update(model, z_e.detach(), codes, generator)
        losses.append(bits.item())
        if step % config.eval_every == 0 or step == config.steps:
            model.eval()
            score = recon_bits_per_dim(model, val_x).mean().item()
            used = model.codes_of(val_x).unique().numel()
            if score < best[0]:
                best = (score, step, copy.deepcopy(model.state_dict()))
            log(
                step,
                {"train_recon_bits_per_dim": losses[-1], "val_recon_bits_per_dim": score, "codes_used": used},
            )
    model.load_state_dict(best[2])
    model.eval()
    fit_prior(model, train.images, train.labels)
    val_codes = model.codes_of(val.images)
    val_recon = recon_bits_per_dim(model, val.images)
    val_prior = -prior_log_prob(model, val_codes) / (784 * math.log(2))
    return {
        "val_recon_bits_per_dim": round(val_recon.mean().item(), 4),
        "val_bits_per_dim_factorised_prior": round((val_recon + val_prior).mean().item(), 4),
        "val_codes_used": int(val_codes.unique().numel()),
        "best_step": best[1],
        "code_restarts": restarts,
        "cpu_time_s": round(time.process_time() - cpu_started, 1),
        "history": {"train_recon_bits_per_dim": losses},
    }


# --- likelihood and sampling ------------------------------------------------------------------------------


@torch.inference_mode()
def nll_bits_per_dim(model: VQVAE, x: torch.Tensor) -> torch.Tensor:
    """The bound -log2 p(x | z*) - log2 p(z*) with the factorised prior, bits per pixel (B,)."""
    codes = model.codes_of(x)
    return recon_bits_per_dim(model, x) - prior_log_prob(model, codes) / (784 * math.log(2))


@torch.inference_mode()
def decode_codes(
    model: VQVAE, codes: torch.Tensor, *, mode: str = "mode", generator: torch.Generator | None = None
) -> torch.Tensor:
    """Code grids (n, 7, 7) -> levels (n, 1, 28, 28): each pixel's likeliest level, or a draw."""
    assert mode in ("mode", "sample"), f"unknown decode mode {mode!r}"
    device = model.codebook.device
    mu, log_s = (t.cpu() for t in model.decode_params(model.embed(codes.to(device))))
    if mode == "sample":
        u = torch.rand(mu.shape, generator=generator).clamp(1e-5, 1 - 1e-5)
        mu = mu + log_s.exp() * (u.log() - (-u).log1p())  # inverse CDF of the logistic
    return data.from_unit(mu.clamp(-1, 1), 256)


def sample_codes(
    model: VQVAE, n: int, *, generator: torch.Generator, labels: torch.Tensor | None = None
) -> torch.Tensor:
    """n code grids (n, 7, 7) from the factorised prior; without labels the class is drawn first."""
    if labels is None:
        labels = torch.multinomial(model.class_log_freq.cpu().exp(), n, replacement=True, generator=generator)
    probs = model.prior_logits.cpu()[labels].exp()  # (n, 49, K)
    return torch.multinomial(probs.flatten(0, 1), 1, generator=generator).view(n, 7, 7)


@torch.inference_mode()
def sample(
    model: VQVAE,
    n: int,
    *,
    generator: torch.Generator,
    device: str = "cpu",
    progress: Callable[[int, int], None] | None = None,
    labels: torch.Tensor | None = None,
    mode: str = "mode",
) -> torch.Tensor:
    """n images (n, 1, 28, 28) long levels 0..255: codes from the factorised prior, then the decoder."""
    if progress is not None:
        progress(0, 1)
    images = decode_codes(
        model, sample_codes(model, n, generator=generator, labels=labels), mode=mode, generator=generator
    )
    if progress is not None:
        progress(1, 1)
    return images


MODELS = (
    ZooModel(
        name="vqvae-fashion",
        family="vaes",
        module=__name__,
        title="VQ-VAE: a 7x7 grid of 128 codes, discretised-logistic decoder (Fashion-MNIST)",
        citation_key=CITATION,
        config={"dataset": "fashion"},
        seed=0,
        likelihood="bound",
    ),
)

DEMOS = ()
