"""DCGAN on 8x8 digits: a convolutional generator and discriminator trained by the non-saturating GAN loss.

Follows goodfellow2014generative (the minimax game and its non-saturating generator loss, section 3) with the
architecture guidelines of radford2016unsupervised (DCGAN): strided (transposed) convolutions instead of
pooling, batch norm in both nets except the generator output and discriminator input, ReLU in the generator,
LeakyReLU(0.2) in the discriminator, tanh output, Adam with lr 2e-4 and beta1 0.5.

A GAN has no likelihood, so it gets no bits/dim; it is measured by samples (Fréchet distance, coverage).
The generator's tanh output in [-1, 1] is rounded to the nearest of the 17 grey levels.
"""

from __future__ import annotations

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

CITATION = "radford2016unsupervised"


@dataclass
class Config:
    latent: int = 32  # size of the noise vector z ~ N(0, I)
    width: int = 32  # channels of the widest conv layer are 4 * width in G, 2 * width in D
    steps: int = 2500  # generator updates (one discriminator update each)
    batch: int = 64  # images per step
    lr: float = 2e-4  # Adam learning rate (DCGAN's value) for both nets
    beta1: float = 0.5  # Adam beta1 (DCGAN's value: 0.9 makes training oscillate)


class Generator(nn.Module):
    def __init__(self, cfg: Config):
        super().__init__()
        w = cfg.width
        self.project = nn.Linear(cfg.latent, 4 * w * 2 * 2)
        self.net = nn.Sequential(
            nn.BatchNorm2d(4 * w),
            nn.ReLU(),
            nn.ConvTranspose2d(4 * w, 2 * w, 4, stride=2, padding=1),  # (B, 2w, 4, 4)
            nn.BatchNorm2d(2 * w),
            nn.ReLU(),
            nn.ConvTranspose2d(2 * w, w, 4, stride=2, padding=1),  # (B, w, 8, 8)
            nn.BatchNorm2d(w),
            nn.ReLU(),
            nn.Conv2d(w, 1, 3, padding=1),  # (B, 1, 8, 8)
            nn.Tanh(),
        )

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        h = self.project(z).view(z.shape[0], -1, 2, 2)  # (B, 4w, 2, 2)
        return self.net(h)  # (B, 1, 8, 8) in [-1, 1]


class Discriminator(nn.Module):
    def __init__(self, cfg: Config):
        super().__init__()
        w = cfg.width
        self.net = nn.Sequential(
            nn.Conv2d(1, w, 4, stride=2, padding=1),  # (B, w, 4, 4); no batch norm on the input layer
            nn.LeakyReLU(0.2),
            nn.Conv2d(w, 2 * w, 4, stride=2, padding=1),  # (B, 2w, 2, 2)
            nn.BatchNorm2d(2 * w),
            nn.LeakyReLU(0.2),
            nn.Flatten(),
            nn.Linear(2 * w * 2 * 2, 1),  # a logit: real vs generated
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)[:, 0]  # (B,)


class GAN(nn.Module):
    def __init__(self, cfg: Config):
        super().__init__()
        self.config = cfg
        self.generator = Generator(cfg)
        self.discriminator = Discriminator(cfg)


def build(cfg: Config) -> GAN:
    return GAN(cfg)


def discriminator_loss(real_logits: torch.Tensor, fake_logits: torch.Tensor) -> torch.Tensor:
    # goodfellow2014generative eq. 1, the discriminator's side: maximise log D(x) + log(1 - D(G(z))).
    return F.binary_cross_entropy_with_logits(
        real_logits, torch.ones_like(real_logits)
    ) + F.binary_cross_entropy_with_logits(fake_logits, torch.zeros_like(fake_logits))


def generator_loss(fake_logits: torch.Tensor) -> torch.Tensor:
    # Non-saturating loss (goodfellow2014generative, section 3): maximise log D(G(z)) instead of minimising
    # log(1 - D(G(z))), which has vanishing gradients early on when D rejects every sample.
    return F.binary_cross_entropy_with_logits(fake_logits, torch.ones_like(fake_logits))


