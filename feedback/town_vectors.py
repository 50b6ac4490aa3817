"""A town's vectors, shared by workers.

Sharing. `for_town` keeps each town's vectors in DATABASE-similar/<hash of the town>.vectors:
a small JSON header (model, scale, town, count, newest id and its receipt) validated before
use, then the ids (int64) and the int8 rows, mapped read-only with numpy.memmap, so every
worker shares one copy in the OS page cache. Never a pickle: a file that is not a good copy
(corrupt, truncated, foreign, another model, a restored backup) is ignored and rebuilt from
SQLite. Vectors newer than the file are read from SQLite into memory (a few rows) and
appended to the file, through a temporary file renamed over it, once STORE_EVERY of them
have gathered."""

from __future__ import annotations

import fcntl
import json
import logging
import os
import struct
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from sqlite_utils import Database

from feedback import town_files
from feedback.vectors import DIM, MODEL, SCALE, dequantise

STORE_EVERY = 1000  # vectors gathered in memory before a town's file is rewritten
RECENT = 64  # opinions whose neighbours a TownVectors remembers
CHUNK = 2048  # rows nearest() casts to float32 at a time: 3 MB, kept in the CPU cache

MAGIC = b"FBVEC\x00\x01\n"
_HEADER_LIMIT = 1 << 16
_ALIGN = 64

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class TownVectors:
    """A town's opinion vectors: the rows of its stored file (memory-mapped, shared by every
    worker) followed by the few newer ones this process has read since (in memory).

    `ids` ascending (int64), the rows in the same order."""

    ids: np.ndarray
    stored: np.ndarray  # int8 (s, 384): rows of ids[:s], mapped from the file
    newer: np.ndarray  # int8 (n - s, 384): rows of ids[s:]
    # opinion id -> its largest nearest() asked so far; a catch-up makes a new TownVectors
    _recent: dict[int, list[tuple[int, float]]] = field(default_factory=dict, compare=False)

    def __len__(self) -> int:
        return len(self.ids)

    def __contains__(self, opinion_id: object) -> bool:
        return self._position(opinion_id) is not None

    @property
    def matrix(self) -> np.ndarray:
        """Every row, int8 (n, 384); a copy when there are newer rows (nearest() never
        copies: it scores the two parts apart)."""
        if not len(self.newer):
            return self.stored
        return np.concatenate([self.stored, self.newer])

    def _position(self, opinion_id: object) -> int | None:
        if not isinstance(opinion_id, int | np.integer) or not len(self.ids):
            return None
        at = int(np.searchsorted(self.ids, opinion_id))
        return at if at < len(self.ids) and self.ids[at] == opinion_id else None

    def vector(self, opinion_id: int) -> np.ndarray | None:
        """The opinion's stored vector as float32 (384,), None if it has none (yet)."""
        at = self._position(opinion_id)
        if at is None:
            return None
        s = len(self.stored)
        return dequantise(self.stored[at] if at < s else self.newer[at - s])

    def rows(self, among: Iterable[int]) -> tuple[list[int], np.ndarray]:
        """The opinions of `among` that have a vector, ascending, and their vectors as float32
        (n, 384) in the same order."""
        ids, parts = self._selected(among)
        return [int(i) for i in ids], dequantise(np.concatenate(parts))

    def nearest_to(self, opinion_id: int, k: int) -> list[tuple[int, float]]:
        """nearest() of an opinion's own vector (itself included), remembered: the opinion
        page asks twice (similar opinions, then the category hint), and a dot product over
        a big town's vectors is the costly part of both."""
        known = self._recent.get(opinion_id)
        if known is None or len(known) < min(k, len(self)):
            known = self.nearest(self.vector(opinion_id), k)
            if len(self._recent) >= RECENT:
                self._recent.clear()
            self._recent[opinion_id] = known
        return known[:k]

    def nearest(
        self, vector: np.ndarray, k: int, among: Iterable[int] | None = None
    ) -> list[tuple[int, float]]:
        """The k opinions whose vectors are most like `vector` (float32 (384,), e.g. from
        embed() or vector()), best first, as (opinion id, cosine); with `among`, only those
        opinions (ids without a vector are left out). The query itself is not excluded.

        A plain dot product of the int8 rows with the float query: CHUNK rows at a time are
        cast into one small float32 buffer and multiplied by BLAS (as fast as a float32 copy
        of the town would be, without that copy), then top-k by argpartition."""
        query = np.asarray(vector, dtype=np.float32).reshape(DIM) / SCALE
        ids, parts = self._selected(among)
        if k <= 0 or not len(ids):
            return []
        scores = np.empty(len(ids), dtype=np.float32)
        buffer = np.empty((min(CHUNK, len(ids)), DIM), dtype=np.float32)
        at = 0
        for part in parts:
            for start in range(0, len(part), CHUNK):
                rows = part[start : start + CHUNK]
                block = buffer[: len(rows)]
                np.copyto(block, rows, casting="safe")
                np.dot(block, query, out=scores[at : at + len(rows)])
                at += len(rows)
        top = np.argpartition(-scores, k - 1)[:k] if k < len(scores) else np.arange(len(scores))
        top = top[np.lexsort((ids[top], -scores[top]))]
        return [(int(ids[i]), float(scores[i])) for i in top]

    def _selected(self, among: Iterable[int] | None) -> tuple[np.ndarray, list[np.ndarray]]:
        if among is None:
            return self.ids, [self.stored, self.newer]
        wanted = np.unique(np.fromiter((int(i) for i in among), dtype=np.int64))
        at = np.searchsorted(self.ids, wanted)
        found = at < len(self.ids)
        found[found] = self.ids[at[found]] == wanted[found]
        positions = at[found]
        s = len(self.stored)
        in_stored, in_newer = positions[positions < s], positions[positions >= s] - s
        return self.ids[positions], [self.stored[in_stored], self.newer[in_newer]]


