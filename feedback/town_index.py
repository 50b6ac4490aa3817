"""One similarity index per town, kept in memory by each worker process and brought up to
date from the database before use (only opinions newer than the last one indexed are read).

Building from scratch reads every opinion of the town once; after that a request adds just
what arrived since, so the inbox and `feedback similar` never scan the whole table.
"""

from __future__ import annotations

import threading

from sqlite_utils import Database

from feedback.similar import SimilarityIndex

_indexes: dict[tuple[str, str], tuple[SimilarityIndex, int]] = {}
_lock = threading.Lock()


def for_town(db: Database, database_path: str, town: str) -> SimilarityIndex:
    """The town's index, including every opinion stored so far (spam left out)."""
    key = (database_path, town)
    with _lock:
        index, last_id = _indexes.get(key) or (SimilarityIndex(), 0)
        rows = db.execute(
            "select o.id, o.body, s.village from opinions o join stations s on s.id = o.station_id "
            "where s.town = ? and o.id > ? and o.status != 'spam' order by o.id",
            [town, last_id],
        )
        for opinion_id, body, village in rows:
            index.add(opinion_id, body, village or "")
            last_id = opinion_id
        _indexes[key] = (index, last_id)
        return index


def town_of(db: Database, opinion_id: int) -> str | None:
    row = db.execute(
        "select s.town from opinions o join stations s on s.id = o.station_id where o.id = ?",
        [opinion_id],
    ).fetchone()
    return row[0] if row else None


def similar(db: Database, database_path: str, opinion_id: int, limit: int = 5) -> list[dict]:
    """The opinions of the same town most like this one, best first, with their rows."""
    town = town_of(db, opinion_id)
    if town is None:
        raise KeyError(opinion_id)
    index = for_town(db, database_path, town)
    if opinion_id not in index:
        return []
    ranked = index.similar(opinion_id, limit=limit)
    ids = [opinion for opinion, _score in ranked]
    marks = ",".join("?" * len(ids))
    sql = (
        "select o.*, s.name as station_name from opinions o join stations s "
        f"on s.id = o.station_id where o.id in ({marks})"
    )
    rows = {row["id"]: row for row in db.query(sql, ids)} if ids else {}
    return [dict(rows[i], score=round(score, 3)) for i, score in ranked if i in rows]


def pending_groups(db: Database, database_path: str, town: str) -> list[list[dict]]:
    """The town's pending opinions grouped by likely problem, largest group first."""
    index = for_town(db, database_path, town)
    pending = {row["id"]: row for row in db.query(
        "select o.*, s.name as station_name from opinions o join stations s "
        "on s.id = o.station_id where s.town = ? and o.status = 'new'", [town])}  # fmt: skip
    groups = index.groups(list(pending))
    return [[pending[i] for i in group] for group in groups]
