"""An energy-based model of 8x8 digits, and a 2-D one for the energy-landscape picture.

Follows du2019implicit: a convolutional energy E(x) defines p(x) ∝ exp(-E(x)); it is trained by contrastive
divergence, lowering the energy of data and raising the energy of samples drawn by short-run stochastic
gradient Langevin dynamics (SGLD), whose chains start from a replay buffer of earlier samples (or, 5% of the
time, from noise). Short-run, noise-initialised chains as a sampler are nijkamp2019learning.

Langevin dynamics needs the gradient of E with respect to the image, so ``langevin`` turns autograd on and
refuses to run under ``torch.inference_mode`` (it switches inference mode off for its own block).
Images live in [-1, 1]: digit level v maps to v / 16 * 2 - 1.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

import torch
from torch import nn

from generation.zoo import data
from generation.zoo.demos import Artefact, Demo, generator_for
from generation.zoo.images import grid_png
from generation.zoo.params import Param, n_param, seed_param
from generation.zoo.registry import ZooModel, load

LEVELS = data.LEVELS  # grey levels of the digits (0..16)
CITATION = "du2019implicit"


@dataclass
class ToyConfig:
    """The 2-D energy model of the landscape picture; stored in the checkpoint inside ``Config``."""

    hidden: int = 128  # width of the energy MLP
    langevin_steps: int = 30  # SGLD steps per batch
    step_size: float = 0.01  # SGLD step on the plane (data span about [-4, 4])
    noise: float = 0.1  # SGLD noise
    buffer_size: int = 4096  # replay buffer
    reinit: float = 0.05  # share of chains from fresh noise
    reg: float = 0.1  # energy-magnitude regulariser
    box: float = 4.5  # chains and noise live in [-box, box]^2


@dataclass
class Config:
    channels: int = 16  # width of the first conv layer (doubles after each stride-2 layer)
    langevin_steps: int = 20  # SGLD steps per training batch (short run)
    step_size: float = 10.0  # SGLD gradient step (decoupled from the noise, as in du2019implicit)
    noise: float = 0.005  # SGLD noise standard deviation
    grad_clip: float = 0.03  # per-pixel clamp of the energy gradient inside SGLD, for stable chains
    buffer_size: int = 8192  # replay buffer of past chain ends
    reinit: float = 0.05  # share of chains restarted from uniform noise
    reg: float = 0.1  # weight of the energy-magnitude regulariser alpha * (E+^2 + E-^2)
    data_noise: float = 0.005  # small Gaussian noise on data images, so the data are not a measure-zero set
    sample_steps: int = 100  # default SGLD steps when sampling from noise (demo and evaluation)
    steps: int = 600  # optimiser steps (each runs one batch of SGLD chains)
    batch: int = 32  # data images and chains per step
    lr: float = 1e-4  # Adam learning rate, betas (0, 0.999) as in du2019implicit
    toy: str = "eight_gaussians"  # 2-D toy density for the energy-landscape picture ("" for none)
    toy_steps: int = 1000  # optimiser steps of the 2-D energy model
    toy_lr: float = 3e-3  # Adam learning rate of the 2-D energy model
    toy_model: ToyConfig = field(default_factory=ToyConfig)  # the 2-D energy network and its sampler

    def __post_init__(self):
        if isinstance(self.toy_model, dict):  # as stored in a checkpoint (dataclasses.asdict)
            self.toy_model = ToyConfig(**self.toy_model)


class EnergyNet(nn.Module):
    """E(x): (B, 1, 8, 8) -> (B,). Swish activations keep the energy smooth for Langevin."""

    def __init__(self, config: Config):
        super().__init__()
        c = config.channels
        self.net = nn.Sequential(
            nn.Conv2d(1, c, 3, padding=1),
            nn.SiLU(),
            nn.Conv2d(c, 2 * c, 3, stride=2, padding=1),  # (B, 2c, 4, 4)
            nn.SiLU(),
            nn.Conv2d(2 * c, 4 * c, 3, stride=2, padding=1),  # (B, 4c, 2, 2)
            nn.SiLU(),
            nn.Flatten(),
            nn.Linear(16 * c, 4 * c),
            nn.SiLU(),
            nn.Linear(4 * c, 1),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)[:, 0]


def levels_to_unit(x: torch.Tensor) -> torch.Tensor:
    return x.float() / (LEVELS - 1) * 2 - 1


def unit_to_levels(x: torch.Tensor) -> torch.Tensor:
    return ((x.clamp(-1, 1) + 1) / 2 * (LEVELS - 1)).round().long()


def langevin(
    energy: nn.Module,
    x: torch.Tensor,
    *,
    steps: int,
    step_size: float,
    noise: float,
    grad_clip: float | None = None,
    generator: torch.Generator | None = None,
    frames_every: int = 0,
    progress: Callable[[int, int], None] | None = None,
    on_frame: Callable[[torch.Tensor], None] | None = None,
    low: float = -1.0,
    high: float = 1.0,
) -> tuple[torch.Tensor, list[torch.Tensor]]:
    """Run SGLD x <- x - step_size * clamp(dE/dx) + noise * N(0, I) for ``steps`` steps, keeping x in
    [low, high]; ``energy`` maps (B, ...) to (B,). ``grad_clip`` None: no clamp of the gradient.

    Returns the chain ends (detached) and, every ``frames_every`` steps, a copy of the chain (for the demo),
    also handed to ``on_frame`` as soon as it is taken.
    """
    frames: list[torch.Tensor] = []
    with torch.inference_mode(False), torch.enable_grad():
        x = x.detach().clone().requires_grad_(True)
        for step in range(steps):
            # autograd.grad w.r.t. x only: nothing accumulates in the parameters' .grad
            grad = torch.autograd.grad(energy(x).sum(), x)[0]  # (B, ...) dE/dx
            eps = torch.randn(x.shape, generator=generator).to(x.device)  # CPU draws: same on any device
            if grad_clip is not None:
                grad = grad.clamp(-grad_clip, grad_clip)
            with torch.no_grad():
                x -= step_size * grad
                x += noise * eps
                x.clamp_(low, high)
            if frames_every and ((step + 1) % frames_every == 0 or step + 1 == steps):
                frames.append(x.detach().clone())
                if on_frame is not None:
                    on_frame(frames[-1])
            if progress is not None:
                progress(step + 1, steps)
    return x.detach(), frames


class EBM(nn.Module):
    """Energy net + replay buffer; ``forward`` computes the contrastive-divergence loss of a data batch."""

    def __init__(self, config: Config):
        super().__init__()
        self.config = config
        self.energy = EnergyNet(config)
        # The replay buffer is training state, not part of the shipped checkpoint.
        self.register_buffer("buffer", torch.rand(config.buffer_size, 1, 8, 8) * 2 - 1, persistent=False)
        self.toy = ToyEBM(config.toy_model) if config.toy else None

    def forward(self, x_levels: torch.Tensor, targets: torch.Tensor | None = None):
        """x_levels: (B, 1, 8, 8) levels -> (E(data), E(samples)) and the contrastive-divergence loss."""
        cfg = self.config
        B = x_levels.shape[0]
        pos = levels_to_unit(x_levels) + cfg.data_noise * torch.randn(x_levels.shape)
        # Chains start from the replay buffer, a few from fresh noise.
        idx = torch.randint(0, cfg.buffer_size, (B,))
        start = self.buffer[idx]
        fresh = torch.rand(B) < cfg.reinit
        start[fresh] = torch.rand(int(fresh.sum()), 1, 8, 8) * 2 - 1
        neg, _ = langevin(
            self.energy,
            start,
            steps=cfg.langevin_steps,
            step_size=cfg.step_size,
            noise=cfg.noise,
            grad_clip=cfg.grad_clip,
        )
        self.buffer[idx] = neg
        e_pos, e_neg = self.energy(pos), self.energy(neg)  # (B,), (B,)
        # Lower the energy of data, raise it on model samples; the square term keeps energies near 0.
        loss = e_pos.mean() - e_neg.mean() + cfg.reg * (e_pos**2 + e_neg**2).mean()
        return (e_pos, e_neg), loss

    def sample(
        self,
        n: int,
        *,
        generator: torch.Generator,
        steps: int | None = None,
        frames_every: int = 0,
        progress: Callable[[int, int], None] | None = None,
        on_frame: Callable[[torch.Tensor], None] | None = None,
    ) -> tuple[torch.Tensor, list[torch.Tensor]]:
        """Langevin chains from uniform noise: final levels (n, 1, 8, 8) and intermediate frames as levels
        (each also handed to ``on_frame``, as levels on the CPU, as soon as it is taken)."""
        cfg = self.config
        start = (torch.rand(n, 1, 8, 8, generator=generator) * 2 - 1).to(next(self.parameters()).device)
        x, frames = langevin(
            self.energy,
            start,
            steps=steps or cfg.sample_steps,
            step_size=cfg.step_size,
            noise=cfg.noise,
            grad_clip=cfg.grad_clip,
            generator=generator,
            frames_every=frames_every,
            progress=progress,
            on_frame=None if on_frame is None else (lambda f: on_frame(unit_to_levels(f).cpu())),
        )
        return unit_to_levels(x).cpu(), [unit_to_levels(f).cpu() for f in frames]


# ----------------------------------------------------------------------------- 2-D toy


class ToyEBM(nn.Module):
    def __init__(self, config: ToyConfig):
        super().__init__()
        self.config = config
        h = config.hidden
        self.energy = nn.Sequential(
            nn.Linear(2, h),
            nn.SiLU(),
            nn.Linear(h, h),
            nn.SiLU(),
            nn.Linear(h, h),
            nn.SiLU(),
            nn.Linear(h, 1),
        )
        self.register_buffer(
            "buffer", (torch.rand(config.buffer_size, 2) * 2 - 1) * config.box, persistent=False
        )

    def energy_of(self, x: torch.Tensor) -> torch.Tensor:
        return self.energy(x)[:, 0]

    def forward(self, x: torch.Tensor, targets: torch.Tensor | None = None):
        cfg = self.config
        B = x.shape[0]
        idx = torch.randint(0, cfg.buffer_size, (B,))
        start = self.buffer[idx]
        fresh = torch.rand(B) < cfg.reinit
        start[fresh] = (torch.rand(int(fresh.sum()), 2) * 2 - 1) * cfg.box
        neg = self._chain(start, cfg.langevin_steps)
        self.buffer[idx] = neg
        e_pos, e_neg = self.energy_of(x), self.energy_of(neg)
        loss = e_pos.mean() - e_neg.mean() + cfg.reg * (e_pos**2 + e_neg**2).mean()
        return (e_pos, e_neg), loss

    def _chain(self, x: torch.Tensor, steps: int, generator=None, progress=None) -> torch.Tensor:
        """SGLD on the plane (no gradient clamp: the toy energy is smooth and small)."""
        cfg = self.config
        x, _ = langevin(
            self.energy_of,
            x,
            steps=steps,
            step_size=cfg.step_size,
            noise=cfg.noise,
            generator=generator,
            progress=progress,
            low=-cfg.box,
            high=cfg.box,
        )
        return x

    def sample(self, n: int, *, generator: torch.Generator, steps: int = 200, progress=None) -> torch.Tensor:
        start = (torch.rand(n, 2, generator=generator) * 2 - 1) * self.config.box
        return self._chain(start, steps, generator, progress)


# ----------------------------------------------------------------------------- registry functions


def build(config: Config) -> EBM:
    return EBM(config)


def fit(model: EBM, config: Config, *, generator: torch.Generator, log: Callable[[int, dict], None]) -> dict:
    """Contrastive divergence with Adam; then the 2-D toy energy. No likelihood, so no early stopping:
    the last weights are kept (the buffer's chains follow them)."""
    cpu_started = time.process_time()  # CPU seconds: honest cost on a shared machine
    train = data.digits("train").images
    params = [p for name, p in model.named_parameters() if not name.startswith("toy.")]
    opt = torch.optim.Adam(params, lr=config.lr, betas=(0.0, 0.999))
    losses, gaps = [], []
    for step in range(1, config.steps + 1):
        model.train()
        x = train[torch.randint(0, len(train), (config.batch,), generator=generator)]
        (e_pos, e_neg), loss = model(x)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        nn.utils.clip_grad_norm_(params, 1.0)
        opt.step()
        losses.append(loss.item())
        gaps.append((e_neg.mean() - e_pos.mean()).item())
        if step % 100 == 0 or step == config.steps:
            log(step, {"loss": losses[-1], "energy_gap": gaps[-1]})
    model.eval()
    metrics = {"final_loss": sum(losses[-50:]) / len(losses[-50:]), "final_energy_gap": sum(gaps[-50:]) / 50}
    history = {"loss": losses, "energy_gap": gaps}
    if model.toy is not None:
        toy_opt = torch.optim.Adam(model.toy.parameters(), lr=config.toy_lr, betas=(0.0, 0.999))
        toy_losses = []
        for step in range(1, config.toy_steps + 1):
            _, loss = model.toy(data.toy(config.toy, 128, generator=generator))
            toy_opt.zero_grad(set_to_none=True)
            loss.backward()
            toy_opt.step()
            toy_losses.append(loss.item())
            if step % 500 == 0:
                log(step, {"toy_loss": loss.item()})
        history["toy_loss"] = toy_losses
    metrics["cpu_time_s"] = round(time.process_time() - cpu_started, 1)
    return {**metrics, "history": history}


def sample(
    model: EBM,
    n: int,
    *,
    generator: torch.Generator,
    device: str = "cpu",
    progress: Callable[[int, int], None] | None = None,
    steps: int | None = None,
) -> torch.Tensor:
    """n digits (n, 1, 8, 8), long levels 0..16: Langevin chains from uniform noise (autograd on)."""
    images, _ = model.sample(n, generator=generator, steps=steps, progress=progress)
    return images


# --- the shipped model and its demos -------------------------------------------------------------------

MODELS = (
    ZooModel(
        name="ebm",
        family="energy-based-models",
        module=__name__,
        title="Convolutional EBM trained by contrastive divergence with SGLD and a replay buffer",
        citation_key=CITATION,
        seed=0,
    ),
)


def _run_langevin(params: dict, *, device: str, progress, preview=None) -> tuple[list[Artefact], dict]:
    model = load("ebm", device=device)
    steps = params["steps"]
    every = max(1, steps // params["frames"])
    # The chain's start (the sampler's first draw from the same seed), then each frame as the chain makes it.
    start = unit_to_levels(torch.rand(params["n"], 1, 8, 8, generator=generator_for(params["seed"])) * 2 - 1)
    frame_artefacts = [Artefact("frame-000.png", "image/png", grid_png(start), role="frame")]
    if preview is not None:
        preview(frame_artefacts[0])
    if progress is not None:
        progress(0, steps)  # the start frame is step 0 of the chain (a live preview shows it as such)

    def on_frame(levels: torch.Tensor) -> None:
        name = f"frame-{len(frame_artefacts):03d}.png"
        frame_artefacts.append(Artefact(name, "image/png", grid_png(levels), role="frame"))
        if preview is not None:
            preview(frame_artefacts[-1])

    images, frames = model.sample(
        params["n"],
        generator=generator_for(params["seed"]),
        steps=steps,
        frames_every=every,
        progress=progress,
        on_frame=on_frame,
    )
    artefacts = [Artefact("samples.png", "image/png", grid_png(images)), *frame_artefacts]
    return artefacts, {
        "shape": list(images.shape),
        "frame_steps": [0, *[min(steps, every * i) for i in range(1, len(frames) + 1)]],
    }


def _run_landscape(params: dict, *, device: str, progress) -> tuple[list[Artefact], dict]:
    from generation.zoo import density_maps

    model = load("ebm", device="cpu")  # a small MLP over a 128x128 grid: the CPU is the right device
    assert model.toy is not None, "the ebm checkpoint carries no toy energy"
    generator = generator_for(params["seed"])
    points = data.toy(model.config.toy, 20000, generator=generator)
    energy = density_maps.evaluate_on_grid(model.toy.energy_of)
    samples = model.toy.sample(params["n"], generator=generator, steps=params["steps"], progress=progress)
    png = density_maps.model_beside_data(points, -energy, samples)  # bright = low energy = likely
    return [Artefact("energy.png", "image/png", png)], {
        "toy": model.config.toy,
        "panels": ["data histogram (20,000 draws)", "negative energy -E(x) with Langevin samples from noise"],
    }


DEMOS = (
    Demo(
        slug="ebm-langevin",
        family="energy-based-models",
        title="EBM: a Langevin chain from noise to digits",
        description="Start from uniform noise and follow the gradient of the learned energy downhill with a "
        "little noise at every step (stochastic gradient Langevin dynamics). The frames show the chain "
        "on its way.",
        model="ebm",
        params=(
            seed_param(),
            n_param(),
            Param("steps", "int", 100, 1, 500, help="Langevin steps of the chain."),
            Param("frames", "int", 10, 1, 50, help="Intermediate frames returned along the chain."),
        ),
        citation_key=CITATION,
        run=_run_langevin,
    ),
    Demo(
        slug="ebm-energy-landscape",
        family="energy-based-models",
        title="EBM on a 2-D toy: the energy landscape",
        description="An energy network of the plane fitted to eight Gaussians by the same contrastive "
        "divergence. Left: the data. Right: -E(x) (bright = low energy = likely) with n Langevin "
        "samples started from noise.",
        model="ebm",
        params=(
            seed_param(),
            n_param(),
            Param("steps", "int", 200, 1, 1000, help="Langevin steps per sample."),
        ),
        citation_key=CITATION,
        run=_run_landscape,
    ),
)