_EMPTY = np.zeros((0, DIM), dtype=np.int8)


@dataclass
class _Entry:
    vectors: TownVectors
    seen: int  # the newest vector of the database (any town) this entry has looked at


_entries: dict[tuple[str, str], _Entry] = {}
_lock = town_files.Locks()


def for_town(db: Database, database_path: str, town: str, wait: bool = True) -> TownVectors | None:
    """The town's vectors, including every vector stored so far (spam left out); with
    wait=False, None while another thread of this process is loading or building them.

    Nothing new since the last call costs one indexed read (the newest vector's id)."""
    key = (database_path, town)
    lock = _lock(key)
    if not lock.acquire(blocking=wait):
        return None
    try:
        entry = _entries.get(key) or _load_or_build(db, database_path, town)
        _catch_up(db, town, entry)
        if len(entry.vectors.newer) >= STORE_EVERY:
            _append_to_file(db, database_path, town, entry)
        _entries[key] = entry
        return entry.vectors
    finally:
        lock.release()


def warm(db: Database, database_path: str) -> int:
    """Load (or build) every town's vectors into this process; returns how many it holds."""
    held = 0
    try:
        for (town,) in db.execute("select distinct town from stations order by town").fetchall():
            held += len(for_town(db, database_path, town))
    except Exception:  # the worker keeps serving; the vectors then load on first use
        log.exception("warming the opinion vectors failed")
    return held


def _newest_vector(db: Database) -> int:
    return db.execute("select max(opinion_id) from opinion_vectors").fetchone()[0] or 0


def _town_rows(db: Database, town: str, after: int, upto: int) -> tuple[np.ndarray, np.ndarray]:
    """The town's vectors with after < id <= upto, from SQLite. The cross joins walk the
    vectors by id first, so a catch-up with little new reads little."""
    ids, blobs = [], []
    for opinion_id, blob in db.execute(
        "select v.opinion_id, v.vector from opinion_vectors v "
        "cross join opinions o on o.id = v.opinion_id cross join stations s on s.id = o.station_id "
        "where v.opinion_id > ? and v.opinion_id <= ? and v.model = ? and s.town = ? "
        "and o.status != 'spam' and length(v.vector) = ? order by v.opinion_id",
        [after, upto, MODEL, town, DIM],
    ):
        ids.append(opinion_id)
        blobs.append(blob)
    matrix = np.frombuffer(b"".join(blobs), dtype=np.int8).reshape(len(ids), DIM)
    return np.array(ids, dtype=np.int64), matrix


def _catch_up(db: Database, town: str, entry: _Entry) -> None:
    newest = _newest_vector(db)
    if newest <= entry.seen:
        return
    ids, rows = _town_rows(db, town, entry.seen, newest)
    entry.seen = newest
    if len(ids):
        old = entry.vectors
        entry.vectors = TownVectors(
            np.concatenate([old.ids, ids]), old.stored, np.concatenate([old.newer, rows])
        )


def stored_path(database_path: str, town: str) -> Path:
    return town_files.cache_path(database_path, town, ".vectors")


def _file_lock(path: Path):
    return open(path.with_suffix(".vectors-lock"), "a")  # noqa: SIM115 - the caller closes it


def _load_or_build(db: Database, database_path: str, town: str) -> _Entry:
    """The stored file if it is still good (caught up afterwards), else built from SQLite and
    stored for the other workers, which wait for it (a lock per town) and map it."""
    path = stored_path(database_path, town)
    try:
        path.parent.mkdir(exist_ok=True)
        lock_file = _file_lock(path)
    except OSError:
        log.warning("cannot store opinion vectors in %s; keeping them in memory", path.parent)
        return _build(db, town)
    with lock_file:
        fcntl.flock(lock_file, fcntl.LOCK_EX)
        entry = _load(db, path, town)
        if entry is None:
            entry = _build(db, town)
            _write(db, path, town, entry, [entry.vectors.newer])
            entry = _load(db, path, town) or entry
    return entry


def _build(db: Database, town: str) -> _Entry:
    newest = _newest_vector(db)
    ids, rows = _town_rows(db, town, 0, newest)
    return _Entry(TownVectors(ids, _EMPTY, rows), newest)


class _NotAGoodCopy(Exception):
    pass


