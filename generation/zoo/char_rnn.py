"""A character-level recurrent language model of names: the sequence branch of the autoregressive family.

Follows graves2013generating (generating sequences one symbol at a time with a recurrent network, sampling
each next symbol from a softmax), with a GRU cell (cho2014learning) by default or an LSTM cell
(hochreiter1997long). The model factorises p(name) = prod_t p(c_t | c_<t) exactly, so test nats per
character is an exact likelihood (see chars.py for how names are framed).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from generation.zoo import text_metrics
from generation.zoo.chars import IGNORE, STOI, VOCAB_SIZE, check_prefix, decode, prefix_param
from generation.zoo.demos import Artefact, Demo, generator_for
from generation.zoo.next_token_training import fit_next_character
from generation.zoo.params import Param, n_param, seed_param
from generation.zoo.registry import ZooModel, load

CITATION = "graves2013generating"


@dataclass
class Config:
    cell: str = "gru"  # "gru" (cho2014learning) or "lstm" (hochreiter1997long)
    vocab_size: int = VOCAB_SIZE  # 26 letters + the boundary mark
    embed: int = 32  # character embedding width
    hidden: int = 128  # recurrent state width
    layers: int = 1  # stacked recurrent layers
    dropout: float = 0.0  # between recurrent layers (layers > 1), training only
    block_size: int = 16  # longest input ('.' + name) the model is trained and sampled on
    steps: int = 1000  # optimiser steps
    batch: int = 128  # names per step
    lr: float = 3e-3  # AdamW peak learning rate (one-cycle schedule)
    eval_every: int = 250  # steps between validation passes; the best validation checkpoint is kept


class CharRNN(nn.Module):
    def __init__(self, config: Config):
        super().__init__()
        assert config.cell in ("gru", "lstm"), f"cell must be 'gru' or 'lstm', not {config.cell!r}"
        self.config = config
        self.embed = nn.Embedding(config.vocab_size, config.embed)
        rnn = nn.GRU if config.cell == "gru" else nn.LSTM
        self.rnn = rnn(config.embed, config.hidden, config.layers, batch_first=True, dropout=config.dropout)
        self.head = nn.Linear(config.hidden, config.vocab_size)

    def step(self, idx: torch.Tensor, state=None):
        """Run the recurrence over idx (B, T) from ``state``: logits (B, T, V) and the new state."""
        h, state = self.rnn(self.embed(idx), state)  # (B, T, H)
        return self.head(h), state

    def forward(self, idx: torch.Tensor, targets: torch.Tensor | None = None):
        """idx: (B, T) token ids. Returns logits (B, T, V) and the mean NLL per target character (nats)."""
        logits, _ = self.step(idx)
        loss = None
        if targets is not None:
            loss = F.cross_entropy(logits.flatten(0, 1), targets.flatten(), ignore_index=IGNORE)
        return logits, loss


def build(config: Config) -> CharRNN:
    return CharRNN(config)


def nats_per_char(model: CharRNN, names: list[str]) -> float:
    return text_metrics.nats_per_char(model, names, block_size=model.config.block_size)


def fit(
    model: CharRNN, config: Config, *, generator: torch.Generator, log: Callable[[int, dict], None]
) -> dict:
    """Next-character cross-entropy with AdamW; keeps the weights of the best validation nats/char."""
    return fit_next_character(model, config, generator=generator, log=log)


@torch.inference_mode()
def generate(
    model: CharRNN,
    n: int,
    *,
    generator: torch.Generator,
    temperature: float = 1.0,
    prefix: str = "",
    max_length: int | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> list[str]:
    """Sample n names, each starting with ``prefix``; a name ends at the boundary mark or at max_length."""
    assert temperature > 0, "temperature must be positive"
    prefix = check_prefix(prefix)
    max_length = max_length or model.config.block_size - 1
    model.eval()
    device = next(model.parameters()).device
    start = torch.tensor([[STOI["."]] + [STOI[ch] for ch in prefix]]).repeat(n, 1)  # (n, 1 + len(prefix))
    start = start.to(device)
    logits, state = model.step(start)  # read the prefix once, keeping the state
    out = start[:, 1:].tolist()
    # Draws happen on the CPU with the caller's generator, so a seed gives the same names on any device.
    done = torch.zeros(n, dtype=torch.bool)
    total = max(0, max_length - len(prefix))
    for step in range(total):
        if progress is not None:
            progress(step, total)
        probs = F.softmax(logits[:, -1] / temperature, dim=-1)  # (n, V)
        nxt = torch.multinomial(probs.cpu(), 1, generator=generator)  # (n, 1)
        done |= nxt[:, 0] == STOI["."]
        for row in range(n):
            if not done[row]:
                out[row].append(int(nxt[row, 0]))
        if done.all():
            break
        logits, state = model.step(nxt.to(device), state)
    if progress is not None:
        progress(total, total)
    return [decode(tokens) for tokens in out]


def sample(
    model: CharRNN,
    n: int,
    *,
    generator: torch.Generator,
    device: str = "cpu",
    progress: Callable[[int, int], None] | None = None,
    temperature: float = 1.0,
    prefix: str = "",
) -> list[str]:
    """The registry's sampling entry point; the model already lives on ``device``."""
    return generate(model, n, generator=generator, temperature=temperature, prefix=prefix, progress=progress)


# --- the shipped model and its demo -----------------------------------------------------------------------

MODELS = (
    ZooModel(
        name="char-rnn",
        family="autoregressive-models",
        module=__name__,
        kind="text",
        title="Character-level GRU over names",
        citation_key=CITATION,
        seed=0,
    ),
)


def _run_names(params: dict, *, device: str, progress) -> tuple[list[Artefact], dict]:
    prefix = check_prefix(params["prefix"])  # validated already (prefix_param); this lowercases it
    model = load("char-rnn", device=device)
    names = sample(
        model,
        params["n"],
        generator=generator_for(params["seed"]),
        progress=progress,
        temperature=params["temperature"],
        prefix=prefix,
    )
    text = "".join(f"{name.capitalize()}\n" for name in names)
    return [Artefact("names.txt", "text/plain", text.encode())], {"names": names}


DEMOS = (
    Demo(
        slug="char-rnn-names",
        family="autoregressive-models",
        title="Character RNN: new names",
        description="A GRU reads a name one letter at a time and predicts the next letter; sampling from it "
        "letter by letter invents names. Give a prefix to start from, and a temperature to tame or "
        "loosen the choices.",
        model="char-rnn",
        params=(
            seed_param(),
            n_param(),
            Param("temperature", "float", 1.0, 0.1, 2.0, help="Divides the logits of every next letter."),
            prefix_param(),
        ),
        citation_key=CITATION,
        run=_run_names,
    ),
)
