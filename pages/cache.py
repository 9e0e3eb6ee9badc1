"""Cache of rendered pages and API answers, keyed by the content version of the database.

On PostgreSQL one row holds a version that statement-level triggers bump in every transaction that writes a
content table: bulk writes, admin edits, imports and raw SQL all change it, and readers see the new version
exactly when they see the new data. A cached value is stored under (version, row xmin, key): one small query
tells a fresh copy from a stale one, and a write makes every older copy unreachable when it commits. The
row's xmin, the id of the transaction that last bumped it, keeps a version number that a rolled-back
transaction reused from ever meeting an older copy. Elsewhere (SQLite) nothing is cached.

The content tables are every table of every model, many-to-many tables included, of the apps named in
``settings.CONTENT_APPS``: ``install_triggers`` runs after every migrate and puts the trigger on each, so a
new model is covered without anyone listing it (tests/web/test_page_cache.py checks).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable

from django.apps import apps
from django.conf import settings
from django.core.cache import cache
from django.db import DEFAULT_DB_ALIAS, connection, connections

TIMEOUT = 60 * 60
TRIGGER = "atlas_content_version"


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
    # Hashed: keys carry user text (a search), which cache backends restrict in length and characters.
    full_key = "atlas:page:" + hashlib.sha256(f"{version}\0{key}".encode()).hexdigest()
    value = cache.get(full_key)
    if value is None:
        value = build()
        cache.set(full_key, value, TIMEOUT)
    return value


def content_tables() -> list[str]:
    """Every table the content apps' models (and their many-to-many fields) are stored in."""
    tables = set()
    for label in settings.CONTENT_APPS:
        if label not in apps.app_configs:
            continue  # named before it is installed
        for model in apps.get_app_config(label).get_models(include_auto_created=True):
            if model._meta.managed and not model._meta.proxy:
                tables.add(model._meta.db_table)
    return sorted(tables)


def install_triggers(*, using: str = DEFAULT_DB_ALIAS, **kwargs) -> None:
    """The version row, its bump function and a trigger on every content table; safe to run again."""
    connection = connections[using]
    if connection.vendor != "postgresql":
        return
    existing = set(connection.introspection.table_names())
    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE IF NOT EXISTS atlas_content_version (n bigint NOT NULL)")
        cursor.execute(
            "INSERT INTO atlas_content_version (n) SELECT 1 "
            "WHERE NOT EXISTS (SELECT FROM atlas_content_version)"
        )
        cursor.execute(
            """CREATE OR REPLACE FUNCTION atlas_bump_content_version() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                UPDATE atlas_content_version SET n = n + 1;
                RETURN NULL;
            END $$"""
        )
        for table in content_tables():
            if table in existing:
                cursor.execute(
                    f"CREATE OR REPLACE TRIGGER {TRIGGER} AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE "
                    f"ON {connection.ops.quote_name(table)} "
                    "FOR EACH STATEMENT EXECUTE FUNCTION atlas_bump_content_version()"
                )
