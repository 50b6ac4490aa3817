"""Submission limits shared by every gunicorn worker, counted in SQLite per hour.

A whole village may share one carrier-NAT address, so the first limit is per device (a
long-lived random cookie) and the per-address limit is a generous ceiling above it.
"""

from __future__ import annotations

import time
from collections.abc import Sequence

from sqlite_utils import Database

WINDOW_SECONDS = 3600

Bucket = tuple[str, int]  # (key, allowed per window)


def _window() -> int:
    return int(time.time() // WINDOW_SECONDS)


def allowed(db: Database, buckets: Sequence[Bucket]) -> bool:
    """Whether one more submission fits every bucket (read only)."""
    window = _window()
    for key, limit in buckets:
        row = db.execute(
            "select count from rate_counters where bucket = ? and window = ?", [key, window]
        ).fetchone()
        if row and row[0] >= limit:
            return False
    return True


def count(db: Database, buckets: Sequence[Bucket]) -> None:
    """Count one submission in every bucket; call inside the write transaction."""
    window = _window()
    for key, _limit in buckets:
        db.execute(
            "insert into rate_counters (bucket, window, count) values (?, ?, 1) "
            "on conflict (bucket, window) do update set count = count + 1",
            [key, window],
        )
    db.execute("delete from rate_counters where window < ?", [window - 1])
