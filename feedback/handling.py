"""Departments handle their suggestions online (线上交办): the clerk hands a suggestion to a
lead department (主办) and co-handlers (协办); each signs for it (签收) or returns it (退回),
records progress with photos, the lead asks for an extension (申请延期) and submits the answer
with its result class; the clerk decides extensions, reviews the answer and urges (督办).

Each act is one function. Its rule (status, who acts, the state of the department's row),
the scope of the person acting (feedback.access) and the timeline they saw (`seen`: the last
event shown when their page was drawn) are all conditions of the one UPDATE, INSERT or DELETE
that makes the change, and its row count is checked: of two people acting at once on one
suggestion exactly one succeeds, the other is told (Stale) and nothing happens twice. Every act
writes a timeline event (handling_events, what the department figures count) and the audit log.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path

from sqlite_utils import Database

from feedback import audit, clock
from feedback.access import Access
from feedback.db import write_transaction
from feedback.labels import RESULT_CLASSES
from feedback.photos import Photo, new_filename, write

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


def _text(value: str | None, what: str, shortest: int, longest: int) -> str:
    value = (value or "").strip()
    if len(value) < shortest:
        raise HandlingError(f"请写{what}(至少 {shortest} 个字)")
    if len(value) > longest:
        raise HandlingError(f"{what}最多 {longest} 个字")
    return value


def _date(value: str | date | None, what: str) -> date:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat((value or "").strip())
    except ValueError:
        raise HandlingError(f"{what}请写成 2026-03-31 这样的日期") from None


def _clerk(access: Access) -> None:
    """Handing over, deciding, reviewing and urging are the town's acts."""
    if access.role not in ("admin", "clerk"):
        raise Missing("找不到这件建议")


def _office(access: Access) -> int:
    if access.office is None:
        raise Missing("找不到这件建议")
    return access.office


def _name(db: Database, department_id: int | None) -> str:
    row = db.execute("select name from departments where id = ?", [department_id]).fetchone()
    return row[0] if row else ""


