"""Metrics for the name models, and the bigram baseline they are measured against.

- nats per character on held-out names: the exact mean negative log-likelihood of each next character,
  the end-of-name mark included (chars.py), over every character of the split;
- novelty: the share of sampled names that appear in none of the training lists;
- mean length of sampled names against the mean length of the data's.

The bigram baseline is scored by the same ``nats_per_char`` code: it is a model whose logits at step t
depend on character t only.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence

import torch
import torch.nn.functional as F
from torch import nn

from generation.zoo.chars import IGNORE, VOCAB_SIZE, batch, decode, normalise


@torch.inference_mode()
def nats_per_char(
    model: nn.Module, names: Sequence[str], *, block_size: int, batch_size: int = 2048
) -> float:
    """Mean NLL (nats) per predicted character over all of ``names``; model(x, y) -> (logits, loss)."""
    model.eval()
    total, count = 0.0, 0
    for start in range(0, len(names), batch_size):
        x, y = batch(names[start : start + batch_size], block_size)
        logits, _ = model(x)  # (B, T, V)
        nll = F.cross_entropy(logits.flatten(0, 1), y.flatten(), ignore_index=IGNORE, reduction="sum")
        total += float(nll)
        count += int((y != IGNORE).sum())
    return total / count


def novelty(samples: Iterable[str], training: Iterable[str]) -> float:
    """Share of samples (empty names included) that are not a training name."""
    seen = {normalise(name) for name in training}
    samples = [normalise(s) for s in samples]
    assert samples, "novelty needs at least one sample"
    return sum(s not in seen for s in samples) / len(samples)


def mean_length(names: Iterable[str]) -> float:
    lengths = [len(normalise(n)) for n in names]
    return sum(lengths) / len(lengths)


class Bigram(nn.Module):
    """p(c_t | c_{t-1}) from add-alpha smoothed counts: the baseline row of the text table."""

    def __init__(self, vocab_size: int = VOCAB_SIZE):
        super().__init__()
        self.register_buffer("log_probs", torch.full((vocab_size, vocab_size), -math.log(vocab_size)))

    def fit(self, names: Sequence[str], *, alpha: float, block_size: int) -> Bigram:
        return self.fit_counts(bigram_counts(names, block_size=block_size), alpha=alpha)

    def fit_counts(self, counts: torch.Tensor, *, alpha: float) -> Bigram:
        smoothed = counts + alpha
        self.log_probs = (smoothed / smoothed.sum(1, keepdim=True)).log()
        return self

    def forward(self, idx: torch.Tensor, targets: torch.Tensor | None = None):
        logits = self.log_probs[idx]  # (B, T, V), already normalised log-probabilities
        loss = None
        if targets is not None:
            loss = F.cross_entropy(logits.flatten(0, 1), targets.flatten(), ignore_index=IGNORE)
        return logits, loss


def bigram_counts(names: Sequence[str], *, block_size: int) -> torch.Tensor:
    """(V, V) counts of (previous, next) character pairs, boundary marks included."""
    x, y = batch(names, block_size)
    keep = y != IGNORE
    counts = torch.zeros(VOCAB_SIZE, VOCAB_SIZE)
    counts.index_put_((x[keep], y[keep]), torch.ones(int(keep.sum())), accumulate=True)
    return counts


def fit_bigram(train: Sequence[str], validation: Sequence[str], *, block_size: int) -> tuple[Bigram, float]:
    """Pick the smoothing alpha on the validation names; returns the model and the chosen alpha."""
    counts = bigram_counts(train, block_size=block_size)
    best = None
    for alpha in (0.01, 0.1, 0.5, 1.0, 2.0, 5.0):
        model = Bigram().fit_counts(counts, alpha=alpha)
        score = nats_per_char(model, validation, block_size=block_size)
        if best is None or score < best[0]:
            best = (score, alpha, model)
    return best[2], best[1]


@torch.inference_mode()
def bigram_generate(model: Bigram, n: int, *, generator: torch.Generator, max_length: int = 15) -> list[str]:
    """Sample n names from the bigram table (for novelty and length of the baseline)."""
    out: list[list[int]] = [[] for _ in range(n)]
    cur = torch.zeros(n, dtype=torch.long)
    done = torch.zeros(n, dtype=torch.bool)
    for _ in range(max_length):
        nxt = torch.multinomial(model.log_probs[cur].exp(), 1, generator=generator)[:, 0]  # (n,)
        done |= nxt == 0
        for row in range(n):
            if not done[row]:
                out[row].append(int(nxt[row]))
        cur = nxt
        if done.all():
            break
    return [decode(tokens) for tokens in out]


class BigramBaseline:
    """The ``bigram`` row of the table: the text baseline, scored by evaluate's text code like the models.

    Fit on the training names with alpha chosen on the validation names (the same split as the models).
    """

    name = "bigram"
    kind = "text"
    description = "Bigram p(c_t | c_t-1) over characters, add-alpha smoothed (alpha chosen on validation)"
    block_size = 16

    def __init__(self):
        from generation.zoo import data

        self.model, self.alpha = fit_bigram(
            data.names("train"), data.names("val"), block_size=self.block_size
        )

    def nats_per_char(self, names: Sequence[str]) -> float:
        return nats_per_char(self.model, names, block_size=self.block_size)

    def sample_names(self, n: int, generator: torch.Generator) -> list[str]:
        return bigram_generate(self.model, n, generator=generator, max_length=self.block_size - 1)
