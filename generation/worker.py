"""Worker process set-up. The parent process (which forks the pool) never imports torch or touches CUDA: it
only sizes the thread pools through the environment; each child picks its device and torch threads once."""

import logging
import os

from celery.signals import worker_init, worker_process_init
from django.conf import settings

logger = logging.getLogger(__name__)
_state = {"device": "cpu", "threads": 1, "ready": False}


def usable_cores() -> int:
    """The cores this process may run on (its affinity mask, which a container or taskset narrows)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def torch_threads_for(concurrency: int, cores: int | None = None) -> int:
    """Torch threads per pool process: GENERATION_TORCH_THREADS, or else the usable cores less one (the
    worker's parent, beat, the broker and, under serve_with_worker, the web server run there too), shared
    among the pool's processes. A pool that asked for every core lost them to the others each step: OpenMP's
    threads wait for each other at every operation, so on a busy two-core machine two threads sampled three
    to ten times slower than the command-line sampler's one."""
    configured = settings.GENERATION_TORCH_THREADS
    if configured:
        return configured
    cores = cores or usable_cores()
    return max(1, (cores - 1) // max(1, concurrency))


@worker_init.connect
def _size_threads(sender=None, **kwargs) -> None:
    """Before the pool forks: OpenMP and MKL read these when torch first loads in a child."""
    threads = torch_threads_for(getattr(sender, "concurrency", 1) or 1)
    _state["threads"] = threads
    for name in ("OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(name, str(threads))


@worker_process_init.connect
def _init_child(**kwargs) -> None:
    """In each pool child: torch threads sized to the worker, and the device this worker serves."""
    import torch

    threads = int(os.environ.get("OMP_NUM_THREADS", _state["threads"]))
    torch.set_num_threads(threads)
    wanted = settings.GENERATION_DEVICE
    if wanted == "auto":
        wanted = "cuda" if torch.cuda.is_available() else "cpu"
    _state.update(device=wanted, threads=threads, ready=True)
    # The zoo's code (not its checkpoints: those load lazily, once, on first use) so that the first job
    # does not pay for importing every family module.
    from generation.zoo import demos

    demos.list_demos()
    logger.info(
        "generation worker process %d ready: device=%s torch_threads=%d", os.getpid(), wanted, threads
    )


def worker_device() -> str:
    """The device this worker process samples on ("cpu" or "cuda"). Under ``--pool solo`` no child is forked
    and worker_process_init never fires, so the first task sets the process up instead."""
    if not _state["ready"]:
        _init_child()
    return _state["device"]
