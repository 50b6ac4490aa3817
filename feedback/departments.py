"""The managed list of handling offices (承办单位). Clerks pick one when handing a suggestion
over, or type a new name, which joins the list; admins keep the list tidy (rename, retire).
A retired office stays on the suggestions it already handles but is no longer offered, and
only an admin brings it back."""

from __future__ import annotations

from sqlite_utils import Database

from feedback import audit
from feedback.db import write_transaction

MAX_NAME = 40


class DepartmentError(ValueError):
    """A change to the list was refused; the message (Chinese) says why."""


def listing(db: Database, town: str | None) -> list[dict]:
    """Every office with how many suggestions (open ones apart) it has of the town (None: of
    every town), active first. The list is shared; the counts stay within the clerk's town."""
    return list(
        db.query(
            "select d.*, count(s.id) as suggestions, "
            "count(case when s.status != '已办结' then 1 end) as open_suggestions "
            "from departments d left join suggestions s on s.department_id = d.id "
            "and (:town is null or s.town = :town) "
            "group by d.id order by d.active desc, d.name",
            {"town": town},
        )
    )


def active_names(db: Database) -> list[str]:
    return [
        row[0] for row in db.execute("select name from departments where active = 1 order by name")
    ]


def get(db: Database, department_id: int) -> dict | None:
    return next(db.query("select * from departments where id = ?", [department_id]), None)


def _check_name(name: str) -> str:
    name = " ".join(name.split())
    if not name:
        raise DepartmentError("请填写单位名称")
    if len(name) > MAX_NAME:
        raise DepartmentError(f"单位名称最多 {MAX_NAME} 个字")
    return name


def choose(db: Database, name: str, actor: str, current: int | None = None) -> int:
    """The office a clerk picked or typed for a suggestion: an active one of that name, or a
    new one when the name is not on the list yet. A retired office is not offered and picking
    it by name is refused, unless it is the one the suggestion already has (`current`), which
    stays as it is; retiring is an admin's decision that saving a form must never undo.
    Call inside the transaction that uses it."""
    name = _check_name(name)
    row = db.execute("select id, active from departments where name = ?", [name]).fetchone()
    if row:
        if not row[1] and row[0] != current:
            raise DepartmentError(f"“{name}”已停用,不再承办新的建议,请选择其他承办单位")
        return row[0]
    return _insert(db, name, actor)


def _insert(db: Database, name: str, actor: str) -> int:
    department_id = db.execute("insert into departments (name) values (?)", [name]).lastrowid
    audit.record(db, actor, "department.add", "department", department_id, name=name)
    return department_id


def add(db: Database, name: str, actor: str) -> int:
    name = _check_name(name)
    with write_transaction(db):
        if db.execute("select 1 from departments where name = ?", [name]).fetchone():
            raise DepartmentError(f"“{name}”已在名单里")
        return _insert(db, name, actor)


def rename(db: Database, department: dict, name: str, actor: str) -> None:
    """Suggestions point at the office by id, so they follow the new name."""
    name = _check_name(name)
    if name == department["name"]:
        return
    with write_transaction(db):
        if db.execute("select 1 from departments where name = ?", [name]).fetchone():
            raise DepartmentError(f"“{name}”已在名单里,不能重名")
        db.execute("update departments set name = ? where id = ?", [name, department["id"]])
        audit.record(
            db,
            actor,
            "department.rename",
            "department",
            department["id"],
            before={"name": department["name"]},
            after={"name": name},
        )


def set_active(db: Database, department: dict, active: bool, actor: str) -> None:
    with write_transaction(db):
        db.execute(
            "update departments set active = ? where id = ?", [int(active), department["id"]]
        )
        audit.record(
            db,
            actor,
            "department.enable" if active else "department.disable",
            "department",
            department["id"],
            name=department["name"],
        )
