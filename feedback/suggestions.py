"""Suggestions (代表建议): formal items formed by merging opinions, handed to a department and
followed to the end.

Merging never deletes, moves or rewrites an opinion: a link row says which suggestion it
stands behind; taking it out deletes only the link. Closing a suggestion writes its answer
to every linked opinion, so each villager sees it on their status page and can rate it.
"""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta

from sqlite_utils import Database

from feedback import audit, clock, departments
from feedback.db import write_transaction

TIERS = ("微事", "一般", "重大")
STATUSES = ("待交办", "已交办", "办理中", "已办结")
NEXT_STATUS = {"待交办": "已交办", "已交办": "办理中", "办理中": "已办结"}


class SuggestionError(ValueError):
    """A change that cannot be made; the message (Chinese) is for the clerk."""


def draft(opinions: list[dict]) -> dict:
    """Title, body and category proposed from the opinions being merged (all editable)."""
    first = opinions[0]["body"].replace("\n", " ")
    title = first if len(first) <= 30 else first[:29] + "…"
    lines = [f"{i}. {o['body']}({o.get('station_name', '')})" for i, o in enumerate(opinions, 1)]
    body = f"群众反映 {len(opinions)} 条:\n" + "\n".join(lines)
    category = Counter(o["category"] for o in opinions).most_common(1)[0][0]
    return {"title": title, "body": body, "category": category}


def deadline_for(tier: str, start: date, tier_days: dict[str, int]) -> str:
    return (start + timedelta(days=tier_days[tier])).isoformat()


def create(db: Database, town: str, opinion_ids: list[int], fields: dict, tier_days: dict,
           actor: str) -> int:  # fmt: skip
    """A new suggestion numbered per town and year (甲镇-2026-0042) with the opinions behind it."""
    now = clock.now()
    with write_transaction(db):
        seq = db.execute(
            "select coalesce(max(seq), 0) + 1 from suggestions where town = ? and year = ?",
            [town, now.year],
        ).fetchone()[0]
        suggestion_id = db.execute(
            "insert into suggestions (town, year, seq, number, title, body, category, tier, "
            "deadline, created_at) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [town, now.year, seq, f"{town}-{now.year}-{seq:04d}", fields["title"],
             fields["body"], fields["category"], fields["tier"],
             deadline_for(fields["tier"], now.date(), tier_days), clock.stamp(now)],
        ).lastrowid  # fmt: skip
        created = {"number": f"{town}-{now.year}-{seq:04d}", "opinions": opinion_ids}
        audit.record(db, actor, "suggestion.create", "suggestion", suggestion_id, after=created)
        _link(db, suggestion_id, opinion_ids, actor)
    return suggestion_id


def add_opinions(db: Database, suggestion_id: int, opinion_ids: list[int], actor: str) -> None:
    with write_transaction(db):
        _link(db, suggestion_id, opinion_ids, actor)


def _link(db: Database, suggestion_id: int, opinion_ids: list[int], actor: str) -> None:
    for opinion_id in opinion_ids:
        status = db.execute("select status from opinions where id = ?", [opinion_id]).fetchone()
        if status is None or status[0] != "new":
            raise SuggestionError(f"意见 #{opinion_id} 已处理过,不能再合并")
        db.execute(
            "insert into suggestion_opinions (opinion_id, suggestion_id, added_at) "
            "values (?, ?, ?)",
            [opinion_id, suggestion_id, clock.stamp()],
        )
        db.execute("update opinions set status = 'merged' where id = ?", [opinion_id])
        after = {"status": "merged", "suggestion": suggestion_id}
        audit.record(db, actor, "opinion.merge", "opinion", opinion_id,
                     before={"status": "new"}, after=after)  # fmt: skip


