"""Gated PixelCNN: an exact-likelihood autoregressive image model, on 8x8 digits and 28x28 Fashion-MNIST.

Follows oord2016conditional (gated PixelCNN: a vertical and a horizontal stack, which removes the blind spot
of the original masked convolutions in oord2016pixel). The likelihood is exact in bits per dimension of the
discrete levels, with no dequantisation at all.

Raster order: pixel (i, j) may depend on every pixel of rows < i and on pixels (i, < j), nothing else.
  * the vertical stack sees the rows strictly above: its kernels cover the current row and the rows above,
    and the first layer leaves out the current row, so a vertical feature at row i only ever depends on
    input rows < i;
  * the horizontal stack sees the pixels to the left in the current row (the first layer leaves out the
    pixel itself) plus the vertical feature at the same position.
Together they cover the whole causal past, with receptive fields growing with depth (no blind spot). Each
gated layer is y = tanh(W_f * x + V_f h) . sigmoid(W_g * x + V_g h) (oord2016conditional eq. 2 and 4), where
h is a learnt embedding of the class label on a class-conditional model and absent otherwise.

Masked convolutions are stored as full k x k (vertical) and 1 x k (horizontal) kernels with a 0/1 mask, as
the 8x8 checkpoint always has, but computed on the unmasked part only: the vertical kernel's rows above
(and the centre row after the first layer) with the input padded on top, the horizontal kernel's left half
(and centre) with the input padded on the left. Same function, half the multiply-adds.

Two models:
  * ``pixelcnn``: 8x8 digits, unconditional, a 17-way softmax per pixel over the levels 0..16.
  * ``pixelcnn-fashion``: 28x28 Fashion-MNIST, 256 levels, what the 28x28 variant changes:
      - class-conditional (``classes=10``): a label embedding feeds V_f h and V_g h of both stacks in every
        layer (eq. 4). With no class asked for, the model is its joint over the classes: ``sample``
        draws y uniformly, then x given y, and ``nll_bits_per_dim(model, x)`` is the exact
        -log2 Σ_y p(y) P(x | y) (one pass per class; the number that compares with the other families).
        An eleventh "no label" embedding is trained on a random ``label_dropout`` share of the batches'
        images; its p(x | no label) is the cheap one-pass score training selects on (shipped model,
        validation: 2.718 bits/dim, against 2.678 given the true label, which bounds the joint's from
        above to within log2(10) / 784 bits);
      - the output of each pixel is a discretised mixture of logistics (salimans2017pixelcnn, sec. 2.1)
        over the 256 levels instead of a 256-way softmax: level k is the bin [k - 1/2, k + 1/2] in level
        units (mapped to [-1, 1]), the outer bins reach to +-infinity, so the 256 probabilities sum to one
        and the bits/dim are exact;
      - a wider first kernel and more layers, so the receptive field reaches ``receptive_rows`` rows up;
      - training keeps the weights of the best validation bits/dim (on ``val_images`` images of the
        fixed validation split, evaluated every ``eval_every`` steps).

The shipped ``pixelcnn-fashion``: 6,000 steps of 32 images (192,000 images, 3.5 epochs; 3,843 CPU-s on one
thread), validation 2.718 bits/dim with the "no label" embedding and 2.678 given the label (first 400
validation images; the best step was the last). Lengths compared on that score: 600 steps of 16 images
3.211 (the first version, which drew no recognisable clothing), 3,000 steps of 32 2.786, 6,000 of 32 2.718.
Trousers, pullovers, sneakers, bags and ankle boots mostly look like themselves; shirts, coats and sandals
less so. The "no label" embedding alone draws garment-like textures without a garment's outline (the
receptive field reaches 11 rows up, and the class is what carries the global shape), which is why
``sample`` draws a class first. The demo's default temperature, 1, was chosen on validation: 600
class-conditional samples (60 per class) against the validation images at T = 1, 0.95, 0.9, 0.85, 0.8
scored FD 17.4, 18.7, 22.7, 33.4, 49.8, and the Fashion classifier named the asked class for 63%, 66%, 63%,
55%, 44% of them (lower temperatures collapse more samples into the empty background).

Sampling (``sample``) is incremental and computes every feature exactly once (documented in ``sample``);
``sample_naive`` reruns the whole network on the whole image for every pixel and draws the same pixels
from the same generator (tests/zoo/test_pixelcnn_fashion.py checks that).
"""

