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

from feedback import audit, clock, notify, ratelimit, receipts
from feedback.access import Access
from feedback.db import write_transaction
from feedback.labels import RATINGS
from feedback.photos import Photo, written


class RateLimited(Exception):
    """Too many submission attempts from this device or address in the current hour."""


@dataclass
class NewOpinion:
    station_id: int
    body: str
    category: str
    name: str | None = None
    phone: str | None = None
    consent: bool = False
    sms: bool = False  # asked for text messages on progress (feedback.notify)
    channel: str = "form"
    collected_by: str | None = None
    submission_token: str | None = None
    spam: bool = False
    import_id: int | None = None
    created_at: str = field(default_factory=clock.stamp)
    deputy_id: int | None = None  # addressed to a deputy (their 代表码, or typed in by them)
    activity_id: int | None = None  # heard at a deputy's duty activity
    place: str | None = None  # where a deputy heard it (a house, a market stall)


_COLUMNS = tuple(f.name for f in fields(NewOpinion) if f.name != "spam")


@dataclass(frozen=True)
class Stored:
    opinion: dict
    replayed: bool  # True when the submission token had already been used for this text


def admit(
    db: Database, new: NewOpinion, limits: ratelimit.Sequence[ratelimit.Bucket]
) -> dict | None:
    """Before any photo of a submission is decoded: the opinion it already made if it is a
    retry (answered even over the limit), else None once the attempt is counted.

    Attempts are counted, failed ones too, not only stored opinions: decoding photos is the
    costly part of a submission, and a flood of requests that fail there must run into the
    limit as surely as a flood of opinions. Check and count are one step (ratelimit.charge
    inside one write transaction), so parallel requests cannot all slip under the limit.
    Raises RateLimited when a bucket is full.
    """
    with write_transaction(db):
        earlier = _replay(db, new)
        if earlier:
            return earlier
        if not ratelimit.charge(db, limits):
            raise RateLimited()
    return None


def create(
    db: Database,
    photo_dir: Path,
    new: NewOpinion,
    photos: list[Photo] = (),  # type: ignore[assignment]
    *,
    entered_by: str | None = None,  # staff who typed it in: logged in the same transaction
    limits: ratelimit.Sequence[ratelimit.Bucket] = (),
) -> Stored:
    """Store an opinion and its photos atomically; a repeated token returns the first one.

    Photo files are written before the transaction and removed again if it fails, so there
    is never an opinion without its photos nor a photo without its opinion. `limits` are
    checked and counted in the same transaction, after the replay check (a retry is answered
    even over the limit): a submission with photos was counted by `admit` before its photos
    were decoded and passes none; imports by staff are not limited.
    """
    try:
        with written(photo_dir, photos) as batch, write_transaction(db):
            earlier = _replay(db, new)  # a double tap or a retry after a timeout
            if earlier:
                raise _Replayed(earlier)  # its photos are removed on the way out
            if limits and not ratelimit.charge(db, limits):
                raise RateLimited()
            opinion_id, _receipt = insert(db, new)
            if entered_by:
                audit.record(
                    db, entered_by, "opinion.enter", "opinion", opinion_id, channel=new.channel
                )
            for name, photo in batch.files:
                _insert_row(
                    db,
                    "photos",
                    {
                        "opinion_id": opinion_id,
                        "filename": name,
                        "width": photo.width,
                        "height": photo.height,
                        "bytes": len(photo.data),
                        "created_at": new.created_at,
                    },
                )
    except _Replayed as replay:
        return Stored(replay.opinion, True)
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


def by_receipt(db: Database, typed: str) -> dict | None:
    code = receipts.normalise(typed)
    if code is None:
        return None
    return _one(db, "select * from opinions where receipt = ?", code)


class TooManyMisses(Exception):
    """This address typed too many unknown receipt codes lately: it is guessing."""


def look_up(db: Database, typed: str, misses: ratelimit.Sequence[ratelimit.Bucket]) -> dict | None:
    """The opinion of a receipt typed by a villager, or None; raises TooManyMisses.

    Wrong codes are counted per address (misses: the buckets), and once one is full every
    look-up from there is refused, found or not: a guesser must not learn from the answer
    that a guess was right. A villager who mistypes a few times is never near the limit.
    """
    if not ratelimit.allowed(db, misses):
        raise TooManyMisses()
    opinion = by_receipt(db, typed)
    if opinion is None and not ratelimit.take(db, misses):
        raise TooManyMisses()
    return opinion


