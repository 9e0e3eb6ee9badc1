"""Convolutional β-VAE on 8x8 digits with a 17-way categorical decoder.

Follows kingma2014auto (the evidence lower bound, eq. 3 and 10, and the reparameterization trick, section
2.4) with the β weight on the KL term of higgins2017beta. The decoder is a 17-way softmax per pixel, a
likelihood that fits the data exactly as it is (17 grey levels), so the bound is a bound on the discrete
log-likelihood with no dequantisation: -log2 p(x) <= -ELBO / ln 2, reported in bits per dimension over the
64 pixels. The bound is always computed with β = 1, whatever β the model was trained with.

Sampling: z ~ N(0, T² I) (T the temperature), then each pixel drawn from its categorical (``decode="sample"``,
the model's true samples, used by the evaluation) or set to the expected grey level (``decode="mean"``,
smoother pictures for the demo).
"""

from __future__ import annotations

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

CITATION = "kingma2014auto"


@dataclass
class Config:
    latent: int = 16  # size of z
    width: int = 32  # channels of the first conv layer; the second has 2 * width
    beta: float = 1.0  # weight of the KL term (higgins2017beta); 1 gives the plain ELBO
    steps: int = 3000  # Adam steps
    batch: int = 64  # images per step
    lr: float = 2e-3  # Adam learning rate, cosine-decayed to 0
    levels: int = data.LEVELS  # softmax size per pixel


