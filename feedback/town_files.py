"""What the per-town caches beside the database share (the similarity index, the vectors):
a file name made from a hash of the town, a lock per town within a process, and the receipt
of the newest opinion a file holds, which tells a restored backup from the database it was
made from."""

from __future__ import annotations

import hashlib
import threading
from pathlib import Path

from sqlite_utils import Database


def cache_path(database_path: str, town: str, suffix: str) -> Path:
    """A file name from a hash: a town's name is what an admin typed, never a path."""
    name = hashlib.sha256(town.encode()).hexdigest()[:24]
    return Path(f"{database_path}-similar") / f"{name}{suffix}"


def receipt(db: Database, opinion_id: int) -> str | None:
    row = db.execute("select receipt from opinions where id = ?", [opinion_id]).fetchone()
    return row[0] if row else None


class Locks:
    """One lock per (database, town), made on first use, so one thread builds a town's cache
    while the others wait for it."""

    def __init__(self) -> None:
        self._locks: dict[tuple[str, str], threading.Lock] = {}
        self._guard = threading.Lock()

    def __call__(self, key: tuple[str, str]) -> threading.Lock:
        with self._guard:
            return self._locks.setdefault(key, threading.Lock())
