"""Who is running a job right now. On PostgreSQL a session-level advisory lock per job: the process that runs
the job holds it, and the database drops it the moment that process dies (its connection closes), so a
redelivered task can tell a dead runner (lock free) from a live one (lock held) without waiting for a
heartbeat to go stale. Other databases have no such lock; there the heartbeat's age decides."""

import hashlib
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from django.db import DatabaseError, connection


@dataclass(frozen=True)
class Lease:
    acquired: bool
    # True when the database enforces the lease (PostgreSQL): if we hold it, nobody else runs the job.
    exclusive: bool


def _lock_key(job_id) -> int:
    digest = hashlib.blake2b(f"generation-job:{job_id}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


@contextmanager
def job_lease(job_id, *, wait: float = 0.0) -> Iterator[Lease]:
    """Hold the job's lease for the duration of the block, if it is free within ``wait`` seconds.

    A dead holder's lock goes when its server process notices the closed connection, a few milliseconds
    after the death; a redelivered task therefore waits a little before calling a lease taken."""
    if connection.vendor != "postgresql":
        yield Lease(acquired=True, exclusive=False)
        return
    key = _lock_key(job_id)
    deadline = time.monotonic() + wait
    while True:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_try_advisory_lock(%s)", [key])
            acquired = bool(cursor.fetchone()[0])
        if acquired or time.monotonic() >= deadline:
            break
        time.sleep(0.05)
    try:
        yield Lease(acquired=acquired, exclusive=True)
    finally:
        if acquired and connection.connection is not None:
            try:
                with connection.cursor() as cursor:
                    cursor.execute("SELECT pg_advisory_unlock(%s)", [key])
            except DatabaseError:
                # A broken connection has dropped the lock already.
                pass
