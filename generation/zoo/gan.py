"""DCGANs: on 8x8 digits, and class-conditional on 28x28 Fashion-MNIST; the non-saturating GAN loss.

Follows goodfellow2014generative (the minimax game and its non-saturating generator loss, section 3) with the
architecture guidelines of radford2016unsupervised (DCGAN): strided (transposed) convolutions instead of
pooling, batch norm in both nets except the generator output and discriminator input, ReLU in the generator,
LeakyReLU(0.2) in the discriminator, tanh output, Adam with lr 2e-4 and beta1 0.5.

A GAN has no likelihood, so it gets no bits/dim; it is measured by samples (Fréchet distance, coverage).
The generator's tanh output in [-1, 1] is rounded to the nearest of the 17 grey levels.

Fashion-MNIST (``dataset="fashion"``, the ``dcgan-fashion`` model): what the 28x28 variant changes.
  * The generator projects z to 7x7 and two transposed convolutions double it to 14 and 28; the
    discriminator halves 28 -> 14 -> 7 -> 4 with strided convolutions; outputs round to 256 levels.
  * Class-conditional in the way of mirza2014conditional and odena2017conditional (AC-GAN): the generator gets
    a learned embedding of the label concatenated to z; the discriminator has two heads on its last features,
    the real/fake logit and an auxiliary 10-way classifier. Both nets maximise the log-likelihood of the
    correct class, of real and generated images alike (AC-GAN's L_C); the discriminator maximises the
    real/fake log-likelihood L_S, the generator its non-saturating counterpart. ``labels=None`` draws each
    class uniformly (Fashion-MNIST is balanced).
  * The checkpoint kept is the best on validation, not the last: every ``eval_every`` steps, 2,000 samples
    (labels as in the validation split) are compared with the 5,000 validation images by the Fréchet
    distance of their projections on the first 64 principal components of 10,000 training images (a pixel
    space proxy: the project's Fashion-MNIST classifier was not available when this model was trained).
  * The shipped ``dcgan-fashion`` trained 1,200 steps of 64 images (1.4 epochs, CPU time in its manifest):
    a 2,400-step run (8 CPU-minutes) did not fit the wall-clock time of the shared two-core machine it was
    trained on. Of the runs that did, 1,200 steps of width 32 had the best validation proxy (600 steps of
    width 32: 33.8; 1,600 steps of width 16: 31.9).
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
from generation.zoo.demos import Artefact, Demo, generator_for, labels_for
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
    dataset: str = "digits"  # "digits" (8x8, unconditional) or "fashion" (28x28, class-conditional)
    embed: int = 16  # fashion: size of the generator's label embedding
    eval_every: int = 0  # fashion: steps between validation scores (best kept); 0: keep the last weights


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


class ConditionalGenerator(nn.Module):
    """G(z, y) for 28x28: z and a label embedding -> 7x7 -> 14x14 -> 28x28, tanh output."""

    def __init__(self, cfg: Config, classes: int, side: int):
        super().__init__()
        w, self.start = cfg.width, side // 4
        self.label_embedding = nn.Embedding(classes, cfg.embed)
        self.project = nn.Linear(cfg.latent + cfg.embed, 4 * w * self.start * self.start)
        self.net = nn.Sequential(
            nn.BatchNorm2d(4 * w),
            nn.ReLU(),
            nn.ConvTranspose2d(4 * w, 2 * w, 4, stride=2, padding=1),  # (B, 2w, 14, 14)
            nn.BatchNorm2d(2 * w),
            nn.ReLU(),
            nn.ConvTranspose2d(2 * w, w, 4, stride=2, padding=1),  # (B, w, 28, 28)
            nn.BatchNorm2d(w),
            nn.ReLU(),
            nn.Conv2d(w, 1, 3, padding=1),  # (B, 1, 28, 28)
            nn.Tanh(),
        )

    def forward(self, z: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        h = self.project(torch.cat([z, self.label_embedding(labels)], dim=1))
        return self.net(h.view(z.shape[0], -1, self.start, self.start))  # (B, 1, 28, 28) in [-1, 1]


class AuxiliaryDiscriminator(nn.Module):
    """D(x) for 28x28 with two heads (odena2017conditional): a real/fake logit and class logits."""

    def __init__(self, cfg: Config, classes: int, side: int):
        super().__init__()
        w = cfg.width
        last = math.ceil(side / 8)  # 28 -> 14 -> 7 -> 4
        self.net = nn.Sequential(
            nn.Conv2d(1, w, 4, stride=2, padding=1),  # (B, w, 14, 14); no batch norm on the input layer
            nn.LeakyReLU(0.2),
            nn.Conv2d(w, 2 * w, 4, stride=2, padding=1),  # (B, 2w, 7, 7)
            nn.BatchNorm2d(2 * w),
            nn.LeakyReLU(0.2),
            nn.Conv2d(2 * w, 4 * w, 3, stride=2, padding=1),  # (B, 4w, 4, 4)
            nn.BatchNorm2d(4 * w),
            nn.LeakyReLU(0.2),
            nn.Flatten(),
        )
        self.real_fake = nn.Linear(4 * w * last * last, 1)
        self.classify = nn.Linear(4 * w * last * last, classes)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        h = self.net(x)
        return self.real_fake(h)[:, 0], self.classify(h)  # (B,), (B, classes)


class GAN(nn.Module):
    def __init__(self, cfg: Config):
        super().__init__()
        self.config = cfg
        self.conditional = cfg.dataset != "digits"
        if self.conditional:
            image_set = data.image_set(cfg.dataset)
            self.levels, self.classes = image_set.levels, len(image_set.classes)
            self.generator = ConditionalGenerator(cfg, self.classes, image_set.side)
            self.discriminator = AuxiliaryDiscriminator(cfg, self.classes, image_set.side)
        else:
            self.levels, self.classes = data.LEVELS, 0
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
    if model.conditional:
        return fit_conditional(model, cfg, generator=generator, log=log)
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


class PixelFrechet:
    """The validation proxy of the conditional model: Fréchet distance (heusel2017gans) between images'
    projections on the first ``components`` principal components of training pixels."""

    def __init__(self, train: torch.Tensor, val: torch.Tensor, levels: int, *, components: int = 64):
        x = data.to_unit(train, levels).flatten(1).double()
        self.centre = x.mean(0)
        _, _, v = torch.linalg.svd(x - self.centre, full_matrices=False)
        self.basis = v[:components].T  # (D, components)
        self.levels = levels
        self.val = self.project(val)

    def project(self, images: torch.Tensor) -> torch.Tensor:
        return (data.to_unit(images, self.levels).flatten(1).double() - self.centre) @ self.basis

    def distance(self, images: torch.Tensor) -> float:
        from generation.zoo.evaluate import frechet_distance

        return frechet_distance(self.project(images).numpy(), self.val.numpy())


def fit_conditional(
    model: GAN, cfg: Config, *, generator: torch.Generator, log: Callable[[int, dict], None]
) -> dict:
    """AC-GAN training (odena2017conditional) with DCGAN's optimiser; best validation proxy kept."""
    image_set = data.image_set(cfg.dataset)
    train, val = image_set.split("train"), image_set.split("val")
    opt_g = torch.optim.Adam(model.generator.parameters(), lr=cfg.lr, betas=(cfg.beta1, 0.999))
    opt_d = torch.optim.Adam(model.discriminator.parameters(), lr=cfg.lr, betas=(cfg.beta1, 0.999))
    proxy = None
    if cfg.eval_every:
        subset = torch.randperm(len(train.images), generator=torch.Generator().manual_seed(0))[:10_000]
        proxy = PixelFrechet(train.images[subset], val.images, image_set.levels)
        eval_labels = val.labels[:2000]
    history = {"d_loss": [], "g_loss": [], "d_real_acc": [], "val_pixel_fd": []}
    best = (math.inf, 0, None)
    started = time.perf_counter()
    model.train()
    for step in range(1, cfg.steps + 1):
        index = torch.randint(0, len(train.images), (cfg.batch,), generator=generator)
        x, y = data.to_unit(train.images[index], image_set.levels), train.labels[index]
        z = torch.randn(cfg.batch, cfg.latent, generator=generator)
        fake_y = torch.randint(0, model.classes, (cfg.batch,), generator=generator)
        fake = model.generator(z, fake_y)  # (B, 1, 28, 28)

        # The discriminator maximises L_S + L_C (odena2017conditional eq. 2-3).
        real_logit, real_class = model.discriminator(x)
        fake_logit, fake_class = model.discriminator(fake.detach())
        d_loss = (
            discriminator_loss(real_logit, fake_logit)
            + F.cross_entropy(real_class, y)
            + F.cross_entropy(fake_class, fake_y)
        )
        opt_d.zero_grad(set_to_none=True)
        d_loss.backward()
        opt_d.step()

        # The generator maximises L_C - L_S, with the non-saturating form of -L_S.
        fake_logit, fake_class = model.discriminator(fake)
        g_loss = generator_loss(fake_logit) + F.cross_entropy(fake_class, fake_y)
        opt_g.zero_grad(set_to_none=True)
        g_loss.backward()
        opt_g.step()

        history["d_loss"].append(d_loss.item())
        history["g_loss"].append(g_loss.item())
        history["d_real_acc"].append((real_class.argmax(1) == y).float().mean().item())
        values = {"d_loss": d_loss.item(), "g_loss": g_loss.item()}
        if proxy is not None and (step % cfg.eval_every == 0 or step == cfg.steps):
            model.eval()
            with torch.inference_mode():
                z_val = torch.randn(len(eval_labels), cfg.latent, generator=torch.Generator().manual_seed(1))
                score = proxy.distance(data.from_unit(model.generator(z_val, eval_labels), image_set.levels))
            model.train()
            history["val_pixel_fd"].append(score)
            values["val_pixel_fd"] = score
            if score < best[0]:
                best = (score, step, {k: v.detach().clone() for k, v in model.state_dict().items()})
        if "val_pixel_fd" in values or step % 500 == 0 or step == cfg.steps:
            log(step, {**values, "s": time.perf_counter() - started})
    model.eval()
    tail = max(1, cfg.steps // 10)
    metrics = {
        "d_loss_last10pct": sum(history["d_loss"][-tail:]) / tail,
        "g_loss_last10pct": sum(history["g_loss"][-tail:]) / tail,
        "d_real_class_acc_last10pct": sum(history["d_real_acc"][-tail:]) / tail,
    }
    if best[2] is not None:
        model.load_state_dict(best[2])
        metrics.update(
            val_pixel_fd=round(best[0], 3),
            best_step=best[1],
            selection="lowest val_pixel_fd (Fréchet distance on 64 pixel principal components, 2,000 "
            "samples with the validation labels vs the 5,000 validation images); that step's weights kept",
        )
    return {**metrics, "history": history}


def latents(cfg: Config, n: int, generator: torch.Generator) -> torch.Tensor:
    return torch.randn(n, cfg.latent, generator=generator)  # (n, latent), drawn on the CPU


@torch.inference_mode()
def decode(
    model: GAN, z: torch.Tensor, device: str = "cpu", labels: torch.Tensor | None = None
) -> torch.Tensor:
    """Codes (n, latent) [and labels (n,) for the conditional model] -> (n, 1, side, side) long levels."""
    if model.conditional:
        return data.from_unit(model.generator(z.to(device), labels.to(device)).cpu(), model.levels)
    return data.from_unit(model.generator(z.to(device)).cpu())  # (n, 1, 8, 8) long levels


@torch.inference_mode()
def sample(
    model: GAN,
    n: int,
    *,
    generator: torch.Generator,
    device: str = "cpu",
    progress: Callable[[int, int], None] | None = None,
    labels: torch.Tensor | None = None,
) -> torch.Tensor:
    """n images (n, 1, side, side), long levels: one forward pass of the generator.

    Conditional model: ``labels`` (n,) class ids, or None to draw each class uniformly (any class).
    """
    z = latents(model.config, n, generator)
    if model.conditional and labels is None:
        labels = torch.randint(0, model.classes, (n,), generator=generator)
    if progress is not None:
        progress(0, 1)
    images = decode(model, z, device, labels)
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
    ZooModel(
        name="dcgan-fashion",
        family="gans",
        module=__name__,
        title="Class-conditional DCGAN (auxiliary classifier), Fashion-MNIST 28x28",
        citation_key=CITATION,
        config={
            "dataset": "fashion",
            "latent": 64,
            "width": 32,
            "steps": 1200,
            "batch": 64,
            "eval_every": 200,
        },
        seed=0,
    ),
)

ANY = "any"
FASHION_LABEL = Param(
    "label",
    "choice",
    ANY,
    choices=(ANY, *data.FASHION_CLASSES),
    help="The class to draw; any: a class drawn at random for each sample.",
)


def _run_fashion(params: dict, *, device: str, progress) -> tuple[list[Artefact], dict]:
    model = load("dcgan-fashion", device=device)
    images = sample(
        model,
        params["n"],
        generator=generator_for(params["seed"]),
        device=device,
        progress=progress,
        labels=labels_for(params["label"], params["n"]),
    )
    return [Artefact("samples.png", "image/png", grid_png(images))], {"shape": list(images.shape)}


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
        slug="dcgan-fashion",
        family="gans",
        title="DCGAN: Fashion-MNIST clothing by class",
        description="Draw 28x28 clothing items from a class-conditional DCGAN (auxiliary classifier GAN) "
        "trained on 55,000 Fashion-MNIST images: one forward pass from Gaussian noise and a class label.",
        model="dcgan-fashion",
        params=(seed_param(), n_param(), FASHION_LABEL),
        citation_key=CITATION,
        run=_run_fashion,
    ),
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
