"""The character vocabulary shared by the name models (char_rnn, transformer, the bigram baseline).

A name is lowercased and framed by one boundary mark: ``.emma.`` (makemore's convention). The model reads
``.emma`` and must predict ``emma.``; the final ``.`` is the end-of-name decision, so it counts as a
character in nats per character.
"""

from __future__ import annotations

import string
from collections.abc import Sequence

import torch

from generation.zoo.params import Param

BOUNDARY = "."
ALPHABET = BOUNDARY + string.ascii_lowercase  # index 0 is the boundary mark
STOI = {ch: i for i, ch in enumerate(ALPHABET)}
VOCAB_SIZE = len(ALPHABET)  # 27
IGNORE = -1  # target value of padding, skipped by the loss


def normalise(name: str) -> str:
    return name.strip().lower()


def check_prefix(prefix: str) -> str:
    """Lowercase a user's prefix; ValueError naming the first character the models cannot read."""
    prefix = normalise(prefix)
    for pos, ch in enumerate(prefix):
        if ch not in STOI or ch == BOUNDARY:
            raise ValueError(f"prefix may hold only the letters a-z; {ch!r} at position {pos} is not one")
    return prefix


def prefix_param(max_length: int = 10) -> Param:
    """The name models' prefix knob, checked up front (web form, API) by the same rule as ``check_prefix``."""
    return Param(
        "prefix",
        "str",
        "",
        0,
        max_length,
        help="Letters every name starts with (a-z, may be empty).",
        pattern="[A-Za-z]*",
        pattern_error="may hold only the letters a-z",
    )


def encode(name: str) -> list[int]:
    return [STOI[ch] for ch in BOUNDARY + normalise(name) + BOUNDARY]


def decode(tokens: Sequence[int]) -> str:
    return "".join(ALPHABET[t] for t in tokens if t != 0)


def batch(names: Sequence[str], block_size: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Inputs and targets (B, block_size): x = '.name' padded with 0, y = 'name.' padded with IGNORE."""
    x = torch.zeros(len(names), block_size, dtype=torch.long)
    y = torch.full((len(names), block_size), IGNORE, dtype=torch.long)
    for row, name in enumerate(names):
        tokens = encode(name)
        assert len(tokens) - 1 <= block_size, f"name {name!r} is longer than block_size={block_size}"
        x[row, : len(tokens) - 1] = torch.tensor(tokens[:-1])
        y[row, : len(tokens) - 1] = torch.tensor(tokens[1:])
    return x, y