def remove_opinion(db: Database, suggestion_id: int, opinion_id: int, actor: str) -> None:
    """Take an opinion back out: it is pending again, exactly as it was."""
    with write_transaction(db):
        removed = db.execute(
            "delete from suggestion_opinions where opinion_id = ? and suggestion_id = ?",
            [opinion_id, suggestion_id],
        ).rowcount
        if not removed:
            raise SuggestionError("这条意见不在这件建议里")
        db.execute("update opinions set status = 'new', answer = null, answered_at = null "
                   "where id = ?", [opinion_id])  # fmt: skip
        before = {"status": "merged", "suggestion": suggestion_id}
        audit.record(db, actor, "opinion.unmerge", "opinion", opinion_id,
                     before=before, after={"status": "new"})  # fmt: skip


def update(
    db: Database, suggestion: dict, changes: dict, actor: str, department: str | None = None
) -> None:
    """Tier, deadline, department, deputies, title, body: logged before -> after. A department
    typed by name is looked up (or added to the list) in the same transaction."""
    with write_transaction(db):
        if department:
            changes = dict(changes, department_id=departments.find_or_add(db, department, actor))
        changes = {k: v for k, v in changes.items() if suggestion.get(k) != v}
        if not changes:
            return
        assignments = ", ".join(f"{key} = ?" for key in changes)
        db.execute(f"update suggestions set {assignments} where id = ?",
                   [*changes.values(), suggestion["id"]])  # fmt: skip
        audit.record(db, actor, "suggestion.update", "suggestion", suggestion["id"],
                     before={k: suggestion.get(k) for k in changes}, after=changes)  # fmt: skip


def advance(db: Database, suggestion: dict, actor: str, answer: str | None = None) -> str:
    """Move to the next status; closing (已办结) needs the final answer and sends it back."""
    new = NEXT_STATUS.get(suggestion["status"])
    if new is None:
        raise SuggestionError("已办结的建议不能再改状态")
    if new == "已交办" and not suggestion["department_id"]:
        raise SuggestionError("请先选定承办单位再交办")
    if new == "已办结" and not (answer or "").strip():
        raise SuggestionError("办结需要填写最终答复")
    now = clock.stamp()
    changes: dict = {"status": new}
    if new == "已交办":
        changes["assigned_at"] = now
    if new == "已办结":
        changes.update(closed_at=now, answer=answer.strip())
    with write_transaction(db):
        assignments = ", ".join(f"{key} = ?" for key in changes)
        db.execute(f"update suggestions set {assignments} where id = ?",
                   [*changes.values(), suggestion["id"]])  # fmt: skip
        audit.record(db, actor, "suggestion.status", "suggestion", suggestion["id"],
                     before={"status": suggestion["status"]}, after=changes)  # fmt: skip
        if new == "已办结":
            db.execute(
                "update opinions set answer = ?, answered_at = ? where id in "
                "(select opinion_id from suggestion_opinions where suggestion_id = ?)",
                [answer.strip(), now, suggestion["id"]],
            )
    return new


def add_note(db: Database, suggestion_id: int, body: str, actor: str) -> None:
    with write_transaction(db):
        db.execute("insert into suggestion_notes (suggestion_id, body, author, created_at) "
                   "values (?, ?, ?, ?)", [suggestion_id, body, actor, clock.stamp()])  # fmt: skip
        audit.record(
            db, actor, "suggestion.note", "suggestion", suggestion_id, after={"note": body}
        )


def of_opinion(db: Database, opinion_id: int) -> dict | None:
    """The suggestion an opinion stands behind, with its department's name, if merged."""
    return next(db.query(
        "select s.*, d.name as department from suggestion_opinions so join suggestions s "
        "on s.id = so.suggestion_id left join departments d on d.id = s.department_id "
        "where so.opinion_id = ?", [opinion_id]), None)  # fmt: skip


def is_overdue(suggestion: dict, today: date) -> bool:
    return (
        suggestion["status"] != "已办结"
        and bool(suggestion["deadline"])
        and date.fromisoformat(suggestion["deadline"]) < today
    )


def overdue_ids(rows: list[dict]) -> set[int]:
    """Which of these suggestions are past their deadline today (China time)."""
    today = clock.now().date()
    return {row["id"] for row in rows if is_overdue(row, today)}
