"""The managed list of handling offices (承办单位). A town's own office (甲镇环保办) is offered
and shown to that town only; a county office (no town, 县交通运输局) to every town. Clerks pick
one when handing a suggestion over, or type a new name, which joins the list as their town's
own office; admins keep the list tidy (add, rename, retire). A retired office stays on the
suggestions it already handles but is no longer offered, and only an admin brings it back."""

from __future__ import annotations

from sqlite_utils import Database

from feedback import audit, towns
from feedback.db import write_transaction

MAX_NAME = 40
# The offices one town may use: its own and the county's. `:town` null (an admin) is all.
SERVES = "(:town is null or d.town is null or d.town = :town)"


class DepartmentError(ValueError):
    """A change to the list was refused: the message (Chinese) says why to staff on the web,
    `en` to an admin at the command line."""

    def __init__(self, zh: str, en: str | None = None) -> None:
        super().__init__(zh)
        self.zh = zh
        self.en = en or zh


def listing(db: Database, town: str | None) -> list[dict]:
    """The offices a town may use (None: every office) with how many suggestions (open ones
    apart) each has of that town, active first: another town's own office is not listed."""
    return list(
        db.query(
            "select d.*, count(s.id) as suggestions, "
            "count(case when s.status != '已办结' then 1 end) as open_suggestions "
            "from departments d left join suggestions s on s.department_id = d.id "
            f"and (:town is null or s.town = :town) where {SERVES} "
            "group by d.id order by d.active desc, d.town is not null, d.town, d.name",
            {"town": town},
        )
    )


def active_names(db: Database, town: str | None = None) -> list[str]:
    """The names offered to a town's suggestions (None: every active office)."""
    return [row["name"] for row in offered(db, town)]


def offered(db: Database, town: str | None) -> list[dict]:
    """The active offices a suggestion of `town` may be handed to, county offices first."""
    return list(
        db.query(
            f"select d.* from departments d where d.active = 1 and {SERVES} "
            "order by d.town is not null, d.name",
            {"town": town},
        )
    )


def get(db: Database, department_id: int) -> dict | None:
    return next(db.query("select * from departments where id = ?", [department_id]), None)


def by_name(db: Database, name: str) -> dict | None:
    return next(
        db.query("select * from departments where name = ?", [" ".join(name.split())]), None
    )


def _check_name(name: str) -> str:
    name = " ".join(name.split())
    if not name:
        raise DepartmentError("请填写单位名称", "a department needs a name")
    if len(name) > MAX_NAME:
        raise DepartmentError(
            f"单位名称最多 {MAX_NAME} 个字", f"a department name has at most {MAX_NAME} characters"
        )
    return name


def choose(
    db: Database, name: str, actor: str, current: int | None = None, town: str | None = None
) -> int:
    """The office a clerk picked or typed for a suggestion of `town`: an active one of that
    name serving the town, or a new one of the town when the name is not on the list yet.
    Another town's own office is refused as if it were not there to pick. A retired office
    is refused too, unless it is the one the suggestion already has (`current`), which stays
    as it is; retiring is an admin's decision that saving a form must never undo.
    Call inside the transaction that uses it."""
    name = _check_name(name)
    row = db.execute("select id, active, town from departments where name = ?", [name]).fetchone()
    if row:
        if row[0] != current and town and row[2] and row[2] != town:
            raise DepartmentError(f"“{name}”是{row[2]}的单位,不能承办{town}的建议")
        if not row[1] and row[0] != current:
            raise DepartmentError(f"“{name}”已停用,不再承办新的建议,请选择其他承办单位")
        return row[0]
    return _insert(db, name, town, actor)


def _insert(db: Database, name: str, town: str | None, actor: str) -> int:
    department_id = db.execute(
        "insert into departments (name, town) values (?, ?)", [name, town]
    ).lastrowid
    audit.record(db, actor, "department.add", "department", department_id, name=name, town=town)
    return department_id


def add(db: Database, name: str, actor: str, town: str | None = None) -> int:
    """An office of one town (`town`), or of the county (None), serving every town."""
    name = _check_name(name)
    with write_transaction(db):
        if town:
            try:
                town = towns.known(db, town)
            except towns.TownError as error:
                raise DepartmentError(error.zh, str(error)) from None
        if db.execute("select 1 from departments where name = ?", [name]).fetchone():
            raise DepartmentError(f"“{name}”已在名单里", f"department {name} already exists")
        return _insert(db, name, town or None, actor)


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
