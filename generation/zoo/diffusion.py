"""DDPM on 8x8 digits and on 28x28 Fashion-MNIST: an ε-predicting U-Net with a time embedding, DDPM and DDIM
samplers, and classifier-free guidance so a user can ask for a given digit or garment.

Follows ho2020denoising (DDPM: the forward process q(x_t | x_0) = N(sqrt(ᾱ_t) x_0, (1 - ᾱ_t) I), the
ε-prediction loss L_simple of eq. 14, ancestral sampling of algorithm 2, the variational bound of eq. 5 with
the discretised decoder of eq. 13), the deterministic and η-stochastic sampler of song2021denoising (DDIM,
eq. 12) and the guidance of ho2022classifier (one network trained with and without the label, eq. 6). The
diffusion idea itself is sohldickstein2015deep.

The network (``UNet``) only maps (x_t, t, label) to ε̂. The noise schedule and the samplers are separate:
``Schedule`` holds β_t, ᾱ_t and friends; ``ddpm_sample`` and ``ddim_sample`` take a function eps(x, t) and
know nothing of the network.

Two models, one code path, sized by ``Config.dataset`` (``data.image_set``):

* ``ddpm`` (digits): T = 100, a U-Net 8x8 -> 4x4 -> 8x8 (width 32), 17 levels, trained 8000 steps; the last
  weight average is shipped. Its checkpoint predates the per-level module lists and loads through a rename
  of its keys (``_rename_digits_keys``).
* ``ddpm-fashion`` (xiao2017fashion): T = 1000 with ho2020denoising's linear β from 1e-4 to 0.02, a U-Net
  28x28 (24 channels) -> 14x14 (48) -> 7x7 (72, one self-attention between the two bottom blocks) and back,
  with one residual block per resolution. It is kept small (about 0.47M parameters, 1.9 MB) because it
  trains on one CPU thread and a demo runs DDIM with 50 steps and guidance (two network passes per step) in
  a few seconds. Adam with warm-up and cosine decay, labels dropped with probability 0.15; three weight
  averages and the raw weights are scored on a fixed validation loss as training goes, and the best of
  them is shipped (``fit``; the choice is in the manifest's training metrics).

Data and bound: levels 0..L-1 map to x_0 = 2 level / (L - 1) - 1 in [-1, 1] (L = 17 for digits, 256 for
Fashion-MNIST). The bound on -log2 P(x_0) uses the discretised Gaussian decoder of ho2020denoising eq. 13:
p(x_0 | x_1) gives each pixel the Gaussian mass of its bin [x - 1/(L-1), x + 1/(L-1)] (the outermost bins
extend to ±∞), so it bounds the discrete likelihood of the L-level data, comparable with the categorical
models, with no dequantisation. With T = 1000, ``nll_bits_per_dim`` estimates the sum over t by stratified
sampling of the timesteps (unbiased; see there), since every term on 10,000 images is too slow on a CPU.
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
    dataset: str = "digits"  # "digits" (8x8, 17 levels) or "fashion" (28x28, 256 levels)
    timesteps: int = 100  # T, the length of the forward (noising) process
    beta_start: float = 1e-3  # β_1; ho2020denoising's 1e-4..0.02 for T=1000, rescaled to T=100
    beta_end: float = 0.2  # β_T
    width: int = 32  # channels at full resolution; level l has width * mults[l]
    mults: tuple[int, ...] = (
        1,
        2,
    )  # width multiplier per resolution, full size first; the last is the bottom
    attention: bool = False  # one self-attention block between the two bottom blocks
    p_uncond: float = 0.1  # share of training labels replaced by NULL_LABEL (ho2022classifier)
    steps: int = 8000  # Adam steps (about 80 ms each on one CPU thread for digits)
    batch: int = 64  # images per step
    lr: float = 2e-3  # Adam learning rate, linear warm-up then cosine-decayed
    warmup: int = 0  # steps of linear learning-rate warm-up
    ema: float = 0.999  # decay of the weight average that is shipped
    ema_candidates: tuple[float, ...] = ()  # further decays tracked and scored on validation (see fit)
    val_every: int = 0  # steps between validation losses; 0: no validation, the last EMA is shipped
    val_images: int = 1000  # validation images scored each time (fixed t and noise: paired comparisons)


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


class SelfAttention(nn.Module):
    """Single-head self-attention over the pixels of a small feature map, residual (as at 16x16 in DDPM)."""

    def __init__(self, c: int):
        super().__init__()
        self.norm = nn.GroupNorm(4, c)
        self.qkv = nn.Conv2d(c, 3 * c, 1)
        self.out = nn.Conv2d(c, c, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, c, h, w = x.shape
        q, k, v = self.qkv(self.norm(x)).flatten(2).chunk(3, dim=1)  # each (B, c, hw)
        weights = torch.softmax(q.transpose(1, 2) @ k / math.sqrt(c), dim=-1)  # (B, hw, hw)
        return x + self.out((v @ weights.transpose(1, 2)).view(b, c, h, w))


class UNet(nn.Module):
    """A U-Net with one residual block per resolution on the way down and up, a skip connection at each,
    and two residual blocks (optionally with self-attention between them) at the bottom.

    ``mults`` (1, 2) at 8x8 is the digits network: 8x8 (width) -> 4x4 (2 * width) -> 8x8. ``mults``
    (1, 2, 2) at 28x28 is the Fashion-MNIST one: 28x28 (width) -> 14x14 (2 * width) -> 7x7 (2 * width, with
    attention) -> 14x14 -> 28x28. Downsampling is a stride-2 convolution, upsampling nearest-neighbour
    followed by a 3x3 convolution.
    """

    def __init__(self, cfg: Config):
        super().__init__()
        self.config = cfg
        widths = [cfg.width * m for m in cfg.mults]
        c, emb = cfg.width, 4 * cfg.width
        self.time_mlp = nn.Sequential(nn.Linear(c, emb), nn.SiLU(), nn.Linear(emb, emb))
        self.label_emb = nn.Embedding(11, emb)  # classes 0..9 and NULL_LABEL
        self.conv_in = nn.Conv2d(1, c, 3, padding=1)
        levels = range(len(widths) - 1)  # the resolutions above the bottom
        self.downs = nn.ModuleList(ResBlock(widths[i], widths[i], emb) for i in levels)
        self.downsamples = nn.ModuleList(
            nn.Conv2d(widths[i], widths[i + 1], 3, stride=2, padding=1) for i in levels
        )
        self.mid1 = ResBlock(widths[-1], widths[-1], emb)
        self.attn = SelfAttention(widths[-1]) if cfg.attention else None
        self.mid2 = ResBlock(widths[-1], widths[-1], emb)
        self.upsamples = nn.ModuleList(nn.Conv2d(widths[i + 1], widths[i], 3, padding=1) for i in levels)
        self.ups = nn.ModuleList(ResBlock(2 * widths[i], widths[i], emb) for i in levels)  # upsampled + skip
        self.norm_out = nn.GroupNorm(4, c)
        self.conv_out = nn.Conv2d(c, 1, 3, padding=1)
        self._register_load_state_dict_pre_hook(_rename_digits_keys, with_module=True)

    def forward(self, x: torch.Tensor, t: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        """x (B, 1, S, S) noisy images, t (B,) in 0..T-1, labels (B,) in 0..10 -> ε̂ (B, 1, S, S)."""
        e = self.time_mlp(timestep_embedding(t, self.config.width)) + self.label_emb(labels)  # (B, emb)
        h = self.conv_in(x)
        skips = []
        for block, down in zip(self.downs, self.downsamples, strict=True):
            h = block(h, e)
            skips.append(h)
            h = down(h)
        h = self.mid1(h, e)
        if self.attn is not None:
            h = self.attn(h)
        h = self.mid2(h, e)
        for i in reversed(range(len(self.ups))):
            skip = skips[i]
            h = self.upsamples[i](F.interpolate(h, size=skip.shape[-2:], mode="nearest"))
            h = self.ups[i](torch.cat([h, skip], dim=1), e)
        return self.conv_out(F.silu(self.norm_out(h)))


# The 8x8 digits checkpoint predates the per-level lists; its keys name the single level directly.
_DIGITS_KEYS = {
    "down.": "downs.0.",
    "downsample.": "downsamples.0.",
    "upsample.": "upsamples.0.",
    "up.": "ups.0.",
}


def _rename_digits_keys(module, state_dict, prefix, *args) -> None:
    for key in list(state_dict):
        for old, new in _DIGITS_KEYS.items():
            if key.startswith(prefix + old):
                state_dict[prefix + new + key[len(prefix + old) :]] = state_dict.pop(key)


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


def image_set_of(cfg: Config) -> data.ImageSet:
    return data.image_set(cfg.dataset)


def lr_factor(cfg, step: int) -> float:
    """Linear warm-up over ``cfg.warmup`` steps, then cosine decay to zero at ``cfg.steps``."""
    if step < cfg.warmup:
        return (step + 1) / cfg.warmup
    progress = (step - cfg.warmup) / max(1, cfg.steps - cfg.warmup)
    return 0.5 * (1 + math.cos(math.pi * progress))


class FixedDrawLoss:
    """L_simple on fixed clean inputs x_0 with fixed timesteps (evenly spread over 0..T-1) and fixed noise
    drawn from ``generator``, so two sets of weights are compared on exactly the same draws. Used by ``fit``
    on validation images and by latent_diffusion.py on validation codes."""

    def __init__(
        self, x0: torch.Tensor, labels: torch.Tensor, schedule: Schedule, generator: torch.Generator
    ):
        n = len(labels)
        self.labels = labels
        self.i = torch.arange(n) * schedule.T // n
        self.noise = torch.randn(x0.shape, generator=generator)
        self.xt = schedule.q_sample(x0, self.i, self.noise)

    @torch.inference_mode()
    def loss(self, model: nn.Module, batch: int = 250) -> float:
        total = 0.0
        for s in range(0, len(self.labels), batch):
            part = slice(s, s + batch)
            eps = model(self.xt[part], self.i[part], self.labels[part])
            total += F.mse_loss(eps, self.noise[part], reduction="sum").item()
        return total / self.noise.numel()


def _validation(cfg: Config, schedule: Schedule) -> FixedDrawLoss:
    """The fixed validation loss of ``fit``: ``val_images`` validation images chosen by a seeded draw."""
    images = image_set_of(cfg)
    val = images.split("val")
    n = min(cfg.val_images, len(val.labels))
    g = torch.Generator().manual_seed(12345)  # its own generator: training's draws do not depend on it
    keep = torch.randperm(len(val.labels), generator=g)[:n]
    return FixedDrawLoss(data.to_unit(val.images[keep], images.levels), val.labels[keep], schedule, g)


def fit(model: UNet, cfg: Config, *, generator: torch.Generator, log: Callable[[int, dict], None]) -> dict:
    """Train on L_simple (ho2020denoising eq. 14), dropping the label with probability ``p_uncond`` so the
    same network also learns ε(x, t, ∅) (ho2022classifier, algorithm 1).

    Adam with a linear warm-up and cosine decay; exponential moving averages of the weights with decay
    min(d, (1 + s) / (10 + s)) at step s (the average does not drag in the random initialisation). With
    ``val_every`` > 0 the raw weights and every average (``ema`` and ``ema_candidates``) are scored on the
    fixed validation loss every ``val_every`` steps and at the end, and the best-scoring weights (which decay,
    which step) are the ones shipped: the length and the decay are chosen on validation, never on test.
    Without validation (the digits model) the ``ema`` average at the last step is shipped.

    Caveat, seen in ``ddpm-fashion``'s manifest: the warm-up cap (1 + s) / (10 + s) stays below 0.995 until
    step 1790, so over its 1600 steps the three averages are one and the same (effective decay
    1 - 9 / (10 + s), about 0.994 at the end); what validation chose there was between that average and the
    raw weights, at steps 400, 800, 1200 and 1600 (it chose the raw weights at step 1600: 0.04629 against
    0.04641, with the learning rate decayed to zero the two are nearly equal). Longer runs separate them.
    """
    images = image_set_of(cfg)
    train = images.split("train")
    x_all, y_all = train.images, train.labels  # levels; mapped to [-1, 1] per batch
    schedule = Schedule(cfg)
    optimiser = torch.optim.Adam(model.parameters(), lr=cfg.lr)
    lr_schedule = torch.optim.lr_scheduler.LambdaLR(optimiser, lambda step: lr_factor(cfg, step))
    decays = (cfg.ema, *[d for d in cfg.ema_candidates if d != cfg.ema])
    emas = {d: copy.deepcopy(model).eval() for d in decays}
    validation = _validation(cfg, schedule) if cfg.val_every > 0 else None
    best: dict = {"val_loss": math.inf}
    model.train()
    history: dict[str, list[float]] = {"loss": []}
    started = time.perf_counter()

    def validate(step: int) -> None:
        candidates = {"raw": model, **{f"ema {d}": ema for d, ema in emas.items()}}
        model.eval()
        scores = {key: validation.loss(net) for key, net in candidates.items()}
        model.train()
        history.setdefault("val_step", []).append(step)
        for key, value in scores.items():
            history.setdefault(f"val_loss {key}", []).append(value)
        key = min(scores, key=scores.get)
        if scores[key] < best["val_loss"]:
            state = {k: v.detach().clone() for k, v in candidates[key].state_dict().items()}
            best.update(val_loss=scores[key], weights=key, step=step, state=state)
        log(step, {**{f"val {k}": v for k, v in scores.items()}, "s": time.perf_counter() - started})

    for step in range(1, cfg.steps + 1):
        index = torch.randint(0, len(x_all), (cfg.batch,), generator=generator)
        x0, labels = data.to_unit(x_all[index], images.levels), y_all[index].clone()
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
            for decay, ema in emas.items():
                rate = 1 - min(decay, (1 + step) / (10 + step))
                for p_ema, p in zip(ema.parameters(), model.parameters(), strict=True):
                    p_ema.lerp_(p, rate)
        history["loss"].append(loss.item())
        if step % 500 == 0 or step == cfg.steps:
            log(step, {"loss": loss.item(), "s": time.perf_counter() - started})
        if validation is not None and (step % cfg.val_every == 0 or step == cfg.steps):
            validate(step)
    tail = history["loss"][-max(1, len(history["loss"]) // 20) :]
    metrics: dict = {"final_loss_last10pct": sum(tail) / len(tail)}
    if validation is None:
        model.load_state_dict(emas[cfg.ema].state_dict())  # ship the averaged weights
    else:
        model.load_state_dict(best.pop("state"))  # ship the weights with the best validation loss
        metrics["chosen_on_validation"] = {
            "weights": best["weights"],
            "step": best["step"],
            "val_loss_simple": round(best["val_loss"], 5),
            "val_images": len(validation.labels),
        }
    model.eval()
    metrics["history"] = history
    return metrics


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
    clip: float | None = 1.0,
) -> torch.Tensor:
    """DDIM (song2021denoising eq. 12) on ``steps`` evenly spaced timesteps; eta=0 is deterministic,
    eta=1 matches DDPM's noise level. Each predicted x_0 is clamped to [-clip, clip], the range of the
    images; ``clip=None`` leaves it free (latent codes have no such range)."""
    assert 1 <= steps <= schedule.T, f"steps must be in 1..{schedule.T}, got {steps}"
    assert 0 <= eta <= 1, f"eta must be in [0, 1], got {eta}"
    seq = torch.linspace(schedule.T - 1, 0, steps).round().long().tolist()  # descending timesteps
    for k, i in enumerate(seq):
        idx = torch.full((x.shape[0],), i, dtype=torch.long, device=x.device)
        eps = eps_fn(x, idx)
        x0 = schedule.predict_x0(x, idx, eps)
        if clip is not None:
            x0 = x0.clamp(-clip, clip)
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
    ε̃ = (1 + w) ε(x, t, c) - w ε(x, t, ∅). The conditional and unconditional passes go through the network
    as one batch."""

    def eps(x: torch.Tensor, idx: torch.Tensor) -> torch.Tensor:
        null = torch.full_like(idx, NULL_LABEL)
        if labels is None:
            return model(x, idx, null)
        cond_labels = labels.to(x.device)
        if guidance == 0:
            return model(x, idx, cond_labels)
        both = model(torch.cat([x, x]), torch.cat([idx, idx]), torch.cat([cond_labels, null]))
        cond, uncond = both.chunk(2)
        return (1 + guidance) * cond - guidance * uncond

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
    labels: torch.Tensor | None = None,
    digit: int | None = None,
    guidance: float = 2.0,
    frame: Frame | None = None,
) -> torch.Tensor:
    """n images (n, 1, side, side) as long levels (0..16 for digits, 0..255 for Fashion-MNIST).

    ``labels`` (n,) class ids 0..9, or None to sample unconditionally; ``digit`` is the older spelling of
    one class for every sample. With labels, ``guidance`` is the classifier-free guidance weight w.
    """
    images = image_set_of(model.config)
    schedule = Schedule(model.config)
    x = torch.randn(n, 1, images.side, images.side, generator=generator).to(device)  # x_T
    if labels is None and digit is not None:
        labels = torch.full((n,), int(digit), dtype=torch.long)
    if labels is not None:
        labels = torch.as_tensor(labels, dtype=torch.long).reshape(-1)
        assert len(labels) == n, f"expected {n} labels, got {len(labels)}"
        assert int(labels.min()) >= 0 and int(labels.max()) < len(images.classes), "labels out of range"
    eps_fn = guided_eps(model, labels, guidance)
    if sampler == "ddpm":
        x = ddpm_sample(eps_fn, schedule, x, generator=generator, progress=progress, frame=frame)
    elif sampler == "ddim":
        x = ddim_sample(
            eps_fn, schedule, x, steps=steps, eta=eta, generator=generator, progress=progress, frame=frame
        )
    else:
        raise ValueError(f"unknown sampler {sampler!r}; expected ddpm or ddim")
    return data.from_unit(x.cpu(), images.levels)


