"""The town's side of online handling (feedback.handling): the clerk hands a suggestion
over, decides a department's request for more time, reviews its answer and urges (督办).
The same rules hold: scope, status and the timeline seen are conditions of the one statement
that acts, its row count checked, each act on the timeline and in the audit log."""

from __future__ import annotations

from datetime import date, timedelta

from sqlite_utils import Database

from feedback import clock, notify
from feedback.access import Access
from feedback.db import write_transaction
from feedback.handling_acts import (
    MAX_DEADLINE_DAYS,
    MAX_REASON,
    OPEN,
    HandlingError,
    add_working_days,
    date_of,
    event,
    latest,
    office_name,
    refused,
    text_of,
    town_only,
)


def hand_over(
    db: Database,
    access: Access,
    suggestion_id: int,
    lead: int,
    co: list[int],
    deadline: str | date,
    seen: int,
    sign_days: int = 1,
) -> None:
    """To a lead department and co-handlers, each one serving the suggestion's town and in
    use, with a deadline between today and a year ahead."""
    town_only(access)
    until, today = date_of(deadline, "办理期限"), clock.now().date()
    if not today <= until <= today + timedelta(days=MAX_DEADLINE_DAYS):
        raise HandlingError(f"办理期限要在今天到 {MAX_DEADLINE_DAYS} 天之内")
    co = [d for d in dict.fromkeys(co) if d != lead]
    where, params = access.where("suggestions")
    now = clock.now()
    with write_transaction(db):
        ids = [lead, *co]
        marks = ", ".join("?" for _ in ids)
        usable = db.execute(
            f"select count(*) from departments d where d.id in ({marks}) and d.active = 1 "
            "and (d.town is null or d.town = (select town from suggestions where id = ?))",
            [*ids, suggestion_id],
        ).fetchone()[0]
        if usable != len(ids):
            raise HandlingError("请从本镇可选的承办单位里选(停用的单位和外镇的单位不能交办)")
        moved = db.execute(
            "update suggestions set status = '已交办', department_id = ?, deadline = ?, "
            "assigned_at = ?, returned_reason = null, submitted_at = null, result_class = null, "
            "extension_until = null, extension_reason = null where id = ? and status = '待交办' "
            "and not exists (select 1 from suggestion_departments x "
            f"where x.suggestion_id = suggestions.id) and {where} and {latest('suggestions')}",
            [lead, until.isoformat(), clock.stamp(now), suggestion_id, *params, seen],
        ).rowcount
        if not moved:
            raise refused(
                db,
                access,
                suggestion_id,
                seen,
                lambda s, _: f"这件建议现在是“{s['status']}”,不能再交办",
            )
        due = clock.stamp(add_working_days(now, sign_days))
        for department_id in ids:
            db.execute(
                "insert into suggestion_departments (suggestion_id, department_id, role, "
                "handed_at, sign_due_at) values (?, ?, ?, ?, ?)",
                [suggestion_id, department_id, "lead" if department_id == lead else "co"]
                + [clock.stamp(now), due],
            )
        names = "、".join(office_name(db, d) for d in co)
        body = f"主办:{office_name(db, lead)}" + (f";协办:{names}" if names else "")
        event(
            db,
            suggestion_id,
            "handover",
            access.username,
            lead,
            body=body,
            new_date=until.isoformat(),
        )


def decide_extension(
    db: Database, access: Access, suggestion_id: int, grant: bool, reason: str, seen: int
) -> None:
    """Grant the date the department asked for (the deadline moves) or refuse it, with a
    reason the department reads."""
    town_only(access)
    reason = text_of(reason, "不同意的理由", 2, MAX_REASON) if not grant else (reason or "").strip()
    where, params = access.where("suggestions")
    with write_transaction(db):
        asked = db.execute(
            "select extension_until from suggestions where id = ?", [suggestion_id]
        ).fetchone()
        decided = db.execute(
            "update suggestions set deadline = case when ? then extension_until else deadline "
            "end, extension_until = null, extension_reason = null where id = ? "
            f"and status = '办理中' and extension_until is not null and {where} "
            f"and {latest('suggestions')}",
            [int(grant), suggestion_id, *params, seen],
        ).rowcount
        if not decided:
            raise refused(db, access, suggestion_id, seen, lambda s, _: "没有待答复的延期申请")
        kind = "extension_grant" if grant else "extension_refuse"
        new_date = asked[0] if grant else None
        event(db, suggestion_id, kind, access.username, None, body=reason, new_date=new_date)


def review(
    db: Database, access: Access, suggestion_id: int, accept: bool, reason: str, seen: int
) -> None:
    """Accept the submitted answer (已办结: it reaches every linked villager, as closing
    always did) or send it back for more work with a reason."""
    town_only(access)
    if not accept:
        reason = text_of(reason, "退回重办的理由", 2, MAX_REASON)
    where, params = access.where("suggestions")
    now = clock.stamp()
    answer = (
        "(select answer from suggestion_departments sd where sd.suggestion_id = suggestions.id "
        "and sd.role = 'lead')"
    )
    change = (
        f"status = '已办结', closed_at = ?, answer = {answer}" if accept else "submitted_at = null"
    )
    with write_transaction(db):
        reviewed = db.execute(
            f"update suggestions set {change} where id = ? and status = '办理中' "
            f"and submitted_at is not null and {answer} is not null and {where} "
            f"and {latest('suggestions')}",
            ([now] if accept else []) + [suggestion_id, *params, seen],
        ).rowcount
        if not reviewed:
            raise refused(db, access, suggestion_id, seen, _why_not_reviewed)
        if accept:
            db.execute(
                "update opinions set answer = (select answer from suggestions where id = ?), "
                "answered_at = ? where id in "
                "(select opinion_id from suggestion_opinions where suggestion_id = ?)",
                [suggestion_id, now, suggestion_id],
            )
            notify.suggestion_answered(db, suggestion_id)
        event(
            db,
            suggestion_id,
            "accept" if accept else "send_back",
            access.username,
            None,
            body=reason or "",
        )


def _why_not_reviewed(suggestion: dict, _row) -> str:
    if suggestion["status"] == "已办结":
        return "这件建议已经办结了"
    return "承办单位还没有提交答复,不能审核;没有答复不能办结"


def urge(db: Database, access: Access, suggestion_id: int, reason: str, seen: int) -> None:
    """督办 an open item handed over online: logged, shown to the department, counted."""
    town_only(access)
    reason = (reason or "").strip()
    if len(reason) > MAX_REASON:
        raise HandlingError(f"督办意见最多 {MAX_REASON} 个字")
    where, params = access.where("s")
    with write_transaction(db):
        allowed = db.execute(
            f"select 1 from suggestions s where s.id = ? and s.status in {OPEN} "
            "and exists (select 1 from suggestion_departments sd where sd.suggestion_id = s.id) "
            f"and {where} and {latest('s')}",
            [suggestion_id, *params, seen],
        ).fetchone()
        if not allowed:  # the write lock is held: nothing changes before the insert
            raise refused(
                db, access, suggestion_id, seen, lambda s, _: "只能督办已在线交办、还没办结的建议"
            )
        lead = db.execute(
            "select department_id from suggestion_departments where suggestion_id = ? "
            "and role = 'lead'",
            [suggestion_id],
        ).fetchone()
        event(
            db,
            suggestion_id,
            "urge",
            access.username,
            lead[0] if lead else None,
            body=reason or "请抓紧办理",
        )
