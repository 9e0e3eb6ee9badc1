"""Cache of rendered page content, keyed by the content version of the database.

PostgreSQL keeps a version that triggers bump in every transaction that writes a table the pages read
(papers/migrations/0004_content_version.py). A page's content (everything but the per-request layout with its
CSRF token) is cached under (version, row xmin, page key): one small query tells a fresh copy from a stale
one, and a write makes every older copy unreachable at the moment it commits. The row's xmin, the id of the
transaction that last bumped it, keeps a version number that a rolled-back transaction reused from ever
meeting an older copy. Elsewhere (SQLite) nothing is cached.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable

from django.core.cache import cache
from django.db import connection

TIMEOUT = 60 * 60


def content_version() -> str | None:
    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute("SELECT n, xmin FROM atlas_content_version")
        row = cursor.fetchone()
    return f"{row[0]}.{row[1]}" if row else None


def cached(key: str, build: Callable[[], dict]) -> dict:
    """``build()`` (a dict of picklable values, typically rendered HTML), or its copy for this version."""
    version = content_version()
    if version is None:
        return build()
    # Hashed: page keys carry user text (a search), which cache backends restrict in length and characters.
    full_key = "atlas:page:" + hashlib.sha256(f"{version}\0{key}".encode()).hexdigest()
    value = cache.get(full_key)
    if value is None:
        value = build()
        cache.set(full_key, value, TIMEOUT)
    return value
