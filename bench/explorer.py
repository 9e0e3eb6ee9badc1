"""Benchmark of the latent explorer's slider, end to end through the real queue (prints figures; not a test).

For each shipped explorable model: a slider dragged across its range, one new frame per position, each timed
from the request (GET /generation/explore/<model>/frame/?STATE with ``Prefer: wait=10``) to the PNG's bytes
(GET of the frame's content-addressed URL), with one Celery worker of one torch thread (a two-core machine
leaves the other core to the web server). Two sliders per model: t on a line between two seeds, and u along
the first principal direction (an attribute vector for a GAN) from an inverted test image. The first frame
of each model (model load, training-set statistics) is reported apart; then the median and p95 of the rest,
and the time of a frame asked for again (stored: no worker involved).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/atlas CELERY_BROKER_URL=redis://127.0.0.1:6379/0 \\
        .venv/bin/python bench/explorer.py [--frames 20] [--threads 1] [--model vae ...]

Frames go to a temporary media folder; nothing is written to the database.
"""

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("CELERY_BROKER_URL", "redis://127.0.0.1:6379/0")
MEDIA = tempfile.mkdtemp(prefix="bench-explorer-media-")
os.environ["DJANGO_MEDIA_ROOT"] = MEDIA
RUN = uuid.uuid4().hex[:8]
QUEUE = f"bench-explorer-{RUN}"
os.environ["CELERY_CPU_QUEUE"] = QUEUE
os.environ["CELERY_GPU_QUEUE"] = QUEUE

import django  # noqa: E402

django.setup()

from django.test import Client  # noqa: E402
from workers import start_worker, stop  # noqa: E402  (bench/workers.py, beside this script)

from generation import explorer  # noqa: E402


def frame(client: Client, model: str, state: dict) -> tuple[float, dict]:
    """Seconds from the slider's request to the frame's bytes, and the JSON answer."""
    started = time.perf_counter()
    answer = client.get(f"/generation/explore/{model}/frame/", state, HTTP_PREFER="wait=10")
    while answer.status_code == 202:  # only a cold model outlasts the wait
        answer = client.get(f"/generation/explore/{model}/frame/", state, HTTP_PREFER="wait=10")
    assert answer.status_code == 200, (answer.status_code, answer.content[:300])
    body = answer.json()
    image = client.get(body["image"])
    assert image.status_code == 200 and b"".join(image.streaming_content).startswith(b"\x89PNG")
    return time.perf_counter() - started, body


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=20, help="slider positions per slider (new frames)")
    parser.add_argument("--threads", type=int, default=1, help="torch threads of the worker process")
    parser.add_argument("--model", action="append", help="only these models (repeatable)")
    args = parser.parse_args()

    from django.conf import settings

    settings.GENERATION_EXPLORER_RATE = "1000000/minute"  # the bench is the only client
    models = [m for m in explorer.model_list() if not args.model or m.name in args.model]
    missing = [name for name in explorer.MODELS if not explorer.MODELS[name].shipped]
    if missing:
        print(f"not measured (no shipped checkpoint yet): {', '.join(missing)}")
    client = Client(REMOTE_ADDR="127.0.0.1")
    rng = random.Random()
    print(f"one worker, torch_threads={args.threads}, {args.frames} new frames per slider, queue={QUEUE}")
    worker, _ = start_worker(f"bench-explorer-{RUN}", queue=QUEUE, logs=Path(MEDIA), threads=args.threads)
    try:
        header = (
            f"{'model':16} {'slider':28} {'first s':>8} │ {'median ms':>9} {'p95 ms':>7} {'make ms':>8} "
            f"{'again ms':>8}"
        )
        print(header)
        print("-" * len(header))
        for model in models:
            seed = rng.randrange(2**31 - 2)
            direction = "pc:0" if model.invertible else "class:1-7"
            start = "test:5" if model.invertible else f"seed:{seed}"
            line = {"mode": "line", "a": f"seed:{seed}", "b": f"seed:{seed + 1}"}
            grid = {"mode": "grid", "a": start, "d1": direction}
            sliders = [
                ("t: seed to seed (line)", line, "t", 0.0, 1.0),
                (f"u: {start} along {direction}", grid, "u", -1.5, 1.5),
            ]
            for label, fixed, name, low, high in sliders:

                def state_at(x, fixed=fixed, name=name, low=low, high=high):
                    return {**fixed, name: f"{low + (high - low) * x:.2f}"}

                positions = [(i + 0.5) / (args.frames + 1) for i in range(args.frames + 1)]
                first, _ = frame(client, model.name, state_at(positions[0]))
                times, made = [], []
                for x in positions[1:]:
                    seconds, body = frame(client, model.name, state_at(x))
                    times.append(seconds)
                    made.append(body.get("made_in_s") or 0.0)
                again = [frame(client, model.name, state_at(x))[0] for x in positions[1:6]]
                print(
                    f"{model.name:16} {label[:28]:28} {first:8.3f} │ {1000 * statistics.median(times):9.1f} "
                    f"{1000 * p95(times):7.1f} {1000 * statistics.median(made):8.1f} "
                    f"{1000 * statistics.median(again):8.1f}"
                )
    finally:
        stop(worker)
    print("\nmedian/p95: request to image bytes of a new frame; make: the worker's own time for it (median);")
    print("again: the same frame asked for again (stored by content; no worker).")


if __name__ == "__main__":
    main()