from __future__ import annotations

import copy
import math
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from generation.zoo import data
from generation.zoo.demos import Artefact, Demo, generator_for, labels_for
from generation.zoo.images import grid_png
from generation.zoo.params import Param, n_param, seed_param
from generation.zoo.registry import ZooModel, load

LEVELS = data.LEVELS  # grey levels of the digits (0..16)
CITATION = "oord2016conditional"


@dataclass
class Config:
    channels: int = 32  # feature maps in each stack
    layers: int = 5  # gated layers after the first one
    kernel: int = 3  # kernel size of the gated layers after the first
    first_kernel: int = 5  # wider first layer so 8x8 is covered after a few layers
    levels: int | None = None  # levels per pixel; None: the data set's (17 digits, 256 Fashion-MNIST)
    height: int | None = None  # image height; None: the data set's side
    width: int | None = None  # image width; None: the data set's side
    steps: int = 400  # optimiser steps (the shipped digits model sets 1,200; see MODELS)
    batch: int = 64  # images per step
    lr: float = 2e-3  # Adam learning rate (cosine decay to 0 over ``steps``)
    eval_every: int = 100  # steps between validation passes; the best validation checkpoint is kept
    dataset: str = "digits"  # "digits" or "fashion" (data.image_set)
    classes: int = 0  # > 0: class-conditional gated activations (eq. 4) with a "no label" embedding
    label_dropout: float = 0.1  # share of training images shown with the "no label" embedding
    head: str = "softmax"  # "softmax" over the levels, or "logistic": discretised logistic mixture
    mixtures: int = 5  # logistic components per pixel (head="logistic")
    val_images: int = 0  # validation images scored at each evaluation; 0 = the whole validation split
    warmup: int = 0  # linear learning-rate warm-up steps before the cosine decay

    def __post_init__(self):
        image_set = data.image_set(self.dataset)
        self.levels = self.levels or image_set.levels
        self.height = self.height or image_set.side
        self.width = self.width or image_set.side
        assert self.head in ("softmax", "logistic"), f"unknown head {self.head!r}"


