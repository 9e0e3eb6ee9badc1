"""The training loop both name models share (char_rnn.py, transformer.py): next-character cross-entropy
with AdamW and a one-cycle schedule, keeping the weights of the best validation nats per character."""

from __future__ import annotations

import copy
import time
from collections.abc import Callable
from typing import Protocol

import torch
from torch import nn

from generation.zoo import data, text_metrics
from generation.zoo.chars import batch


class NameConfig(Protocol):
    block_size: int  # longest '.name' the model reads
    steps: int  # optimiser steps
    batch: int  # names per step
    lr: float  # peak learning rate of the one-cycle schedule
    eval_every: int  # validation nats/char every this many steps


def fit_next_character(
    model: nn.Module, config: NameConfig, *, generator: torch.Generator, log: Callable[[int, dict], None]
) -> dict:
    """Train ``model`` (forward(x, y) -> (logits, loss)) on the training names; return its training record."""
    cpu_started = time.process_time()  # CPU seconds: honest cost on a shared machine
    x_all, y_all = batch(data.names("train"), config.block_size)  # (N, T) each
    val = data.names("val")
    opt = torch.optim.AdamW(model.parameters(), lr=config.lr, weight_decay=0.01)
    sched = torch.optim.lr_scheduler.OneCycleLR(
        opt, max_lr=config.lr, total_steps=config.steps, pct_start=0.05
    )
    losses: list[float] = []
    best = (float("inf"), 0, copy.deepcopy(model.state_dict()))
    for step in range(1, config.steps + 1):
        model.train()
        idx = torch.randint(0, len(x_all), (config.batch,), generator=generator)
        _, loss = model(x_all[idx], y_all[idx])
        opt.zero_grad(set_to_none=True)
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        sched.step()
        losses.append(loss.item())
        if step % config.eval_every == 0 or step == config.steps:
            val_npc = text_metrics.nats_per_char(model, val, block_size=config.block_size)
            if val_npc < best[0]:
                best = (val_npc, step, copy.deepcopy(model.state_dict()))
            log(step, {"train_nats_per_char": losses[-1], "val_nats_per_char": val_npc})
    model.load_state_dict(best[2])
    model.eval()
    return {
        "val_nats_per_char": best[0],
        "best_step": best[1],
        "cpu_time_s": round(time.process_time() - cpu_started, 1),
        "history": {"train_nats_per_char": losses},
    }
