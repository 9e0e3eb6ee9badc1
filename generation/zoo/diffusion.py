"""DDPM on 8x8 digits: an ε-predicting U-Net with a time embedding, DDPM and DDIM samplers, and
classifier-free guidance so a user can ask for a given digit.

Follows ho2020denoising (DDPM: the forward process q(x_t | x_0) = N(sqrt(ᾱ_t) x_0, (1 - ᾱ_t) I), the
ε-prediction loss L_simple of eq. 14, ancestral sampling of algorithm 2, the variational bound of eq. 5 with
the discretised decoder of eq. 13), the deterministic and η-stochastic sampler of song2021denoising (DDIM,
eq. 12) and the guidance of ho2022classifier (one network trained with and without the label, eq. 6). The
diffusion idea itself is sohldickstein2015deep.

The network (``UNet``) only maps (x_t, t, label) to ε̂. The noise schedule and the samplers are separate:
``Schedule`` holds β_t, ᾱ_t and friends; ``ddpm_sample`` and ``ddim_sample`` take a function eps(x, t) and
know nothing of the network.

Data and bound: levels 0..16 map to x_0 = level / 8 - 1 in [-1, 1], so adjacent levels are 2/16 apart. The
bound on -log2 P(x_0) uses the discretised Gaussian decoder of ho2020denoising eq. 13: p(x_0 | x_1) gives each
pixel the Gaussian mass of its bin [x - 1/16, x + 1/16] (the outermost bins extend to ±∞), so it is a bound on
the discrete likelihood of the 17-level data, comparable with the categorical models, with no dequantisation.
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

CITATION = "ho2020denoising"
NULL_LABEL = 10  # the "no label" class used for unconditional training and sampling


@dataclass
class Config:
    timesteps: int = 100  # T, the length of the forward (noising) process
    beta_start: float = 1e-3  # β_1; ho2020denoising's 1e-4..0.02 for T=1000, rescaled to T=100
    beta_end: float = 0.2  # β_T
    width: int = 32  # channels at 8x8; 4x4 blocks have 2 * width
    p_uncond: float = 0.1  # share of training labels replaced by NULL_LABEL (ho2022classifier)
    steps: int = 8000  # Adam steps (about 80 ms each on one CPU thread)
    batch: int = 64  # images per step
    lr: float = 2e-3  # Adam learning rate, cosine-decayed
    ema: float = 0.999  # decay of the weight average that is shipped


# --- the network: (x_t, t, label) -> ε̂ -------------------------------------------------------------------


def timestep_embedding(t: torch.Tensor, dim: int) -> torch.Tensor:
    """Sinusoidal embedding of integer timesteps (B,) -> (B, dim), as in the Transformer and DDPM."""
    half = dim // 2
    freqs = torch.exp(-math.log(10000) * torch.arange(half, device=t.device) / half)
    args = t.float()[:, None] * freqs[None]
    return torch.cat([torch.sin(args), torch.cos(args)], dim=1)


class ResBlock(nn.Module):
    def __init__(self, c_in: int, c_out: int, emb: int):
        super().__init__()
        self.norm1 = nn.GroupNorm(4, c_in)
        self.conv1 = nn.Conv2d(c_in, c_out, 3, padding=1)
        self.emb = nn.Linear(emb, c_out)
        self.norm2 = nn.GroupNorm(4, c_out)
        self.conv2 = nn.Conv2d(c_out, c_out, 3, padding=1)
        self.skip = nn.Conv2d(c_in, c_out, 1) if c_in != c_out else nn.Identity()

    def forward(self, x: torch.Tensor, e: torch.Tensor) -> torch.Tensor:
        h = self.conv1(F.silu(self.norm1(x)))
        h = h + self.emb(e)[:, :, None, None]  # time and label enter every block as a per-channel shift
        h = self.conv2(F.silu(self.norm2(h)))
        return h + self.skip(x)


class UNet(nn.Module):
    """A two-level U-Net: 8x8 (width) -> 4x4 (2 * width) -> 8x8, with a skip connection."""

    def __init__(self, cfg: Config):
        super().__init__()
        self.config = cfg
        c, emb = cfg.width, 4 * cfg.width
        self.time_mlp = nn.Sequential(nn.Linear(c, emb), nn.SiLU(), nn.Linear(emb, emb))
        self.label_emb = nn.Embedding(11, emb)  # digits 0..9 and NULL_LABEL
        self.conv_in = nn.Conv2d(1, c, 3, padding=1)
        self.down = ResBlock(c, c, emb)  # (B, c, 8, 8)
        self.downsample = nn.Conv2d(c, 2 * c, 3, stride=2, padding=1)  # (B, 2c, 4, 4)
        self.mid1 = ResBlock(2 * c, 2 * c, emb)
        self.mid2 = ResBlock(2 * c, 2 * c, emb)
        self.upsample = nn.Conv2d(2 * c, c, 3, padding=1)  # applied after nearest upsampling to 8x8
        self.up = ResBlock(2 * c, c, emb)  # input: upsampled features + the 8x8 skip
        self.norm_out = nn.GroupNorm(4, c)
        self.conv_out = nn.Conv2d(c, 1, 3, padding=1)

    def forward(self, x: torch.Tensor, t: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        """x (B, 1, 8, 8) noisy images, t (B,) in 0..T-1, labels (B,) in 0..10 -> ε̂ (B, 1, 8, 8)."""
        e = self.time_mlp(timestep_embedding(t, self.config.width)) + self.label_emb(labels)  # (B, emb)
        h8 = self.down(self.conv_in(x), e)  # (B, c, 8, 8)
        h4 = self.mid2(self.mid1(self.downsample(h8), e), e)  # (B, 2c, 4, 4)
        up = self.upsample(F.interpolate(h4, scale_factor=2, mode="nearest"))  # (B, c, 8, 8)
        h = self.up(torch.cat([up, h8], dim=1), e)
        return self.conv_out(F.silu(self.norm_out(h)))


def build(cfg: Config) -> UNet:
    return UNet(cfg)


# --- the noise schedule -----------------------------------------------------------------------------------


class Schedule:
    """β_t and the quantities derived from it; index i = t - 1 for t = 1..T (tensors of length T)."""

    def __init__(self, cfg: Config):
        self.T = cfg.timesteps
        self.betas = torch.linspace(cfg.beta_start, cfg.beta_end, cfg.timesteps, dtype=torch.float64)
        self.alphas = 1 - self.betas
        self.alpha_bars = torch.cumprod(self.alphas, 0)  # ᾱ_t
        self.alpha_bars_prev = torch.cat([torch.ones(1, dtype=torch.float64), self.alpha_bars[:-1]])
        # Posterior q(x_{t-1} | x_t, x_0) variance β̃_t (ho2020denoising eq. 7); at t = 1 it is 0, so the
        # reverse process uses β_1 there (the decoder's variance).
        self.posterior_var = self.betas * (1 - self.alpha_bars_prev) / (1 - self.alpha_bars)
        self.reverse_var = torch.cat([self.betas[:1], self.posterior_var[1:]])

    def at(self, values: torch.Tensor, i: torch.Tensor) -> torch.Tensor:
        return values[i.cpu()].float().to(i.device)[:, None, None, None]  # (B, 1, 1, 1)

    def q_sample(self, x0: torch.Tensor, i: torch.Tensor, noise: torch.Tensor) -> torch.Tensor:
        # q(x_t | x_0) = N(sqrt(ᾱ_t) x_0, (1 - ᾱ_t) I) (ho2020denoising eq. 4).
        ab = self.at(self.alpha_bars, i)
        return ab.sqrt() * x0 + (1 - ab).sqrt() * noise

    def predict_x0(self, x: torch.Tensor, i: torch.Tensor, eps: torch.Tensor) -> torch.Tensor:
        ab = self.at(self.alpha_bars, i)
        return (x - (1 - ab).sqrt() * eps) / ab.sqrt()

    def reverse_mean(self, x: torch.Tensor, i: torch.Tensor, eps: torch.Tensor) -> torch.Tensor:
        # μ_θ(x_t, t) = (x_t - β_t / sqrt(1 - ᾱ_t) ε̂) / sqrt(α_t) (ho2020denoising eq. 11).
        b, a, ab = self.at(self.betas, i), self.at(self.alphas, i), self.at(self.alpha_bars, i)
        return (x - b / (1 - ab).sqrt() * eps) / a.sqrt()

    def posterior_mean(self, x: torch.Tensor, i: torch.Tensor, x0: torch.Tensor) -> torch.Tensor:
        # μ̃_t(x_t, x_0) (ho2020denoising eq. 7).
        b, a = self.at(self.betas, i), self.at(self.alphas, i)
        ab, ab_prev = self.at(self.alpha_bars, i), self.at(self.alpha_bars_prev, i)
        return (ab_prev.sqrt() * b / (1 - ab)) * x0 + (a.sqrt() * (1 - ab_prev) / (1 - ab)) * x


# --- training ---------------------------------------------------------------------------------------------


def fit(model: UNet, cfg: Config, *, generator: torch.Generator, log: Callable[[int, dict], None]) -> dict:
    digits = data.digits("train")
    x_all, y_all = data.to_unit(digits.images), digits.labels
    schedule = Schedule(cfg)
    optimiser = torch.optim.Adam(model.parameters(), lr=cfg.lr)
    lr_schedule = torch.optim.lr_scheduler.CosineAnnealingLR(optimiser, cfg.steps)
    ema = copy.deepcopy(model).eval()
    model.train()
    history = {"loss": []}
    started = time.perf_counter()
    for step in range(1, cfg.steps + 1):
        index = torch.randint(0, len(x_all), (cfg.batch,), generator=generator)
        x0, labels = x_all[index], y_all[index].clone()
        labels[torch.rand(cfg.batch, generator=generator) < cfg.p_uncond] = NULL_LABEL
        i = torch.randint(0, cfg.timesteps, (cfg.batch,), generator=generator)
        noise = torch.randn(x0.shape, generator=generator)
        # L_simple (ho2020denoising eq. 14): || ε - ε_θ(sqrt(ᾱ_t) x_0 + sqrt(1 - ᾱ_t) ε, t) ||².
        loss = F.mse_loss(model(schedule.q_sample(x0, i, noise), i, labels), noise)
        optimiser.zero_grad(set_to_none=True)
        loss.backward()
        optimiser.step()
        lr_schedule.step()
        with torch.no_grad():
            for p_ema, p in zip(ema.parameters(), model.parameters(), strict=True):
                p_ema.lerp_(p, 1 - cfg.ema)
        history["loss"].append(loss.item())
        if step % 500 == 0 or step == cfg.steps:
            log(step, {"loss": loss.item(), "s": time.perf_counter() - started})
    model.load_state_dict(ema.state_dict())  # ship the averaged weights
    model.eval()
    return {
        "final_loss_last10pct": sum(history["loss"][-400:]) / len(history["loss"][-400:]),
        "history": history,
    }


# --- samplers (know only eps(x, i), never the network) ----------------------------------------------------

EpsFn = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]
Frame = Callable[[int, torch.Tensor], None]


def ddpm_sample(
    eps_fn: EpsFn,
    schedule: Schedule,
    x: torch.Tensor,
    *,
    generator: torch.Generator,
    progress: Callable[[int, int], None] | None = None,
    frame: Frame | None = None,
) -> torch.Tensor:
    """Ancestral sampling over all T steps (ho2020denoising algorithm 2); x is x_T ~ N(0, I)."""
    total = schedule.T
    for k, i in enumerate(range(total - 1, -1, -1)):
        idx = torch.full((x.shape[0],), i, dtype=torch.long, device=x.device)
        mean = schedule.reverse_mean(x, idx, eps_fn(x, idx))
        if i > 0:
            noise = torch.randn(x.shape, generator=generator).to(x.device)  # CPU noise: same on any device
            x = mean + schedule.at(schedule.reverse_var, idx).sqrt() * noise
        else:
            x = mean  # the last step shows the decoder's mean, noiselessly (ho2020denoising, section 3.3)
        if frame is not None:
            frame(k + 1, x)
        if progress is not None:
            progress(k + 1, total)
    return x


def ddim_sample(
    eps_fn: EpsFn,
    schedule: Schedule,
    x: torch.Tensor,
    *,
    steps: int,
    eta: float,
    generator: torch.Generator,
    progress: Callable[[int, int], None] | None = None,
    frame: Frame | None = None,
) -> torch.Tensor:
    """DDIM (song2021denoising eq. 12) on ``steps`` evenly spaced timesteps; eta=0 is deterministic,
    eta=1 matches DDPM's noise level."""
    assert 1 <= steps <= schedule.T, f"steps must be in 1..{schedule.T}, got {steps}"
    assert 0 <= eta <= 1, f"eta must be in [0, 1], got {eta}"
    seq = torch.linspace(schedule.T - 1, 0, steps).round().long().tolist()  # descending timesteps
    for k, i in enumerate(seq):
        idx = torch.full((x.shape[0],), i, dtype=torch.long, device=x.device)
        eps = eps_fn(x, idx)
        x0 = schedule.predict_x0(x, idx, eps).clamp(-1, 1)
        eps = (x - schedule.at(schedule.alpha_bars, idx).sqrt() * x0) / (
            1 - schedule.at(schedule.alpha_bars, idx)
        ).sqrt()  # ε consistent with the clamped x_0
        if k + 1 < len(seq):
            ab = schedule.at(schedule.alpha_bars, idx)
            ab_next = schedule.at(schedule.alpha_bars, torch.full_like(idx, seq[k + 1]))
            sigma = eta * ((1 - ab_next) / (1 - ab) * (1 - ab / ab_next)).sqrt()
            noise = torch.randn(x.shape, generator=generator).to(x.device)
            x = ab_next.sqrt() * x0 + (1 - ab_next - sigma**2).clamp(min=0).sqrt() * eps + sigma * noise
        else:
            x = x0
        if frame is not None:
            frame(k + 1, x)
        if progress is not None:
            progress(k + 1, len(seq))
    return x