def _read_header(path: Path) -> tuple[dict, int]:
    """The file's header and where its arrays begin; raises _NotAGoodCopy for anything that
    is not a complete file of this format."""
    with open(path, "rb") as handle:
        start = handle.read(len(MAGIC) + 4)
        if len(start) < len(MAGIC) + 4 or not start.startswith(MAGIC):
            raise _NotAGoodCopy("not a vectors file")
        (length,) = struct.unpack("<I", start[len(MAGIC) :])
        if length > _HEADER_LIMIT:
            raise _NotAGoodCopy("header too long")
        raw = handle.read(length)
    try:
        header = json.loads(raw.decode())
    except (UnicodeDecodeError, ValueError):
        raise _NotAGoodCopy("header is not JSON") from None
    if not isinstance(header, dict):
        raise _NotAGoodCopy("header is not an object")
    count = header.get("count")
    if not isinstance(count, int) or isinstance(count, bool) or count < 0:
        raise _NotAGoodCopy("bad count")
    offset = _aligned(len(MAGIC) + 4 + length)
    if path.stat().st_size != offset + count * (8 + DIM):
        raise _NotAGoodCopy("size does not match the header")
    return header, offset


def _aligned(n: int) -> int:
    return -(-n // _ALIGN) * _ALIGN


def _load(db: Database, path: Path, town: str) -> _Entry | None:
    try:
        header, offset = _read_header(path)
    except FileNotFoundError:
        return None
    except (OSError, _NotAGoodCopy) as error:
        log.warning("stored vectors %s are no good (%s); rebuilding them", path, error)
        return None
    expected = {"model": MODEL, "dim": DIM, "scale": SCALE, "town": town}
    if any(header.get(name) != value for name, value in expected.items()):
        return None  # another model, scale or town: rebuilt over
    count, last_id, seen = header["count"], header.get("last_id"), header.get("seen")
    if not isinstance(last_id, int) or not isinstance(seen, int):
        return None
    if not last_id <= seen <= _newest_vector(db):
        return None  # it holds vectors this database does not have (a restored backup)
    if last_id and town_files.receipt(db, last_id) != header.get("receipt"):
        return None  # another database behind the same path (a restored backup)
    if not count:
        return _Entry(TownVectors(np.zeros(0, np.int64), _EMPTY, _EMPTY), seen)
    ids = np.memmap(path, dtype="<i8", mode="r", offset=offset, shape=(count,))
    if ids[-1] != last_id or (count > 1 and not bool(np.all(ids[1:] > ids[:-1]))):
        log.warning("stored vectors %s are out of order; rebuilding them", path)
        return None
    rows = np.memmap(path, dtype=np.int8, mode="r", offset=offset + 8 * count, shape=(count, DIM))
    return _Entry(TownVectors(ids, rows, _EMPTY), seen)


def _write(db: Database, path: Path, town: str, entry: _Entry, parts: list[np.ndarray]) -> bool:
    """Write the entry's ids and rows (parts, in order) to a temporary file renamed over the
    old one: readers, and workers still mapping the old file, see one or the other, whole.

    The header names the newest vector of the database (any town) the entry had looked at,
    so a process loading the file reads only the vectors after it."""
    ids = entry.vectors.ids
    last_id = int(ids[-1]) if len(ids) else 0
    header = {
        "model": MODEL,
        "dim": DIM,
        "scale": SCALE,
        "town": town,
        "count": len(ids),
        "last_id": last_id,
        "seen": entry.seen,
        "receipt": town_files.receipt(db, last_id) if last_id else None,
    }
    raw = json.dumps(header, ensure_ascii=False).encode()
    prefix = MAGIC + struct.pack("<I", len(raw)) + raw
    try:
        handle, temporary = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
        with os.fdopen(handle, "wb") as out:
            out.write(prefix + bytes(_aligned(len(prefix)) - len(prefix)))
            out.write(np.asarray(ids, dtype="<i8").tobytes())
            for part in parts:
                out.write(np.ascontiguousarray(part, dtype=np.int8).reshape(-1).data)
        os.replace(temporary, path)
    except OSError:
        log.warning("cannot store opinion vectors in %s", path, exc_info=True)
        return False
    return True


def _append_to_file(db: Database, database_path: str, town: str, entry: _Entry) -> None:
    """Append the rows gathered in memory to the town's file (its old rows are copied from
    the mapping, not read from SQLite again), then map the new file. If another worker has
    already stored a newer file, map that one instead."""
    path = stored_path(database_path, town)
    try:
        lock_file = _file_lock(path)
    except OSError:
        return
    with lock_file:
        fcntl.flock(lock_file, fcntl.LOCK_EX)
        on_disk = _load(db, path, town)
        if on_disk is None or on_disk.seen < entry.seen:
            old = entry.vectors
            if not _write(db, path, town, entry, [old.stored, old.newer]):
                return
            on_disk = _load(db, path, town)
            if on_disk is None:
                return
        _catch_up(db, town, on_disk)
        entry.vectors, entry.seen = on_disk.vectors, on_disk.seen