def fit(model: GAN, cfg: Config, *, generator: torch.Generator, log: Callable[[int, dict], None]) -> dict:
    real = data.to_unit(data.digits("train").images)  # (1000, 1, 8, 8) in [-1, 1]
    opt_g = torch.optim.Adam(model.generator.parameters(), lr=cfg.lr, betas=(cfg.beta1, 0.999))
    opt_d = torch.optim.Adam(model.discriminator.parameters(), lr=cfg.lr, betas=(cfg.beta1, 0.999))
    model.train()
    history = {"d_loss": [], "g_loss": []}
    started = time.perf_counter()
    for step in range(1, cfg.steps + 1):
        x = real[torch.randint(0, len(real), (cfg.batch,), generator=generator)]
        z = torch.randn(cfg.batch, cfg.latent, generator=generator)
        fake = model.generator(z)  # (B, 1, 8, 8)

        d_loss = discriminator_loss(model.discriminator(x), model.discriminator(fake.detach()))
        opt_d.zero_grad(set_to_none=True)
        d_loss.backward()
        opt_d.step()

        g_loss = generator_loss(model.discriminator(fake))
        opt_g.zero_grad(set_to_none=True)
        g_loss.backward()
        opt_g.step()

        history["d_loss"].append(d_loss.item())
        history["g_loss"].append(g_loss.item())
        if step % 500 == 0 or step == cfg.steps:
            log(step, {"d_loss": d_loss.item(), "g_loss": g_loss.item(), "s": time.perf_counter() - started})
    model.eval()
    tail = max(1, cfg.steps // 10)
    return {
        "d_loss_last10pct": sum(history["d_loss"][-tail:]) / tail,
        "g_loss_last10pct": sum(history["g_loss"][-tail:]) / tail,
        "history": history,
    }


def latents(cfg: Config, n: int, generator: torch.Generator) -> torch.Tensor:
    return torch.randn(n, cfg.latent, generator=generator)  # (n, latent), drawn on the CPU


@torch.inference_mode()
def decode(model: GAN, z: torch.Tensor, device: str = "cpu") -> torch.Tensor:
    return data.from_unit(model.generator(z.to(device)).cpu())  # (n, 1, 8, 8) long levels


@torch.inference_mode()
def sample(
    model: GAN,
    n: int,
    *,
    generator: torch.Generator,
    device: str = "cpu",
    progress: Callable[[int, int], None] | None = None,
) -> torch.Tensor:
    """n digits (n, 1, 8, 8), long levels 0..16: one forward pass of the generator."""
    z = latents(model.config, n, generator)
    if progress is not None:
        progress(0, 1)
    images = decode(model, z, device)
    if progress is not None:
        progress(1, 1)
    return images


def slerp(a: torch.Tensor, b: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
    """Spherical interpolation (a, b: (D,), t: (K,)) -> (K, D); keeps the norm typical of N(0, I) draws."""
    omega = torch.arccos((a / a.norm() * b / b.norm()).sum().clamp(-1, 1))
    if omega.abs() < 1e-6:
        return a[None] * (1 - t[:, None]) + b[None] * t[:, None]
    so = torch.sin(omega)
    return (torch.sin((1 - t) * omega) / so)[:, None] * a[None] + (torch.sin(t * omega) / so)[:, None] * b[
        None
    ]


# --- the shipped model and its demos ----------------------------------------------------------------------

MODELS = (
    ZooModel(
        name="dcgan",
        family="gans",
        module=__name__,
        title="DCGAN on 8x8 digits",
        citation_key=CITATION,
        seed=0,
    ),
)


def _run_samples(params: dict, *, device: str, progress) -> tuple[list[Artefact], dict]:
    model = load("dcgan", device=device)
    images = sample(
        model, params["n"], generator=generator_for(params["seed"]), device=device, progress=progress
    )
    return [Artefact("samples.png", "image/png", grid_png(images))], {"shape": list(images.shape)}


def _run_interpolation(params: dict, *, device: str, progress) -> tuple[list[Artefact], dict]:
    model = load("dcgan", device=device)
    cfg = model.config
    a = latents(cfg, 1, generator_for(params["seed"]))[0]
    b = latents(cfg, 1, generator_for(params["seed_to"]))[0]
    z = slerp(a, b, torch.linspace(0, 1, params["n"]))  # (n, latent)
    if progress is not None:
        progress(0, 1)
    images = decode(model, z, device)
    if progress is not None:
        progress(1, 1)
    png = grid_png(images, columns=min(params["n"], 8))
    return [Artefact("interpolation.png", "image/png", png)], {"shape": list(images.shape)}


DEMOS = (
    Demo(
        slug="dcgan-digits",
        family="gans",
        title="DCGAN: random digits",
        description="Draw digits from a DCGAN generator trained on 1,000 scikit-learn digits: one forward "
        "pass from Gaussian noise, no likelihood involved.",
        model="dcgan",
        params=(seed_param(), n_param()),
        citation_key=CITATION,
        run=_run_samples,
    ),
    Demo(
        slug="dcgan-interpolation",
        family="gans",
        title="DCGAN: walking the latent space",
        description="Interpolate (spherically) between the noise vectors of two seeds and show the "
        "digits the generator makes along the way: nearby codes give similar digits.",
        model="dcgan",
        params=(
            seed_param(0),
            Param("seed_to", "int", 1, 0, 2**31 - 1, help="Seed of the end point of the walk."),
            n_param(8, help="Number of points along the walk, both ends included."),
        ),
        citation_key=CITATION,
        run=_run_interpolation,
    ),
)
