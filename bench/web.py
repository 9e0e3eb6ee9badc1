"""Benchmark of the web explorer (prints figures; not a test).

Serves the site with gunicorn on PostgreSQL, with the catalog padded to 5,000 papers, and drives concurrent
clients at the family page, a filtered papers list, search and a trivial Django view (/healthz/). Prints
requests/s, p50 and p99 for each, and each page's throughput as a share of the trivial view's.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/atlas_web_bench .venv/bin/python bench/web.py
    # options: --clients 8 --seconds 10 --workers 3 --papers 5000

The database named in DATABASE_URL is created if missing and filled (it is the benchmark's own: do not point
it at a database you care about). Client and server share the machine, so the figures include the clients'
own CPU use; the ratio to the trivial view is the comparable number.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import os
import random
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/atlas_web_bench"

TARGETS = [
    ("trivial view", "/healthz/"),
    ("family page", "/families/diffusion-models/"),
    ("papers list (filtered)", "/papers/?family=diffusion-models&year_from=2010&sort=oldest"),
    ("search", "/search/?q=diffusion"),
]
# fmt: off
WORDS = [
    "adversarial", "variational", "autoregressive", "flow", "diffusion", "energy", "transformer", "latent",
    "score", "denoising", "attention", "sampling", "likelihood", "invertible", "langevin", "contrastive",
    "hierarchical", "conditional", "discrete", "continuous", "image", "audio", "text", "video", "molecule",
    "graph", "sequence", "representation", "inference", "posterior", "prior",
]
# fmt: on


def ensure_database(url: str) -> None:
    import psycopg

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    admin = url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin, autocommit=True) as connection:
        exists = connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not exists:
            connection.execute(f'CREATE DATABASE "{name}"')


def manage(*args: str, env: dict) -> None:
    subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, check=True)


def prepare(papers_wanted: int, env: dict) -> None:
    """Migrate, load the real catalog when the loader works, then pad with synthetic papers."""
    manage("migrate", "--noinput", "-v0", env=env)
    loaded = subprocess.run(
        [sys.executable, "manage.py", "load_catalog"], cwd=ROOT, env=env, capture_output=True, text=True
    )
    if loaded.returncode != 0:
        print("load_catalog failed; padding a synthetic catalog instead:", loaded.stderr.strip()[-300:])
    os.environ.update(env)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    pad(papers_wanted)


def pad(papers_wanted: int) -> None:
    from django.db import connection, transaction

    from catalog.models import Family, FamilyPaper, TaxonomyNode
    from papers.models import Author, Authorship, Paper, PaperLink, Venue

    with transaction.atomic():
        if not Family.objects.exists():
            node = TaxonomyNode.objects.create(slug="bench", name="Bench")
            for position, slug in enumerate(
                [
                    "gans",
                    "vaes",
                    "autoregressive-models",
                    "normalizing-flows",
                    "diffusion-models",
                    "energy-based-models",
                    "generative-transformers",
                ]
            ):
                Family.objects.create(
                    slug=slug,
                    name=slug.replace("-", " ").title(),
                    short_name=slug[:12],
                    position=position,
                    taxonomy_node=node,
                    summary=f"{slug} summary",
                    mechanism="Mechanism.",
                    key_insight="Insight.",
                    likelihood="exact",
                    sampling="one_pass",
                )
        missing = papers_wanted - Paper.objects.count()
        if missing <= 0:
            return
        rng = random.Random(5000)
        families = list(Family.objects.all())
        venues = [
            Venue.objects.get_or_create(slug=f"bench-venue-{n}", defaults={"name": f"Bench Venue {n}"})[0]
            for n in range(30)
        ]
        start = Paper.objects.count()
        authors = Author.objects.bulk_create(
            Author(
                slug=f"bench-author-{start + n}",
                given=rng.choice(["Ada", "Alan", "Grace", "Kurt"]),
                family=f"Benchmark{start + n}",
            )
            for n in range(missing // 2 + 1)
        )
        papers = Paper.objects.bulk_create(
            Paper(
                citation_key=f"bench{start + n}",
                title=" ".join(rng.sample(WORDS, 6)).capitalize(),
                abstract=" ".join(rng.choices(WORDS, k=60)).capitalize() + ".",
                year=rng.randint(1990, 2025),
                venue=rng.choice(venues),
                entry_type="inproceedings",
                booktitle="Proceedings of the Benchmark",
            )
            for n in range(missing)
        )
        Authorship.objects.bulk_create(
            Authorship(paper=paper, author=author, position=position)
            for paper in papers
            for position, author in enumerate(rng.sample(authors, 3))
        )
        FamilyPaper.objects.bulk_create(
            [FamilyPaper(family=families[n % len(families)], paper=paper) for n, paper in enumerate(papers)],
            ignore_conflicts=True,
        )
        PaperLink.objects.bulk_create(
            [
                PaperLink(source=paper, target=papers[n - 1 - rng.randrange(min(n, 50))], kind="builds_on")
                for n, paper in enumerate(papers)
                if n
            ],
            ignore_conflicts=True,
        )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def get(port: int, path: str, accept: str = "") -> tuple[float, int]:
    """One GET on a fresh connection: (seconds, body bytes). Anything but 200 stops the benchmark."""
    started = time.perf_counter()
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    headers = {"Host": "127.0.0.1", **({"Accept": accept} if accept else {})}
    connection.request("GET", path, headers=headers)
    response = connection.getresponse()
    body = response.read()
    connection.close()
    if response.status != 200:
        raise RuntimeError(f"{path} answered {response.status}: {body[:200]!r}")
    return time.perf_counter() - started, len(body)


def drive(
    port: int, path: str, *, clients: int, seconds: float, accept: str = ""
) -> tuple[float, list[float]]:
    """``clients`` threads GET ``path`` back to back for ``seconds``: (requests/s, latencies)."""
    latencies: list[float] = []
    lock = threading.Lock()
    deadline = time.perf_counter() + seconds

    def client() -> None:
        mine = []
        while time.perf_counter() < deadline:
            mine.append(get(port, path, accept)[0])
        with lock:
            latencies.extend(mine)

    threads = [threading.Thread(target=client) for _ in range(clients)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return len(latencies) / (time.perf_counter() - started), latencies


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def bench_env(url: str, static_root: str, **extra: str) -> dict:
    """The server's environment: production settings on the benchmark's own database."""
    return {
        **os.environ,
        "DATABASE_URL": url,
        "DJANGO_DEBUG": "false",
        "DJANGO_SECRET_KEY": "bench-" + "x" * 50,
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
        "DJANGO_STATIC_ROOT": static_root,
        "DJANGO_LOG_LEVEL": "WARNING",
        **extra,
    }


@contextlib.contextmanager
def gunicorn(env: dict, *, workers: int) -> Iterator[int]:
    """gunicorn serving the site on a free port, answering /healthz/; yields the port."""
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
            str(workers),
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
                get(port, "/healthz/")
                break
            except OSError:
                time.sleep(0.2)
        yield port
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)


def measure(port: int, targets: list[tuple[str, str, str]], *, clients: int, seconds: float) -> None:
    """Drive each (name, path, accept) in turn and print a row; the first target is the baseline."""
    print(f"{'target':<26}{'req/s':>9}{'p50 ms':>9}{'p99 ms':>9}{'vs trivial':>12}")
    baseline = None
    for name, path, accept in targets:
        rate, latencies = drive(port, path, clients=clients, seconds=seconds, accept=accept)
        baseline = baseline or rate
        print(
            f"{name:<26}{rate:>9.1f}{statistics.median(latencies) * 1000:>9.1f}"
            f"{percentile(latencies, 0.99) * 1000:>9.1f}{rate / baseline:>11.1%}"
        )


@contextlib.contextmanager
def served(
    description: str, script: str, default_url: str, **settings
) -> Iterator[tuple[argparse.Namespace, int]]:
    """The HTTP benchmarks' common frame: their command line, a PostgreSQL database with the catalog and
    ``--papers`` papers, static files collected, and gunicorn serving it; yields (options, port)."""
    parser = argparse.ArgumentParser(description=description.splitlines()[0])
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument("--papers", type=int, default=5000)
    options = parser.parse_args()

    url = os.environ.get("DATABASE_URL", default_url)
    if not url.startswith("postgres"):
        sys.exit(f"{script} measures the PostgreSQL setup: set DATABASE_URL=postgres://...")
    ensure_database(url)
    static_root = tempfile.mkdtemp(prefix="atlas-static-")
    env = bench_env(url, static_root, **settings)
    try:
        prepare(options.papers, env)
        manage("collectstatic", "--noinput", "-v0", env=env)
        with gunicorn(env, workers=options.workers) as port:
            yield options, port
    finally:
        shutil.rmtree(static_root, ignore_errors=True)


def main() -> None:
    with served(__doc__, "bench/web.py", DEFAULT_URL) as (options, port):
        from papers.models import Paper

        for _, path in TARGETS:  # warm every worker's caches and connections
            for _ in range(options.workers * 4):
                get(port, path)
        print(
            f"gunicorn {options.workers} sync workers, {options.clients} clients, "
            f"{options.seconds:.0f} s each, {Paper.objects.count()} papers, {os.cpu_count()} CPUs"
        )
        measure(
            port,
            [(name, path, "") for name, path in TARGETS],
            clients=options.clients,
            seconds=options.seconds,
        )


if __name__ == "__main__":
    main()
