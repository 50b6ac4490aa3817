"""One similarity index per town, kept in memory by each worker process, stored beside the
database, and brought up to date before use (only opinions newer than the last one indexed
are read).

Building a town from scratch reads and analyses every opinion of the town (~6 s for a town
of 190,000 opinions); loading the stored copy takes about a tenth of a second. So the first
process that needs a town builds and stores it while the others wait for that file (a lock
per town) and load it, and `feedback similar` loads it too. gunicorn workers warm every town
in a background thread as they start (feedback/gunicorn_config.py), so a clerk's first
opinion page does not pay for the build.

The stored copies (DATABASE-similar/<hash of the town>.index) are a cache: each names the
newest opinion it holds with its receipt and the version of feedback/similarity.py and
feedback/similarity_store.py that made it, and is rebuilt when either no longer matches (a
restored backup, a changed lexicon). They hold arrays and a JSON header
(feedback.similarity_store), never a pickle: whoever can write that folder can make a worker
rebuild a town, not run code in it. A file that is not a good copy (corrupt, foreign,
truncated, another format) is ignored and rebuilt over.
"""

from __future__ import annotations

import fcntl
import hashlib
import logging
import os
import tempfile
import threading
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from sqlite_utils import Database

from feedback import places, similarity_lexicon, similarity_store, town_files
from feedback import similarity as similar_module
from feedback.similarity import SimilarityIndex
from feedback.similarity_store import StoreError

STORE_EVERY = 1000  # opinions added to a town's index before its stored copy is rewritten

log = logging.getLogger(__name__)


@dataclass
class _Entry:
    index: SimilarityIndex
    last_id: int  # the newest opinion of the database (any town) the index has seen
    unstored: int = 0  # opinions added since the stored copy was written


_entries: dict[tuple[str, str], _Entry] = {}
_lock = town_files.Locks()


def for_town(
    db: Database, database_path: str, town: str, wait: bool = True
) -> SimilarityIndex | None:
    """The town's index, including every opinion stored so far (spam left out). With
    wait=False, None while another thread (a worker's warm-up) is building it."""
    key = (database_path, town)
    lock = _lock(key)
    if not lock.acquire(blocking=wait):
        return None
    try:
        entry = _entries.get(key) or _load_or_build(db, database_path, town)
        _catch_up(db, town, entry)
        if entry.unstored >= STORE_EVERY:
            _store(db, _stored_path(database_path, town), town, entry)
        _entries[key] = entry
        return entry.index
    finally:
        lock.release()


def _catch_up(db: Database, town: str, entry: _Entry) -> None:
    """Add the town's opinions newer than the newest the index has seen.

    The cross join walks opinions by id first, so a request with nothing new reads nothing
    (walked by town first, it read the whole town: ~15 ms at 190,000); and the newest id of
    any town is remembered, so other towns' opinions are not walked again.
    """
    newest = db.execute("select max(id) from opinions").fetchone()[0] or 0
    if newest <= entry.last_id:
        return
    rows = db.execute(
        "select o.id, o.body, s.village from opinions o cross join stations s "
        "on s.id = o.station_id where o.id > ? and o.id <= ? and s.town = ? "
        "and o.status != 'spam' order by o.id",
        [entry.last_id, newest, town],
    )
    for opinion_id, body, village in rows:
        entry.index.add(opinion_id, body, village or "")
        entry.unstored += 1
    entry.last_id = newest


def _load_or_build(db: Database, database_path: str, town: str) -> _Entry:
    """The stored copy if it is still good, else a new index, stored for the next process."""
    path = _stored_path(database_path, town)
    try:
        path.parent.mkdir(exist_ok=True)
        lock_file = open(path.with_suffix(".lock"), "a")  # noqa: SIM115 - held while building
    except OSError:
        log.warning("cannot store similarity indexes in %s; building in memory", path.parent)
        return _build(db, town)
    with lock_file:
        fcntl.flock(lock_file, fcntl.LOCK_EX)  # one process builds, the others then load
        entry = _load(db, path, town)
        if entry is None:
            entry = _build(db, town)
            _store(db, path, town, entry)
    return entry


def _build(db: Database, town: str) -> _Entry:
    entry = _Entry(SimilarityIndex(), 0)
    _catch_up(db, town, entry)
    return entry


def _stored_path(database_path: str, town: str) -> Path:
    return town_files.cache_path(database_path, town, ".index")


@lru_cache(maxsize=1)
def _version() -> str:
    """Any change to the engine, its lexicon or its place rules (weights, words, layout) makes
    stored copies stale."""
    digest = hashlib.sha256()
    for module in (similar_module, similarity_store, places, similarity_lexicon):
        digest.update(Path(module.__file__).read_bytes())
    return digest.hexdigest()[:16]


def _load(db: Database, path: Path, town: str) -> _Entry | None:
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError:
        log.warning("stored similarity index %s unreadable; rebuilding it", path, exc_info=True)
        return None
    try:
        index, meta = similarity_store.load(data)
    except StoreError as error:
        log.warning("stored similarity index %s is no good (%s); rebuilding it", path, error)
        return None
    last_id = meta.get("last_id")
    if meta.get("version") != _version() or meta.get("town") != town:
        return None
    if not isinstance(last_id, int) or (
        last_id and town_files.receipt(db, last_id) != meta.get("receipt")
    ):
        return None
    return _Entry(index, last_id)


def _store(db: Database, path: Path, town: str, entry: _Entry) -> None:
    """Write the copy to a temporary file renamed over the old one: readers see either."""
    meta = {
        "version": _version(),
        "town": town,
        "last_id": entry.last_id,
        "receipt": town_files.receipt(db, entry.last_id),
    }
    try:
        path.parent.mkdir(exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
        with os.fdopen(handle, "wb") as out:
            out.write(similarity_store.dump(entry.index, meta))
        os.replace(temporary, path)
        path.with_suffix(".pickle").unlink(missing_ok=True)  # the old format, never read
    except OSError:
        log.warning("cannot store the similarity index in %s", path, exc_info=True)
        return
    entry.unstored = 0


def warm_in_background(app) -> threading.Thread | None:
    """Load or build every town's index in a daemon thread of this process.

    A gunicorn worker calls this as it starts; it keeps serving meanwhile, and a request for a
    town being built waits only for that town.
    """
    database_path = app.config.get("FEEDBACK_DATABASE") if hasattr(app, "config") else None
    if not database_path:
        return None
    thread = threading.Thread(target=warm, args=(database_path,), name="similar-warm", daemon=True)
    thread.start()
    return thread


def warm(database_path: str) -> int:
    """Load or build every town's index; returns how many opinions they hold."""
    from feedback.db import connect

    db = connect(database_path)
    held = 0
    try:
        for (town,) in db.execute("select distinct town from stations order by town").fetchall():
            held += len(for_town(db, database_path, town))
    except Exception:  # a worker must keep serving; the indexes are then built on first use
        log.exception("warming the similarity indexes failed")
    finally:
        db.close()
    return held
