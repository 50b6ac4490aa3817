"""Connections and transactions: SQLite in WAL mode, one reused connection per thread."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlite_utils import Database

from feedback import schema


def connect(path: str | Path) -> Database:
    """Open the database with the settings every connection needs.

    WAL lets readers and one writer work at once across gunicorn workers; synchronous=FULL
    makes every commit durable before a receipt is shown; foreign keys keep rows honest.
    """
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(str(path), timeout=30)
    db = Database(conn)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=FULL")
    db.execute("PRAGMA foreign_keys=ON")
    db.execute("PRAGMA busy_timeout=30000")
    return db


@contextmanager
def write_transaction(db: Database) -> Iterator[Database]:
    """A transaction that takes the write lock up front (BEGIN IMMEDIATE).

    A deferred transaction that reads and then writes fails at once with SQLITE_BUSY when
    another gunicorn worker committed in between; taking the lock first makes it wait its
    turn (busy_timeout) instead.
    """
    db.execute("BEGIN IMMEDIATE")
    try:
        yield db
    except BaseException:
        db.conn.rollback()
        raise
    db.conn.commit()


_per_thread = threading.local()


def shared(path: str) -> Database:
    """This thread's connection to the database at path, opened once and reused.

    gunicorn's worker threads each keep one connection: opening a connection and setting its
    pragmas on every request cost as much as storing an opinion.
    """
    cache = _per_thread.__dict__.setdefault("connections", {})
    if path not in cache:
        cache[path] = connect(path)
    return cache[path]


def migrate(db: Database) -> list[str]:
    """Apply pending migrations; returns the names applied."""
    pending = [m.name for m in schema.migrations.pending(db)]
    schema.migrations.apply(db)
    return pending
