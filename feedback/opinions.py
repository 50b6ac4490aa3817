"""Opinions: storing a submission with its photos in one go, and reading it back by receipt.

Every path that creates an opinion (the WeChat form, the JSON variant, later the paper
imports) goes through `create`, so receipts, the one-time submission token and photos
behave the same everywhere.
"""

from __future__ import annotations

import hashlib
import sqlite3
from dataclasses import dataclass, field, fields
from pathlib import Path

from sqlite_utils import Database

from feedback import audit, clock, ratelimit, receipts
from feedback.db import write_transaction
from feedback.photos import Photo, new_filename, write
from feedback.schema import RATINGS


class RateLimited(Exception):
    """Too many submissions from this device or address in the current hour."""


@dataclass
class NewOpinion:
    station_id: int
    body: str
    category: str
    name: str | None = None
    phone: str | None = None
    consent: bool = False
    channel: str = "form"
    collected_by: str | None = None
    submission_token: str | None = None
    spam: bool = False
    import_id: int | None = None
    created_at: str = field(default_factory=clock.stamp)


_COLUMNS = tuple(f.name for f in fields(NewOpinion) if f.name != "spam")


@dataclass(frozen=True)
class Stored:
    opinion: dict
    replayed: bool  # True when the submission token had already been used for this text


def create(
    db: Database,
    photo_dir: Path,
    new: NewOpinion,
    photos: list[Photo] = (),  # type: ignore[assignment]
    limits: ratelimit.Sequence[ratelimit.Bucket] = (),
) -> Stored:
    """Store an opinion and its photos atomically; a repeated token returns the first one.

    Photo files are written before the transaction and removed again if it fails, so there
    is never an opinion without its photos nor a photo without its opinion.
    """
    files = [(new_filename(), photo) for photo in photos]
    written: list[Path] = []
    try:
        for name, photo in files:
            written.append(write(photo_dir, name, photo))
        with write_transaction(db):
            earlier = _replay(db, new)  # a double tap or a retry after a timeout
            if earlier:
                raise _Replayed(earlier)
            if not ratelimit.allowed(db, limits):
                raise RateLimited()
            opinion_id, _receipt = insert(db, new)
            for name, photo in files:
                _insert_row(db, "photos", {
                    "opinion_id": opinion_id, "filename": name, "width": photo.width,
                    "height": photo.height, "bytes": len(photo.data), "created_at": new.created_at,
                })  # fmt: skip
            ratelimit.count(db, limits)
    except _Replayed as replay:
        _remove(written)
        return Stored(replay.opinion, True)
    except BaseException:
        _remove(written)
        raise
    return Stored(_one(db, "select * from opinions where id = ?", opinion_id), False)


class _Replayed(Exception):
    def __init__(self, opinion: dict):
        self.opinion = opinion


def _idempotency_key(new: NewOpinion) -> str | None:
    """What makes two POSTs the same submission: the form's one-time token, the station and
    the text. A villager who goes back and writes something else gets a new opinion, and a
    double tap on that one is again caught."""
    if not new.submission_token:
        return None
    digest = hashlib.sha256(new.body.encode()).hexdigest()[:16]
    return f"{new.station_id}:{new.submission_token}:{digest}"


def _replay(db: Database, new: NewOpinion) -> dict | None:
    """The opinion this very submission already made, if any."""
    key = _idempotency_key(new)
    return _one(db, "select * from opinions where submission_token = ?", key) if key else None


def _one(db: Database, sql: str, *params: object) -> dict | None:
    return next(db.query(sql, params), None)


def _insert_row(db: Database, table: str, row: dict) -> int:
    """A plain INSERT: this is the hot path of every submission, and sqlite-utils' insert()
    inspects the table's schema each time. Column names come from our code, never a user."""
    columns = ", ".join(row)
    marks = ", ".join("?" for _ in row)
    return db.execute(
        f"insert into {table} ({columns}) values ({marks})", list(row.values())
    ).lastrowid