# --- the variational bound --------------------------------------------------------------------------------


def _normal_cdf(x: torch.Tensor) -> torch.Tensor:
    return 0.5 * (1 + torch.erf(x / math.sqrt(2)))


def discretised_gaussian_nll(
    x0: torch.Tensor, mean: torch.Tensor, std: torch.Tensor, levels: int = data.LEVELS
) -> torch.Tensor:
    """-log p(x_0 | x_1) per pixel (ho2020denoising eq. 13): the Gaussian mass of the pixel's level bin.

    Levels 0..levels-1 sit at x = 2k / (levels - 1) - 1; each bin is [x - h, x + h] with h = 1 / (levels - 1)
    (half the gap between levels: 1/16 for the digits, 1/255 for Fashion-MNIST), the outermost extend to ±∞.
    """
    half = 1 / (levels - 1)
    upper = torch.where(x0 > 1 - 1e-4, torch.ones_like(x0), _normal_cdf((x0 + half - mean) / std))
    lower = torch.where(x0 < -1 + 1e-4, torch.zeros_like(x0), _normal_cdf((x0 - half - mean) / std))
    return -torch.log((upper - lower).clamp(min=1e-12))


def default_t_stride(cfg: Config) -> int:
    """Every term for T <= 100 (the digits), else one timestep drawn from each run of T // 100."""
    return 1 if cfg.timesteps <= 100 else cfg.timesteps // 100


