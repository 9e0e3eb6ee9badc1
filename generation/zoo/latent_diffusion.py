"""Latent diffusion on Fashion-MNIST: a DDPM over the 32-number codes of the shipped VAE, with classifier-free
guidance. A composition of two families: it belongs to the diffusion models and to the VAEs.

Follows rombach2022high (latent diffusion: train an autoencoder first, then a diffusion model on its codes,
and decode what the diffusion model draws), with the DDPM of ho2020denoising (forward process, L_simple,
variational bound), DDIM of song2021denoising and the guidance of ho2022classifier. Every piece of
diffusion machinery is ``diffusion.py``'s: ``Schedule``, ``ddim_sample``, ``guided_eps``. A code is carried
as a (B, 32, 1, 1) tensor so those functions, written for images, apply unchanged.

What it composes:
  * the autoencoder is ``vae-fashion`` (vae.py), frozen: q(z | x, y) encodes, p(x | z, y) decodes, both
    given the class y. Its own prior is N(0, I), and that is the part this model replaces: a VAE's
    aggregate posterior (the codes of all the training images) does not fill N(0, I), and codes drawn
    from the holes decode into blurs between garments;
  * the prior here is p(z | y), a DDPM over the codes (T = 1000, linear β 1e-4 .. 0.02), whose network
    (``Denoiser``) is a residual MLP that takes the noisy code, the timestep and the class (or "no class",
    dropped with probability ``p_uncond`` in training so one network gives both halves of the guidance).

Training data: every training image's posterior mean and log-variance, encoded once with its true label;
each step draws fresh codes z = μ + σ ε from those posteriors, standardised dimension by dimension with the
mean and standard deviation of the training codes (kept as buffers, ``shift`` and ``scale``; rombach2022high
rescales its latents the same way, with one number). The weights shipped are the raw or averaged ones with
the best L_simple on fixed validation codes (fixed timesteps, noise and posterior draws).

Sampling: y uniform over the classes (or the one asked for), z_T ~ N(0, I), DDIM on the codes with guidance
w, un-standardise, decode with the VAE (each pixel drawn from its logistic, or its mean for the demo).

The shipped ``latent-diffusion-fashion`` (0.95M parameters, 3.8 MB): 15,000 steps of 256 codes, 315 CPU-s on
one thread. Chosen on validation L_simple (5,000 codes): width 256 for 6,000 steps 0.2126, width 384 for
6,000 steps 0.2112, width 256 for 15,000 steps 0.2093 (kept; the raw weights at the last step). The guidance
weight was chosen on the FD and precision of 2,000 samples against the 5,000 validation images: w = 0, 1, 2,
3, 4, 5, 6 gave FD 31.8, 24.7, 21.1, 19.0, 17.7, 16.9, 16.4 and precision 0.809, 0.813, 0.808, 0.807, 0.795,
0.777, 0.738. FD keeps falling as guidance pushes every sample towards its class, while precision (how
many samples look like real garments) drops; the default w = 4 is the strongest guidance whose precision
stays within 0.02 of the unguided model's. The VAE alone, with its N(0, I) prior, scored FD 53.3 there.

The bound (``nll_bits_per_dim``), in bits per dimension of the 256-level images, is the VAE's with the
diffusion prior in place of N(0, I): for each class y and one draw z ~ q(z | x, y),
    -log P(x | y) <= -log P(x | z, y) + log q(z | x, y) - log p(z | y),
and -log p(z | y) is bounded by the DDPM's variational bound on the standardised code (ho2020denoising
eq. 5; its last term a Gaussian density, as the code is continuous; see ``prior_nats`` for which terms are
computed and which sampled) plus the log-Jacobian of the standardisation. The classes are combined as in
``vae.nll_bits_per_dim``: -log2 Σ_y p(y) exp(ELBO(x, y)).
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

from generation.zoo import data, vae
from generation.zoo.demos import Artefact, Demo, generator_for, labels_for
from generation.zoo.diffusion import (
    NULL_LABEL,
    FixedDrawLoss,
    Schedule,
    ddim_sample,
    guided_eps,
    lr_factor,
    timestep_embedding,
)
from generation.zoo.images import grid_png
from generation.zoo.params import Param, n_param, seed_param
from generation.zoo.registry import ZooModel, load, read_manifest

CITATION = "rombach2022high"
GUIDANCE = (
    4.0  # the default guidance weight of ``sample`` and the demo, chosen on validation (module docstring)
)


@dataclass
class Config:
    dataset: str = "fashion"
    vae: str = "vae-fashion"  # the registry name of the (frozen) VAE whose codes are modelled
    latent: int = 32  # the VAE's code size
    classes: int = 10
    timesteps: int = 1000  # T and ho2020denoising's linear β_1..β_T
    beta_start: float = 1e-4
    beta_end: float = 0.02
    hidden: int = 256  # width of the residual MLP
    blocks: int = 4  # residual blocks
    p_uncond: float = 0.15  # share of training labels replaced by NULL_LABEL (ho2022classifier)
    steps: int = 15000
    batch: int = 256  # codes per step
    lr: float = 1e-3
    warmup: int = 200
    ema: float = 0.999  # decay of the weight average scored beside the raw weights
    val_every: int = 500
    val_codes: int = 5000  # validation codes for the selection loss (the whole validation split)


# --- the network: (noisy code, t, class) -> ε̂ --------------------------------------------------------------


class Block(nn.Module):
    """A pre-norm residual MLP block; the time-and-class embedding is added between its two layers."""

    def __init__(self, width: int):
        super().__init__()
        self.norm1, self.norm2 = nn.LayerNorm(width), nn.LayerNorm(width)
        self.fc1, self.fc2 = nn.Linear(width, width), nn.Linear(width, width)
        self.emb = nn.Linear(width, width)
        nn.init.zeros_(self.fc2.weight)  # each block starts as the identity
        nn.init.zeros_(self.fc2.bias)

    def forward(self, h: torch.Tensor, e: torch.Tensor) -> torch.Tensor:
        u = self.fc1(F.silu(self.norm1(h))) + self.emb(e)
        return h + self.fc2(F.silu(self.norm2(u)))


class Denoiser(nn.Module):
    def __init__(self, cfg: Config):
        super().__init__()
        self.config = cfg
        w = cfg.hidden
        self.time = nn.Sequential(nn.Linear(w, w), nn.SiLU(), nn.Linear(w, w))
        self.label = nn.Embedding(cfg.classes + 1, w)  # the last one is NULL_LABEL, "no class"
        self.inp = nn.Linear(cfg.latent, w)
        self.blocks = nn.ModuleList(Block(w) for _ in range(cfg.blocks))
        self.out = nn.Sequential(nn.LayerNorm(w), nn.SiLU(), nn.Linear(w, cfg.latent))
        # The standardisation of the codes, z_std = (z - shift) / scale, measured on the training codes.
        self.register_buffer("shift", torch.zeros(cfg.latent))
        self.register_buffer("scale", torch.ones(cfg.latent))
        assert cfg.classes == NULL_LABEL, "guided_eps uses NULL_LABEL as the 'no class' index"

    def forward(self, x: torch.Tensor, t: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        """x (B, latent, 1, 1) standardised noisy codes, t (B,) indices 0..T-1, labels (B,) -> ε̂ like x."""
        e = self.time(timestep_embedding(t, self.config.hidden)) + self.label(labels)
        h = self.inp(x.flatten(1))
        for block in self.blocks:
            h = block(h, e)
        return self.out(h).view_as(x)

    def standardise(self, z: torch.Tensor) -> torch.Tensor:
        return ((z - self.shift) / self.scale)[:, :, None, None]

    def unstandardise(self, x: torch.Tensor) -> torch.Tensor:
        return x.flatten(1) * self.scale + self.shift


def build(cfg: Config) -> Denoiser:
    return Denoiser(cfg)


def the_vae(model: Denoiser) -> nn.Module:
    """The shipped VAE this model composes with, on the model's device (checksum-checked, cached)."""
    return load(model.config.vae, device=str(next(model.parameters()).device))


