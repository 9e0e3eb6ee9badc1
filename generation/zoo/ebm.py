"""Energy-based models: 8x8 digits (``ebm``), 28x28 Fashion-MNIST (``ebm-fashion``), and a 2-D energy on eight
Gaussians for the energy-landscape picture.

An energy net E(x) defines p(x) ∝ exp(-E(x)). It is trained by contrastive divergence (hinton2002training;
du2019implicit eq. 2): each step lowers the energy of a data batch and raises the energy of a batch of model
samples, loss = mean E(data) - mean E(samples) + reg * mean(E(data)^2 + E(samples)^2) (the square term of
du2019implicit keeps energies near zero).

The model trains the way it samples: every negative chain starts from the same fixed initial noise the
sampler draws (``initial``), so a chain at sampling time is a chain of the kind training shaped. (The first
version kept du2019implicit's replay buffer, whose chains were hundreds of steps old and sampled from noise
only at evaluation: its energy gap between data and noise stayed near zero and longer chains got worse.) Two
ways, both in ``EBM.forward``:

* non-persistent short-run chains (nijkamp2019learning; ``buffer_chains=0``): each batch runs fresh chains
  of a length K drawn uniformly from [chain_min, chain_max], so every length in that range is trained to land
  on data;
* persistent chains (du2019implicit's buffer, ``buffer_chains > 0``): each batch continues stored chains by
  K steps, and a chain that would pass ``max_age`` steps restarts from ``initial``; a stored chain of age a is
  then exactly a sampler's chain of a steps, ages spread over [K, max_age].

``fit`` measures the result on the validation split (``chain_curve``: chain length -> mean energy of the
samples, nearest-neighbour distance to validation images, Fréchet distance; ``energy_ranks``: validation
images against noise every 100 steps) and returns it with the training metrics; with ``select_every`` it
keeps the weights whose long chains scored best on validation. Chains longer than the trained range are an
extrapolation: the nearly noiseless sampler then drifts into the deepest modes (thin strokes, "1"s, for the
digits), which the curve shows. The sampler and the demos default to ``sample_steps``, chosen on that curve.

Shipped: ``ebm`` runs non-persistent chains of 20 to 200 steps and keeps the weights (of every 100th step)
whose 200-step chains had the lowest validation Fréchet distance; ``ebm-fashion`` runs persistent chains of 20
steps per batch up to an age of 200, each keeping the label it started with, and keeps the weights (of every
250th step) whose 100-step chains scored best; both manifests hold the curves.

Langevin dynamics (``langevin``): x <- clamp(x - step_size * dE/dx + noise * N(0, I), -1, 1), the step and
the noise decoupled as in du2019implicit (the learned energy sets the temperature). It needs the gradient of E
with respect to the image, so it turns autograd on and refuses to run under ``torch.inference_mode`` (it
switches inference mode off for its own block). Images live in [-1, 1] (``data.to_unit``).

The 28x28 variant (``dataset="fashion"``): a four-layer strided conv energy, class-conditional through a
label-dependent head: the net outputs ten energies, E(x, y) is the y-th (the energy-as-logits view of
grathwohl2020your), and without a label the marginal E(x) = -logsumexp_y(-E(x, y)) scores an image. Chains
start from a fixed Gaussian fitted per pixel to the training images (its mean and standard deviation are
buffers of the checkpoint), not from uniform noise, which at 784 dimensions needs many more steps to reach
a silhouette; training draws the label of each chain from the data batch, sampling from ``labels`` (or a
uniform draw of classes when none is given).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import torch
from torch import nn

from generation.zoo import data
from generation.zoo.demos import Artefact, Demo, generator_for, labels_for
from generation.zoo.images import grid_png
from generation.zoo.params import Param, n_param, seed_param
from generation.zoo.registry import ZooModel, load

LEVELS = data.LEVELS  # grey levels of the digits (0..16)
CITATION = "du2019implicit"
CHAIN_CURVE = (20, 50, 100, 200)  # chain lengths of the validation curve


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
    dataset: str = "digits"  # "digits" (8x8, 17 levels) or "fashion" (28x28, 256 levels)
    channels: int = 16  # width of the first conv layer (doubles after each stride-2 layer)
    conditional: bool = False  # one energy per class, E(x, y) (the fashion model)
    init: str = "uniform"  # chain start: "uniform" noise in [-1, 1], or "gaussian" fitted per pixel to train
    chain_min: int = 20  # shortest training chain (Langevin steps)
    chain_max: int = 200  # longest training chain; each batch draws K uniformly in [chain_min, chain_max]
    buffer_chains: int = 0  # persistent chains (du2019implicit's buffer); 0: every chain starts afresh
    max_age: int = 200  # a persistent chain that would pass this many steps restarts from ``initial``
    step_size: float = 1.0  # Langevin gradient step
    noise: float = 0.01  # Langevin noise standard deviation
    grad_clip: float | None = None  # per-pixel clamp of dE/dx inside Langevin (None: none)
    reg: float = 0.1  # weight of the energy-magnitude regulariser reg * (E+^2 + E-^2)
    data_noise: float = 0.01  # Gaussian noise on data images, so the data are not a measure-zero set
    sample_steps: int = 200  # default Langevin steps when sampling (demo and evaluation), chosen on val
    steps: int = 800  # optimiser steps (each runs one batch of Langevin chains)
    batch: int = 32  # data images and chains per step
    lr: float = 1e-4  # Adam learning rate, betas (0, 0.999) as in du2019implicit
    curve_samples: int = 350  # samples per chain length in the validation curve at the end of fit
    curve_lengths: tuple[int, ...] = CHAIN_CURVE  # chain lengths of that curve
    select_every: int = 100  # every this many steps score the model on val, keep the best (0: the last)
    select_steps: int = 200  # chain length of that score (the Fréchet distance of ``sample_quality``)
    select_samples: int = 350  # chains of that score
    cpu_budget_s: float = 0.0  # end the CD loop once it has used this many CPU seconds (0: run every step)
    wall_budget_s: float = 0.0  # ... or once this many wall seconds have passed (a shared machine; 0: none)
    toy: str = "eight_gaussians"  # 2-D toy density for the energy-landscape picture ("" for none)
    toy_steps: int = 1000  # optimiser steps of the 2-D energy model
    toy_lr: float = 3e-3  # Adam learning rate of the 2-D energy model
    toy_model: ToyConfig = field(default_factory=ToyConfig)  # the 2-D energy network and its sampler

    def __post_init__(self):
        if isinstance(self.toy_model, dict):  # as stored in a checkpoint (dataclasses.asdict)
            self.toy_model = ToyConfig(**self.toy_model)

    @property
    def images(self) -> data.ImageSet:
        return data.image_set(self.dataset)


class EnergyNet(nn.Module):
    """E(x) or E(x, y): (B, 1, side, side) [, (B,) labels] -> (B,). Swish activations keep the energy smooth
    for Langevin. 8x8: a conv, then two stride-2 convs (8 -> 4 -> 2); 28x28: three stride-2 convs (28 -> 14 ->
    7 -> 4), the first strided too, so a Langevin step costs about 10 ms for 32 images on one CPU thread."""

    def __init__(self, config: Config):
        super().__init__()
        c, side = config.channels, config.images.side
        self.outputs = len(config.images.classes) if config.conditional else 1
        if side == 8:
            layers = [
                nn.Conv2d(1, c, 3, padding=1),
                nn.SiLU(),
                nn.Conv2d(c, 2 * c, 3, stride=2, padding=1),  # (B, 2c, 4, 4)
                nn.SiLU(),
                nn.Conv2d(2 * c, 4 * c, 3, stride=2, padding=1),  # (B, 4c, 2, 2)
                nn.SiLU(),
                nn.Flatten(),
                nn.Linear(16 * c, 4 * c),
            ]
        else:
            layers = [
                nn.Conv2d(1, c, 4, stride=2, padding=1),  # (B, c, 14, 14)
                nn.SiLU(),
                nn.Conv2d(c, 2 * c, 4, stride=2, padding=1),  # (B, 2c, 7, 7)
                nn.SiLU(),
                nn.Conv2d(2 * c, 4 * c, 3, stride=2, padding=1),  # (B, 4c, 4, 4)
                nn.SiLU(),
                nn.Flatten(),
                nn.Linear(64 * c, 4 * c),
            ]
        self.net = nn.Sequential(*layers, nn.SiLU(), nn.Linear(4 * c, self.outputs))

    def forward(self, x: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        out = self.net(x)  # (B, outputs)
        if self.outputs == 1:
            return out[:, 0]
        if labels is None:  # marginal energy: p(x) = sum_y p(x, y) ∝ sum_y exp(-E(x, y))
            return -torch.logsumexp(-out, 1)
        return out.gather(1, labels[:, None])[:, 0]


def levels_to_unit(x: torch.Tensor, levels: int = LEVELS) -> torch.Tensor:
    return data.to_unit(x, levels)


def unit_to_levels(x: torch.Tensor, levels: int = LEVELS) -> torch.Tensor:
    return data.from_unit(x, levels)


def langevin(
    energy: Callable[[torch.Tensor], torch.Tensor],
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
    """Energy net + the chains' fixed initial noise; ``forward`` computes the contrastive-divergence loss."""

    def __init__(self, config: Config):
        super().__init__()
        self.config = config
        self.energy = EnergyNet(config)
        side = config.images.side
        # The "gaussian" start: per-pixel mean and standard deviation of the training images (set by fit,
        # shipped in the checkpoint so the sampler reproduces the chains' start exactly).
        self.register_buffer("init_mean", torch.zeros(1, 1, side, side))
        self.register_buffer("init_std", torch.ones(1, 1, side, side))
        # Persistent chains, their ages in Langevin steps and their labels: training state, not shipped.
        n = config.buffer_chains
        self.register_buffer("buffer", torch.zeros(n, 1, side, side), persistent=False)
        self.register_buffer("ages", torch.full((n,), config.max_age, dtype=torch.long), persistent=False)
        self.register_buffer("buffer_labels", torch.zeros(n, dtype=torch.long), persistent=False)
        self.toy = ToyEBM(config.toy_model) if config.toy else None

    @property
    def levels(self) -> int:
        return self.config.images.levels

    def initial(
        self, n: int, *, generator: torch.Generator | None = None, labels: torch.Tensor | None = None
    ) -> tuple[torch.Tensor, torch.Tensor | None]:
        """The start of n chains (on the CPU) and their labels: a conditional model without labels draws
        them uniformly first, then the noise; training and sampling both start here."""
        cfg, side = self.config, self.config.images.side
        if cfg.conditional and labels is None:
            labels = torch.randint(0, self.energy.outputs, (n,), generator=generator)
        if cfg.init == "uniform":
            x = torch.rand(n, 1, side, side, generator=generator) * 2 - 1
        else:
            x = self.init_mean.cpu() + self.init_std.cpu() * torch.randn(
                n, 1, side, side, generator=generator
            )
        return x.clamp(-1, 1), labels if cfg.conditional else None

    def chain(self, start: torch.Tensor, labels: torch.Tensor | None, steps: int, **kwargs):
        """``langevin`` on this model's energy (given the labels) with its step size, noise and clamp."""
        cfg = self.config
        return langevin(
            lambda x: self.energy(x, labels),
            start,
            steps=steps,
            step_size=cfg.step_size,
            noise=cfg.noise,
            grad_clip=cfg.grad_clip,
            **kwargs,
        )

    def forward(self, x_levels: torch.Tensor, x_labels: torch.Tensor | None = None):
        """A data batch (B, 1, side, side) of levels (and its labels) -> (E(data), E(samples)), the loss.
        Fresh chains take the batch's labels; persistent ones keep the labels they were started with."""
        cfg = self.config
        B = x_levels.shape[0]
        labels = x_labels if cfg.conditional else None
        pos = levels_to_unit(x_levels, self.levels) + cfg.data_noise * torch.randn(x_levels.shape)
        steps = int(torch.randint(cfg.chain_min, cfg.chain_max + 1, ()))  # one chain length per batch
        if not cfg.buffer_chains:
            start, labels = self.initial(B, labels=labels)
            neg, _ = self.chain(start.to(pos.device), labels, steps)
        else:
            # Persistent chains: continue B stored chains; one that would outgrow max_age restarts from the
            # sampler's own initial noise, so a stored chain is a sampler's chain of its age.
            index = torch.randint(0, cfg.buffer_chains, (B,))
            start, ages = self.buffer[index].clone(), self.ages[index]
            labels = self.buffer_labels[index].clone() if cfg.conditional else None
            fresh = ages + steps > cfg.max_age
            if fresh.any():
                new, new_labels = self.initial(int(fresh.sum()))
                start[fresh] = new.to(start.device)
                if labels is not None:
                    labels[fresh] = new_labels.to(labels.device)
                ages = torch.where(fresh, torch.zeros_like(ages), ages)
            neg, _ = self.chain(start, labels, steps)
            self.buffer[index], self.ages[index] = neg, ages + steps
            if labels is not None:
                self.buffer_labels[index] = labels
        data_labels = x_labels if cfg.conditional else None
        e_pos, e_neg = self.energy(pos, data_labels), self.energy(neg, labels)  # (B,), (B,)
        # Lower the energy of data, raise it on model samples; the square term keeps energies near 0.
        loss = e_pos.mean() - e_neg.mean() + cfg.reg * (e_pos**2 + e_neg**2).mean()
        return (e_pos, e_neg), loss

    def sample(
        self,
        n: int,
        *,
        generator: torch.Generator,
        steps: int | None = None,
        labels: torch.Tensor | None = None,
        frames_every: int = 0,
        progress: Callable[[int, int], None] | None = None,
        on_frame: Callable[[torch.Tensor], None] | None = None,
    ) -> tuple[torch.Tensor, list[torch.Tensor]]:
        """Langevin chains from ``initial``: final levels (n, 1, side, side) and intermediate frames as levels
        (each also handed to ``on_frame``, as levels on the CPU, as soon as it is taken)."""
        device = next(self.parameters()).device
        start, labels = self.initial(n, generator=generator, labels=labels)
        levels = self.levels
        x, frames = self.chain(
            start.to(device),
            None if labels is None else labels.to(device),
            steps if steps is not None else self.config.sample_steps,
            generator=generator,
            frames_every=frames_every,
            progress=progress,
            on_frame=None if on_frame is None else (lambda f: on_frame(unit_to_levels(f, levels).cpu())),
        )
        return unit_to_levels(x, levels).cpu(), [unit_to_levels(f, levels).cpu() for f in frames]


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


