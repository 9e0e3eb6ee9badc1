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
The warm-up leaves every worker's content-version cache (pages/cache.py) holding the targets, so the
figures are those of reads between writes, the common case; a write makes the next read of each one cold.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

# The padding, the database, the server and the request loop are the web benchmark's, so both measure the
# same catalog the same way.
from bench.web import get, measure, served  # noqa: E402

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/atlas_api_bench"
BIBTEX = "application/x-bibtex"

TARGETS = [
    ("trivial view", "/healthz/", "text/html"),
    ("API root", "/api/", "application/json"),
    ("papers ?family= (JSON)", "/api/papers/?family=diffusion-models", "application/json"),
    ("families (JSON)", "/api/families/", "application/json"),
    ("all papers as BibTeX", "/api/papers/", BIBTEX),
]


def main() -> None:
    throttles = {"API_THROTTLE_ANON": "100000000/minute", "API_THROTTLE_USER": "100000000/minute"}
    with served(__doc__, "bench/api.py", DEFAULT_URL, **throttles) as (options, port):
        from papers.models import Paper

        for _, path, accept in TARGETS:  # warm every worker's caches and connections
            for _ in range(options.workers * 2):
                get(port, path, accept)
        bib = get(port, "/api/papers/", BIBTEX)[1]
        print(
            f"gunicorn {options.workers} sync workers, {options.clients} clients, "
            f"{options.seconds:.0f} s each, {Paper.objects.count()} papers ({bib / 1e6:.1f} MB of BibTeX), "
            f"{os.cpu_count()} CPUs"
        )
        measure(port, TARGETS, clients=options.clients, seconds=options.seconds)


if __name__ == "__main__":
    main()
