"""The suggestions list: the suggestions in scope, filtered, searched and paged.

A town forms some 120 suggestions a month (the practice we start from), so the list of a
year runs to well over a thousand: the clerk filters it to what they are about to do (the
待交办 ones of one category, to hand them over at once; the overdue ones, to chase them)
instead of scrolling. Queries are fixed fragments with parameters only, the scope from
feedback.access like every other staff read.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlite_utils import Database

from feedback import clock
from feedback.access import Access
from feedback.labels import CLOSED, RATINGS, SUGGESTION_STATUSES, TIERS
from feedback.paging import page_count

PAGE_SIZE = 50
LAST_PAGE = (2**63 - 1) // PAGE_SIZE


@dataclass
class Filters:
    status: str | None = None
    tier: str | None = None
    category: str | None = None
    department_id: int | None = None
    overdue: bool = False
    rating: str | None = None  # with an opinion behind it rated so (不满意: answers to revisit)
    q: str = ""
    page: int = 1

    def __post_init__(self) -> None:
        self.status = self.status if self.status in SUGGESTION_STATUSES else None
        self.tier = self.tier if self.tier in TIERS else None
        self.rating = self.rating if self.rating in RATINGS else None

    def query_args(self, **changes) -> dict:
        """The filters as URL arguments (for links and forms that keep them)."""
        values = {
            "status": self.status,
            "tier": self.tier,
            "category": self.category,
            "department": self.department_id,
            "overdue": "1" if self.overdue else None,
            "rating": self.rating,
            "q": self.q or None,
            "page": self.page if self.page > 1 else None,
        }
        values.update(changes)
        return {key: value for key, value in values.items() if value not in (None, "")}


@dataclass
class Page:
    rows: list[dict]
    total: int
    filters: Filters
    pages: int = field(init=False)

    def __post_init__(self) -> None:
        self.pages = page_count(self.total, PAGE_SIZE)


def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _conditions(access: Access, filters: Filters) -> tuple[str, list]:
    where, params = access.where("s")
    parts, values = [where], list(params)
    for column, value in (
        ("s.status", filters.status),
        ("s.tier", filters.tier),
        ("s.category", filters.category),
        ("s.department_id", filters.department_id),
    ):
        if value is not None:
            parts.append(f"{column} = ?")
            values.append(value)
    if filters.overdue:
        parts.append("s.status != ? and s.deadline < ?")
        values += [CLOSED, clock.now().date().isoformat()]
    if filters.rating:
        parts.append(
            "exists (select 1 from suggestion_opinions so join opinions o on o.id = so.opinion_id "
            "where so.suggestion_id = s.id and o.rating = ?)"
        )
        values.append(filters.rating)
    if filters.q:
        parts.append(
            "(s.title like ? escape '\\' or s.body like ? escape '\\' or s.number like ? "
            "escape '\\')"
        )
        values += [_like(filters.q)] * 3
    return " and ".join(parts), values


def page(db: Database, access: Access, filters: Filters) -> Page:
    """One page of the suggestions matching the filters, newest first."""
    where, params = _conditions(access, filters)
    total = db.execute(f"select count(*) from suggestions s where {where}", params).fetchone()[0]
    offset = (max(1, filters.page) - 1) * PAGE_SIZE
    rows = list(
        db.query(
            "select s.*, d.name as department, (select count(*) from suggestion_opinions so "
            "where so.suggestion_id = s.id) as opinion_count from suggestions s left join "
            f"departments d on d.id = s.department_id where {where} "
            "order by s.id desc limit ? offset ?",
            [*params, PAGE_SIZE, offset],
        )
    )
    return Page(rows, total, filters)


def departments_used(db: Database, access: Access) -> list[dict]:
    """The offices this user's suggestions were handed to (the department filter's list)."""
    where, params = access.where("s")
    return list(
        db.query(
            "select distinct d.id, d.name from suggestions s join departments d "
            f"on d.id = s.department_id where {where} order by d.name",
            params,
        )
    )
