"""Which department a suggestion probably belongs to: the one that handled the earlier
suggestions most like it. A clerk handing over a suggestion about blocked drains wants to
know that the last three like it went to 镇城建办, and to see them, so that routing improves
with use instead of living in one clerk's memory.

Likeness is meaning (feedback.town_vectors): the mean vector of the suggestion's opinions
against the opinions behind the town's earlier suggestions that a department took on (lead
department set, not waiting to be handed over). Each earlier suggestion counts by its most
similar opinion; the K most similar suggestions vote for their lead department, weighted by
that cosine. K is fixed (not tuned): it only picks what the clerk is shown, beside the
precedents themselves, and the clerk decides. Only departments this town may pick now
(active, its own or the county's) are offered.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

import numpy as np
from sqlite_utils import Database

from feedback import town_vectors

K = 5  # earlier suggestions shown and voting
NEIGHBOURS = 60  # nearest opinions read to find them


@dataclass(frozen=True)
class Precedent:
    suggestion_id: int
    number: str
    title: str
    department_id: int
    department: str
    cosine: float


@dataclass(frozen=True)
class Route:
    department_id: int
    department: str
    precedents: list[Precedent]


def suggest(db: Database, database_path: str, suggestion: dict) -> Route | None:
    """The likely department and the earlier suggestions behind the guess, or None (no
    vectors yet, or nothing handled before in this town)."""
    vectors = town_vectors.for_town(db, database_path, suggestion["town"], wait=False)
    if vectors is None:
        return None
    own = [
        row[0]
        for row in db.execute(
            "select opinion_id from suggestion_opinions where suggestion_id = ?",
            [suggestion["id"]],
        )
    ]
    ids, rows = vectors.rows(own)
    if not ids:
        return None
    query = rows.mean(axis=0)
    query /= np.linalg.norm(query) or 1.0
    earlier = _handled_before(db, suggestion)
    near = vectors.nearest(query, NEIGHBOURS, among=earlier)
    best: dict[int, float] = {}
    for opinion_id, cosine in near:
        suggestion_id = earlier[opinion_id][0]
        best[suggestion_id] = max(best.get(suggestion_id, -1.0), cosine)
    top = sorted(best, key=lambda s: (-best[s], s))[:K]
    if not top:
        return None
    precedents = _precedents(db, top, best)
    votes: dict[int, float] = defaultdict(float)
    for precedent in precedents:
        votes[precedent.department_id] += precedent.cosine
    chosen = max(sorted(votes), key=votes.__getitem__)
    name = next(p.department for p in precedents if p.department_id == chosen)
    return Route(chosen, name, precedents)


def _handled_before(db: Database, suggestion: dict) -> dict[int, tuple[int, int]]:
    """opinion id -> (suggestion id, lead department) over the town's other suggestions
    that a department this town may still pick took on."""
    return {
        opinion_id: (suggestion_id, department_id)
        for opinion_id, suggestion_id, department_id in db.execute(
            "select so.opinion_id, s.id, s.department_id from suggestions s "
            "join suggestion_opinions so on so.suggestion_id = s.id "
            "join departments d on d.id = s.department_id "
            "where s.town = ? and s.id != ? and s.status != '待交办' and d.active = 1 "
            "and (d.town is null or d.town = s.town)",
            [suggestion["town"], suggestion["id"]],
        )
    }


def _precedents(db: Database, top: list[int], best: dict[int, float]) -> list[Precedent]:
    marks = ", ".join("?" for _ in top)
    rows = {
        row[0]: row
        for row in db.execute(
            "select s.id, s.number, s.title, s.department_id, d.name from suggestions s "
            f"join departments d on d.id = s.department_id where s.id in ({marks})",
            top,
        )
    }
    return [Precedent(*rows[s], round(best[s], 3)) for s in top if s in rows]