@torch.inference_mode()
def nll_bits_per_dim(
    model: UNet, x: torch.Tensor, *, batch: int = 500, t_stride: int | None = None, seed: int = 0
) -> torch.Tensor:
    """The variational bound (ho2020denoising eq. 5) on -log2 P(x) in bits per dimension, unconditional: (B,).

    L_T + Σ_{t=2..T} KL(q(x_{t-1}|x_t,x_0) || p(x_{t-1}|x_t)) + L_0, with one draw of x_t per term from a
    generator seeded with ``seed``, so the estimate is reproducible. L_T and L_0 (the discretised decoder,
    eq. 13, over the data set's levels: 17 for the digits, 256 for Fashion-MNIST) are always computed.

    ``t_stride`` 1 computes every KL term (T network passes per image: the digits' T = 100). With T = 1000
    that is too slow for 10,000 test images on a CPU, so by default (``default_t_stride``) the T - 1 KL terms
    are cut into runs of ``t_stride`` timesteps and one timestep is drawn uniformly from each run, per image,
    its term weighted by the run's length: stratified sampling of the sum, so the estimate is unbiased for
    the same bound, with T / t_stride + 1 passes per image. Its noise shrinks with the number of images;
    score a subset of the test set where even that is too slow, and say so next to the number.
    """
    cfg = model.config
    levels = image_set_of(cfg).levels
    stride = default_t_stride(cfg) if t_stride is None else int(t_stride)
    assert stride >= 1, f"t_stride must be >= 1, got {stride}"
    generator = torch.Generator().manual_seed(seed)
    schedule = Schedule(cfg)
    device = next(model.parameters()).device
    dims = x[0].numel()
    out = []
    for start in range(0, len(x), batch):
        x0 = data.to_unit(x[start : start + batch], levels).double()
        b = len(x0)
        null = torch.full((b,), NULL_LABEL, dtype=torch.long, device=device)
        # L_T: KL(q(x_T | x_0) || N(0, I)).
        ab_T = schedule.alpha_bars[-1]
        mean_T, var_T = ab_T.sqrt() * x0, 1 - ab_T
        nats = (0.5 * (var_T + mean_T**2 - 1 - torch.log(var_T))).flatten(1).sum(1)
        if stride == 1:  # every term, in order (t = i + 1)
            plan = [(torch.full((b,), i, dtype=torch.long), 1.0) for i in range(schedule.T)]
        else:  # L_0, then one index drawn from each run [lo, hi) of the KL terms, weighted by its length
            plan = [(torch.zeros(b, dtype=torch.long), 1.0)]
            for lo in range(1, schedule.T, stride):
                hi = min(lo + stride, schedule.T)
                plan.append((lo + torch.randint(0, hi - lo, (b,), generator=generator), float(hi - lo)))
        for idx, weight in plan:
            noise = torch.randn(x0.shape, generator=generator, dtype=torch.float64)
            xt = schedule.q_sample(x0, idx, noise)
            eps = model(xt.float().to(device), idx.to(device), null).double().cpu()
            mean = schedule.reverse_mean(xt, idx, eps)
            var = schedule.reverse_var[idx][:, None, None, None]
            if int(idx[0]) == 0:  # L_0: the discretised decoder (the plan keeps index 0 in a step of its own)
                nats += discretised_gaussian_nll(x0, mean, var.sqrt(), levels).flatten(1).sum(1)
            else:  # L_{t-1}: both Gaussians share the variance, so the KL is a scaled squared distance
                target = schedule.posterior_mean(xt, idx, x0)
                nats += weight * ((target - mean) ** 2 / (2 * var)).flatten(1).sum(1)
        out.append(nats / dims / math.log(2))
    return torch.cat(out).float()


