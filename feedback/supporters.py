"""我也遇到: a villager who finds their problem on the public board adds their support instead
of writing the same opinion again, optionally with a phone number (with consent) to be told
of the answer.

Counted once per phone, and once per browser: `device` is the SHA-256 of the browser's
long-lived cookie or, for a browser that keeps no cookie, of the page's one-time token (a
double tap is then one support, and the flood limits bound the rest). A browser that first
tapped without a phone and then gives one adds the phone to its support, and a phone that
already supports the item from another browser is not counted twice. Every attempt is
counted against flood limits like the form's, checked and counted in the same transaction.
Phones are masked for staff, revealed only on purpose (logged) and purged with opinions'.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

from sqlite_utils import Database

from feedback import audit, clock, ratelimit
from feedback.access import Access
from feedback.db import write_transaction
from feedback.labels import CLOSED

COUNTED, PHONE_ADDED, ALREADY = "counted", "phone_added", "already"


class SupportError(ValueError):
    """A support that cannot be added; the message (Chinese) is for the villager."""


class RateLimited(SupportError):
    def __init__(self) -> None:
        super().__init__("操作太频繁了,请过一会儿再试")


def device_key(cookie: str | None, token: str | None) -> str | None:
    """Who "this browser" is, stored only as a digest."""
    if cookie:
        return hashlib.sha256(f"device:{cookie}".encode()).hexdigest()
    if token:
        return hashlib.sha256(f"token:{token}".encode()).hexdigest()
    return None


def support(
    db: Database,
    town: str,
    suggestion_id: int,
    device: str | None,
    phone: str | None,
    consent: bool,
    limits: Sequence[ratelimit.Bucket] = (),
) -> str:
    """Add this browser's (and phone's) support to an open suggestion of the town: COUNTED,
    PHONE_ADDED (a browser that had tapped gives its phone) or ALREADY."""
    if phone and not consent:
        raise SupportError("留了手机号,请勾选同意,办好后我们才能告诉您")
    with write_transaction(db):
        if limits and not ratelimit.charge(db, limits):
            raise RateLimited()
        found = db.execute(
            "select status from suggestions where id = ? and town = ?", [suggestion_id, town]
        ).fetchone()
        if found is None:
            raise LookupError(suggestion_id)
        if found[0] == CLOSED:
            raise SupportError("这件事已经办结,不再登记“我也遇到”;如果问题又出现了,请扫码重新反映")
        outcome, row_id = _apply(db, suggestion_id, device, phone)
        if outcome != ALREADY:
            audit.record(
                db,
                "villager",
                "suggestion.support",
                "supporter",
                row_id,
                suggestion=suggestion_id,
                phone=bool(phone),
            )
    return outcome


def _one(db: Database, sql: str, params: list) -> tuple | None:
    return db.execute(sql, params).fetchone()


def _apply(
    db: Database, suggestion_id: int, device: str | None, phone: str | None
) -> tuple[str, int | None]:
    now = clock.stamp()
    mine = (
        _one(
            db,
            "select id, phone from supporters where suggestion_id = ? and device = ?",
            [suggestion_id, device],
        )
        if device
        else None
    )
    if not phone:
        if mine:
            return ALREADY, mine[0]
        return COUNTED, _insert(db, suggestion_id, None, device, now)
    by_phone = _one(
        db,
        "select id from supporters where suggestion_id = ? and phone = ?",
        [suggestion_id, phone],
    )
    if by_phone:
        if mine and mine[1] is None:  # the same person tapped here before: one support
            db.execute("delete from supporters where id = ?", [mine[0]])
        return ALREADY, by_phone[0]
    if mine and mine[1] is None:
        db.execute(
            "update supporters set phone = ?, consent = 1 where id = ? and phone is null",
            [phone, mine[0]],
        )
        return PHONE_ADDED, mine[0]
    # Another phone from a browser that already supports (a family's one phone): its own.
    return COUNTED, _insert(db, suggestion_id, phone, None if mine else device, now)


def _insert(
    db: Database, suggestion_id: int, phone: str | None, device: str | None, now: str
) -> int:
    return db.execute(
        "insert into supporters (suggestion_id, phone, consent, device, created_at) "
        "values (?, ?, ?, ?, ?)",
        [suggestion_id, phone, int(bool(phone)), device, now],
    ).lastrowid


def count(db: Database, suggestion_id: int) -> int:
    return db.execute(
        "select count(*) from supporters where suggestion_id = ?", [suggestion_id]
    ).fetchone()[0]


def for_staff(db: Database, access: Access, suggestion_id: int) -> dict | None:
    """The supporters of a suggestion in the user's scope: how many, and those who left a
    phone (the number itself is masked by the page unless revealed)."""
    suggestion = access.suggestion(db, suggestion_id)
    if suggestion is None:
        return None
    with_phone = list(
        db.query(
            "select id, phone, created_at from supporters where suggestion_id = ? "
            "and phone is not null order by id",
            [suggestion_id],
        )
    )
    return {"count": count(db, suggestion_id), "with_phone": with_phone}


def reveal(db: Database, access: Access, suggestion_id: int, supporter_id: int) -> str | None:
    """A supporter's whole phone number, for a call back: a deliberate act, logged."""
    if access.suggestion(db, suggestion_id) is None:
        return None
    row = _one(
        db,
        "select phone from supporters where id = ? and suggestion_id = ? and phone is not null",
        [supporter_id, suggestion_id],
    )
    if row is None:
        return None
    with write_transaction(db):
        audit.record(
            db,
            access.username,
            "supporter.reveal_phone",
            "supporter",
            supporter_id,
            suggestion=suggestion_id,
        )
    return row[0]
