"""A GPT-style decoder: the generative-transformer family, over the characters of names and over pixels.

Follows radford2018improving (a decoder-only transformer trained to predict the next token) built from the
causal self-attention blocks of vaswani2017attention, laid out like nanoGPT's model.py. The model is exact
in likelihood: p(x) = prod_t p(x_t | x_<t), each factor a softmax over the vocabulary.

Three token streams, one network:
  names   the 27 characters of chars.py; a name is '.name.'                       (model gpt-names)
  digits  an 8x8 digit read in raster order, each pixel one of 17 grey levels, after a start token: the
          image-as-a-sequence idea of the image-token lineage (ViT-GPT, DALL-E) at the scale of the zoo
                                                                                    (model gpt-digits)
  vq      a 28x28 Fashion-MNIST image as the 7x7 = 49 codes its VQ-VAE (vqvae.py, ``vqvae-fashion``)
          assigns it, in raster order, after a class token (10 classes, plus "any class"): the prior of
          oord2017neural sec. 3.3 (there a PixelCNN, here the transformer, as in esser2021taming), and
          with the VQ-VAE's decoder the zoo's VQ-VAE-with-a-transformer-prior.   (model gpt-vq-fashion)

The vq stream. Inputs [class, c0 .. c47], targets c0 .. c48; the softmax covers the K codes only. The
class token is replaced by "any" in ``label_drop`` of the training sequences, so the one network is both
p(z | class) and p(z) (the label dropout of classifier-free guidance, ho2022classifier, here only so that
unconditional draws and likelihoods exist). Sampling draws the 49 codes with a key/value cache (one new
position per pass) and decodes them with the VQ-VAE, each pixel at its likeliest level. The codes of the
training and validation images are computed once, at the start of training, by the shipped VQ-VAE, whose
hash the manifest records (``vqvae_sha256``); the shipped checkpoint keeps the weights of the best
validation bits per code (the "any class" prior on the 5,000 validation images).

What bits/dim means for vq. The VQ-VAE's encoder is deterministic, so with q(z | x) a point mass on the
codes z* = z*(x) the ELBO is exactly
    -log2 P(x) <= -log2 p(x | z*) - log2 p(z*),
where p(x | z*) is the decoder's discretised logistic over the 256 levels of each pixel and p(z*) is this
transformer's exact probability of the 49 codes given the "any class" token. ``nll_bits_per_dim`` returns
that sum / 784: an upper bound on the negative log-likelihood of the 256-level image in bits per pixel
(likelihood "bound" in the registry). It is not comparable to the 17-level digits' numbers.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from generation.zoo import data, registry, text_metrics, vqvae
from generation.zoo.chars import IGNORE, STOI, VOCAB_SIZE, check_prefix, decode, prefix_param
from generation.zoo.demos import Artefact, Demo, generator_for, labels_for
from generation.zoo.images import grid_png
from generation.zoo.next_token_training import fit_next_character, fit_next_token
from generation.zoo.params import Param, n_param, seed_param
from generation.zoo.registry import ZooModel, load

CITATION = "radford2018improving"
PIXELS = 64  # an 8x8 digit as a sequence
CODES = 49  # the 7x7 code grid of a VQ-VAE Fashion-MNIST image as a sequence
START = data.LEVELS  # the digits stream's start token, after the 17 grey levels 0..16


@dataclass
class Config:
    data: str = "names"  # the token stream: "names", "digits" or "vq" (the codes of a VQ-VAE image)
    vocab_size: int = VOCAB_SIZE  # 26 letters + the boundary mark (digits: 17 levels + the start token;
    # vq: the VQ-VAE's K codes, then one token per class, then the "any class" token)
    block_size: int = 16  # context length: '.' + the longest name the model reads
    n_layer: int = 3  # transformer blocks
    n_head: int = 4  # attention heads per block
    n_embd: int = 64  # residual stream width
    dropout: float = 0.0  # on attention weights and residual branches, training only
    steps: int = 1000  # optimiser steps
    batch: int = 128  # names per step
    lr: float = 2e-3  # AdamW peak learning rate (one-cycle schedule)
    eval_every: int = 250  # steps between validation passes; the best validation checkpoint is kept
    dataset: str = "digits"  # image streams: the image set ("fashion" for vq)
    vqvae: str = "vqvae-fashion"  # vq: the registry name of the VQ-VAE whose codes the model reads
    label_drop: float = 0.1  # vq: share of training sequences whose class token is replaced by "any"

    def __post_init__(self):
        assert self.data in ("names", "digits", "vq"), f"unknown token stream {self.data!r}"
        if self.data == "digits":
            assert self.vocab_size == data.LEVELS + 1 and self.block_size == PIXELS, "digits: 18 tokens, 64"
        if self.data == "vq":
            assert self.dataset == "fashion" and self.block_size == CODES, "vq: 49 codes of a fashion image"
            assert self.codes > 0, "vq: vocab_size must leave room for the codes"

    @property
    def classes(self) -> int:
        return len(data.image_set(self.dataset).classes)

    @property
    def codes(self) -> int:
        """vq: the number of codebook entries K (the first K token ids)."""
        return self.vocab_size - self.classes - 1

    @property
    def out_size(self) -> int:
        """Width of the output softmax: every token, except for vq, which only ever predicts codes."""
        return self.codes if self.data == "vq" else self.vocab_size


class CausalSelfAttention(nn.Module):
    def __init__(self, config: Config):
        super().__init__()
        assert config.n_embd % config.n_head == 0, "n_embd must be a multiple of n_head"
        self.n_head = config.n_head
        self.qkv = nn.Linear(config.n_embd, 3 * config.n_embd)
        self.proj = nn.Linear(config.n_embd, config.n_embd)
        self.dropout = config.dropout
        self.resid_drop = nn.Dropout(config.dropout)

    def forward(self, x: torch.Tensor, cache: dict | None = None) -> torch.Tensor:
        """x (B, T, C). With ``cache`` (a dict this layer fills), the keys and values of earlier calls are
        kept, and a call with one new position attends to all of them: incremental decoding."""
        B, T, C = x.shape
        q, k, v = self.qkv(x).split(C, dim=2)  # each (B, T, C)
        d = C // self.n_head
        q, k, v = (t.view(B, T, self.n_head, d).transpose(1, 2) for t in (q, k, v))  # each (B, h, T, d)
        causal = True
        if cache is not None:
            if "k" in cache:  # the new position sees every cached one and itself: no mask needed
                assert T == 1, "with a filled cache, feed one position at a time"
                k, v = torch.cat([cache["k"], k], dim=2), torch.cat([cache["v"], v], dim=2)
                causal = False
            cache["k"], cache["v"] = k, v
        # is_causal masks position t from every later position: the autoregressive constraint.
        y = F.scaled_dot_product_attention(
            q, k, v, is_causal=causal, dropout_p=self.dropout if self.training else 0.0
        )  # (B, h, T, d)
        y = y.transpose(1, 2).contiguous().view(B, T, C)
        return self.resid_drop(self.proj(y))


class Block(nn.Module):
    """Pre-norm transformer block: x + attn(ln(x)), then x + mlp(ln(x))."""

    def __init__(self, config: Config):
        super().__init__()
        self.ln1 = nn.LayerNorm(config.n_embd)
        self.attn = CausalSelfAttention(config)
        self.ln2 = nn.LayerNorm(config.n_embd)
        self.mlp = nn.Sequential(
            nn.Linear(config.n_embd, 4 * config.n_embd),
            nn.GELU(),
            nn.Linear(4 * config.n_embd, config.n_embd),
            nn.Dropout(config.dropout),
        )

    def forward(self, x: torch.Tensor, cache: dict | None = None) -> torch.Tensor:
        x = x + self.attn(self.ln1(x), cache)
        return x + self.mlp(self.ln2(x))


class GPT(nn.Module):
    def __init__(self, config: Config):
        super().__init__()
        self.config = config
        self.tok_emb = nn.Embedding(config.vocab_size, config.n_embd)
        self.pos_emb = nn.Embedding(config.block_size, config.n_embd)
        self.drop = nn.Dropout(config.dropout)
        self.blocks = nn.ModuleList(Block(config) for _ in range(config.n_layer))
        self.ln_f = nn.LayerNorm(config.n_embd)
        self.head = nn.Linear(config.n_embd, config.out_size, bias=False)
        self.apply(self._init_weights)
        for name, p in self.named_parameters():  # GPT-2's scaled init of the residual projections
            if name.endswith("proj.weight") or name.endswith("mlp.2.weight"):
                nn.init.normal_(p, mean=0.0, std=0.02 / math.sqrt(2 * config.n_layer))

    @staticmethod
    def _init_weights(module: nn.Module) -> None:
        if isinstance(module, nn.Linear | nn.Embedding):
            nn.init.normal_(module.weight, mean=0.0, std=0.02)
        if isinstance(module, nn.Linear) and module.bias is not None:
            nn.init.zeros_(module.bias)

    def forward(
        self, idx: torch.Tensor, targets: torch.Tensor | None = None, *, caches: list[dict] | None = None
    ):
        """idx: (B, T) token ids, T <= block_size. Returns logits (B, T, V) and the mean NLL per character.

        ``caches`` (one dict per block, empty at first) turns on incremental decoding: the first call reads
        the prefix, each later call one new token, whose position follows the cached ones."""
        T = idx.shape[1]
        start = caches[0]["k"].shape[2] if caches and "k" in caches[0] else 0
        assert self.config.block_size >= start + T, (
            f"sequence of {start + T} exceeds {self.config.block_size}"
        )
        pos = torch.arange(start, start + T, device=idx.device)
        x = self.drop(self.tok_emb(idx) + self.pos_emb(pos))  # (B, T, C)
        for i, block in enumerate(self.blocks):
            x = block(x, caches[i] if caches is not None else None)
        logits = self.head(self.ln_f(x))  # (B, T, V)
        loss = None
        if targets is not None:
            loss = F.cross_entropy(logits.flatten(0, 1), targets.flatten(), ignore_index=IGNORE)
        return logits, loss


def build(config: Config) -> GPT:
    return GPT(config)


def nats_per_char(model: GPT, names: list[str]) -> float:
    return text_metrics.nats_per_char(model, names, block_size=model.config.block_size)


def fit(model: GPT, config: Config, *, generator: torch.Generator, log: Callable[[int, dict], None]) -> dict:
    """Next-token cross-entropy with AdamW; keeps the weights of the best validation loss."""
    if config.data == "digits":
        return _fit_digits(model, config, generator=generator, log=log)
    if config.data == "vq":
        return _fit_vq(model, config, generator=generator, log=log)
    return fit_next_character(model, config, generator=generator, log=log)


# --- digits as sequences ----------------------------------------------------------------------------------


def pixel_tokens(x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Digits (B, 1, 8, 8) of levels -> inputs (B, 64) [start, p0 .. p62] and targets (B, 64) p0 .. p63."""
    targets = x.flatten(1).long()  # raster order
    start = torch.full((len(x), 1), START, dtype=torch.long, device=x.device)
    return torch.cat([start, targets[:, :-1]], dim=1), targets


