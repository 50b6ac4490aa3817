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
newest opinion it holds with its receipt and the version of feedback/similarity.py that made
it, and is rebuilt when either no longer matches (a restored backup, a changed lexicon). They
hold arrays and a JSON header (SimilarityIndex.dump), never a pickle: whoever can write that
folder can make a worker rebuild a town, not run code in it. A file that is not a good copy
(corrupt, foreign, truncated, another format) is ignored and rebuilt over.
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

from feedback import (
    places,
    semantic,
    semantic_groups,
    similarity_groups,
    similarity_lexicon,
    town_files,
    town_vectors,
)
from feedback import similarity as similar_module
from feedback.similarity import SimilarityIndex, StoreError

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
    for module in (similar_module, places, similarity_lexicon):
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
        index, meta = SimilarityIndex.load(data)
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
            out.write(entry.index.dump(meta))
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


def town_of(db: Database, opinion_id: int) -> str | None:
    row = db.execute(
        "select s.town from opinions o join stations s on s.id = o.station_id where o.id = ?",
        [opinion_id],
    ).fetchone()
    return row[0] if row else None


def similar(
    db: Database, database_path: str, opinion_id: int, limit: int = 5, wait: bool = True
) -> list[dict] | None:
    """The opinions of the same town most like this one, best first, with their rows; with
    wait=False, None while the town's index is still being built by the warm-up."""
    town = town_of(db, opinion_id)
    if town is None:
        raise KeyError(opinion_id)
    index = for_town(db, database_path, town, wait)
    if index is None:
        return None
    if opinion_id not in index:
        return []
    ranked = _ranked(db, database_path, town, index, opinion_id, limit, wait)
    ids = [opinion for opinion, _score in ranked]
    marks = ",".join("?" * (len(ids) + 1))
    sql = (
        "select o.*, s.name as station_name, s.village as village from opinions o "
        f"join stations s on s.id = o.station_id where o.id in ({marks})"
    )
    rows = {row["id"]: row for row in db.query(sql, [opinion_id, *ids])}
    asked = rows[opinion_id]
    return [
        dict(
            rows[i],
            score=round(score, 3),
            reasons=similar_module.reasons(
                asked["body"], asked["village"], rows[i]["body"], rows[i]["village"]
            ).text(),
        )
        for i, score in ranked
        if i in rows
    ]


LEXICAL_CANDIDATES = 20  # the lexical engine's best, scored beside the nearest by meaning


def _ranked(
    db: Database,
    database_path: str,
    town: str,
    index: SimilarityIndex,
    opinion_id: int,
    limit: int,
    wait: bool,
) -> list[tuple[int, float]]:
    """By meaning, words and place (feedback.semantic) once the opinion has its vector; by
    the lexical engine alone until the background embedder has reached it. Candidates: the
    town's nearest by embedding, and the lexical engine's best (which covers opinions whose
    vectors are not there yet, so only while there are such opinions)."""
    vectors = town_vectors.for_town(db, database_path, town, wait)
    if vectors is None or opinion_id not in vectors:
        return index.similar(opinion_id, limit=limit)
    query = vectors.vector(opinion_id)
    cosines: dict[int, float | None] = dict(vectors.nearest_to(opinion_id, semantic.CANDIDATES + 1))
    embedded = int(vectors.ids[-1]) if len(vectors.ids) else 0
    if index.newest() > embedded:  # the embedder has not reached the newest yet
        for other, _score in index.similar(opinion_id, limit=LEXICAL_CANDIDATES):
            if other not in cosines:
                vector = vectors.vector(other)
                cosines[other] = None if vector is None else float(vector @ query)
    cosines.pop(opinion_id, None)
    marks = ",".join("?" * (len(cosines) + 1))
    # By id only: with the town in the WHERE clause SQLite walks the town's opinions instead.
    texts = {
        row[0]: semantic.doc(row[0], row[1], row[2])
        for row in db.execute(
            "select o.id, o.body, s.village, s.town from opinions o join stations s "
            f"on s.id = o.station_id where o.id in ({marks})",
            [opinion_id, *cosines],
        )
        if row[3] == town
    }
    asked = texts[opinion_id]
    idf = semantic.idf_from(len(index), index.text_frequency)
    others = [other for other in cosines if other in texts]
    found = semantic.scores(asked, [texts[o] for o in others], [cosines[o] for o in others], idf)
    scored = [(other, round(score, 4)) for other, score in zip(others, found.tolist(), strict=True)]
    ranked = sorted((item for item in scored if item[1] > 0), key=lambda i: (-i[1], i[0]))
    return ranked[:limit]


@dataclass(frozen=True)
class Group:
    """Pending opinions that likely describe one problem, and how alike they are."""

    members: list[dict]
    score: float  # mean similarity of the members' pairs (of a sample of them)


COHESION_SAMPLE = 20


def pending_groups(db: Database, database_path: str, town: str) -> list[Group]:
    """The town's pending opinions grouped by likely problem, best first: the largest group
    first (one click merges the most opinions), then the most alike. The staff groups page
    and `feedback groups` both show exactly this.

    By meaning, words and place (feedback.semantic_groups) among the opinions that have
    their vector; those the background embedder has not reached yet (seconds after they
    arrive) are grouped among themselves by the lexical engine until it has."""
    index = for_town(db, database_path, town)
    pending = {
        row["id"]: row
        for row in db.query(
            "select o.*, s.name as station_name, s.village as village from opinions o "
            "join stations s on s.id = o.station_id where s.town = ? and o.status = 'new'",
            [town],
        )
    }
    vectors = town_vectors.for_town(db, database_path, town)
    ids, matrix = vectors.rows(pending) if vectors is not None else ([], None)
    found = []
    if ids:
        docs = [semantic.doc(i, pending[i]["body"], pending[i]["village"]) for i in ids]
        idf = semantic.idf_from(len(index), index.text_frequency)
        found = semantic_groups.group(ids, docs, matrix, idf)
    missing = sorted(set(pending) - set(ids))
    found += [(g, cohesion(index, g)) for g in similarity_groups.group(index, missing)]
    groups = [Group([pending[i] for i in members], score) for members, score in found]
    return sorted(groups, key=lambda g: (-len(g.members), -g.score, g.members[0]["id"]))


def cohesion(index: SimilarityIndex, ids: list[int]) -> float:
    """Mean lexical score over the pairs of a group (its first members, so a group of
    hundreds of copies costs no more than one of twenty)."""
    sample = ids[:COHESION_SAMPLE]
    scores = [index.score(a, b) for n, a in enumerate(sample) for b in sample[n + 1 :]]
    return round(sum(scores) / len(scores), 4) if scores else 0.0