# --- training -----------------------------------------------------------------------------------------------


@torch.inference_mode()
def encode(
    autoencoder: nn.Module, images: torch.Tensor, labels: torch.Tensor, batch: int = 1000
) -> tuple[torch.Tensor, torch.Tensor]:
    """The posterior q(z | x, y) of every image under its label: means and log-variances, each (N, latent)."""
    parts = [
        autoencoder.encode(images[s : s + batch], labels[s : s + batch]) for s in range(0, len(labels), batch)
    ]
    return torch.cat([mu for mu, _ in parts]), torch.cat([logvar for _, logvar in parts])


def _draw(mu: torch.Tensor, logvar: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    return mu + (0.5 * logvar).exp() * torch.randn(mu.shape, generator=generator)


def _validation(
    model: Denoiser, mu: torch.Tensor, logvar: torch.Tensor, labels: torch.Tensor
) -> FixedDrawLoss:
    """L_simple on fixed validation codes: one posterior draw per image, then ``diffusion.FixedDrawLoss``'s
    fixed timesteps and noise, so the raw and averaged weights are compared on exactly the same draws."""
    g = torch.Generator().manual_seed(12345)  # its own generator: training's draws do not depend on it
    x0 = model.standardise(_draw(mu, logvar, g))
    return FixedDrawLoss(x0, labels, Schedule(model.config), g)


def fit(
    model: Denoiser, cfg: Config, *, generator: torch.Generator, log: Callable[[int, dict], None]
) -> dict:
    """L_simple on codes drawn from the training posteriors, labels dropped with probability ``p_uncond``;
    Adam with warm-up and cosine decay; the raw weights and their average (decay min(ema, (1 + s) / (10 + s)))
    are scored on validation every ``val_every`` steps and the best of them, at the best step, is shipped."""
    started = time.perf_counter()
    autoencoder = load(cfg.vae)
    image_set = data.image_set(cfg.dataset)
    train, val = image_set.split("train"), image_set.split("val")
    mu, logvar = encode(autoencoder, train.images, train.labels)
    labels_all = train.labels
    # Standardisation from the training codes: the mixture q(z) = mean_x q(z | x) has mean E[μ] and
    # variance Var[μ] + E[σ²] per dimension.
    model.shift.copy_(mu.mean(0))
    model.scale.copy_((mu.var(0) + logvar.exp().mean(0)).sqrt())
    n_val = min(cfg.val_codes, len(val.labels))
    val_mu, val_logvar = encode(autoencoder, val.images, val.labels)
    validation = _validation(model, val_mu[:n_val], val_logvar[:n_val], val.labels[:n_val])

    schedule = Schedule(cfg)
    optimiser = torch.optim.Adam(model.parameters(), lr=cfg.lr)
    lr_schedule = torch.optim.lr_scheduler.LambdaLR(optimiser, lambda step: lr_factor(cfg, step))
    average = copy.deepcopy(model).eval()
    best: dict = {"val_loss": math.inf}
    history: dict[str, list[float]] = {"loss": [], "val_step": [], "val_loss raw": [], "val_loss ema": []}
    model.train()
    for step in range(1, cfg.steps + 1):
        index = torch.randint(0, len(labels_all), (cfg.batch,), generator=generator)
        x0 = model.standardise(_draw(mu[index], logvar[index], generator))
        labels = labels_all[index].clone()
        labels[torch.rand(cfg.batch, generator=generator) < cfg.p_uncond] = NULL_LABEL
        i = torch.randint(0, cfg.timesteps, (cfg.batch,), generator=generator)
        noise = torch.randn(x0.shape, generator=generator)
        loss = F.mse_loss(model(schedule.q_sample(x0, i, noise), i, labels), noise)  # ho2020denoising eq. 14
        optimiser.zero_grad(set_to_none=True)
        loss.backward()
        optimiser.step()
        lr_schedule.step()
        with torch.no_grad():
            rate = 1 - min(cfg.ema, (1 + step) / (10 + step))
            for p_avg, p in zip(average.parameters(), model.parameters(), strict=True):
                p_avg.lerp_(p, rate)
        history["loss"].append(loss.item())
        if step % cfg.val_every == 0 or step == cfg.steps:
            model.eval()
            scores = {"raw": validation.loss(model), "ema": validation.loss(average)}
            model.train()
            history["val_step"].append(step)
            for key, value in scores.items():
                history[f"val_loss {key}"].append(value)
            key = min(scores, key=scores.get)
            if scores[key] < best["val_loss"]:
                chosen = model if key == "raw" else average
                state = {k: v.detach().clone() for k, v in chosen.state_dict().items()}
                best.update(val_loss=scores[key], weights=key, step=step, state=state)
            log(step, {"loss": loss.item(), **{f"val {k}": v for k, v in scores.items()}})
    model.load_state_dict(best.pop("state"))
    model.eval()
    return {
        "chosen_on_validation": {
            "weights": best["weights"],
            "step": best["step"],
            "val_loss_simple": round(best["val_loss"], 5),
            "val_codes": n_val,
        },
        "vae_sha256": read_manifest(cfg.vae)["sha256"],
        "wall_s": round(time.perf_counter() - started, 1),
        "history": history,
    }


# --- sampling -----------------------------------------------------------------------------------------------


@torch.inference_mode()
def sample_codes(
    model: Denoiser,
    labels: torch.Tensor,
    *,
    generator: torch.Generator,
    device: str = "cpu",
    steps: int = 50,
    eta: float = 0.0,
    guidance: float = GUIDANCE,
    progress: Callable[[int, int], None] | None = None,
    frame: Callable[[int, torch.Tensor], None] | None = None,
) -> torch.Tensor:
    """Codes (n, latent) on the CPU for the given classes: DDIM on the standardised codes, guided."""
    x = torch.randn(len(labels), model.config.latent, 1, 1, generator=generator).to(device)
    x = ddim_sample(
        guided_eps(model, labels, guidance),
        Schedule(model.config),
        x,
        steps=steps,
        eta=eta,
        generator=generator,
        progress=progress,
        frame=frame,
        clip=None,
    )
    return model.unstandardise(x).cpu()


@torch.inference_mode()
def sample(
    model: Denoiser,
    n: int,
    *,
    generator: torch.Generator,
    device: str = "cpu",
    progress: Callable[[int, int], None] | None = None,
    labels: torch.Tensor | None = None,
    guidance: float = GUIDANCE,
    steps: int = 50,
    eta: float = 0.0,
    mode: str = "sample",
    frame: Callable[[int, torch.Tensor], None] | None = None,
) -> torch.Tensor:
    """n images (n, 1, 28, 28) long levels 0..255: classes (uniform when ``labels`` is None), codes from the
    guided latent DDPM, then the VAE's decoder (``mode`` "sample" draws every pixel, "mean" its mean)."""
    classes = model.config.classes
    if labels is None:
        labels = torch.randint(0, classes, (n,), generator=generator)
    labels = torch.as_tensor(labels, dtype=torch.long).reshape(-1)
    assert len(labels) == n, f"expected {n} labels, got {len(labels)}"
    assert int(labels.min()) >= 0 and int(labels.max()) < classes, "labels out of range"
    codes = sample_codes(
        model,
        labels.to(device),
        generator=generator,
        device=device,
        steps=steps,
        eta=eta,
        guidance=guidance,
        progress=progress,
        frame=frame,
    )
    return vae.decode(the_vae(model), codes, mode=mode, generator=generator, device=device, labels=labels)


# --- the bound ----------------------------------------------------------------------------------------------


@torch.inference_mode()
def prior_nats(
    model: Denoiser,
    z: torch.Tensor,
    labels: torch.Tensor,
    *,
    generator: torch.Generator,
    t_stride: int = 10,
    exact_below: int = 50,
) -> torch.Tensor:
    """An upper bound on -log p(z | y) in nats for codes z (B, latent): (B,).

    The DDPM bound on the standardised code x_0 (ho2020denoising eq. 5): L_T + Σ_{t≥2} KL terms + L_0, where
    L_0 = -log N(x_0; μ_θ(x_1, 1), β_1 I) is a density (the code is continuous). The KL terms of the
    timesteps below ``exact_below`` are all computed: they are the large ones (on the shipped model the first
    ten carry about half of the sum, each with a spread of about 5 nats) and sampling them is what makes an
    estimate noisy. Above it one timestep is drawn per run of ``t_stride`` (stratified, unbiased). Plus
    Σ log scale, the standardisation's Jacobian.
    """
    schedule = Schedule(model.config)
    device = next(model.parameters()).device
    x0 = model.standardise(z.to(device)).double().cpu()
    b = len(x0)
    labels = labels.to(device)
    ab_T = schedule.alpha_bars[-1]
    mean_T, var_T = ab_T.sqrt() * x0, 1 - ab_T
    nats = (0.5 * (var_T + mean_T**2 - 1 - torch.log(var_T))).flatten(1).sum(1)  # L_T
    exact = min(max(exact_below, 1), schedule.T)
    plan = [(torch.full((b,), i, dtype=torch.long), 1.0) for i in range(exact)]  # L_0 and the first terms
    for lo in range(exact, schedule.T, t_stride):  # then one index per run [lo, hi)
        hi = min(lo + t_stride, schedule.T)
        plan.append((lo + torch.randint(0, hi - lo, (b,), generator=generator), float(hi - lo)))
    for idx, weight in plan:
        noise = torch.randn(x0.shape, generator=generator, dtype=torch.float64)
        xt = schedule.q_sample(x0, idx, noise)
        eps = model(xt.float().to(device), idx.to(device), labels).double().cpu()
        mean = schedule.reverse_mean(xt, idx, eps)
        var = schedule.reverse_var[idx][:, None, None, None]
        if int(idx[0]) == 0:  # L_0: the Gaussian density of x_0 under p(x_0 | x_1)
            nats += (0.5 * ((x0 - mean) ** 2 / var + torch.log(2 * math.pi * var))).flatten(1).sum(1)
        else:  # L_{t-1}: KL between Gaussians of equal variance
            target = schedule.posterior_mean(xt, idx, x0)
            nats += weight * ((target - mean) ** 2 / (2 * var)).flatten(1).sum(1)
    return nats.float() + model.scale.log().sum().cpu()


@torch.inference_mode()
def nll_bits_per_dim(
    model: Denoiser, x: torch.Tensor, *, labels: torch.Tensor | None = None, t_stride: int = 10
) -> torch.Tensor:
    """A bound on -log2 P(x) per dimension for images x (B, 1, 28, 28) levels: (B,). Label-free (every class
    combined) unless ``labels`` are given; one posterior draw per image and class, fixed seed."""
    autoencoder = the_vae(model)
    device = next(model.parameters()).device
    generator = torch.Generator().manual_seed(0)
    classes = model.config.classes
    candidates = [labels] if labels is not None else [torch.full((len(x),), c) for c in range(classes)]
    negative_elbos = []
    for y in candidates:
        y = y.to(device)
        mu, logvar = (t.cpu() for t in autoencoder.encode(x.to(device), y))
        z = _draw(mu, logvar, generator)
        mean, log_scale = autoencoder.decode_params(z.to(device), y)
        rec = vae.discretised_logistic_nll(x.to(device), mean, log_scale, autoencoder.levels)
        rec = rec.flatten(1).sum(1)
        log_q = torch.distributions.Normal(mu, (0.5 * logvar).exp()).log_prob(z).sum(1)
        prior = prior_nats(model, z, y, generator=generator, t_stride=t_stride)
        negative_elbos.append(rec.cpu() + log_q + prior + math.log(classes))
    nats = -torch.logsumexp(-torch.stack(negative_elbos), dim=0)
    return nats / x[0].numel() / math.log(2)


# --- the shipped model and its demo -------------------------------------------------------------------------

MODELS = (
    ZooModel(
        name="latent-diffusion-fashion",
        family="diffusion-models",
        module=__name__,
        title="Latent diffusion: a DDPM over the Fashion-MNIST VAE's codes, with guidance",
        citation_key=CITATION,
        config={"dataset": "fashion"},
        seed=0,
        likelihood="bound",
        parts=("vae-fashion", "ddpm-fashion"),  # its autoencoder, and the same family in pixel space
    ),
)


def _run(params: dict, *, device: str, progress, preview=None) -> tuple[list[Artefact], dict]:
    model = load("latent-diffusion-fashion", device=device)
    autoencoder = the_vae(model)
    n, generator = params["n"], generator_for(params["seed"])
    labels = labels_for(params["label"], n)
    if labels is None:  # "any": drawn first from the seed's generator, as ``sample`` would
        labels = torch.randint(0, model.config.classes, (n,), generator=generator)
    keep = set()
    if params["frames"]:
        keep = set(torch.linspace(1, params["steps"], params["frames"]).round().long().tolist())
    frames: list[Artefact] = []

    def frame(k: int, x: torch.Tensor) -> None:
        if k in keep:  # the code as it stands after step k, decoded by the VAE (its mean)
            codes = model.unstandardise(x)
            pixels = vae.decode(autoencoder, codes, mode="mean", generator=None, device=device, labels=labels)
            artefact = Artefact(f"frame-{k:04d}.png", "image/png", grid_png(pixels), "frame")
            frames.append(artefact)
            if preview is not None:
                preview(artefact)

    images = sample(
        model,
        n,
        generator=generator,
        device=device,
        progress=progress,
        labels=labels,
        guidance=params["guidance"],
        steps=params["steps"],
        eta=params["eta"],
        mode=params["decode"],
        frame=frame,
    )
    result = Artefact("samples.png", "image/png", grid_png(images))
    return [result, *frames], {"shape": list(images.shape), "network_evaluations": params["steps"]}


DEMOS = (
    Demo(
        slug="latent-diffusion-fashion",
        family="diffusion-models",
        also=("vaes",),
        title="Latent diffusion: a DDPM over a VAE's codes",
        description="Two families at work: a diffusion model draws a 32-number code by DDIM with "
        "classifier-free guidance, and the Fashion-MNIST VAE's decoder turns it into a 28x28 garment. The "
        "diffusion prior replaces the VAE's N(0, I); the frames decode the code as it is denoised.",
        model="latent-diffusion-fashion",
        params=(
            seed_param(),
            n_param(),
            Param("steps", "int", 50, 1, 200, help="DDIM steps over the code."),
            Param("eta", "float", 0.0, 0.0, 1.0, help="DDIM noise: 0 deterministic, 1 like DDPM."),
            vae.FASHION_LABEL,
            Param("guidance", "float", GUIDANCE, 0.0, 8.0, help="Classifier-free guidance weight w."),
            vae.FASHION_DECODE,
            Param("frames", "int", 8, 0, 20, help="How many frames of the denoising to return."),
        ),
        citation_key=CITATION,
        run=_run,
    ),
)
