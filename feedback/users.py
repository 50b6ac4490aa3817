"""Staff accounts: admins (every town), clerks (one town), department accounts (the
suggestions handed to one office, feedback.access) and deputies' own accounts (their
stations' opinions and those addressed to them). Passwords are hashed with Werkzeug's
hashers; the plain password never touches the database or the logs."""

from __future__ import annotations

import functools
import re

from sqlite_utils import Database
from werkzeug.security import check_password_hash, generate_password_hash

from feedback import audit, clock, departments, deputies, sessions, towns
from feedback.db import write_transaction

ROLES = ("admin", "clerk", "department", "deputy")
MIN_PASSWORD = 8
_USERNAME = re.compile(r"^[A-Za-z0-9_.\-\u4e00-\u9fff]{2,32}$")


@functools.cache
def _dummy_hash() -> str:
    """Checking a password nobody has keeps a wrong username as slow as a wrong password.
    Made on first use: scrypt at import time slowed every command and worker start."""
    return generate_password_hash("not-a-real-password")


class UserError(ValueError):
    """A staff account change was refused: English for the CLI, Chinese for the web."""

    def __init__(self, en: str, zh: str) -> None:
        super().__init__(en)
        self.zh = zh


def _check_username(username: str) -> str:
    username = username.strip()
    if not _USERNAME.match(username):
        raise UserError(
            "username: 2-32 letters, digits, Chinese characters, '.', '_', '-'",
            "用户名:2-32 个字母、数字、汉字或 . _ -",
        )
    return username


def _check_role(role: str, town: str | None) -> str | None:
    town = (town or "").strip() or None
    if role not in ROLES:
        raise UserError(
            f"role must be one of {', '.join(ROLES)}",
            "角色只能是管理员、镇街工作人员、承办单位或人大代表",
        )
    if role == "clerk" and not town:
        raise UserError(
            "a clerk needs --town: clerks see and change only their own town",
            "镇街工作人员要选所在镇街:只能看和办本镇的事",
        )
    return town if role == "clerk" else None


def _check_password(password: str) -> str:
    if len(password) < MIN_PASSWORD:
        raise UserError(
            f"the password must have at least {MIN_PASSWORD} characters",
            f"密码至少 {MIN_PASSWORD} 位",
        )
    return password


def _department_of(db: Database, role: str, name: str | None) -> int | None:
    """A department account's office: an active one on the list, named exactly; other roles
    have none (a clerk who names one is told, rather than the name being dropped)."""
    name = " ".join((name or "").split())
    if role != "department":
        if name:
            raise UserError(
                "--department is only for a department account (--role department)",
                "只有承办单位账号才选承办单位",
            )
        return None
    if not name:
        raise UserError(
            "a department account needs --department: it sees only that office's suggestions",
            "承办单位账号要选所属单位:只能看和办交给本单位的建议",
        )
    office = departments.by_name(db, name)
    if office is None:
        raise UserError(
            f"unknown department {name!r} (see `feedback department list`)",
            f"名单里没有“{name}”这个承办单位",
        )
    if not office["active"]:
        raise UserError(f"department {name} is retired", f"“{name}”已停用")
    return office["id"]


def _deputy_of(db: Database, role: str, code: str | None, user_id: int = 0) -> int | None:
    """A deputy account's deputy: an active one of the registry, by code; other roles have
    none (an option given to a role that does not use it is an error, never dropped)."""
    code = (code or "").strip().lower()
    if role != "deputy":
        if code:
            raise UserError(
                "--deputy is only for a deputy's account (--role deputy)",
                "只有人大代表账号才选代表",
            )
        return None
    if not code:
        raise UserError(
            "a deputy's account needs --deputy CODE (see `feedback deputy list`)",
            "人大代表账号要选是哪一位代表",
        )
    deputy = deputies.get(db, code)
    if deputy is None:
        raise UserError(
            f"unknown deputy {code!r} (see `feedback deputy list`)",
            f"名册里没有编码为 {code} 的代表",
        )
    if not deputy["active"]:
        raise UserError(f"deputy {code} is retired", f"代表 {code} 已离任")
    taken = db.execute(
        "select username from users where deputy_id = ? and id != ?", [deputy["id"], user_id]
    ).fetchone()
    if taken:
        raise UserError(
            f"deputy {code} already has an account ({taken[0]})",
            f"代表 {code} 已经有账号({taken[0]})",
        )
    return deputy["id"]