@torch.inference_mode()
def nll_bits_per_dim(model: GPT, x: torch.Tensor) -> torch.Tensor:
    """Bits per pixel of each image: (B,). Digits: the exact NLL of the 17-level pixels. vq: the bound
    -log2 p(x | z*) - log2 p(z*) on -log2 P(x) of the 256-level image (see the module docstring), the
    prior scored with the "any class" token; not defined for names."""
    if model.config.data == "vq":
        vq = the_vqvae(model)
        codes = vq.codes_of(x.to(vq.codebook.device))
        return vqvae.recon_bits_per_dim(vq, x.to(vq.codebook.device)).cpu() + code_bits(model, codes) / 784
    assert model.config.data == "digits", "bits per dimension are defined for the image models"
    inputs, targets = pixel_tokens(x)
    logits, _ = model(inputs)
    nll = F.cross_entropy(logits.transpose(1, 2), targets, reduction="none")  # (B, 64) nats
    return nll.mean(1) / math.log(2)


def _fit_digits(model: GPT, config: Config, *, generator: torch.Generator, log) -> dict:
    train, val = data.digits("train").images, data.digits("val").images

    def draw(generator: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
        return pixel_tokens(train[torch.randint(0, len(train), (config.batch,), generator=generator)])

    return fit_next_token(
        model,
        config,
        draw=draw,
        validate=lambda: nll_bits_per_dim(model, val).mean().item(),
        unit="bits_per_dim",
        generator=generator,
        log=log,
    )


def _next_token(logits: torch.Tensor, *, generator, temperature: float, top_k: int | None) -> torch.Tensor:
    """Draw one token per row from the last position's logits (n, V): (n, 1), on the CPU with ``generator``
    so that a seed means the same draw on any device."""
    logits = logits.cpu() / temperature
    if top_k is not None:
        kth = torch.topk(logits, min(top_k, logits.size(-1))).values[:, -1:]  # (n, 1)
        logits = logits.masked_fill(logits < kth, float("-inf"))
    return torch.multinomial(F.softmax(logits, dim=-1), 1, generator=generator)


@torch.inference_mode()
def generate_digits(
    model: GPT,
    n: int,
    *,
    generator: torch.Generator,
    temperature: float = 1.0,
    top_k: int | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> torch.Tensor:
    """Sample n digits pixel by pixel in raster order: (n, 1, 8, 8) levels 0..16, reporting each pixel."""
    assert model.config.data == "digits", "generate_digits needs the digits model"
    assert temperature > 0, "temperature must be positive"
    assert top_k is None or top_k >= 1, "top_k must be at least 1"
    model.eval()
    device = next(model.parameters()).device
    idx = torch.full((n, 1), START, dtype=torch.long)  # (n, 1): the start token
    for step in range(PIXELS):
        logits, _ = model(idx.to(device))
        pixel = _next_token(logits[:, -1, :START], generator=generator, temperature=temperature, top_k=top_k)
        idx = torch.cat([idx, pixel], dim=1)
        if progress is not None:
            progress(step + 1, PIXELS)
    return idx[:, 1:].view(n, 1, 8, 8)


# --- Fashion-MNIST as sequences of VQ-VAE codes (gpt-vq-fashion) ----------------------------------------


def code_tokens(
    config: Config, codes: torch.Tensor, labels: torch.Tensor | None = None
) -> tuple[torch.Tensor, torch.Tensor]:
    """Code grids (B, 7, 7) and class ids (B,) (None, or -1 in a row: any class) -> inputs (B, 49)
    [class token, c0 .. c47] and targets (B, 49) c0 .. c48, the codes in raster order."""
    targets = codes.flatten(1).long()
    first = torch.full((len(codes),), config.vocab_size - 1, dtype=torch.long, device=codes.device)  # "any"
    if labels is not None:
        labels = labels.to(codes.device)
        first = torch.where(labels >= 0, labels + config.codes, first)
    return torch.cat([first[:, None], targets[:, :-1]], dim=1), targets


@torch.inference_mode()
def code_bits(
    model: GPT, codes: torch.Tensor, labels: torch.Tensor | None = None, batch: int = 1000
) -> torch.Tensor:
    """Exact -log2 p(codes | class) of each code grid (B, 7, 7) under the prior, in bits per image: (B,)."""
    device = next(model.parameters()).device
    out = []
    for i in range(0, len(codes), batch):
        chunk = None if labels is None else labels[i : i + batch]
        inputs, targets = code_tokens(model.config, codes[i : i + batch].to(device), chunk)
        logits, _ = model(inputs)
        nll = F.cross_entropy(logits.transpose(1, 2), targets, reduction="none")  # (b, 49) nats
        out.append(nll.sum(1).cpu() / math.log(2))
    return torch.cat(out)


def the_vqvae(model: GPT) -> vqvae.VQVAE:
    """The shipped VQ-VAE whose codes a vq model reads, on the model's device (hash-checked by load)."""
    return load(model.config.vqvae, device=str(next(model.parameters()).device))


def _fit_vq(model: GPT, config: Config, *, generator: torch.Generator, log) -> dict:
    cpu_started = time.process_time()
    vq = load(config.vqvae)
    train, val = data.fashion("train"), data.fashion("val")
    train_codes, val_codes = vq.codes_of(train.images), vq.codes_of(val.images)  # (N, 7, 7) each

    def draw(generator: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
        idx = torch.randint(0, len(train_codes), (config.batch,), generator=generator)
        labels = train.labels[idx].clone()
        labels[torch.rand(config.batch, generator=generator) < config.label_drop] = -1  # "any class"
        return code_tokens(config, train_codes[idx], labels)

    record = fit_next_token(
        model,
        config,
        draw=draw,
        validate=lambda: code_bits(model, val_codes).mean().item() / CODES,
        unit="bits_per_code",
        generator=generator,
        log=log,
    )
    prior = code_bits(model, val_codes)  # bits per image, no class given
    recon = vqvae.recon_bits_per_dim(vq, val.images)
    record.update(
        val_bits_per_code_given_class=round(code_bits(model, val_codes, val.labels).mean().item() / CODES, 4),
        val_recon_bits_per_dim=round(recon.mean().item(), 4),
        val_bits_per_dim=round((recon + prior / 784).mean().item(), 4),
        vqvae_sha256=registry.read_manifest(config.vqvae)["sha256"],
        cpu_time_s=round(time.process_time() - cpu_started, 1),  # the encoding of the codes included
    )
    return record


@torch.inference_mode()
def generate_codes(
    model: GPT,
    n: int,
    *,
    generator: torch.Generator,
    labels: torch.Tensor | None = None,
    temperature: float = 1.0,
    top_k: int | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> torch.Tensor:
    """Draw n code grids (n, 7, 7) one code at a time in raster order, with a key/value cache; labels (n,)
    of class ids (or None: any class). Reports each code."""
    assert model.config.data == "vq", "generate_codes needs the vq model"
    assert temperature > 0, "temperature must be positive"
    assert top_k is None or top_k >= 1, "top_k must be at least 1"
    model.eval()
    device = next(model.parameters()).device
    idx, _ = code_tokens(model.config, torch.zeros(n, 7, 7, dtype=torch.long), labels)
    idx = idx[:, :1]  # (n, 1): the class token
    caches: list[dict] = [{} for _ in model.blocks]
    out = []
    for step in range(CODES):
        logits, _ = model(idx.to(device), caches=caches)
        idx = _next_token(logits[:, -1], generator=generator, temperature=temperature, top_k=top_k)  # (n, 1)
        out.append(idx)
        if progress is not None:
            progress(step + 1, CODES)
    return torch.cat(out, dim=1).view(n, 7, 7)


@torch.inference_mode()
def generate(
    model: GPT,
    n: int,
    *,
    generator: torch.Generator,
    temperature: float = 1.0,
    top_k: int | None = None,
    prefix: str = "",
    max_length: int | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> list[str]:
    """Sample n names starting with ``prefix``, rerunning the decoder on the growing context each step.

    temperature divides the logits; top_k keeps only the k likeliest characters at each step (None: all).
    """
    assert temperature > 0, "temperature must be positive"
    assert top_k is None or top_k >= 1, "top_k must be at least 1"
    prefix = check_prefix(prefix)
    max_length = max_length or model.config.block_size - 1
    model.eval()
    device = next(model.parameters()).device
    idx = torch.tensor([[STOI["."]] + [STOI[ch] for ch in prefix]]).repeat(n, 1)  # (n, 1 + len(prefix))
    done = torch.zeros(n, dtype=torch.bool)
    out = idx[:, 1:].tolist()
    total = max(0, max_length - len(prefix))
    for step in range(total):
        if progress is not None:
            progress(step, total)
        logits, _ = model(idx[:, -model.config.block_size :].to(device))
        nxt = _next_token(logits[:, -1], generator=generator, temperature=temperature, top_k=top_k)  # (n, 1)
        done |= nxt[:, 0] == STOI["."]
        for row in range(n):
            if not done[row]:
                out[row].append(int(nxt[row, 0]))
        if done.all():
            break
        idx = torch.cat([idx, nxt], dim=1)
    if progress is not None:
        progress(total, total)
    return [decode(tokens) for tokens in out]


def sample(
    model: GPT,
    n: int,
    *,
    generator: torch.Generator,
    device: str = "cpu",
    progress: Callable[[int, int], None] | None = None,
    temperature: float = 1.0,
    top_k: int | None = None,
    prefix: str = "",
    labels: torch.Tensor | None = None,
) -> list[str] | torch.Tensor:
    """The registry's sampling entry point; the model already lives on ``device``. Names: a list of
    strings; digits: a tensor (n, 1, 8, 8) of levels; vq: (n, 1, 28, 28) levels 0..255, the drawn codes
    decoded by the VQ-VAE (each pixel's likeliest level), of class ``labels`` (n,) or of any class (None).
    ``prefix`` is for names only, ``labels`` for vq only."""
    if model.config.data == "vq":
        codes = generate_codes(
            model,
            n,
            generator=generator,
            labels=labels,
            temperature=temperature,
            top_k=top_k,
            progress=progress,
        )
        return vqvae.decode_codes(the_vqvae(model), codes)
    if model.config.data == "digits":
        return generate_digits(
            model, n, generator=generator, temperature=temperature, top_k=top_k, progress=progress
        )
    return generate(
        model, n, generator=generator, temperature=temperature, top_k=top_k, prefix=prefix, progress=progress
    )


# --- the shipped model and its demo -----------------------------------------------------------------------

MODELS = (
    ZooModel(
        name="gpt-names",
        family="generative-transformers",
        module=__name__,
        kind="text",
        title="GPT-style decoder over the characters of names",
        citation_key=CITATION,
        # 20,000 steps with dropout 0.1 (919 CPU-s): best validation 2.096 nats/char at step 19,500, where
        # 10,000 steps without dropout had reached 2.111 (train 2.02: it had begun to overfit).
        config={"steps": 20000, "dropout": 0.1},
        seed=0,
    ),
    ZooModel(
        name="gpt-vq-fashion",
        family="generative-transformers",
        module=__name__,
        kind="image",
        title="GPT-style prior over the 7x7 codes of a VQ-VAE (Fashion-MNIST), class-conditional",
        citation_key=CITATION,
        config={
            "data": "vq",
            "dataset": "fashion",
            "vqvae": "vqvae-fashion",
            "vocab_size": 128 + 10 + 1,  # the VQ-VAE's 128 codes, 10 class tokens, "any class"
            "block_size": CODES,
            "n_layer": 4,
            "n_head": 4,
            "n_embd": 96,
            "dropout": 0.1,
            "label_drop": 0.1,
            "steps": 1000,
            "batch": 64,
            "lr": 2e-3,
            "eval_every": 200,
        },
        seed=0,
        likelihood="bound",
        parts=("vqvae-fashion",),  # the same VQ-VAE under its factorised per-class code prior
    ),
    ZooModel(
        name="gpt-digits",
        family="generative-transformers",
        module=__name__,
        kind="image",
        title="GPT-style decoder over the pixels of 8x8 digits",
        citation_key=CITATION,
        config={
            "data": "digits",
            "vocab_size": data.LEVELS + 1,
            "block_size": PIXELS,
            "n_layer": 4,
            "n_head": 4,
            "n_embd": 64,
            "dropout": 0.1,
            "steps": 2000,
            "batch": 64,
            "lr": 2e-3,
            "eval_every": 250,
        },
        seed=0,
    ),
)


def _run_names(params: dict, *, device: str, progress) -> tuple[list[Artefact], dict]:
    prefix = check_prefix(params["prefix"])  # validated already (prefix_param); this lowercases it
    model = load("gpt-names", device=device)
    names = sample(
        model,
        params["n"],
        generator=generator_for(params["seed"]),
        progress=progress,
        temperature=params["temperature"],
        top_k=params["top_k"] or None,
        prefix=prefix,
    )
    text = "".join(f"{name.capitalize()}\n" for name in names)
    return [Artefact("names.txt", "text/plain", text.encode())], {"names": names}


def _run_digits(params: dict, *, device: str, progress) -> tuple[list[Artefact], dict]:
    model = load("gpt-digits", device=device)
    images = generate_digits(
        model,
        params["n"],
        generator=generator_for(params["seed"]),
        progress=progress,
        temperature=params["temperature"],
        top_k=params["top_k"] or None,
    )
    return [Artefact("samples.png", "image/png", grid_png(images))], {"shape": list(images.shape)}


def _run_vq(params: dict, *, device: str, progress) -> tuple[list[Artefact], dict]:
    model = load("gpt-vq-fashion", device=device)
    n, label = params["n"], params["label"]
    labels = labels_for(label, n)
    images = sample(
        model,
        n,
        generator=generator_for(params["seed"]),
        device=device,
        progress=progress,
        temperature=params["temperature"],
        top_k=params["top_k"] or None,
        labels=labels,
    )
    return [Artefact("samples.png", "image/png", grid_png(images))], {"shape": list(images.shape)}


DEMOS = (
    Demo(
        slug="gpt-names",
        family="generative-transformers",
        title="GPT: new names, one character at a time",
        description="A small decoder-only transformer with causal self-attention continues a prefix "
        "letter by letter. Temperature flattens or sharpens each choice; top-k keeps only the k likeliest "
        "letters.",
        model="gpt-names",
        params=(
            seed_param(),
            n_param(),
            Param("temperature", "float", 1.0, 0.1, 2.0, help="Divides the logits of every next letter."),
            Param(
                "top_k", "int", 0, 0, 27, help="Keep the k likeliest letters at each step (0: all of them)."
            ),
            prefix_param(),
        ),
        citation_key=CITATION,
        run=_run_names,
    ),
    Demo(
        slug="gpt-digits",
        family="generative-transformers",
        title="GPT: digits as sequences of pixels",
        description="The same decoder reads a digit as a sentence of 64 grey levels and writes new ones a "
        "pixel at a time, each level a choice among 17 given every pixel before it: images as token "
        "sequences, the idea behind ViT-GPT and DALL-E, at the scale of 8x8 digits.",
        model="gpt-digits",
        params=(
            seed_param(),
            n_param(),
            Param("temperature", "float", 1.0, 0.1, 2.0, help="Divides the logits of every pixel's softmax."),
            Param("top_k", "int", 0, 0, 17, help="Keep the k likeliest grey levels at each pixel (0: all)."),
        ),
        citation_key=CITATION,
        run=_run_digits,
    ),
    Demo(
        slug="gpt-vq-fashion",
        family="generative-transformers",
        also=("vaes",),  # a composition: the VQ-VAE (vqvae.py) paints what the transformer writes
        title="GPT over VQ-VAE codes: Fashion-MNIST",
        description="A VQ-VAE turns each 28x28 image into a 7x7 grid of 128 learned codes; the transformer "
        "writes a new grid one code at a time, after a class token (or 'any'), and the VQ-VAE's decoder "
        "paints it: 49 choices instead of 784, the two-stage recipe of VQ-VAE priors, VQGAN and DALL-E.",
        model="gpt-vq-fashion",
        params=(
            seed_param(),
            n_param(),
            Param(
                "label",
                "choice",
                "any",
                choices=("any", *data.FASHION_CLASSES),
                help="The kind of clothing to draw (any: the model picks).",
            ),
            Param("temperature", "float", 1.0, 0.1, 2.0, help="Divides the logits of every code's softmax."),
            Param("top_k", "int", 0, 0, 128, help="Keep the k likeliest codes at each step (0: all)."),
        ),
        citation_key=CITATION,
        run=_run_vq,
    ),
)
