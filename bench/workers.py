"""Real ``celery worker`` processes for the benchmarks that go through the queue (generation, explorer)."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def start_worker(
    name: str, *, queue: str, logs: Path, threads: int, device: str = "cpu", progress_interval: float = 0.25
) -> tuple[subprocess.Popen, Path]:
    """One worker (concurrency 1) on ``queue``, ready once its pool child has imported torch and the zoo."""
    log = Path(logs) / f"{name}.log"
    environment = {
        **os.environ,
        "GENERATION_DEVICE": device,
        "GENERATION_TORCH_THREADS": str(threads),
        "GENERATION_PROGRESS_INTERVAL": str(progress_interval),
        "PYTHONUNBUFFERED": "1",
    }
    command = [
        sys.executable, "-m", "celery", "-A", "config", "worker", f"--queues={queue}", "--concurrency=1",
        f"--hostname={name}@%h", "--without-gossip", "--without-mingle", "--loglevel=INFO",
    ]  # fmt: skip
    with log.open("wb") as out:
        process = subprocess.Popen(
            command, cwd=ROOT, env=environment, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    deadline = time.monotonic() + 120
    # generation.worker logs this line from the pool's child once the zoo is imported.
    while "generation worker process" not in log.read_text(errors="replace"):
        if process.poll() is not None or time.monotonic() > deadline:
            raise SystemExit(f"worker {name} did not start:\n{log.read_text(errors='replace')}")
        time.sleep(0.1)
    return process, log


def stop(process: subprocess.Popen) -> None:
    """SIGTERM the worker's process group (a warm shutdown), SIGKILL it after 30 s."""
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
