"""Limits shared by every gunicorn worker, counted in SQLite in fixed time windows.

Submissions: a whole village may share one carrier-NAT address, so the first limit is per
device (a long-lived random cookie) and the per-address limit is a generous ceiling above
it. Staff logins: failed attempts per account and per address.
"""

from __future__ import annotations

import random
import time
from collections.abc import Sequence

from sqlite_utils import Database

HOUR = 3600
KEEP_SECONDS = 2 * HOUR  # longer than any window in use

Bucket = tuple[str, int]  # (key, allowed per window)


def _window_start(seconds: int) -> int:
    now = int(time.time())
    return now - now % seconds


def allowed(db: Database, buckets: Sequence[Bucket], seconds: int = HOUR) -> bool:
    """Whether one more event fits every bucket (read only)."""
    start = _window_start(seconds)
    for key, limit in buckets:
        row = db.execute(
            "select count from rate_counters where bucket = ? and window = ?", [key, start]
        ).fetchone()
        if row and row[0] >= limit:
            return False
    return True


def count(db: Database, buckets: Sequence[Bucket], seconds: int = HOUR) -> None:
    """Count one event in every bucket; call inside the write transaction."""
    start = _window_start(seconds)
    for key, _limit in buckets:
        db.execute(
            "insert into rate_counters (bucket, window, count) values (?, ?, 1) "
            "on conflict (bucket, window) do update set count = count + 1",
            [key, start],
        )
    if random.random() < 0.02:  # now and then is enough to keep the table small
        db.execute("delete from rate_counters where window < ?", [int(time.time()) - KEEP_SECONDS])