def guided_eps(model: UNet, labels: torch.Tensor | None, guidance: float) -> EpsFn:
    """ε̂ for the sampler: unconditional, or classifier-free guided (ho2022classifier eq. 6):
    ε̃ = (1 + w) ε(x, t, c) - w ε(x, t, ∅)."""

    def eps(x: torch.Tensor, idx: torch.Tensor) -> torch.Tensor:
        null = torch.full_like(idx, NULL_LABEL)
        if labels is None:
            return model(x, idx, null)
        cond = model(x, idx, labels.to(x.device))
        if guidance == 0:
            return cond
        return (1 + guidance) * cond - guidance * model(x, idx, null)

    return eps


@torch.inference_mode()
def sample(
    model: UNet,
    n: int,
    *,
    generator: torch.Generator,
    device: str = "cpu",
    progress: Callable[[int, int], None] | None = None,
    sampler: str = "ddim",
    steps: int = 50,
    eta: float = 0.0,
    digit: int | None = None,
    guidance: float = 2.0,
    frame: Frame | None = None,
) -> torch.Tensor:
    """n digits (n, 1, 8, 8) long levels 0..16. ``digit`` None samples unconditionally."""
    schedule = Schedule(model.config)
    x = torch.randn(n, 1, 8, 8, generator=generator).to(device)  # x_T
    labels = None if digit is None else torch.full((n,), int(digit), dtype=torch.long)
    eps_fn = guided_eps(model, labels, guidance)
    if sampler == "ddpm":
        x = ddpm_sample(eps_fn, schedule, x, generator=generator, progress=progress, frame=frame)
    elif sampler == "ddim":
        x = ddim_sample(
            eps_fn, schedule, x, steps=steps, eta=eta, generator=generator, progress=progress, frame=frame
        )
    else:
        raise ValueError(f"unknown sampler {sampler!r}; expected ddpm or ddim")
    return data.from_unit(x.cpu())