def insert(db: Database, new: NewOpinion) -> tuple[int, str]:
    """Insert one opinion with a fresh receipt code; call inside a write transaction."""
    row = {name: getattr(new, name) for name in _COLUMNS}
    row["status"] = "spam" if new.spam else "new"
    row["consent"] = int(new.consent)
    row["submission_token"] = _idempotency_key(new)
    for _attempt in range(10):
        row["receipt"] = receipts.new_code()
        try:
            # A failed INSERT is undone by SQLite on its own (trigger included) and the
            # transaction stays open, so a receipt collision needs no savepoint.
            return _insert_row(db, "opinions", row), row["receipt"]
        except sqlite3.IntegrityError as error:
            if "opinions.receipt" not in str(error):
                raise
    raise RuntimeError("could not find a free receipt code")


def _remove(paths: list[Path]) -> None:
    for path in paths:
        path.unlink(missing_ok=True)


def by_receipt(db: Database, typed: str) -> dict | None:
    code = receipts.normalise(typed)
    if code is None:
        return None
    return _one(db, "select * from opinions where receipt = ?", code)


def photos_of(db: Database, opinion_id: int) -> list[dict]:
    return list(db["photos"].rows_where("opinion_id = ?", [opinion_id], order_by="id"))


def rate(db: Database, opinion: dict, rating: str) -> None:
    if rating not in RATINGS:
        raise ValueError(rating)
    with write_transaction(db):
        db["opinions"].update(opinion["id"], {"rating": rating, "rated_at": clock.stamp()})


@dataclass(frozen=True)
class Event:
    at: str
    title: str
    detail: str = ""


def timeline(db: Database, opinion: dict) -> list[Event]:
    """What happened to an opinion, oldest first, in the words a villager reads."""
    events = [
        Event(opinion["created_at"], "已收到", "您的意见建议已送达,镇人大工作人员会尽快处理。")
    ]
    link = db.execute(
        """select s.number, s.title, s.assigned_at, s.closed_at, s.answer, d.name, so.added_at
           from suggestion_opinions so join suggestions s on s.id = so.suggestion_id
           left join departments d on d.id = s.department_id where so.opinion_id = ?""",
        [opinion["id"]],
    ).fetchone()
    if link:
        number, title, assigned_at, closed_at, answer, department, added_at = link
        events.append(Event(added_at, "已并入代表建议", f"{number} {title}"))
        if assigned_at:
            events.append(Event(assigned_at, "已交办", f"承办单位:{department or '—'}"))
        if closed_at:
            events.append(Event(closed_at, "已办结", answer or ""))
    if opinion["status"] == "answered":
        events.append(Event(opinion["answered_at"], "已答复", opinion["answer"] or ""))
    elif opinion["status"] == "rejected":
        events.append(
            Event(opinion["answered_at"] or "", "未予受理", opinion["reject_reason"] or "")
        )
    return sorted(events, key=lambda event: event.at)


def answer_of(db: Database, opinion: dict) -> str | None:
    """The final answer the villager may rate: a direct one or that of its closed suggestion."""
    if opinion["status"] == "answered":
        return opinion["answer"]
    row = db.execute(
        """select s.answer from suggestion_opinions so join suggestions s on s.id = so.suggestion_id
           where so.opinion_id = ? and s.status = '已办结'""",
        [opinion["id"]],
    ).fetchone()
    return row[0] if row else None


def _change(db: Database, opinion: dict, actor: str, action: str, **after: object) -> None:
    """Apply a staff change and log it with what it was before."""
    before = {key: opinion[key] for key in after}
    with write_transaction(db):
        assignments = ", ".join(f"{key} = ?" for key in after)
        db.execute(
            f"update opinions set {assignments} where id = ?", [*after.values(), opinion["id"]]
        )
        audit.record(db, actor, action, "opinion", opinion["id"], before=before, after=after)


def answer_directly(db: Database, opinion: dict, text: str, actor: str) -> None:
    """A small matter answered at once: closes the opinion; the villager sees the answer."""
    _change(db, opinion, actor, "opinion.answer", status="answered", answer=text,
            answered_at=clock.stamp())  # fmt: skip


def reject(db: Database, opinion: dict, reason: str, actor: str) -> None:
    """Spam or abuse: closed with a reason the villager sees."""
    _change(db, opinion, actor, "opinion.reject", status="rejected", reject_reason=reason,
            answered_at=clock.stamp())  # fmt: skip


def set_category(db: Database, opinion: dict, category: str, actor: str) -> None:
    _change(db, opinion, actor, "opinion.category", category=category)