# --- the shipped models and their demos -------------------------------------------------------------------

FASHION = {
    "dataset": "fashion",
    "timesteps": 1000,  # ho2020denoising's T and linear β_1..β_T
    "beta_start": 1e-4,
    "beta_end": 0.02,
    "width": 24,
    "mults": (1, 2, 3),  # 28x28 x 24, 14x14 x 48, 7x7 x 72 channels
    "attention": True,
    "p_uncond": 0.15,
    "steps": 1600,  # about 0.5 CPU-s each: ~15 CPU-minutes on one thread
    "batch": 64,
    "lr": 1e-3,
    "warmup": 150,
    "ema": 0.999,
    "ema_candidates": (0.995, 0.9995),
    "val_every": 400,
    "val_images": 800,
}

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
    ZooModel(
        name="ddpm-fashion",
        family="diffusion-models",
        module=__name__,
        title="DDPM with classifier-free guidance on Fashion-MNIST (28x28)",
        citation_key=CITATION,
        config=FASHION,
        seed=0,
        likelihood="bound",
    ),
)

DIGITS = ("any", *map(str, range(10)))
FASHION_LABELS = ("any", *data.FASHION_CLASSES)


def _runner(model_name: str, label_param: str, classes: tuple[str, ...]):
    """The run function of a demo: samples (DDIM or DDPM), the chosen class, and frames of the trajectory."""

    def run(params: dict, *, device: str, progress, preview=None) -> tuple[list[Artefact], dict]:
        model = load(model_name, device=device)
        levels = image_set_of(model.config).levels
        sampler = params.get("sampler", "ddim")
        total = model.config.timesteps if sampler == "ddpm" else params["steps"]
        keep = (
            set(torch.linspace(1, total, params["frames"]).round().long().tolist())
            if params["frames"]
            else set()
        )

        def frame(k: int, x: torch.Tensor) -> None:
            if k in keep:  # x_t as it stands after step k, shown on the data's grey scale
                png = grid_png(data.from_unit(x.cpu(), levels))
                artefact = Artefact(f"frame-{k:04d}.png", "image/png", png, "frame")
                frames.append(artefact)
                if preview is not None:  # shown while the job runs; all frames are still returned at the end
                    preview(artefact)

        frames: list[Artefact] = []
        choice = params[label_param]
        labels = None if choice == "any" else torch.full((params["n"],), classes.index(choice))
        images = sample(
            model,
            params["n"],
            generator=generator_for(params["seed"]),
            device=device,
            progress=progress,
            sampler=sampler,
            steps=params["steps"],
            eta=params["eta"],
            labels=labels,
            guidance=params["guidance"],
            frame=frame,
        )
        result = Artefact("samples.png", "image/png", grid_png(images))
        return [result, *frames], {"shape": list(images.shape), "network_evaluations": total}

    return run


