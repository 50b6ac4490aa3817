"""The machinery every act of online handling shares (feedback.handling for the
department's, feedback.handling_town for the town's): the errors, the timeline's last event
as a condition of the statement that acts, the event written with its audit entry, and the
reason an act changed nothing (not in scope, someone acted first, or the rule).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlite_utils import Database

from feedback import audit, clock
from feedback.access import Access

MAX_EXTENSION_DAYS = 180  # past this a new date is taken for a typing mistake
MAX_DEADLINE_DAYS = 366
MAX_REASON = 200
MAX_ANSWER = 2000
OPEN = "('已交办', '办理中')"
STALE = (
    "这件建议刚刚有人处理过(可能是同事或对方单位同时在操作),您看到的页面已经过时,"
    "这次操作没有执行:请刷新页面,看清最新情况后再操作。"
)


class HandlingError(ValueError):
    """An act the rules refuse; the message (Chinese) says why."""


class Missing(HandlingError):
    """Not there for this user (or not at all): the web says 404."""


class Stale(HandlingError):
    """Someone acted first since the page was drawn: nothing was done (409)."""


def latest(alias: str) -> str:
    """SQL: the last timeline event of suggestion `alias` is the one the user saw."""
    return (
        "(select coalesce(max(e.id), 0) from handling_events e "
        f"where e.suggestion_id = {alias}.id) = ?"
    )


def latest_event(db: Database, suggestion_id: int) -> int:
    return db.execute(
        "select coalesce(max(id), 0) from handling_events where suggestion_id = ?",
        [suggestion_id],
    ).fetchone()[0]


def add_working_days(moment: datetime, days: int) -> datetime:
    """`days` working days (Monday to Friday) after `moment`: handed over on a Friday
    morning, one working day is Monday morning."""
    while days > 0:
        moment += timedelta(days=1)
        if moment.weekday() < 5:
            days -= 1
    return moment


def text_of(value: str | None, what: str, shortest: int, longest: int) -> str:
    value = (value or "").strip()
    if len(value) < shortest:
        raise HandlingError(f"请写{what}(至少 {shortest} 个字)")
    if len(value) > longest:
        raise HandlingError(f"{what}最多 {longest} 个字")
    return value


def date_of(value: str | date | None, what: str) -> date:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat((value or "").strip())
    except ValueError:
        raise HandlingError(f"{what}请写成 2026-03-31 这样的日期") from None


def town_only(access: Access) -> None:
    """Handing over, deciding, reviewing and urging are the town's acts."""
    if access.role not in ("admin", "clerk"):
        raise Missing("找不到这件建议")


def office_of(access: Access) -> int:
    if access.office is None:
        raise Missing("找不到这件建议")
    return access.office


def office_name(db: Database, department_id: int | None) -> str:
    row = db.execute("select name from departments where id = ?", [department_id]).fetchone()
    return row[0] if row else ""


def event(
    db: Database, suggestion_id: int, kind: str, actor: str, department_id: int | None, **fields
) -> int:
    """One act on the timeline and in the audit log; inside the act's transaction."""
    event_id = db.execute(
        "insert into handling_events (suggestion_id, kind, department_id, actor, at, body, "
        "new_date, result_class) values (?, ?, ?, ?, ?, ?, ?, ?)",
        [
            suggestion_id,
            kind,
            department_id,
            actor,
            clock.stamp(),
            fields.get("body", ""),
            fields.get("new_date"),
            fields.get("result_class"),
        ],
    ).lastrowid
    detail = {k: v for k, v in fields.items() if v}
    if department_id:
        detail["department"] = office_name(db, department_id)
    audit.record(db, actor, f"handling.{kind}", "suggestion", suggestion_id, **detail)
    return event_id


def refused(db: Database, access: Access, suggestion_id: int, seen: int, why) -> HandlingError:
    """Why the act's statement changed nothing: not in scope (404), someone acted since the
    page was drawn (409), or the rule, in the words `why(suggestion, row)` gives."""
    suggestion = access.suggestion(db, suggestion_id)
    if suggestion is None:
        return Missing("找不到这件建议")
    if latest_event(db, suggestion_id) != seen:
        return Stale(STALE)
    row = handler(db, suggestion_id, access.office) if access.office else None
    return HandlingError(why(suggestion, row))


def handler(db: Database, suggestion_id: int, department_id: int | None) -> dict | None:
    """A department's row on a suggestion (lead or co), if it is handed to it now."""
    return next(
        db.query(
            "select * from suggestion_departments where suggestion_id = ? and department_id = ?",
            [suggestion_id, department_id],
        ),
        None,
    )