def _event(
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
        detail["department"] = _name(db, department_id)
    audit.record(db, actor, f"handling.{kind}", "suggestion", suggestion_id, **detail)
    return event_id


def _refused(db: Database, access: Access, suggestion_id: int, seen: int, why) -> HandlingError:
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


def sign_for(db: Database, access: Access, suggestion_id: int, seen: int) -> None:
    """签收: the department takes the item on; the lead's signing starts the handling."""
    office = _office(access)
    now = clock.stamp()
    with write_transaction(db):
        signed = db.execute(
            "update suggestion_departments set signed_at = ? where suggestion_id = ? "
            "and department_id = ? and signed_at is null and exists (select 1 from suggestions s "
            f"where s.id = suggestion_departments.suggestion_id and s.status in {OPEN} "
            f"and {latest('s')})",
            [now, suggestion_id, office, seen],
        ).rowcount
        if not signed:
            raise _refused(db, access, suggestion_id, seen, _why_not_signed)
        row = handler(db, suggestion_id, office)
        if row["role"] == "lead":
            db.execute(
                "update suggestions set status = '办理中' where id = ? and status = '已交办'",
                [suggestion_id],
            )
        on_time = "按时签收" if now <= row["sign_due_at"] else "超时签收"
        _event(db, suggestion_id, "sign", access.username, office, body=on_time)


def _why_not_signed(suggestion: dict, row: dict | None) -> str:
    if row and row["signed_at"]:
        return "本单位已经签收过这件建议了"
    return f"这件建议现在是“{suggestion['status']}”,不能签收"


def give_back(db: Database, access: Access, suggestion_id: int, reason: str, seen: int) -> None:
    """退回: not this office's responsibility. Only before signing for it. The lead's return
    sends the whole item back to the clerk as 待交办 with the reason; a co-handler's takes
    only that office off it. Either way the office no longer sees it."""
    office = _office(access)
    reason = _text(reason, "退回理由", 2, MAX_REASON)
    with write_transaction(db):
        row = handler(db, suggestion_id, office)
        removed = db.execute(
            "delete from suggestion_departments where suggestion_id = ? and department_id = ? "
            "and signed_at is null and exists (select 1 from suggestions s "
            f"where s.id = suggestion_departments.suggestion_id and s.status in {OPEN} "
            f"and {latest('s')})",
            [suggestion_id, office, seen],
        ).rowcount
        if not removed:
            raise _refused(db, access, suggestion_id, seen, _why_not_returned)
        if row["role"] == "lead":
            db.execute(
                "delete from suggestion_departments where suggestion_id = ?", [suggestion_id]
            )
            db.execute(
                "update suggestions set status = '待交办', department_id = null, "
                "assigned_at = null, returned_reason = ? where id = ?",
                [reason, suggestion_id],
            )
        _event(db, suggestion_id, "return", access.username, office, body=reason)


def _why_not_returned(suggestion: dict, row: dict | None) -> str:
    if row and row["signed_at"]:
        return "已经签收的建议不能退回;确实办不了,请在答复里说明,或联系镇人大"
    return f"这件建议现在是“{suggestion['status']}”,不能退回"


def record_progress(
    db: Database,
    access: Access,
    suggestion_id: int,
    body: str,
    seen: int,
    photos: list[Photo] = (),  # type: ignore[assignment]
    photo_dir: Path | None = None,
) -> None:
    """A progress note with its photos (现场照片, already verified by feedback.photos): the
    files are written first and removed again if the note is refused, as for opinions."""
    office = _office(access)
    body = _text(body, "办理进展", 2, 1000)
    files = [(new_filename(), photo) for photo in photos]
    written: list[Path] = []
    try:
        for name, photo in files:
            written.append(write(photo_dir, name, photo))
        with write_transaction(db):
            _insert_progress(db, access, office, suggestion_id, body, seen, files)
    except BaseException:
        for path in written:
            path.unlink(missing_ok=True)
        raise


def _insert_progress(
    db: Database, access: Access, office: int, suggestion_id: int, body: str, seen: int, files
) -> None:
    allowed = db.execute(
        "select 1 from suggestion_departments sd join suggestions s on s.id = sd.suggestion_id "
        "where sd.suggestion_id = ? and sd.department_id = ? and sd.signed_at is not null "
        f"and s.status in {OPEN} and {latest('s')}",
        [suggestion_id, office, seen],
    ).fetchone()
    if not allowed:  # the write lock is held: nothing can change between this and the insert
        raise _refused(
            db,
            access,
            suggestion_id,
            seen,
            lambda s, row: (
                "请先签收,再记录办理进展"
                if row and not row["signed_at"]
                else f"这件建议现在是“{s['status']}”,不能再记录进展"
            ),
        )
    event_id = _event(
        db, suggestion_id, "progress", access.username, office, body=body, photos=len(files) or None
    )
    for name, photo in files:
        db.execute(
            "insert into handling_photos (event_id, filename, width, height, bytes, created_at) "
            "values (?, ?, ?, ?, ?, ?)",
            [event_id, name, photo.width, photo.height, len(photo.data), clock.stamp()],
        )


def ask_extension(
    db: Database, access: Access, suggestion_id: int, until: str | date, reason: str, seen: int
) -> None:
    """申请延期 by the lead, once at a time, to a date after the deadline and within
    MAX_EXTENSION_DAYS of it (and not before tomorrow): anything else is a typing mistake."""
    office = _office(access)
    until = _date(until, "新的期限")
    reason = _text(reason, "延期理由", 2, MAX_REASON)
    with write_transaction(db):
        current = access.suggestion(db, suggestion_id)
        if current is None:
            raise Missing("找不到这件建议")
        _check_extension(current, until)
        asked = db.execute(
            "update suggestions set extension_until = ?, extension_reason = ? where id = ? "
            "and status = '办理中' and submitted_at is null and extension_until is null "
            "and exists (select 1 from suggestion_departments sd where sd.suggestion_id = "
            "suggestions.id and sd.department_id = ? and sd.role = 'lead' "
            f"and sd.signed_at is not null) and {latest('suggestions')}",
            [until.isoformat(), reason, suggestion_id, office, seen],
        ).rowcount
        if not asked:
            raise _refused(db, access, suggestion_id, seen, _why_no_extension)
        _event(
            db,
            suggestion_id,
            "extension_ask",
            access.username,
            office,
            body=reason,
            new_date=until.isoformat(),
        )


def _check_extension(suggestion: dict, until: date) -> None:
    deadline = date.fromisoformat(suggestion["deadline"]) if suggestion["deadline"] else None
    if until <= clock.now().date():
        raise HandlingError("新的期限要晚于今天")
    if deadline and until <= deadline:
        raise HandlingError(f"新的期限要晚于现在的期限 {deadline.isoformat()}")
    latest_date = (deadline or clock.now().date()) + timedelta(days=MAX_EXTENSION_DAYS)
    if until > latest_date:
        raise HandlingError(
            f"一次最多延期 {MAX_EXTENSION_DAYS} 天(到 {latest_date.isoformat()}),请检查日期"
        )


def _why_no_extension(suggestion: dict, row: dict | None) -> str:
    if not row or row["role"] != "lead":
        return "延期由主办单位申请"
    if not row["signed_at"]:
        return "请先签收,再申请延期"
    if suggestion["extension_until"]:
        return f"已经申请延期到 {suggestion['extension_until']},正在等镇里答复"
    if suggestion["submitted_at"]:
        return "答复已提交,不用再申请延期"
    return f"这件建议现在是“{suggestion['status']}”,不能申请延期"


def add_part(db: Database, access: Access, suggestion_id: int, text: str, seen: int) -> None:
    """A co-handler's part of the answer (协办意见), which the lead reads before answering;
    it may be rewritten until the lead submits."""
    office = _office(access)
    text = _text(text, "协办意见", 2, MAX_ANSWER)
    with write_transaction(db):
        added = db.execute(
            "update suggestion_departments set answer = ?, answered_at = ? "
            "where suggestion_id = ? and department_id = ? and role = 'co' "
            "and signed_at is not null and exists (select 1 from suggestions s where "
            "s.id = suggestion_departments.suggestion_id and s.status = '办理中' "
            f"and s.submitted_at is null and {latest('s')})",
            [text, clock.stamp(), suggestion_id, office, seen],
        ).rowcount
        if not added:
            raise _refused(db, access, suggestion_id, seen, _why_no_answer)
        _event(db, suggestion_id, "part", access.username, office, body=text)


def submit_answer(
    db: Database, access: Access, suggestion_id: int, result_class: str, text: str, seen: int
) -> None:
    """The lead's answer with its result class, for the clerk to review: only once signed
    for, and not again while one waits for review."""
    office = _office(access)
    if result_class not in RESULT_CLASSES:
        raise HandlingError(
            "请选办理结果:A 已解决或采纳、B 正在解决或列入计划、C 因条件限制暂不能解决"
        )
    text = _text(text, "答复内容", 5, MAX_ANSWER)
    now = clock.stamp()
    with write_transaction(db):
        answered = db.execute(
            "update suggestion_departments set answer = ?, answered_at = ? "
            "where suggestion_id = ? and department_id = ? and role = 'lead' "
            "and signed_at is not null and exists (select 1 from suggestions s where "
            "s.id = suggestion_departments.suggestion_id and s.status = '办理中' "
            f"and s.submitted_at is null and {latest('s')})",
            [text, now, suggestion_id, office, seen],
        ).rowcount
        if not answered:
            raise _refused(db, access, suggestion_id, seen, _why_no_answer)
        db.execute(
            "update suggestions set result_class = ?, submitted_at = ?, extension_until = null, "
            "extension_reason = null where id = ?",
            [result_class, now, suggestion_id],
        )
        _event(
            db,
            suggestion_id,
            "answer",
            access.username,
            office,
            body=text,
            result_class=result_class,
        )


def _why_no_answer(suggestion: dict, row: dict | None) -> str:
    if row and not row["signed_at"]:
        return "请先签收,再填写答复"
    if suggestion["submitted_at"]:
        return "答复已提交,正在等镇里审核"
    if row is None:
        return "这件建议已不在本单位办理"
    return f"这件建议现在是“{suggestion['status']}”,不能填写答复"
