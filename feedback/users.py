"""Staff accounts: admins (every town) and clerks (one town). Passwords are hashed with
Werkzeug's hashers; the plain password never touches the database or the logs."""

from __future__ import annotations

import functools
import re

from sqlite_utils import Database
from werkzeug.security import check_password_hash, generate_password_hash

from feedback import audit, clock
from feedback.db import write_transaction

ROLES = ("admin", "clerk")
MIN_PASSWORD = 8
_USERNAME = re.compile(r"^[A-Za-z0-9_.\-\u4e00-\u9fff]{2,32}$")


@functools.cache
def _dummy_hash() -> str:
    """Checking a password nobody has keeps a wrong username as slow as a wrong password.
    Made on first use: scrypt at import time slowed every command and worker start."""
    return generate_password_hash("not-a-real-password")


class UserError(ValueError):
    """A staff account could not be created; the message says why."""


def add(
    db: Database, username: str, password: str, role: str, town: str | None, actor: str = "cli"
) -> dict:
    username, town = username.strip(), (town or "").strip() or None
    if not _USERNAME.match(username):
        raise UserError("username: 2-32 letters, digits, Chinese characters, '.', '_', '-'")
    if role not in ROLES:
        raise UserError(f"role must be one of {', '.join(ROLES)}")
    if role == "clerk" and not town:
        raise UserError("a clerk needs --town: clerks see and change only their own town")
    if len(password) < MIN_PASSWORD:
        raise UserError(f"the password must have at least {MIN_PASSWORD} characters")
    with write_transaction(db):
        if db.execute("select 1 from users where username = ?", [username]).fetchone():
            raise UserError(f"user {username} already exists")
        user_id = db.execute(
            "insert into users (username, password_hash, role, town, created_at) "
            "values (?, ?, ?, ?, ?)",
            [username, generate_password_hash(password), role, town, clock.stamp()],
        ).lastrowid
        audit.record(db, actor, "user.add", "user", user_id, role=role, town=town)
    return get(db, user_id)


def get(db: Database, user_id: int) -> dict | None:
    return next(db.query("select * from users where id = ? and active = 1", [user_id]), None)


def authenticate(db: Database, username: str, password: str) -> dict | None:
    user = next(
        db.query("select * from users where username = ? and active = 1", [username.strip()]),
        None,
    )
    if user is None:
        check_password_hash(_dummy_hash(), password)
        return None
    return user if check_password_hash(user["password_hash"], password) else None