_run = _runner("ddpm", "digit", tuple(map(str, range(10))))

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
    Demo(
        slug="ddpm-fashion",
        family="diffusion-models",
        title="Diffusion: Fashion-MNIST clothing out of noise",
        description="A DDPM-trained U-Net (28x28 -> 14x14 -> 7x7 with attention) denoises Gaussian noise "
        "into 28x28 clothing with DDIM in as many steps as you ask (the network was trained with T = 1000). "
        "Pick a garment and classifier-free guidance steers towards it; the frames show the trajectory.",
        model="ddpm-fashion",
        params=(
            seed_param(),
            n_param(),
            Param("steps", "int", 50, 1, 200, help="DDIM steps: more is slower and a little sharper."),
            Param("eta", "float", 0.0, 0.0, 1.0, help="DDIM noise: 0 deterministic, 1 like DDPM."),
            Param(
                "label",
                "choice",
                "any",
                choices=FASHION_LABELS,
                help="Which garment to draw; any = unconditional.",
            ),
            Param(
                "guidance", "float", 2.0, 0.0, 8.0, help="Classifier-free guidance weight w (with a label)."
            ),
            Param("frames", "int", 8, 0, 20, help="How many frames of the trajectory to return."),
        ),
        citation_key=CITATION,
        run=_runner("ddpm-fashion", "label", data.FASHION_CLASSES),
    ),
)