class VAE(nn.Module):
    def __init__(self, cfg: Config):
        super().__init__()
        self.config = cfg
        w = cfg.width
        self.encoder = nn.Sequential(
            nn.Conv2d(1, w, 3, padding=1),  # (B, w, 8, 8)
            nn.ReLU(),
            nn.Conv2d(w, 2 * w, 4, stride=2, padding=1),  # (B, 2w, 4, 4)
            nn.ReLU(),
            nn.Flatten(),
            nn.Linear(2 * w * 16, 2 * cfg.latent),  # mean and log-variance of q(z|x)
        )
        self.project = nn.Linear(cfg.latent, 2 * w * 16)
        self.decoder = nn.Sequential(
            nn.ReLU(),
            nn.ConvTranspose2d(2 * w, w, 4, stride=2, padding=1),  # (B, w, 8, 8)
            nn.ReLU(),
            nn.Conv2d(w, w, 3, padding=1),
            nn.ReLU(),
            nn.Conv2d(w, cfg.levels, 3, padding=1),  # (B, 17, 8, 8): logits over grey levels
        )

    def encode(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """x (B, 1, 8, 8) levels -> mean, log-variance of q(z|x), each (B, latent)."""
        mu, logvar = self.encoder(data.to_unit(x)).chunk(2, dim=1)
        return mu, logvar.clamp(-12, 8)

    def decode_logits(self, z: torch.Tensor) -> torch.Tensor:
        h = self.project(z).view(z.shape[0], -1, 4, 4)  # (B, 2w, 4, 4)
        return self.decoder(h)  # (B, 17, 8, 8)

    def forward(self, x: torch.Tensor, generator: torch.Generator | None = None):
        """Returns logits (B, 17, 8, 8) and the per-image terms of the negative ELBO in nats: (rec, kl)."""
        mu, logvar = self.encode(x)
        # Reparameterization trick (kingma2014auto, section 2.4): z = mu + sigma * eps, eps ~ N(0, I), so
        # the gradient flows through mu and sigma.
        eps = torch.randn(mu.shape, generator=generator).to(mu.device)
        z = mu + torch.exp(0.5 * logvar) * eps
        logits = self.decode_logits(z)
        rec = F.cross_entropy(logits, x[:, 0], reduction="none").flatten(1).sum(1)  # -log p(x|z), (B,)
        # KL(q(z|x) || N(0, I)) in closed form (kingma2014auto, appendix B).
        kl = 0.5 * (mu.pow(2) + logvar.exp() - 1 - logvar).sum(1)  # (B,)
        return logits, (rec, kl)


def build(cfg: Config) -> VAE:
    return VAE(cfg)


def loss_fn(rec: torch.Tensor, kl: torch.Tensor, beta: float) -> torch.Tensor:
    # β-VAE objective (higgins2017beta eq. 4): E_q[-log p(x|z)] + β KL(q(z|x) || p(z)), per image, averaged.
    return (rec + beta * kl).mean()


def fit(model: VAE, cfg: Config, *, generator: torch.Generator, log: Callable[[int, dict], None]) -> dict:
    train = data.digits("train").images
    val = data.digits("val").images
    optimiser = torch.optim.Adam(model.parameters(), lr=cfg.lr)
    schedule = torch.optim.lr_scheduler.CosineAnnealingLR(optimiser, cfg.steps)
    model.train()
    history = {"loss": []}
    started = time.perf_counter()
    for step in range(1, cfg.steps + 1):
        x = train[torch.randint(0, len(train), (cfg.batch,), generator=generator)]
        _, (rec, kl) = model(x, generator)
        loss = loss_fn(rec, kl, cfg.beta)
        optimiser.zero_grad(set_to_none=True)
        loss.backward()
        optimiser.step()
        schedule.step()
        history["loss"].append(loss.item() / data.DIMS / math.log(2))  # bits per dim of the batch
        if step % 500 == 0 or step == cfg.steps:
            log(step, {"loss_bpd": history["loss"][-1], "s": time.perf_counter() - started})
    model.eval()
    val_bpd = nll_bits_per_dim(model, val).mean().item()
    return {"val_elbo_bits_per_dim": round(val_bpd, 4), "history": history}


@torch.inference_mode()
def nll_bits_per_dim(model: VAE, x: torch.Tensor, *, samples: int = 8) -> torch.Tensor:
    """Negative ELBO (β = 1) of each image in bits per dimension, averaged over ``samples`` draws of z: (B,).

    A fixed generator makes the estimate the same on every call.
    """
    generator = torch.Generator().manual_seed(0)
    total = torch.zeros(len(x))
    for _ in range(samples):
        _, (rec, kl) = model(x, generator)
        total += (rec + kl).cpu()
    return total / samples / data.DIMS / math.log(2)


@torch.inference_mode()
def decode(
    model: VAE, z: torch.Tensor, *, mode: str, generator: torch.Generator, device: str
) -> torch.Tensor:
    """z (n, latent) -> levels (n, 1, 8, 8): a categorical draw per pixel, or the expected level."""
    probs = model.decode_logits(z.to(device)).softmax(1).cpu()  # (n, 17, 8, 8)
    if mode == "mean":
        levels = torch.arange(probs.shape[1], dtype=probs.dtype)[None, :, None, None]
        return (probs * levels).sum(1, keepdim=True).round().long()
    flat = probs.permute(0, 2, 3, 1).reshape(-1, probs.shape[1])  # (n * 64, 17)
    picks = torch.multinomial(flat, 1, generator=generator)  # drawn on the CPU: same on every device
    return picks.view(z.shape[0], 1, 8, 8)


@torch.inference_mode()
def sample(
    model: VAE,
    n: int,
    *,
    generator: torch.Generator,
    device: str = "cpu",
    progress: Callable[[int, int], None] | None = None,
    temperature: float = 1.0,
    mode: str = "sample",
) -> torch.Tensor:
    """n digits (n, 1, 8, 8) long levels 0..16 from the prior N(0, T² I) through the decoder."""
    assert temperature >= 0, "temperature must be non-negative"
    assert mode in ("sample", "mean"), f"unknown decode mode {mode!r}"
    if progress is not None:
        progress(0, 1)
    z = torch.randn(n, model.config.latent, generator=generator) * temperature
    images = decode(model, z, mode=mode, generator=generator, device=device)
    if progress is not None:
        progress(1, 1)
    return images


# --- the shipped model and its demos ----------------------------------------------------------------------

MODELS = (
    ZooModel(
        name="vae",
        family="vaes",
        module=__name__,
        title="Convolutional VAE with a 17-way categorical decoder",
        citation_key=CITATION,
        seed=0,
        likelihood="bound",
    ),
)

DECODE = Param(
    "decode",
    "choice",
    "mean",
    choices=("mean", "sample"),
    help="mean: the expected grey level of each pixel; sample: draw every pixel from its categorical.",
)


def _run_samples(params: dict, *, device: str, progress) -> tuple[list[Artefact], dict]:
    model = load("vae", device=device)
    images = sample(
        model,
        params["n"],
        generator=generator_for(params["seed"]),
        device=device,
        progress=progress,
        temperature=params["temperature"],
        mode=params["decode"],
    )
    return [Artefact("samples.png", "image/png", grid_png(images))], {"shape": list(images.shape)}


def _run_interpolation(params: dict, *, device: str, progress) -> tuple[list[Artefact], dict]:
    model = load("vae", device=device)
    latent = model.config.latent
    a = torch.randn(latent, generator=generator_for(params["seed"]))
    b = torch.randn(latent, generator=generator_for(params["seed_to"]))
    t = torch.linspace(0, 1, params["n"])[:, None]
    z = (1 - t) * a[None] + t * b[None]  # (n, latent): a straight line in the latent space
    if progress is not None:
        progress(0, 1)
    images = decode(model, z, mode=params["decode"], generator=generator_for(params["seed"]), device=device)
    if progress is not None:
        progress(1, 1)
    png = grid_png(images, columns=min(params["n"], 8))
    return [Artefact("interpolation.png", "image/png", png)], {"shape": list(images.shape)}


def _run_reconstructions(params: dict, *, device: str, progress) -> tuple[list[Artefact], dict]:
    model = load("vae", device=device)
    test = data.digits("test").images
    first, n = params["first"], params["n"]
    originals = test[first : first + n]  # fewer than n near the end of the test split
    if progress is not None:
        progress(0, 1)
    with torch.inference_mode():
        mu, _ = model.encode(originals.to(device))  # the posterior mean: the most likely code
    recon = decode(
        model, mu.cpu(), mode=params["decode"], generator=generator_for(params["seed"]), device=device
    )
    if progress is not None:
        progress(1, 1)
    # Rows of up to 8 originals, each followed by a row of their reconstructions.
    rows = []
    for start in range(0, len(originals), 8):
        chunk_o, chunk_r = originals[start : start + 8], recon[start : start + 8]
        pad = 8 - len(chunk_o)
        blank = torch.zeros(pad, 1, 8, 8, dtype=torch.long)
        rows += [torch.cat([chunk_o, blank]), torch.cat([chunk_r, blank])]
    png = grid_png(torch.cat(rows), columns=8)
    return [Artefact("reconstructions.png", "image/png", png)], {
        "test_indices": [first, first + len(originals)],
        "layout": "pairs of rows: test digits, then their reconstructions",
    }


DEMOS = (
    Demo(
        slug="vae-digits",
        family="vaes",
        title="VAE: digits from the prior",
        description="Draw z from the Gaussian prior (scaled by a temperature) and decode it into a digit "
        "through the 17-way categorical decoder.",
        model="vae",
        params=(
            seed_param(),
            n_param(),
            Param("temperature", "float", 1.0, 0.0, 2.0, help="Scale of the prior's standard deviation."),
            DECODE,
        ),
        citation_key=CITATION,
        run=_run_samples,
    ),
    Demo(
        slug="vae-interpolation",
        family="vaes",
        title="VAE: a line through the latent space",
        description="Decode evenly spaced points on the straight line between the latent codes of two seeds.",
        model="vae",
        params=(
            seed_param(0),
            Param("seed_to", "int", 1, 0, 2**31 - 1, help="Seed of the end point of the line."),
            n_param(8, help="Number of points along the line, both ends included."),
            DECODE,
        ),
        citation_key=CITATION,
        run=_run_interpolation,
    ),
    Demo(
        slug="vae-reconstructions",
        family="vaes",
        title="VAE: reconstructions of test digits",
        description="Encode held-out test digits to their posterior mean and decode them again: what the "
        "16-number code keeps of a digit.",
        model="vae",
        params=(
            seed_param(0),
            n_param(16, help="Number of test digits to reconstruct."),
            Param("first", "int", 0, 0, 446, help="Index of the first test digit (the test split has 447)."),
            DECODE,
        ),
        citation_key=CITATION,
        run=_run_reconstructions,
    ),
)
