"""The training loop of the zoo's next-token models (char_rnn.py over names, transformer.py over names,
over digit pixels and over the codes of VQ-VAE images): cross-entropy with AdamW, a one-cycle schedule and
clipped gradients, keeping the weights of the best validation score."""

from __future__ import annotations

import copy
import math
import time
from collections.abc import Callable
from typing import Protocol

import torch
from torch import nn

from generation.zoo import data, text_metrics
from generation.zoo.chars import batch

Batch = tuple[torch.Tensor, torch.Tensor]  # inputs, targets


class TokenConfig(Protocol):
    steps: int  # optimiser steps
    batch: int  # sequences per step
    lr: float  # peak learning rate of the one-cycle schedule
    eval_every: int  # validation every this many steps


def fit_next_token(
    model: nn.Module,
    config: TokenConfig,
    *,
    draw: Callable[[torch.Generator], Batch],
    validate: Callable[[], float],
    unit: str,
    generator: torch.Generator,
    log: Callable[[int, dict], None],
) -> dict:
    """Train ``model`` (forward(x, y) -> (logits, mean NLL in nats)) on batches from ``draw(generator)``.

    ``validate()`` scores the model in ``unit`` ("nats_per_char", "bits_per_dim" or "bits_per_code", the
    last for sequences of VQ-VAE codes; lower is better); the training losses are recorded in the same unit.
    Returns the training record for the manifest.
    """
    assert unit in ("nats_per_char", "bits_per_dim", "bits_per_code"), f"unknown unit {unit!r}"
    scale = 1.0 if unit == "nats_per_char" else 1 / math.log(2)
    cpu_started = time.process_time()  # CPU seconds: honest cost on a shared machine
    opt = torch.optim.AdamW(model.parameters(), lr=config.lr, weight_decay=0.01)
    sched = torch.optim.lr_scheduler.OneCycleLR(
        opt, max_lr=config.lr, total_steps=config.steps, pct_start=0.05
    )
    losses: list[float] = []
    best = (float("inf"), 0, copy.deepcopy(model.state_dict()))
    for step in range(1, config.steps + 1):
        model.train()
        inputs, targets = draw(generator)
        _, loss = model(inputs, targets)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        sched.step()
        losses.append(loss.item() * scale)
        if step % config.eval_every == 0 or step == config.steps:
            model.eval()
            score = validate()
            if score < best[0]:
                best = (score, step, copy.deepcopy(model.state_dict()))
            log(step, {f"train_{unit}": losses[-1], f"val_{unit}": score})
    model.load_state_dict(best[2])
    model.eval()
    return {
        f"val_{unit}": best[0],
        "best_step": best[1],
        "cpu_time_s": round(time.process_time() - cpu_started, 1),
        "history": {f"train_{unit}": losses},
    }


def fit_next_character(
    model: nn.Module, config, *, generator: torch.Generator, log: Callable[[int, dict], None]
) -> dict:
    """The name models' training: batches of training names, validation nats per character."""
    x_all, y_all = batch(data.names("train"), config.block_size)  # (N, T) each
    val = data.names("val")

    def draw(generator: torch.Generator) -> Batch:
        idx = torch.randint(0, len(x_all), (config.batch,), generator=generator)
        return x_all[idx], y_all[idx]

    return fit_next_token(
        model,
        config,
        draw=draw,
        validate=lambda: text_metrics.nats_per_char(model, val, block_size=config.block_size),
        unit="nats_per_char",
        generator=generator,
        log=log,
    )
