"""Recurrences: a closed problem comes back (the lamps broke again), and a new opinion about
it opens a new suggestion that follows the old one, in one step.

A closed suggestion takes no more opinions (its villagers have their answer, and its figures
are reported), so the new opinion gets a suggestion of its own; the link (follows_id) and an
entry in both suggestions' records let the clerk, and whoever handles it, read what was
done last time. The old one is offered when the opinion's similar list holds opinions
behind a closed suggestion.
"""

from __future__ import annotations

from sqlite_utils import Database

from feedback import audit, merging, suggestions
from feedback.access import Access
from feedback.db import write_transaction
from feedback.labels import CLOSED

OFFERED = 2
AGAIN = "(再次反映)"


def reopen(
    db: Database,
    access: Access,
    opinion_id: int,
    closed_id: int,
    category_labels: dict[str, str],
    tier_days: dict[str, int],
) -> int:
    """A new suggestion of this pending opinion, following the closed one; its id."""
    rows = access.opinions(db, [opinion_id])
    if rows is None:
        raise suggestions.Missing("找不到这条意见")
    fields = dict(merging.draft(rows, category_labels), tier=merging.DEFAULT_TIER)
    with write_transaction(db):
        old = access.suggestion(db, closed_id)
        if old is None:
            raise suggestions.Missing("找不到这件建议")
        if old["status"] != CLOSED:
            raise suggestions.SuggestionError(
                f"建议 {old['number']} 还没有办结:请把意见直接并入它,不必新建"
            )
        if old["town"] != rows[0]["town"]:
            raise suggestions.SuggestionError(suggestions.MIXED_TOWNS)
        fields["title"] = (old["title"].removesuffix(AGAIN)[: 60 - len(AGAIN)]) + AGAIN
        fields["body"] += f"\n接续已办结的建议 {old['number']}:{old['title']}"
        new_id = suggestions.insert(db, access, [opinion_id], fields, tier_days)
        where, params = access.where("suggestions")
        db.execute(
            f"update suggestions set follows_id = ? where id = ? and {where}",
            [old["id"], new_id, *params],
        )
        number = db.execute("select number from suggestions where id = ?", [new_id]).fetchone()[0]
        who = access.username
        audit.record(
            db, who, "suggestion.recur", "suggestion", new_id, after={"follows": old["number"]}
        )
        audit.record(
            db, who, "suggestion.recur", "suggestion", old["id"], after={"followed_by": number}
        )
    return new_id


def closed_like(db: Database, access: Access, similar: list[dict]) -> list[dict]:
    """The closed suggestions behind opinions like this one, the most alike first."""
    where, params = access.where("s")
    found: dict[int, dict] = {}
    for row in similar:
        if row["status"] != "merged" or len(found) >= OFFERED:
            continue
        suggestion = next(
            db.query(
                "select s.id, s.number, s.title from suggestion_opinions so join suggestions s "
                f"on s.id = so.suggestion_id where so.opinion_id = ? and s.status = ? and {where}",
                [row["id"], CLOSED, *params],
            ),
            None,
        )
        if suggestion:
            found.setdefault(suggestion["id"], suggestion)
    return list(found.values())


def linked(db: Database, access: Access, suggestion: dict) -> dict:
    """The suggestion this one follows and those that follow it, for its page."""
    where, params = access.where("s")
    follows = access.suggestion(db, suggestion["follows_id"]) if suggestion["follows_id"] else None
    later = list(
        db.query(
            f"select s.id, s.number, s.title from suggestions s where s.follows_id = ? and {where} "
            "order by s.id",
            [suggestion["id"], *params],
        )
    )
    return {"follows": follows, "followed_by": later}