# --- the variational bound --------------------------------------------------------------------------------


def _normal_cdf(x: torch.Tensor) -> torch.Tensor:
    return 0.5 * (1 + torch.erf(x / math.sqrt(2)))


def discretised_gaussian_nll(x0: torch.Tensor, mean: torch.Tensor, std: torch.Tensor) -> torch.Tensor:
    """-log p(x_0 | x_1) per pixel (ho2020denoising eq. 13): the Gaussian mass of the pixel's level bin."""
    half = 1 / (data.LEVELS - 1)  # half the gap between adjacent levels (2/16) in [-1, 1] units
    upper = torch.where(x0 > 1 - 1e-4, torch.ones_like(x0), _normal_cdf((x0 + half - mean) / std))
    lower = torch.where(x0 < -1 + 1e-4, torch.zeros_like(x0), _normal_cdf((x0 - half - mean) / std))
    return -torch.log((upper - lower).clamp(min=1e-12))


@torch.inference_mode()
def nll_bits_per_dim(model: UNet, x: torch.Tensor, *, batch: int = 500) -> torch.Tensor:
    """The variational bound (ho2020denoising eq. 5) on -log2 P(x) in bits per dimension, unconditional: (B,).

    L_T + Σ_{t≥2} KL(q(x_{t-1}|x_t,x_0) || p(x_{t-1}|x_t)) + L_0, every t computed (one x_t draw each) with a
    fixed generator, so the estimate is reproducible.
    """
    generator = torch.Generator().manual_seed(0)
    schedule = Schedule(model.config)
    device = next(model.parameters()).device
    out = []
    for start in range(0, len(x), batch):
        x0 = data.to_unit(x[start : start + batch]).double()
        b = len(x0)
        null = torch.full((b,), NULL_LABEL, dtype=torch.long, device=device)
        # L_T: KL(q(x_T | x_0) || N(0, I)).
        ab_T = schedule.alpha_bars[-1]
        mean_T, var_T = ab_T.sqrt() * x0, 1 - ab_T
        nats = (0.5 * (var_T + mean_T**2 - 1 - torch.log(var_T))).flatten(1).sum(1)
        for i in range(schedule.T):
            idx = torch.full((b,), i, dtype=torch.long)
            noise = torch.randn(x0.shape, generator=generator, dtype=torch.float64)
            xt = schedule.q_sample(x0, idx, noise)
            eps = model(xt.float().to(device), idx.to(device), null).double().cpu()
            mean = schedule.reverse_mean(xt, idx, eps)
            var = schedule.reverse_var[i]
            if i == 0:  # L_0: the discretised decoder
                nats += discretised_gaussian_nll(x0, mean, var.sqrt()).flatten(1).sum(1)
            else:  # L_{t-1}: both Gaussians share the variance, so the KL is a scaled squared distance
                target = schedule.posterior_mean(xt, idx, x0)
                nats += ((target - mean) ** 2 / (2 * var)).flatten(1).sum(1)
        out.append(nats / data.DIMS / math.log(2))
    return torch.cat(out).float()


