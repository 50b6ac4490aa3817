"""The clerks' judgements of a town as a feedback.clerk_memory.Memory: the opinions of each of
its suggestions (merged, so one problem) and the opinions taken back out of one (the audit
log's opinion.unmerge: not that problem), with their vectors.

The newest RECENT suggestions of the town are remembered (problems come back within months;
a county's whole history would make every page slower). A process keeps each town's memory
until the audit log grows (every merge and split is logged), so pages read it, not SQLite.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from sqlite_utils import Database

from feedback.clerk_memory import Memory
from feedback.town_vectors import TownVectors

RECENT = 2000  # suggestions of a town remembered, the newest


@dataclass(frozen=True)
class _Kept:
    logged: int  # the newest audit entry when the memory was built
    vectors: int  # how many vectors the town had then
    memory: Memory


_kept: dict[tuple[str, str], _Kept] = {}


def memory_of(db: Database, database_path: str, town: str, vectors: TownVectors) -> Memory:
    """The town's memory, built again only when something was logged since, or when more of
    its opinions have vectors (the background embedder catching up)."""
    logged = db.execute("select max(id) from audit_log").fetchone()[0] or 0
    key = (database_path, town)
    kept = _kept.get(key)
    if kept is None or kept.logged != logged or kept.vectors != len(vectors):
        kept = _kept[key] = _Kept(logged, len(vectors), _build(db, town, vectors))
    return kept.memory


def _build(db: Database, town: str, vectors: TownVectors) -> Memory:
    links = db.execute(
        "select so.suggestion_id, so.opinion_id from suggestion_opinions so "
        "where so.suggestion_id in (select id from suggestions where town = ? "
        "order by id desc limit ?) order by so.suggestion_id, so.opinion_id",
        [town, RECENT],
    ).fetchall()
    members: dict[int, list[int]] = {}
    for suggestion_id, opinion_id in links:
        members.setdefault(suggestion_id, []).append(opinion_id)
    order = {suggestion_id: n for n, suggestion_id in enumerate(members)}
    merged = [vectors.rows(ids)[1] for ids in members.values()]
    linked = {opinion_id: suggestion_id for suggestion_id, opinion_id in links}
    removed = []
    for opinion_id, suggestion_id in _taken_out(db, set(order)):
        vector = vectors.vector(opinion_id)
        if vector is not None and linked.get(opinion_id) != suggestion_id:  # not put back
            removed.append((vector, order[suggestion_id]))
    return Memory.build(merged, removed)


def _taken_out(db: Database, suggestions: set[int]) -> list[tuple[int, int]]:
    """(opinion, suggestion it was taken out of) for the given suggestions, from the audit log
    (its partial index of opinion.unmerge entries: the log itself is long)."""
    found = []
    for object_id, detail in db.execute(
        "select object_id, detail from audit_log where action = 'opinion.unmerge'"
    ):
        suggestion_id = (json.loads(detail or "{}").get("before") or {}).get("suggestion")
        if suggestion_id in suggestions:
            found.append((int(object_id), suggestion_id))
    return found