# ----------------------------------------------------------------------------- measuring chains


@torch.no_grad()
def _energy(model: EBM, levels: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
    device = next(model.parameters()).device
    return model.energy(levels_to_unit(levels, model.levels).to(device), labels).cpu()


def _pca_basis(images: torch.Tensor, k: int = 32) -> tuple[torch.Tensor, torch.Tensor]:
    x = images.float().flatten(1)
    mean = x.mean(0)
    _, _, v = torch.linalg.svd(x - mean, full_matrices=False)
    return mean, v[:k].T


def sample_quality(model: EBM, samples: torch.Tensor, reference: torch.Tensor) -> dict:
    """Two sample-quality proxies against reference images (the validation split): the mean distance from a
    sample to its nearest reference image (L2 in [0, 1] pixel units), and a Fréchet distance: in the
    digits classifier's features for digits (``classifier.embed``, as ``evaluate`` does), in the top 32
    principal components of the reference images for 28x28 (the zoo has no Fashion classifier here)."""
    top = model.levels - 1
    a, b = samples.float().flatten(1) / top, reference.float().flatten(1) / top
    nearest = torch.cat([torch.cdist(part, b).min(1).values for part in a.split(250)])
    from generation.zoo import evaluate

    fd = None
    if model.config.dataset == "digits":
        try:
            from generation.zoo import classifier

            fd = evaluate.frechet_distance(classifier.embed(samples)[0], classifier.embed(reference)[0])
        except Exception:  # the classifier is optional here (e.g. mid-retraining)
            fd = None
    else:
        mean, basis = _pca_basis(b)
        fd = evaluate.frechet_distance((a - mean) @ basis, (b - mean) @ basis)
    return {"nn_distance": round(nearest.mean().item(), 4), "fd": None if fd is None else round(fd, 2)}


def chain_curve(model: EBM, lengths=CHAIN_CURVE, *, n: int = 350, seed: int = 1) -> dict:
    """Chain length -> mean energy of the samples, sample quality against the validation split
    (``sample_quality``) and the CPU seconds of the chains; every length starts from the same noise."""
    val = model.config.images.split("val")
    reference = val.images[: max(n, 350)]
    curve = {}
    for steps in lengths:
        started = time.process_time()
        samples, _ = model.sample(n, generator=generator_for(seed), steps=steps)
        cpu = time.process_time() - started
        curve[str(steps)] = {
            "energy": round(_energy(model, samples).mean().item(), 4),
            **sample_quality(model, samples, reference),
            "cpu_s": round(cpu, 2),
        }
    return curve


def energy_ranks(model: EBM, *, n: int = 350, seed: int = 0) -> dict:
    """Mean (marginal) energy of validation images and of the chains' initial noise and of uniform noise."""
    val = model.config.images.split("val").images[:n]
    g = torch.Generator().manual_seed(seed)
    side = model.config.images.side
    start, _ = model.initial(n, generator=g)
    uniform = torch.rand(n, 1, side, side, generator=g) * 2 - 1
    device = next(model.parameters()).device
    with torch.no_grad():
        return {
            "val": round(_energy(model, val).mean().item(), 4),
            "initial_noise": round(model.energy(start.to(device)).mean().item(), 4),
            "uniform_noise": round(model.energy(uniform.to(device)).mean().item(), 4),
        }


# ----------------------------------------------------------------------------- registry functions


def build(config: Config) -> EBM:
    return EBM(config)


def fit(model: EBM, config: Config, *, generator: torch.Generator, log: Callable[[int, dict], None]) -> dict:
    """Contrastive divergence with Adam on short-run chains of random length; then the 2-D toy energy.

    Returns the CD energy gap E(samples) - E(data) over training, the validation energy of data against
    noise every 100 steps (``energy_ranks``), and the chain-length curve on the validation split
    (``chain_curve``) of the weights kept: the last ones, or with ``select_every`` the ones whose chains of
    ``select_steps`` steps scored the lowest Fréchet distance to validation images (``sample_quality``).
    ``cpu_budget_s`` ends the loop early; ``steps_done`` says where."""
    import copy

    cpu_started, wall_started = time.process_time(), time.perf_counter()  # CPU: honest cost when shared
    train = config.images.split("train")
    reference = config.images.split("val").images[:1000]
    if config.init == "gaussian":
        unit = levels_to_unit(train.images[:20000], model.levels)
        model.init_mean.copy_(unit.mean(0, keepdim=True))
        model.init_std.copy_(unit.std(0, keepdim=True).clamp_min(0.05))
    params = [p for name, p in model.named_parameters() if not name.startswith("toy.")]
    opt = torch.optim.Adam(params, lr=config.lr, betas=(0.0, 0.999))
    losses, gaps, ranks, scores = [], [], [], []
    best = (math.inf, 0, None)  # (score, step, energy state)
    for step in range(1, config.steps + 1):
        model.train()
        index = torch.randint(0, len(train.images), (config.batch,), generator=generator)
        (e_pos, e_neg), loss = model(train.images[index], train.labels[index])
        opt.zero_grad(set_to_none=True)
        loss.backward()
        nn.utils.clip_grad_norm_(params, 1.0)
        opt.step()
        losses.append(loss.item())
        gaps.append((e_neg.mean() - e_pos.mean()).item())
        over = (config.cpu_budget_s and time.process_time() - cpu_started > config.cpu_budget_s) or (
            config.wall_budget_s and time.perf_counter() - wall_started > config.wall_budget_s
        )
        last = over or step == config.steps
        if step % 100 == 0 or last:
            model.eval()
            ranks.append({"step": step, **energy_ranks(model, n=200)})
            log(step, {"loss": losses[-1], "energy_gap": sum(gaps[-100:]) / len(gaps[-100:]),
                       "noise_minus_val": ranks[-1]["initial_noise"] - ranks[-1]["val"]})  # fmt: skip
        if config.select_every and (step % config.select_every == 0 or last):
            model.eval()
            with torch.random.fork_rng(devices=[]):
                chains, _ = model.sample(
                    config.select_samples, generator=generator_for(2), steps=config.select_steps
                )
            score = sample_quality(model, chains, reference)["fd"]
            scores.append({"step": step, "fd": score})
            log(step, {"select_fd": score})
            if score is not None and score < best[0]:
                best = (score, step, copy.deepcopy(model.energy.state_dict()))
        if over:
            break
    steps_done = step
    if best[2] is not None:
        model.energy.load_state_dict(best[2])
    model.eval()
    tail = min(50, len(gaps))
    metrics = {
        "final_loss": sum(losses[-tail:]) / tail,
        "final_energy_gap": sum(gaps[-tail:]) / tail,
        "energy_ranks_val": ranks,
        "steps_done": steps_done,
        "select_fd_val": scores,
        "kept_step": best[1] if best[2] is not None else steps_done,
        "chain_curve_val": chain_curve(model, tuple(config.curve_lengths), n=config.curve_samples),
        "chain_training_cpu_s": round(time.process_time() - cpu_started, 1),
    }
    log(config.steps, {f"fd@{k}": v["fd"] or 0.0 for k, v in metrics["chain_curve_val"].items()})
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
    labels: torch.Tensor | None = None,
) -> torch.Tensor:
    """n images (n, 1, side, side), long levels: Langevin chains from the fixed initial noise (autograd on).
    ``labels`` (n,) class ids for the class-conditional model (None: a uniform draw of classes)."""
    images, _ = model.sample(n, generator=generator, steps=steps, progress=progress, labels=labels)
    return images