# --- the shipped model and its demo -----------------------------------------------------------------------

MODELS = (
    ZooModel(
        name="ddpm",
        family="diffusion-models",
        module=__name__,
        title="DDPM with classifier-free guidance on 8x8 digits",
        citation_key=CITATION,
        seed=0,
        likelihood="bound",
    ),
)

DIGITS = ("any", *map(str, range(10)))


def _run(params: dict, *, device: str, progress, preview=None) -> tuple[list[Artefact], dict]:
    model = load("ddpm", device=device)
    frames: list[Artefact] = []
    total = model.config.timesteps if params["sampler"] == "ddpm" else params["steps"]
    keep = (
        set(torch.linspace(1, total, params["frames"]).round().long().tolist()) if params["frames"] else set()
    )

    def frame(k: int, x: torch.Tensor) -> None:
        if k in keep:  # x_t as it stands after step k, shown on the same 17-level grey scale
            artefact = Artefact(f"frame-{k:04d}.png", "image/png", grid_png(data.from_unit(x.cpu())), "frame")
            frames.append(artefact)
            if preview is not None:  # shown while the job runs; all frames are still returned at the end
                preview(artefact)

    digit = None if params["digit"] == "any" else int(params["digit"])
    images = sample(
        model,
        params["n"],
        generator=generator_for(params["seed"]),
        device=device,
        progress=progress,
        sampler=params["sampler"],
        steps=params["steps"],
        eta=params["eta"],
        digit=digit,
        guidance=params["guidance"],
        frame=frame,
    )
    result = Artefact("samples.png", "image/png", grid_png(images))
    return [result, *frames], {"shape": list(images.shape), "network_evaluations": total}


DEMOS = (
    Demo(
        slug="ddpm-digits",
        family="diffusion-models",
        title="Diffusion: denoising digits out of noise",
        description="Start from Gaussian noise and denoise it step by step with a DDPM-trained U-Net: DDPM "
        "ancestral sampling over all 100 steps, or DDIM with fewer steps. Ask for a given digit with "
        "classifier-free guidance; the frames show the trajectory.",
        model="ddpm",
        params=(
            seed_param(),
            n_param(),
            Param("sampler", "choice", "ddim", choices=("ddim", "ddpm"), help="ddpm uses all 100 steps."),
            Param("steps", "int", 50, 1, 100, help="DDIM steps (ignored by ddpm)."),
            Param("eta", "float", 0.0, 0.0, 1.0, help="DDIM noise: 0 deterministic, 1 like DDPM."),
            Param("digit", "choice", "any", choices=DIGITS, help="Which digit to draw; any = unconditional."),
            Param(
                "guidance", "float", 2.0, 0.0, 8.0, help="Classifier-free guidance weight w (with a digit)."
            ),
            Param("frames", "int", 8, 0, 20, help="How many frames of the trajectory to return."),
        ),
        citation_key=CITATION,
        run=_run,
    ),
)