class MaskedConv2d(nn.Conv2d):
    """A Conv2d whose weight is multiplied by a fixed 0/1 mask before every use."""

    def __init__(self, c_in: int, c_out: int, kernel: tuple[int, int], mask: torch.Tensor):
        super().__init__(c_in, c_out, kernel, padding=(kernel[0] // 2, kernel[1] // 2))
        self.register_buffer("mask", mask[None, None].expand_as(self.weight).clone())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.conv2d(x, self.weight * self.mask, self.bias, padding=self.padding)


def vertical_mask(k: int, *, include_centre_row: bool) -> torch.Tensor:
    # (k, k): rows above the centre, and the centre row only when allowed; all columns.
    mask = torch.zeros(k, k)
    mask[: k // 2] = 1
    if include_centre_row:
        mask[k // 2] = 1
    return mask


def horizontal_mask(k: int, *, include_centre: bool) -> torch.Tensor:
    # (1, k): pixels to the left of the centre, and the centre only when allowed.
    mask = torch.zeros(1, k)
    mask[0, : k // 2] = 1
    if include_centre:
        mask[0, k // 2] = 1
    return mask


def gate(pre: torch.Tensor) -> torch.Tensor:
    """tanh(a) * sigmoid(b) over the two halves of the channels (the gated activation, eq. 2)."""
    a, b = pre.chunk(2, dim=1)
    return torch.tanh(a) * torch.sigmoid(b)


class GatedLayer(nn.Module):
    """One gated layer: tanh(W_f * x + V_f h) * sigmoid(W_g * x + V_g h) on both stacks, a vertical-to-
    horizontal 1x1, a 1x1 on the horizontal output and a residual on the horizontal stack (after the first).
    """

    def __init__(self, c: int, k: int, *, first: bool, c_in: int | None = None, cond: int = 0):
        super().__init__()
        c_in = c_in or c
        self.first = first
        self.k = k
        self.v_conv = MaskedConv2d(c_in, 2 * c, (k, k), vertical_mask(k, include_centre_row=not first))
        self.h_conv = MaskedConv2d(c_in, 2 * c, (1, k), horizontal_mask(k, include_centre=not first))
        self.v_to_h = nn.Conv2d(2 * c, 2 * c, 1)
        self.h_out = nn.Conv2d(c, c, 1)
        # V h of eq. 4 for both stacks: (label embedding) -> 2C vertical + 2C horizontal gate inputs.
        self.cond = nn.Linear(cond, 4 * c) if cond else None

    # The unmasked parts of the kernels: rows [0, kv) of the vertical one, columns [0, kh) of the horizontal.
    @property
    def kv(self) -> int:
        return self.k // 2 + (0 if self.first else 1)

    @property
    def kh(self) -> int:
        return self.k // 2 + (0 if self.first else 1)

    def v_weight(self) -> torch.Tensor:
        return self.v_conv.weight[:, :, : self.kv]  # (2C, C_in, kv, k)

    def h_weight(self) -> torch.Tensor:
        return self.h_conv.weight[:, :, :, : self.kh]  # (2C, C_in, 1, kh)

    def vertical(self, v: torch.Tensor) -> torch.Tensor:
        """Vertical pre-activation (B, 2C, H, W): row i sees rows i - k//2 .. i (.. i - 1 on the first)."""
        p, height = self.k // 2, v.shape[2]
        out = F.conv2d(F.pad(v, (p, p, p, 0)), self.v_weight(), self.v_conv.bias)
        return out[:, :, :height]  # the first layer's output has one row too many (the one below the last)

    def horizontal(self, h: torch.Tensor) -> torch.Tensor:
        """Pre-activation of the horizontal stack's own conv, (B, 2C, H, W): column j sees j - k//2 .. j."""
        p, width = self.k // 2, h.shape[3]
        out = F.conv2d(F.pad(h, (p, 0, 0, 0)), self.h_weight(), self.h_conv.bias)
        return out[:, :, :, :width]

    def conditioning(self, emb: torch.Tensor | None) -> tuple[torch.Tensor, torch.Tensor] | tuple[int, int]:
        if self.cond is None or emb is None:
            return 0, 0
        cv, ch = self.cond(emb)[:, :, None, None].chunk(2, dim=1)  # (B, 2C, 1, 1) each
        return cv, ch

    def forward(self, v, h, emb=None) -> tuple[torch.Tensor, torch.Tensor]:
        cv, ch = self.conditioning(emb)
        v_feat = self.vertical(v)  # (B, 2C, H, W), depends on rows above only
        h_feat = self.horizontal(h) + self.v_to_h(v_feat) + ch  # (B, 2C, H, W)
        v_new = gate(v_feat + cv)
        h_new = self.h_out(gate(h_feat))
        if not self.first:  # residual connection on the horizontal stack (shapes differ on the first layer)
            h_new = h_new + h
        return v_new, h_new


class PixelCNN(nn.Module):
    def __init__(self, config: Config):
        super().__init__()
        self.config = config
        c = config.channels
        e = c if config.classes else 0  # label embedding size
        self.first = GatedLayer(c, config.first_kernel, first=True, c_in=1, cond=e)
        self.layers = nn.ModuleList(
            GatedLayer(c, config.kernel, first=False, cond=e) for _ in range(config.layers)
        )
        out = config.levels if config.head == "softmax" else 3 * config.mixtures
        self.head = nn.Sequential(nn.ReLU(), nn.Conv2d(c, 4 * c, 1), nn.ReLU(), nn.Conv2d(4 * c, out, 1))
        if config.classes:  # one embedding per class plus the "no label" one (index ``classes``)
            self.label_embedding = nn.Embedding(config.classes + 1, e)

    @property
    def receptive_rows(self) -> int:
        """How many rows above a pixel can reach its output (the vertical stack's reach)."""
        return self.config.first_kernel // 2 + self.config.layers * (self.config.kernel // 2)

    def embed(self, labels: torch.Tensor | None, n: int, device) -> torch.Tensor | None:
        """(n, E) label embeddings; None labels: the "no label" one; None on an unconditional model."""
        if not self.config.classes:
            return None
        if labels is None:
            labels = torch.full((n,), self.config.classes, dtype=torch.long, device=device)
        return self.label_embedding(labels.to(device))

    def to_input(self, x: torch.Tensor) -> torch.Tensor:
        return x.float() / (self.config.levels - 1) * 2 - 1  # levels -> [-1, 1]

    def forward(
        self, x: torch.Tensor, targets: torch.Tensor | None = None, labels: torch.Tensor | None = None
    ):
        """x: (B, 1, H, W) levels -> head output (B, P, H, W) and the mean NLL in nats per pixel.

        P is ``levels`` logits (softmax head) or 3 x ``mixtures`` logistic parameters (logistic head).
        """
        inp = self.to_input(x)  # (B, 1, H, W) in [-1, 1]
        emb = self.embed(labels, x.shape[0], x.device)
        v, h = self.first(inp, inp, emb)
        for layer in self.layers:
            v, h = layer(v, h, emb)
        out = self.head(h)  # (B, P, H, W)
        loss = None
        if targets is not None:
            loss = pixel_nll(out, targets[:, 0].long(), self.config).mean()  # exact NLL, nats per pixel
        return out, loss


def build(config: Config) -> PixelCNN:
    return PixelCNN(config)


# --- the discrete distribution of one pixel --------------------------------------------------------------


def _logistic_terms(out: torch.Tensor, config: Config):
    """Split a logistic head's (B, 3K, ...) output into mixture log-weights, means and log-scales."""
    logit_pi, mu, log_s = out.chunk(3, dim=1)
    return F.log_softmax(logit_pi, dim=1), mu, log_s.clamp(min=-7.0)


def _logistic_bin_log_prob(level: torch.Tensor, mu: torch.Tensor, log_s: torch.Tensor, levels: int):
    """log P(level) under each logistic component discretised into ``levels`` bins (salimans2017pixelcnn).

    Level k sits at c = 2k / (L-1) - 1 with half-width d = 1 / (L-1); P = sigmoid(a) - sigmoid(b), a and b
    the standardised bin edges, computed as log sigmoid(a) + log sigmoid(-b) + log(1 - exp(b - a)), which is
    exact and stable; the first bin is sigmoid(a) and the last 1 - sigmoid(b) (the tails to +-infinity).
    """
    c = level.float() * (2.0 / (levels - 1)) - 1
    inv_s = torch.exp(-log_s)
    a = inv_s * (c - mu + 1.0 / (levels - 1))
    b = inv_s * (c - mu - 1.0 / (levels - 1))
    lower = F.logsigmoid(a)  # the first bin: P(X <= upper edge)
    upper = F.logsigmoid(-b)  # the last bin: P(X > lower edge)
    middle = lower + upper + torch.log(-torch.expm1(b - a))
    return torch.where(level == 0, lower, torch.where(level == levels - 1, upper, middle))


def pixel_nll(out: torch.Tensor, target: torch.Tensor, config: Config) -> torch.Tensor:
    """-log P(target) in nats for every pixel: out (B, P, H, W), target (B, H, W) levels -> (B, H, W)."""
    if config.head == "softmax":
        return F.cross_entropy(out, target, reduction="none")
    log_pi, mu, log_s = _logistic_terms(out, config)  # (B, K, H, W) each
    per_component = _logistic_bin_log_prob(target[:, None], mu, log_s, config.levels)
    return -torch.logsumexp(log_pi + per_component, dim=1)


def pixel_log_probs(out: torch.Tensor, config: Config) -> torch.Tensor:
    """The whole distribution of one pixel: out (B, P) -> log-probabilities (B, levels) that sum to one."""
    if config.head == "softmax":
        return F.log_softmax(out, dim=-1)
    log_pi, mu, log_s = _logistic_terms(out, config)  # (B, K)
    level = torch.arange(config.levels, device=out.device)[None, None]  # (1, 1, L)
    per_component = _logistic_bin_log_prob(level, mu[..., None], log_s[..., None], config.levels)  # (B, K, L)
    return torch.logsumexp(log_pi[..., None] + per_component, dim=1)


def draw(out: torch.Tensor, config: Config, generator: torch.Generator, temperature: float) -> torch.Tensor:
    """One level per row of out (B, P): p(k)^(1/T) renormalised (the logits divided by T), drawn on CPU."""
    probs = F.softmax(pixel_log_probs(out.float(), config) / temperature, dim=-1)  # (B, levels)
    # Sample on CPU with the caller's generator so a seed gives the same images on any device.
    return torch.multinomial(probs.cpu(), 1, generator=generator)[:, 0].to(out.device)


@torch.inference_mode()
def nll_bits_per_dim(model: PixelCNN, x: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
    """Exact negative log-likelihood of each image in bits per dimension: (B,). No dequantisation needed.

    On a class-conditional model, ``labels`` (B,) scores -log2 P(x | y); ``labels=None`` scores the model's
    own joint over the classes, -log2 Σ_y p(y) P(x | y) with p(y) uniform (the data set is balanced), still
    exact: one pass per class. That is the model ``sample`` draws from when no class is asked for.
    """
    if labels is not None or not model.config.classes:
        return _bits_per_dim(model, x, labels)
    classes = model.config.classes
    dims_ln2 = x[0].numel() * math.log(2)
    nats = torch.stack(
        [_bits_per_dim(model, x, torch.full((len(x),), c)).double() * dims_ln2 for c in range(classes)]
    )  # (classes, B): -log P(x | y) in nats
    joint = -(torch.logsumexp(-nats, dim=0) - math.log(classes))
    return (joint / dims_ln2).float()


def _bits_per_dim(model: PixelCNN, x: torch.Tensor, labels: torch.Tensor | None) -> torch.Tensor:
    """-log2 P(x | y) per dimension; ``labels=None``: the "no label" embedding (or an unconditional model).
    Batched by 500 images so 28x28 test sets fit in memory."""
    rows = []
    for start in range(0, len(x), 500):
        chunk = x[start : start + 500]
        out, _ = model(chunk, labels=None if labels is None else labels[start : start + 500])
        nll = pixel_nll(out, chunk[:, 0].long(), model.config)  # (B, H, W) nats
        rows.append(nll.flatten(1).mean(1) / math.log(2))
    return torch.cat(rows)


# --- training ----------------------------------------------------------------------------------------------


def fit(
    model: PixelCNN, config: Config, *, generator: torch.Generator, log: Callable[[int, dict], None]
) -> dict:
    """Maximum likelihood with Adam (warm-up, cosine decay); keeps the best validation bits/dim weights.

    The validation bits/dim chosen on is the "no label" model's (one pass) on the first ``val_images``
    images of the validation split (all of it when 0); the class-conditional one is reported beside it.
    """
    cpu_started = time.process_time()  # CPU seconds: honest cost on a shared machine
    image_set = data.image_set(config.dataset)
    train, val = image_set.split("train"), image_set.split("val")
    val_x, val_y = val.images, val.labels
    if config.val_images:
        val_x, val_y = val_x[: config.val_images], val_y[: config.val_images]
    opt = torch.optim.Adam(model.parameters(), lr=config.lr)

    def lr_factor(step: int) -> float:  # step counts from 0
        if step < config.warmup:
            return (step + 1) / config.warmup
        progress = (step - config.warmup) / max(1, config.steps - config.warmup)
        return 0.5 * (1 + math.cos(math.pi * progress))

    sched = torch.optim.lr_scheduler.LambdaLR(opt, lr_factor)
    losses: list[float] = []
    val_curve: list[float] = []
    best = (float("inf"), 0, copy.deepcopy(model.state_dict()))
    for step in range(1, config.steps + 1):
        model.train()
        index = torch.randint(0, len(train.images), (config.batch,), generator=generator)
        x = train.images[index]
        labels = None
        if config.classes:  # a random share of the images is shown as "no label"
            labels = train.labels[index].clone()
            dropped = torch.rand(config.batch, generator=generator) < config.label_dropout
            labels[dropped] = config.classes
        _, loss = model(x, x, labels=labels)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        sched.step()
        losses.append(loss.item() / math.log(2))
        if step % config.eval_every == 0 or step == config.steps:
            model.eval()
            val_bpd = _bits_per_dim(model, val_x, None).mean().item()  # the "no label" model: one pass
            val_curve.append(val_bpd)
            if val_bpd < best[0]:
                best = (val_bpd, step, copy.deepcopy(model.state_dict()))
            log(step, {"train_bpd": losses[-1], "val_bpd": val_bpd})
    model.load_state_dict(best[2])
    model.eval()
    metrics = {"val_bits_per_dim": best[0], "best_step": best[1]}
    if config.classes:
        metrics["val_bits_per_dim_given_label"] = nll_bits_per_dim(model, val_x, val_y).mean().item()
        metrics["val_images"] = len(val_x)
    metrics["cpu_time_s"] = round(time.process_time() - cpu_started, 1)
    metrics["history"] = {"train_bits_per_dim": losses, "val_bits_per_dim": val_curve}
    return metrics


# --- sampling ----------------------------------------------------------------------------------------------


def _check(model: PixelCNN, n: int, labels: torch.Tensor | None, temperature: float) -> None:
    assert temperature > 0, "temperature must be positive"
    if labels is not None:
        assert model.config.classes, "this model is not class-conditional"
        assert labels.shape == (n,), f"labels must be (n,) = ({n},), got {tuple(labels.shape)}"
        assert int(labels.min()) >= 0 and int(labels.max()) < model.config.classes, "label out of range"


def joint_labels(
    model: PixelCNN, n: int, labels: torch.Tensor | None, generator: torch.Generator
) -> torch.Tensor | None:
    """The classes to draw: the ones asked for, or on a class-conditional model with none asked for, one
    per image drawn uniformly from the generator first (a draw from the joint p(y) p(x | y), the model whose
    likelihood ``nll_bits_per_dim`` reports). An unconditional model keeps None."""
    if labels is None and model.config.classes:
        return torch.randint(0, model.config.classes, (n,), generator=generator)
    return labels


@torch.inference_mode()
def sample_naive(
    model: PixelCNN,
    n: int,
    *,
    generator: torch.Generator,
    device: str = "cpu",
    progress: Callable[[int, int], None] | None = None,
    temperature: float = 1.0,
    labels: torch.Tensor | None = None,
) -> torch.Tensor:
    """The reference sampler: reruns the whole network on the whole partial image for every pixel.

    H * W full forward passes; ``sample`` draws the same pixels from the same generator, far faster.
    """
    labels = joint_labels(model, n, labels, generator)
    _check(model, n, labels, temperature)
    cfg = model.config
    x = torch.zeros(n, 1, cfg.height, cfg.width, dtype=torch.long, device=device)
    total = cfg.height * cfg.width
    for step in range(total):
        i, j = divmod(step, cfg.width)
        out, _ = model(x, labels=labels)  # (n, P, H, W)
        x[:, 0, i, j] = draw(out[:, :, i, j], cfg, generator, temperature)
        if progress is not None:
            progress(step + 1, total)
    return x


@contextmanager
def _one_thread() -> Iterator[None]:
    """Run the incremental sampler on one intra-op thread, then restore the caller's setting: its steps are
    far too small to split, and spare OpenMP threads only spin between them (measured on the shared 2-core
    machine: 16 samples took 1.1-1.4 CPU-s on one thread, 33-39 CPU-s and over 2 minutes on two)."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def sample(
    model: PixelCNN,
    n: int,
    *,
    generator: torch.Generator,
    device: str = "cpu",
    progress: Callable[[int, int], None] | None = None,
    temperature: float = 1.0,
    labels: torch.Tensor | None = None,
) -> torch.Tensor:
    """Draw n images pixel by pixel in raster order: (n, 1, H, W) integer levels 0..levels-1.

    ``labels`` (n,) class ids, or None: any class, each drawn uniformly first (``joint_labels``).
    One pixel draw per step, reported through ``progress``, like ``sample_naive`` and with the same pixels.
    Runs on one intra-op thread (``_one_thread``); see ``_sample_incremental`` for what it reuses.
    """
    with _one_thread() if device == "cpu" else nullcontext():
        return _sample_incremental(
            model,
            n,
            generator=generator,
            device=device,
            progress=progress,
            temperature=temperature,
            labels=labels,
        )


@torch.inference_mode()
def _sample_incremental(
    model: PixelCNN,
    n: int,
    *,
    generator: torch.Generator,
    device: str = "cpu",
    progress: Callable[[int, int], None] | None = None,
    temperature: float = 1.0,
    labels: torch.Tensor | None = None,
) -> torch.Tensor:
    """The incremental sampler behind ``sample``.

    What it reuses instead of recomputing: every feature of every layer is computed once, when its inputs
    are final, and kept.
      * Vertical stack, once per row: at the start of row r every input row < r is final, so each layer's
        vertical pre-activation of row r is computed once, from the kept vertical outputs of the layer
        below on rows r - k//2 .. r (rows r - k//2 .. r - 1 of the input for the first layer), for all
        columns at once (one (kv x W) convolution per layer). Its gated output is written into that layer's
        row buffer for the rows below, and v_to_h of it plus the label term is kept for the whole row.
      * Horizontal stack, once per pixel: at pixel (r, j) each layer computes column j only, from the kept
        horizontal outputs of the layer below at columns j - k//2 .. j (the input's j - k//2 .. j - 1 for
        the first layer) and the row's kept v_to_h term; the head runs on that one position.
      * The label embedding and its V h terms are computed once per call.
    So a pixel costs one position of the horizontal stack and the head, plus 1/W of a row of the vertical
    stack, instead of the whole network on the whole image: the receptive field is bounded (the vertical
    stack reaches ``receptive_rows`` rows up), and nothing outside it, nor anything already known, is
    recomputed.
    """
    labels = joint_labels(model, n, labels, generator)
    _check(model, n, labels, temperature)
    cfg = model.config
    height, width = cfg.height, cfg.width
    layers = [model.first, *model.layers]
    emb = model.embed(labels, n, device)
    cond = [layer.conditioning(emb) for layer in layers]  # V h per layer: (n, 2C, 1, 1) each, or 0
    x = torch.zeros(n, 1, height, width, dtype=torch.long, device=device)
    # v_in[l]: the vertical input of layer l over the whole image, padded k//2 rows on top and k//2
    # columns either side (zeros, as in the full-image convolution); row i sits at buffer row i + k//2.
    channels_in = [1] + [cfg.channels] * cfg.layers
    v_in = [
        torch.zeros(n, c, height + layer.k // 2, width + 2 * (layer.k // 2), device=device)
        for c, layer in zip(channels_in, layers, strict=True)
    ]
    # The horizontal stack and the head as matrices acting on one position (channels last): a 1 x kh
    # window of C_in channels flattened column-major is (n, kh * C_in), its kernel (kh * C_in, 2C).
    h_weight = [layer.h_weight()[:, :, 0].permute(2, 1, 0).reshape(-1, 2 * cfg.channels) for layer in layers]
    h_out = [(layer.h_out.weight[:, :, 0, 0].t(), layer.h_out.bias) for layer in layers]
    head_1, head_2 = model.head[1], model.head[3]
    head = (head_1.weight[:, :, 0, 0].t(), head_1.bias, head_2.weight[:, :, 0, 0].t(), head_2.bias)
    pads = [layer.k // 2 for layer in layers]
    total = height * width
    for r in range(height):
        # Vertical stack of row r: every layer once, all columns. Keep, channels last (n, W, 2C), what the
        # horizontal stack adds at each column: v_to_h(pre-activation) + the label term + its own conv bias.
        row_terms = []
        for index, layer in enumerate(layers):
            window = v_in[index][:, :, r : r + layer.kv]  # input rows r - k//2 .. r - k//2 + kv - 1
            v_pre = F.conv2d(window, layer.v_weight(), layer.v_conv.bias)  # (n, 2C, 1, W)
            term = layer.v_to_h(v_pre) + cond[index][1] + layer.h_conv.bias[None, :, None, None]
            row_terms.append(term[:, :, 0].transpose(1, 2).contiguous())  # (n, W, 2C)
            if index + 1 < len(layers):
                nxt = pads[index + 1]
                v_in[index + 1][:, :, r + nxt, nxt : nxt + width] = gate(v_pre + cond[index][0])[:, :, 0]
        # Horizontal stack of row r, one column at a time. h_in[l]: layer l's horizontal input on row r,
        # channels last (n, k//2 + W, C_in), padded k//2 columns on the left; column j sits at j + k//2.
        h_in = [
            torch.zeros(n, width + pad, c, device=device) for c, pad in zip(channels_in, pads, strict=True)
        ]
        for j in range(width):
            h = None
            for index, layer in enumerate(layers):
                window = h_in[index][:, j : j + layer.kh].reshape(n, -1)  # columns j - k//2 .. +kh - 1
                pre = torch.addmm(row_terms[index][:, j], window, h_weight[index])  # (n, 2C)
                weight, bias = h_out[index]
                base = bias + h_in[index][:, j + pads[index]] if not layer.first else bias  # + residual
                h = torch.addmm(base, gate(pre), weight)  # (n, C)
                if index + 1 < len(layers):
                    h_in[index + 1][:, j + pads[index + 1]] = h
            hidden = torch.addmm(head[1], torch.relu(h), head[0]).relu_()
            out = torch.addmm(head[3], hidden, head[2])  # (n, P)
            level = draw(out, cfg, generator, temperature)  # (n,)
            x[:, 0, r, j] = level
            value = model.to_input(level)  # (n,) in [-1, 1]
            h_in[0][:, j + pads[0], 0] = value
            v_in[0][:, 0, r + pads[0], j + pads[0]] = value
            if progress is not None:
                progress(r * width + j + 1, total)
    return x


# --- the shipped models and their demos ---------------------------------------------------------------------

FASHION = {  # 6,000 steps of 32 images: about 64 CPU-minutes of one-thread training
    "dataset": "fashion",
    "classes": 10,
    "head": "logistic",
    "mixtures": 5,
    "channels": 48,
    "layers": 8,  # 9 gated layers in all: the vertical stack reaches 3 + 8 = 11 rows up
    "kernel": 3,
    "first_kernel": 7,
    "batch": 32,
    "lr": 2e-3,
    "warmup": 50,
    "steps": 6000,
    "eval_every": 500,
    "val_images": 400,
}

MODELS = (
    ZooModel(
        name="pixelcnn",
        family="autoregressive-models",
        module=__name__,
        title="Gated PixelCNN on 8x8 digits",
        citation_key=CITATION,
        # 1,200 steps (113 CPU-s), best validation step kept: validation 1.886 bits/dim, where 400 gave 1.999.
        config={"steps": 1200},
        seed=0,
    ),
    ZooModel(
        name="pixelcnn-fashion",
        family="autoregressive-models",
        module=__name__,
        title="Class-conditional gated PixelCNN on Fashion-MNIST",
        citation_key=CITATION,
        config=FASHION,
        seed=0,
    ),
)


def _run_samples(params: dict, *, device: str, progress) -> tuple[list[Artefact], dict]:
    model = load("pixelcnn", device=device)
    images = sample(
        model,
        params["n"],
        generator=generator_for(params["seed"]),
        device=device,
        progress=progress,
        temperature=params["temperature"],
    )
    return [Artefact("samples.png", "image/png", grid_png(images))], {"shape": list(images.shape)}


def _run_fashion(params: dict, *, device: str, progress) -> tuple[list[Artefact], dict]:
    model = load("pixelcnn-fashion", device=device)
    labels = labels_for(params["label"], params["n"])
    images = sample(
        model,
        params["n"],
        generator=generator_for(params["seed"]),
        device=device,
        progress=progress,
        temperature=params["temperature"],
        labels=labels,
    )
    return [Artefact("samples.png", "image/png", grid_png(images))], {"shape": list(images.shape)}


DEMOS = (
    Demo(
        slug="pixelcnn-digits",
        family="autoregressive-models",
        title="Gated PixelCNN: digits pixel by pixel",
        description="Sample digits one pixel at a time in raster order, each grey level drawn from a 17-way "
        "softmax given every pixel above and to the left. Lower temperature sharpens each choice.",
        model="pixelcnn",
        params=(
            seed_param(),
            n_param(),
            Param("temperature", "float", 1.0, 0.1, 2.0, help="Divides the logits of every pixel's softmax."),
        ),
        citation_key=CITATION,
        run=_run_samples,
    ),
    Demo(
        slug="pixelcnn-fashion",
        family="autoregressive-models",
        title="Gated PixelCNN: Fashion-MNIST pixel by pixel",
        description="Draw 28x28 clothing one pixel at a time in raster order, each of the 256 grey levels "
        "from a mixture of discretised logistics given every pixel above and to the left and, if you pick "
        "one, the class. Lower temperature sharpens each choice.",
        model="pixelcnn-fashion",
        params=(
            seed_param(),
            n_param(),
            Param(
                "label",
                "choice",
                "any",
                choices=("any", *data.FASHION_CLASSES),
                help="Which kind of clothing to draw; any: a class drawn at random for each sample.",
            ),
            Param(
                "temperature",
                "float",
                1.0,
                0.1,
                2.0,
                help="Divides the log-probabilities of every pixel's 256 levels.",
            ),
        ),
        citation_key=CITATION,
        run=_run_fashion,
    ),
)