# --- the shipped models and their demos ------------------------------------------------------------------

MODELS = (
    ZooModel(
        name="ebm",
        family="energy-based-models",
        module=__name__,
        title="Convolutional EBM trained by contrastive divergence on short-run Langevin chains from noise",
        citation_key=CITATION,
        seed=0,
    ),
    ZooModel(
        name="ebm-fashion",
        family="energy-based-models",
        module=__name__,
        title="Class-conditional convolutional EBM E(x, y) of Fashion-MNIST, short-run Langevin chains",
        citation_key="nijkamp2019learning",
        config={
            "dataset": "fashion",
            "conditional": True,
            "init": "gaussian",
            "toy": "",
            "channels": 32,
            "chain_min": 20,
            "chain_max": 20,
            "buffer_chains": 320,
            "max_age": 200,
            "batch": 32,
            "lr": 2e-4,
            "steps": 4000,
            "cpu_budget_s": 540.0,
            "wall_budget_s": 4500.0,
            "select_every": 250,
            "select_steps": 100,
            "select_samples": 100,
            "curve_samples": 100,
            "sample_steps": 100,
        },
        seed=0,
    ),
)


def _run_langevin(params: dict, *, device: str, progress, preview=None) -> tuple[list[Artefact], dict]:
    model = load("ebm", device=device)
    steps = params["steps"]
    every = max(1, steps // params["frames"])
    # The chain's start (the sampler's first draw from the same seed), then each frame as the chain makes it.
    start, _ = model.initial(params["n"], generator=generator_for(params["seed"]))
    frame_artefacts = [Artefact("frame-000.png", "image/png", grid_png(unit_to_levels(start)), role="frame")]
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


def _run_fashion(params: dict, *, device: str, progress) -> tuple[list[Artefact], dict]:
    model = load("ebm-fashion", device=device)
    n, label = params["n"], params["label"]
    labels = labels_for(label, n)
    images = sample(
        model, n, generator=generator_for(params["seed"]), steps=params["steps"], labels=labels,
        progress=progress,
    )  # fmt: skip
    return [Artefact("samples.png", "image/png", grid_png(images))], {"shape": list(images.shape)}


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


DIGITS_STEPS = 200  # the demo's default chain length, chosen on the validation curve (chain_curve_val)
FASHION_STEPS = 100

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
            Param(
                "steps",
                "int",
                DIGITS_STEPS,
                1,
                500,
                help="Langevin steps of the chain (trained on 20 to 200; longer chains extrapolate).",
            ),
            Param("frames", "int", 10, 1, 50, help="Intermediate frames returned along the chain."),
        ),
        citation_key=CITATION,
        run=_run_langevin,
    ),
    Demo(
        slug="ebm-fashion",
        family="energy-based-models",
        title="EBM: Fashion-MNIST clothing by Langevin chains on a class-conditional energy",
        description="A class-conditional energy E(x, y) over 28x28 Fashion-MNIST images. Each chain starts "
        "from a blur of per-pixel Gaussian noise and follows the gradient of the energy of the chosen class "
        "downhill, with a little noise at every step.",
        model="ebm-fashion",
        params=(
            seed_param(),
            n_param(),
            Param(
                "label",
                "choice",
                "any",
                choices=("any", *data.FASHION_CLASSES),
                help="The class whose energy the chains descend ('any': a random class per image).",
            ),
            Param("steps", "int", FASHION_STEPS, 1, 500, help="Langevin steps of each chain."),
        ),
        citation_key="nijkamp2019learning",
        run=_run_fashion,
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