def photos_of(db: Database, opinion_id: int) -> list[dict]:
    return list(db["photos"].rows_where("opinion_id = ?", [opinion_id], order_by="id"))


class OpinionError(ValueError):
    """A change to an opinion that cannot be made; the message (Chinese) is for the user."""


class NotFound(OpinionError):
    """No such opinion in the user's scope: the web says 404."""


class AlreadyHandled(OpinionError):
    """Someone (another clerk, or the same one tapping twice) got there first."""


REASON_MAX = 500


def rate(db: Database, opinion: dict, rating: str, reason: str | None = None) -> None:
    """A villager's verdict on their answer: once, and only when there is an answer to rate
    (a direct one, or that of the closed suggestion behind it). The condition is part of the
    UPDATE, so of two taps exactly one rates and is logged; the other gets AlreadyHandled.
    A reason is kept with 不满意 only: it says which answer to go back to."""
    if rating not in RATINGS:
        raise ValueError(rating)
    reason = (reason or "").strip()[:REASON_MAX] if rating == "不满意" else ""
    with write_transaction(db):
        rated = db.execute(
            "update opinions set rating = ?, rating_reason = ?, rated_at = ?, "
            "rating_source = 'villager' where id = ? and rating is null "
            "and (status = 'answered' or exists (select 1 from suggestion_opinions so "
            "join suggestions s on s.id = so.suggestion_id "
            "where so.opinion_id = opinions.id and s.status = '已办结'))",
            [rating, reason or None, clock.stamp(), opinion["id"]],
        ).rowcount
        if not rated:
            row = _one(db, "select rating from opinions where id = ?", opinion["id"])
            if row and row["rating"]:
                raise AlreadyHandled("这条答复已经评价过了,感谢您的反馈")
            raise AlreadyHandled("还没有答复,暂时不能评价")
        audit.record(
            db,
            "villager",
            "opinion.rate",
            "opinion",
            opinion["id"],
            after={"rating": rating, **({"reason": reason} if reason else {})},
        )


def _change(
    db: Database, access: Access, opinion_id: int, action: str, pending: bool, **after: object
) -> None:
    """Apply a staff change and log it with what it was before, in one transaction.

    The UPDATE itself carries the user's scope and, for what closes an opinion (`pending`),
    the rule that it is still new: of two clerks answering at once, or a double tap, exactly
    one changes and logs it; the other gets AlreadyHandled and nothing is written.
    """
    where, params = access.where("st")
    scoped = f"station_id in (select st.id from stations st where {where})"
    with write_transaction(db):
        row = _one(db, f"select * from opinions where id = ? and {scoped}", opinion_id, *params)
        if row is None:
            raise NotFound("找不到这条意见")
        assignments = ", ".join(f"{key} = ?" for key in after)
        sql = f"update opinions set {assignments} where id = ? and {scoped}"
        if pending:
            sql += " and status = 'new'"
        if not db.execute(sql, [*after.values(), opinion_id, *params]).rowcount:
            raise AlreadyHandled("这条意见已经处理过了(可能是别人刚刚处理的),请刷新页面查看")
        before = {key: row[key] for key in after}
        audit.record(db, access.username, action, "opinion", opinion_id, before=before, after=after)
        notify.after_opinion_change(db, action, opinion_id)


def answer_directly(db: Database, access: Access, opinion_id: int, text: str) -> None:
    """A small matter answered at once: closes a pending opinion; the villager sees the answer."""
    _change(
        db,
        access,
        opinion_id,
        "opinion.answer",
        pending=True,
        status="answered",
        answer=text,
        answered_at=clock.stamp(),
    )


def reject(db: Database, access: Access, opinion_id: int, reason: str) -> None:
    """Spam or abuse: a pending opinion closed with a reason the villager sees."""
    _change(
        db,
        access,
        opinion_id,
        "opinion.reject",
        pending=True,
        status="rejected",
        reject_reason=reason,
        answered_at=clock.stamp(),
    )


def set_category(db: Database, access: Access, opinion_id: int, category: str) -> None:
    """Any opinion may be filed under another category, at any time; it is logged."""
    _change(db, access, opinion_id, "opinion.category", pending=False, category=category)
