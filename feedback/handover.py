"""Handing many suggestions to one department at once (批量交办) from the suggestions list.

After a month's merging a clerk has dozens of 待交办 suggestions, most of a category going
to the same office: opening each to set its department and then 交办 took three page loads a
suggestion (issue 13). Here the department is chosen (or added, feedback.departments.choose)
once and every ticked suggestion moves 待交办 → 已交办 in one transaction, each change logged
as the suggestion page logs it. All or nothing: one that is no longer 待交办 (handed over
by someone else meanwhile) or out of scope refuses the whole batch with its number, so the
clerk sees the list as it is now before trying again.
"""

from __future__ import annotations

from sqlite_utils import Database

from feedback import audit, clock, departments
from feedback.access import Access
from feedback.db import write_transaction
from feedback.suggestions import Missing, Stale, SuggestionError

WAITING = "待交办"
HANDED = "已交办"


def hand_over(db: Database, access: Access, suggestion_ids: list[int], department: str) -> int:
    """Set the department of every chosen 待交办 suggestion and hand it over; how many."""
    ids = list(dict.fromkeys(suggestion_ids))
    if not ids:
        raise SuggestionError("请先勾选要交办的建议")
    if not (department or "").strip():
        raise SuggestionError("请选择承办单位")
    where, params = access.where("suggestions")
    now = clock.stamp()
    with write_transaction(db):
        chosen = departments.choose(db, department, access.username)
        for suggestion_id in ids:
            current = access.suggestion(db, suggestion_id)
            if current is None:
                raise Missing("找不到勾选的建议")
            moved = db.execute(
                "update suggestions set department_id = ?, status = ?, assigned_at = ? "
                f"where id = ? and status = ? and {where}",
                [chosen, HANDED, now, suggestion_id, WAITING, *params],
            ).rowcount
            if not moved:
                raise Stale(
                    f"建议 {current['number']} 已经是“{current['status']}”了(可能是别人处理的),"
                    "这次没有交办任何一件;请看刷新后的列表再勾选"
                )
            _log(db, access, current, chosen, now)
    return len(ids)


def _log(db: Database, access: Access, before: dict, department_id: int, now: str) -> None:
    """The two entries the suggestion page would have made: department, then status."""
    if before["department_id"] != department_id:
        audit.record(
            db,
            access.username,
            "suggestion.update",
            "suggestion",
            before["id"],
            before={"department_id": before["department_id"]},
            after={"department_id": department_id},
        )
    audit.record(
        db,
        access.username,
        "suggestion.status",
        "suggestion",
        before["id"],
        before={"status": WAITING},
        after={"status": HANDED, "assigned_at": now},
    )
