"""Benchmark of the REST API (prints figures; not a test).

Serves the site with gunicorn on PostgreSQL, with the catalog padded to 5,000 papers, and drives concurrent
clients at a filtered paper list, the family list, the BibTeX export of every paper, and a trivial Django
view (/healthz/) in the same run. Prints requests/s, p50 and p99 for each, and each endpoint's throughput
as a share of the trivial view's.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/atlas_api_bench .venv/bin/python bench/api.py
    # options: --clients 8 --seconds 10 --workers 3 --papers 5000

The database named in DATABASE_URL is created if missing and filled (it is the benchmark's own: do not point
it at a database you care about). Client and server share the machine, so the figures include the clients'
own CPU use; the ratio to the trivial view is the comparable number. Throttling is lifted for the run.
"""

from __future__ import annotations

import argparse
import http.client
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

# The padding and the database set-up are the web benchmark's, so both measure the same catalog.
from bench.web import ensure_database, free_port, manage, percentile, prepare  # noqa: E402

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/atlas_api_bench"
BIBTEX = "application/x-bibtex"

TARGETS = [
    ("trivial view", "/healthz/", "text/html"),
    ("API root", "/api/", "application/json"),
    ("papers ?family= (JSON)", "/api/papers/?family=diffusion-models", "application/json"),
    ("families (JSON)", "/api/families/", "application/json"),
    ("all papers as BibTeX", "/api/papers/", BIBTEX),
]


def get(port: int, path: str, accept: str) -> tuple[float, int]:
    started = time.perf_counter()
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    connection.request("GET", path, headers={"Host": "127.0.0.1", "Accept": accept})
    response = connection.getresponse()
    body = response.read()
    connection.close()
    if response.status != 200:
        raise RuntimeError(f"{path} answered {response.status}: {body[:200]!r}")
    return time.perf_counter() - started, len(body)


def drive(
    port: int, path: str, accept: str, *, clients: int, seconds: float
) -> tuple[float, list[float], int]:
    latencies: list[float] = []
    size = 0
    lock = threading.Lock()
    deadline = time.perf_counter() + seconds

    def client() -> None:
        nonlocal size
        mine = []
        while time.perf_counter() < deadline:
            elapsed, size = get(port, path, accept)
            mine.append(elapsed)
        with lock:
            latencies.extend(mine)

    threads = [threading.Thread(target=client) for _ in range(clients)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return len(latencies) / (time.perf_counter() - started), latencies, size


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument("--papers", type=int, default=5000)
    options = parser.parse_args()

    url = os.environ.get("DATABASE_URL", DEFAULT_URL)
    if not url.startswith("postgres"):
        sys.exit("bench/api.py measures the PostgreSQL setup: set DATABASE_URL=postgres://...")
    ensure_database(url)
    static_root = tempfile.mkdtemp(prefix="atlas-static-")
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "DJANGO_DEBUG": "false",
        "DJANGO_SECRET_KEY": "bench-" + "x" * 50,
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
        "DJANGO_STATIC_ROOT": static_root,
        "DJANGO_LOG_LEVEL": "WARNING",
        "API_THROTTLE_ANON": "100000000/minute",
        "API_THROTTLE_USER": "100000000/minute",
    }
    prepare(options.papers, env)
    manage("collectstatic", "--noinput", "-v0", env=env)

    from papers.models import Paper

    papers = Paper.objects.count()
    port = free_port()
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "config.wsgi",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(options.workers),
            "--timeout",
            "120",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
    )
    try:
        for _ in range(100):
            try:
                get(port, "/healthz/", "text/html")
                break
            except OSError:
                time.sleep(0.2)
        for _, path, accept in TARGETS:  # warm every worker's caches and connections
            for _ in range(options.workers * 2):
                get(port, path, accept)
        bib = get(port, "/api/papers/", BIBTEX)[1]
        print(
            f"gunicorn {options.workers} sync workers, {options.clients} clients, "
            f"{options.seconds:.0f} s each, {papers} papers ({bib / 1e6:.1f} MB of BibTeX), "
            f"{os.cpu_count()} CPUs"
        )
        print(f"{'target':<26}{'req/s':>9}{'p50 ms':>9}{'p99 ms':>9}{'vs trivial':>12}")
        baseline = None
        for name, path, accept in TARGETS:
            rate, latencies, _ = drive(port, path, accept, clients=options.clients, seconds=options.seconds)
            baseline = baseline or rate
            print(
                f"{name:<26}{rate:>9.1f}{statistics.median(latencies) * 1000:>9.1f}"
                f"{percentile(latencies, 0.99) * 1000:>9.1f}{rate / baseline:>11.1%}"
            )
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
        import shutil

        shutil.rmtree(static_root, ignore_errors=True)


if __name__ == "__main__":
    main()