def _known_town(db: Database, town: str | None) -> str | None:
    """A clerk's town must be a known one (feedback.towns), or the clerk would see nothing."""
    if town is None:
        return None
    try:
        return towns.known(db, town)
    except towns.TownError as error:
        raise UserError(str(error), error.zh) from None


def add(
    db: Database,
    username: str,
    password: str,
    role: str,
    town: str | None,
    actor: str = "cli",
    department: str | None = None,
    deputy: str | None = None,
) -> dict:
    """An account; a department account (`department`: the office's name) and a deputy's
    (`deputy`: their code) have no town: what they see follows from their office or their
    stations."""
    username, town = _check_username(username), _check_role(role, town)
    _check_password(password)
    with write_transaction(db):
        town = _known_town(db, town)
        department_id = _department_of(db, role, department)
        deputy_id = _deputy_of(db, role, deputy)
        if db.execute("select 1 from users where username = ?", [username]).fetchone():
            raise UserError(f"user {username} already exists", f"用户名 {username} 已有人用")
        user_id = db.execute(
            "insert into users (username, password_hash, role, town, department_id, deputy_id, "
            "created_at) values (?, ?, ?, ?, ?, ?, ?)",
            [
                username,
                generate_password_hash(password),
                role,
                town,
                department_id,
                deputy_id,
                clock.stamp(),
            ],
        ).lastrowid
        audit.record(
            db,
            actor,
            "user.add",
            "user",
            user_id,
            role=role,
            town=town,
            department=department_id,
            **({"deputy": deputy_id} if deputy_id else {}),
        )
    return get(db, user_id)


def listing(db: Database) -> list[dict]:
    return list(db.query("select * from users order by active desc, town, username"))


def find(db: Database, user_id: int) -> dict | None:
    """Any account, retired ones too (for the admin's user page)."""
    return next(db.query("select * from users where id = ?", [user_id]), None)


def _other_active_admins(db: Database, user: dict) -> int:
    return db.execute(
        "select count(*) from users where role = 'admin' and active = 1 and id != ?", [user["id"]]
    ).fetchone()[0]


def change_role(
    db: Database,
    user: dict,
    role: str,
    town: str | None,
    actor: str,
    department: str | None = None,
    deputy: str | None = None,
) -> None:
    town = _check_role(role, town)
    with write_transaction(db):
        town = _known_town(db, town)
        department_id = _department_of(db, role, department)
        if role == "deputy" and user.get("deputy_id") and not deputy:
            deputy_id = user["deputy_id"]  # still the same deputy
        else:
            deputy_id = _deputy_of(db, role, deputy, user["id"])
        if user["role"] == "admin" and role != "admin" and not _other_active_admins(db, user):
            raise UserError(
                "the last admin cannot stop being one", "这是最后一位管理员,不能改为工作人员"
            )
        db.execute(
            "update users set role = ?, town = ?, department_id = ?, deputy_id = ? where id = ?",
            [role, town, department_id, deputy_id, user["id"]],
        )
        # A changed role or town changes what the account may see: it signs in afresh.
        sessions.end_all(db, user["id"], "role")
        audit.record(
            db,
            actor,
            "user.role",
            "user",
            user["id"],
            before={"role": user["role"], "town": user["town"]},
            after={"role": role, "town": town, "department": department_id, "deputy": deputy_id},
        )


def set_password(db: Database, user: dict, password: str, actor: str) -> None:
    """A new password also ends the account's open sessions, on every device: a password is
    reset because someone else may know it, and that someone may be signed in."""
    _check_password(password)
    with write_transaction(db):
        db.execute(
            "update users set password_hash = ? where id = ?",
            [generate_password_hash(password), user["id"]],
        )
        sessions.end_all(db, user["id"], "password")
        audit.record(db, actor, "user.password", "user", user["id"])


def set_active(db: Database, user: dict, active: bool, actor: str) -> None:
    """Retire or bring back an account; it is never deleted, so the audit log keeps its name.
    Retiring ends its sessions for good: bringing it back does not revive old cookies."""
    with write_transaction(db):
        if not active and user["role"] == "admin" and not _other_active_admins(db, user):
            raise UserError("the last admin cannot be disabled", "这是最后一位管理员,不能停用")
        db.execute("update users set active = ? where id = ?", [int(active), user["id"]])
        if not active:
            sessions.end_all(db, user["id"], "disabled")
        audit.record(db, actor, "user.enable" if active else "user.disable", "user", user["id"])


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
