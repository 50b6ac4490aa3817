"""Limits shared by every gunicorn worker, counted in SQLite in fixed time windows.

Submissions: a whole village may share one carrier-NAT address, so the first limit is per
device (a long-lived random cookie) and the per-address limit is a generous ceiling above
it; every attempt is counted before its photos are decoded. Staff logins: attempts per
account and per address. Receipt look-ups: wrong codes per address, so receipts cannot be
guessed.

`take` checks and counts in one write transaction: a check outside the transaction that
counts lets N parallel requests all pass a limit of 5.
"""

from __future__ import annotations

import random
import time
from collections.abc import Sequence
from typing import NamedTuple

from sqlite_utils import Database

from feedback.db import write_transaction

HOUR = 3600
KEEP_SECONDS = 2 * HOUR  # longer than any window in use


class Bucket(NamedTuple):
    """A counter: its key, the events allowed per window, and the window's length in
    seconds (None: the window given to the call). A plain (key, limit) tuple works too."""

    key: str
    limit: int
    seconds: int | None = None


def _windows(buckets: Sequence[tuple], seconds: int) -> list[tuple[str, int, int]]:
    """(key, limit, start of the current window) of every bucket."""
    now = int(time.time())
    out = []
    for bucket in buckets:
        key, limit, own = Bucket(*bucket)
        length = own or seconds
        out.append((f"{key}@{length}" if own else key, limit, now - now % length))
    return out


def _full(db: Database, windows: list[tuple[str, int, int]]) -> bool:
    for key, limit, start in windows:
        row = db.execute(
            "select count from rate_counters where bucket = ? and window = ?", [key, start]
        ).fetchone()
        if row and row[0] >= limit:
            return True
    return False


def allowed(db: Database, buckets: Sequence[tuple], seconds: int = HOUR) -> bool:
    """Whether one more event fits every bucket (read only: for refusing early, never for
    letting an event through that is then counted; use `take` for that)."""
    return not _full(db, _windows(buckets, seconds))


def charge(db: Database, buckets: Sequence[tuple], seconds: int = HOUR) -> bool:
    """Check every bucket and, if none is full, count one event in each; False (nothing
    counted) when one is full. Call inside a write transaction (BEGIN IMMEDIATE), so the
    check and the count are one step for every worker."""
    windows = _windows(buckets, seconds)
    if _full(db, windows):
        return False
    _add(db, windows)
    return True


def take(db: Database, buckets: Sequence[tuple], seconds: int = HOUR) -> bool:
    """`charge` in its own write transaction: True if the event was counted, False if a
    bucket is full."""
    with write_transaction(db):
        return charge(db, buckets, seconds)


def _add(db: Database, windows: list[tuple[str, int, int]]) -> None:
    for key, _limit, start in windows:
        db.execute(
            "insert into rate_counters (bucket, window, count) values (?, ?, 1) "
            "on conflict (bucket, window) do update set count = count + 1",
            [key, start],
        )
    if random.random() < 0.02:  # now and then is enough to keep the table small
        db.execute("delete from rate_counters where window < ?", [int(time.time()) - KEEP_SECONDS])


def give_back(db: Database, buckets: Sequence[tuple], seconds: int = HOUR) -> None:
    """Undo one counted event (a login that turned out right), in its own transaction."""
    with write_transaction(db):
        for key, _limit, start in _windows(buckets, seconds):
            db.execute(
                "update rate_counters set count = count - 1 "
                "where bucket = ? and window = ? and count > 0",
                [key, start],
            )
