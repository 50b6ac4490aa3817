"""What the groups page shows of the groups at the top: each member's score, the pending
opinions that look like the group but were left out, and the open suggestions that already
hold opinions like it.

A clerk fixes a group before merging it: a member that does not belong (its score is low),
a villager who wrote of the same thing in other words (a candidate to tick), a problem that
already has its suggestion (one button to join it). All three come from the opinion page's
own similar lists (feedback.similar_opinions.similar), asked for the members of the first
groups only: the clerk works from the top, and the page after each merge shows the next.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlite_utils import Database

from feedback import similar_opinions
from feedback.access import Access
from feedback.labels import CLOSED

SHOWN = 5  # groups (or single opinions) drawn ready to fix, from the top
ASKED = 12  # each member's similar list, as long as the opinion page's twice over
MEMBERS_ASKED = 12  # members of a large group whose lists are asked (the rest: no score)
CANDIDATES = 5
OFFERED = 2
FLOOR = 0.3  # a candidate or a suggestion less like the group than this is not offered
# A member at least this like the group's lead comes ticked; below it, unticked but listed
# (bench/workbench.py's month: fewer fixes than ticking all, 31 against 55 on its top 20).
TICK = 0.4


@dataclass
class Card:
    """One group (or one opinion in no group) ready to be fixed and merged."""

    members: list[dict]  # opinion rows, with `score` (like the lead; None: not asked), `ticked`
    score: float | None  # the group's cohesion (feedback.similar_opinions), None for one
    candidates: list[dict]  # pending opinions like the members, not in the group, best first
    offered: list[dict]  # open suggestions holding opinions like these: id, number, title


@dataclass
class Review:
    cards: list[Card]
    groups: int  # how many groups in all (the cards show the first ones)
    singles: list[dict]  # pending opinions of the town in no group, newest first


def review(
    db: Database, database_path: str, access: Access, town: str, singles_page: bool = False
) -> Review:
    """The town's pending opinions as the groups page shows them: the first groups as cards
    (exactly the groups `feedback groups` lists); or, on the page of the opinions in no
    group, the first of those as cards of one, with every one of them in a list for the
    one-offs. A town outside the user's scope shows nothing."""
    if not _in_scope(db, access, town):
        return Review([], 0, [])
    groups = similar_opinions.pending_groups(db, database_path, town)
    grouped = {o["id"] for g in groups for o in g.members}
    singles = _singles(db, town, grouped)
    if singles_page:
        chosen = [([o], None) for o in singles[:SHOWN]]
    else:
        chosen = [(g.members, g.score) for g in groups[:SHOWN]]
    cards = [_card(db, database_path, access, members, score) for members, score in chosen]
    return Review(cards, len(groups), singles)


def _in_scope(db: Database, access: Access, town: str) -> bool:
    where, params = access.where("stations")
    sql = f"select 1 from stations where town = ? and {where} limit 1"
    return db.execute(sql, [town, *params]).fetchone() is not None


def _singles(db: Database, town: str, grouped: set[int]) -> list[dict]:
    rows = db.query(
        "select o.*, s.name as station_name, s.village as village from opinions o "
        "join stations s on s.id = o.station_id where s.town = ? and o.status = 'new' "
        "order by o.created_at desc, o.id desc",
        [town],
    )
    return [row for row in rows if row["id"] not in grouped]


def _card(db, database_path: str, access: Access, members: list[dict], score) -> Card:
    """The group around its most connected member (the lead): members ranked by how like
    the lead they are, ticked when alike enough, so a group that caught two problems is
    proposed as the lead's one and the rest stay pending for the next card."""
    lists = {
        m["id"]: similar_opinions.similar(db, database_path, m["id"], ASKED, wait=False) or []
        for m in members[:MEMBERS_ASKED]
    }
    ranked = _around(lists, {o["id"] for o in members})
    candidates = [row for row in ranked if row["status"] == "new"][:CANDIDATES]
    merged = {row["id"]: row["score"] for row in ranked if row["status"] == "merged"}
    return Card(_scored(members, lists), score, candidates, _offered(db, access, merged))


def _scored(members: list[dict], lists: dict[int, list[dict]]) -> list[dict]:
    """The members, each with its similarity to the lead and whether it comes ticked."""
    pair = {(a, row["id"]): row["score"] for a, found in lists.items() for row in found}
    ids = [o["id"] for o in members]
    lead = max(lists, key=lambda a: sum(pair.get((a, b), 0) + pair.get((b, a), 0) for b in ids))
    scored = []
    for member in members:
        i = member["id"]
        like = 1.0 if i == lead else max(pair.get((lead, i), 0), pair.get((i, lead), 0))
        known = i in lists or like > 0
        scored.append(dict(member, score=like if known else None, ticked=like >= TICK))
    return sorted(scored, key=lambda o: -(o["score"] or 0))


def _around(lists: dict[int, list[dict]], ids: set[int]) -> list[dict]:
    """Opinions outside the group in its members' similar lists, each at its best score."""
    best: dict[int, dict] = {}
    for row in (row for found in lists.values() for row in found):
        if row["id"] in ids or row["score"] < FLOOR:
            continue
        if row["score"] > best.get(row["id"], {"score": 0.0})["score"]:
            best[row["id"]] = row
    return sorted(best.values(), key=lambda row: -row["score"])


def _offered(db: Database, access: Access, scores: dict[int, float]) -> list[dict]:
    """The open suggestions behind these merged opinions, the most alike first."""
    if not scores:
        return []
    where, params = access.where("s")
    marks = ",".join("?" * len(scores))
    rows = db.query(
        "select so.opinion_id, s.id, s.number, s.title from suggestion_opinions so "
        f"join suggestions s on s.id = so.suggestion_id where so.opinion_id in ({marks}) "
        f"and s.status != ? and {where}",
        [*scores, CLOSED, *params],
    )
    best: dict[int, tuple[float, dict]] = {}
    for row in rows:
        score = scores[row.pop("opinion_id")]
        if score > best.get(row["id"], (0.0,))[0]:
            best[row["id"]] = (score, dict(row, score=score))
    return [row for _s, row in sorted(best.values(), key=lambda p: -p[0])][:OFFERED]
