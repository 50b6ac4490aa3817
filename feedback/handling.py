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

from datetime import date, timedelta
from pathlib import Path

from sqlite_utils import Database

from feedback import clock
from feedback.access import Access
from feedback.db import write_transaction
from feedback.handling_acts import (
    MAX_ANSWER,
    MAX_EXTENSION_DAYS,
    MAX_REASON,
    OPEN,
    HandlingError,
    Missing,
    Stale,
    add_working_days,
    date_of,
    event,
    handler,
    latest,
    latest_event,
    office_of,
    refused,
    text_of,
)
from feedback.labels import RESULT_CLASSES
from feedback.photos import Photo, written

# The department's acts, and what the pages that offer them need of the shared machinery.
__all__ = [
    "HandlingError",
    "Missing",
    "Stale",
    "add_part",
    "add_working_days",
    "ask_extension",
    "give_back",
    "handler",
    "latest_event",
    "record_progress",
    "sign_for",
    "submit_answer",
]


def sign_for(db: Database, access: Access, suggestion_id: int, seen: int) -> None:
    """签收: the department takes the item on; the lead's signing starts the handling."""
    office = office_of(access)
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
            raise refused(db, access, suggestion_id, seen, _why_not_signed)
        row = handler(db, suggestion_id, office)
        if row["role"] == "lead":
            db.execute(
                "update suggestions set status = '办理中' where id = ? and status = '已交办'",
                [suggestion_id],
            )
        on_time = "按时签收" if now <= row["sign_due_at"] else "超时签收"
        event(db, suggestion_id, "sign", access.username, office, body=on_time)


def _why_not_signed(suggestion: dict, row: dict | None) -> str:
    if row and row["signed_at"]:
        return "本单位已经签收过这件建议了"
    return f"这件建议现在是“{suggestion['status']}”,不能签收"


def give_back(db: Database, access: Access, suggestion_id: int, reason: str, seen: int) -> None:
    """退回: not this office's responsibility. Only before signing for it. The lead's return
    sends the whole item back to the clerk as 待交办 with the reason; a co-handler's takes
    only that office off it. Either way the office no longer sees it."""
    office = office_of(access)
    reason = text_of(reason, "退回理由", 2, MAX_REASON)
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
            raise refused(db, access, suggestion_id, seen, _why_not_returned)
        if row["role"] == "lead":
            db.execute(
                "delete from suggestion_departments where suggestion_id = ?", [suggestion_id]
            )
            db.execute(
                "update suggestions set status = '待交办', department_id = null, "
                "assigned_at = null, returned_reason = ? where id = ?",
                [reason, suggestion_id],
            )
        event(db, suggestion_id, "return", access.username, office, body=reason)


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
    office = office_of(access)
    body = text_of(body, "办理进展", 2, 1000)
    with written(photo_dir, photos) as batch, write_transaction(db):
        _insert_progress(db, access, office, suggestion_id, body, seen, batch.files)


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
        raise refused(
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
    event_id = event(
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
    office = office_of(access)
    until = date_of(until, "新的期限")
    reason = text_of(reason, "延期理由", 2, MAX_REASON)
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
            raise refused(db, access, suggestion_id, seen, _why_no_extension)
        event(
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
    office = office_of(access)
    text = text_of(text, "协办意见", 2, MAX_ANSWER)
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
            raise refused(db, access, suggestion_id, seen, _why_no_answer)
        event(db, suggestion_id, "part", access.username, office, body=text)


def submit_answer(
    db: Database, access: Access, suggestion_id: int, result_class: str, text: str, seen: int
) -> None:
    """The lead's answer with its result class, for the clerk to review: only once signed
    for, and not again while one waits for review."""
    office = office_of(access)
    if result_class not in RESULT_CLASSES:
        raise HandlingError(
            "请选办理结果:A 已解决或采纳、B 正在解决或列入计划、C 因条件限制暂不能解决"
        )
    text = text_of(text, "答复内容", 5, MAX_ANSWER)
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
            raise refused(db, access, suggestion_id, seen, _why_no_answer)
        db.execute(
            "update suggestions set result_class = ?, submitted_at = ?, extension_until = null, "
            "extension_reason = null where id = ?",
            [result_class, now, suggestion_id],
        )
        event(
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
