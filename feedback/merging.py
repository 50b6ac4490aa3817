"""Merging in one step, as the groups page does it: the ticked opinions become a suggestion
with the drafted title, body and category (all correctable afterwards on its page), or each
its own suggestion, or join an existing one, and the clerk stays where they were.

A month of 200 opinions is some 80 merges: a draft page to confirm before every one doubled
the clicks and page loads (issue 13). The draft is the same one the inbox's 合并成新建议
shows; only the confirmation is gone. Opinions handled by someone else since the page was
drawn are left out and named, the rest merged; the rules themselves (pending, in scope, one
town) stay in feedback.suggestions' SQL, and several suggestions made at once stand or fall
together.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from sqlite_utils import Database

from feedback import suggestions
from feedback.access import Access
from feedback.db import write_transaction
from feedback.suggestion_text import (
    COUNT_LINE,
    all_handled_message,
    neutral_title,
    still_pending,
)

DEFAULT_TIER = "一般"  # 一般建议速交办: the tier a clerk then changes for the few others


@dataclass
class Merged:
    """What a one-step merge did, for the notice on the page the clerk returns to."""

    suggestions: list[dict]  # id, number, title of each suggestion made or joined
    merged: list[int]
    skipped: list[int] = field(default_factory=list)  # handled by someone else meanwhile
    joined: bool = False  # into an existing suggestion rather than new ones


def draft(opinions: list[dict], category_labels: dict[str, str]) -> dict:
    """Title, body and category proposed from the opinions being merged (all editable).

    The title is what every villager behind the suggestion reads on their status page, so it
    is built from the category and the places, never from one villager's words; the body,
    which only staff read, lists the opinions themselves.
    """
    if len({o.get("town") for o in opinions}) > 1:
        raise suggestions.SuggestionError(suggestions.MIXED_TOWNS)
    category = Counter(o["category"] for o in opinions).most_common(1)[0][0]
    label = category_labels.get(category, category)
    title = neutral_title([o.get("village") or o.get("town") or "本镇" for o in opinions], label)
    lines = [f"{i}. {o['body']}({o.get('station_name', '')})" for i, o in enumerate(opinions, 1)]
    body = COUNT_LINE.format(len(opinions)) + "\n" + "\n".join(lines)
    return {"title": title, "body": body, "category": category}


def _pending(db: Database, access: Access, opinion_ids: list[int]) -> tuple[list[dict], list]:
    """The chosen opinions still pending, and the ids of those handled since; refused when
    one is out of scope or none is left."""
    if not opinion_ids:
        raise suggestions.SuggestionError("请先勾选意见")
    rows = access.opinions(db, opinion_ids)
    if rows is None:
        raise suggestions.Missing("找不到勾选的意见")
    pending, handled = still_pending(rows)
    if not pending:
        raise suggestions.Stale(all_handled_message(handled))
    return pending, [o["id"] for o in handled]


def into_new(
    db: Database,
    access: Access,
    opinion_ids: list[int],
    category_labels: dict[str, str],
    tier_days: dict[str, int],
    each: bool = False,
) -> Merged:
    """One new suggestion of the pending chosen opinions, or (each) one suggestion per
    opinion for the one-offs, drafted and made in one transaction."""
    pending, skipped = _pending(db, access, opinion_ids)
    batches = [[o] for o in pending] if each else [pending]
    drafts = [dict(draft(batch, category_labels), tier=DEFAULT_TIER) for batch in batches]
    with write_transaction(db):
        made = [
            suggestions.insert(db, access, [o["id"] for o in batch], fields, tier_days)
            for batch, fields in zip(batches, drafts, strict=True)
        ]
    return Merged(_summaries(db, made), [o["id"] for o in pending], skipped)


def into_existing(
    db: Database, access: Access, suggestion_id: int, opinion_ids: list[int]
) -> Merged:
    """The pending chosen opinions added to an open suggestion of their town."""
    pending, skipped = _pending(db, access, opinion_ids)
    ids = [o["id"] for o in pending]
    suggestions.add_opinions(db, access, suggestion_id, ids)
    return Merged(_summaries(db, [suggestion_id]), ids, skipped, joined=True)


def _summaries(db: Database, ids: list[int]) -> list[dict]:
    marks = ",".join("?" * len(ids))
    sql = f"select id, number, title from suggestions where id in ({marks}) order by id"
    return list(db.query(sql, ids))
