"""Staff sessions kept in the database, so that signing out really signs out.

The signed session cookie holds only a random token; the row it names says whose session it
is and whether it is still live. Logging out, a new password, a changed role and a retired
account end rows here, and a copied cookie dies with its row on every worker. A session also
ends by itself after a spell of idleness and, however busy, after an absolute lifetime.

Only the token's SHA-256 is stored: a copy of the database (a backup) holds no usable cookie.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from sqlite_utils import Database

from feedback import clock
from feedback.db import write_transaction

# How often last_seen_at is rewritten: once a minute is precise enough for an idle limit of
# hours, and spares every staff page view a write.
TOUCH_EVERY = timedelta(minutes=1)
# Rows of sessions that cannot be live any more are deleted this long after they began.
KEEP_ROWS = timedelta(days=30)


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def open_session(db: Database, user_id: int, now: datetime | None = None) -> str:
    """Start a session for user_id and return its token (for the cookie).

    Runs inside the caller's write transaction (the login also writes the audit entry).
    """
    now = now or clock.now()
    token = secrets.token_urlsafe(32)
    db.execute(
        "insert into sessions (token_hash, user_id, created_at, last_seen_at) values (?, ?, ?, ?)",
        [_hash(token), user_id, clock.stamp(now), clock.stamp(now)],
    )
    db.execute("delete from sessions where created_at < ?", [clock.stamp(now - KEEP_ROWS)])
    return token


def user_of(
    db: Database,
    token: str | None,
    idle: timedelta,
    lifetime: timedelta,
    now: datetime | None = None,
) -> dict | None:
    """The active account whose live session the token names, or None.

    A session is live when it has not been ended, was used within `idle` and began within
    `lifetime`; the account must still be active. Using it moves last_seen_at forward.
    """
    if not token or not isinstance(token, str):
        return None
    now = now or clock.now()
    row = next(
        db.query(
            "select s.id as session_id, s.last_seen_at, u.* from sessions s "
            "join users u on u.id = s.user_id "
            "where s.token_hash = ? and s.ended_at is null and u.active = 1 "
            "and s.last_seen_at >= ? and s.created_at >= ?",
            [_hash(token), clock.stamp(now - idle), clock.stamp(now - lifetime)],
        ),
        None,
    )
    if row is None:
        return None
    session_id, last_seen = row.pop("session_id"), row.pop("last_seen_at")
    if datetime.fromisoformat(last_seen) <= now - TOUCH_EVERY:
        with write_transaction(db):
            db.execute(
                "update sessions set last_seen_at = ? where id = ? and ended_at is null",
                [clock.stamp(now), session_id],
            )
    return row


def end(db: Database, token: str | None, reason: str = "logout") -> None:
    """End the one session the token names (logging out); nothing if there is none."""
    if not token or not isinstance(token, str):
        return
    with write_transaction(db):
        end_in_transaction(db, token, reason)


def end_in_transaction(db: Database, token: str, reason: str) -> None:
    """As end(), inside the caller's write transaction."""
    db.execute(
        "update sessions set ended_at = ?, end_reason = ? "
        "where token_hash = ? and ended_at is null",
        [clock.stamp(), reason, _hash(token)],
    )


def end_all(db: Database, user_id: int, reason: str) -> int:
    """End every open session of an account; runs inside the caller's write transaction, so
    the change that calls for it (a new password, a retired account) and the end of the
    sessions commit together. Returns how many were ended."""
    return db.execute(
        "update sessions set ended_at = ?, end_reason = ? where user_id = ? and ended_at is null",
        [clock.stamp(), reason, user_id],
    ).rowcount
