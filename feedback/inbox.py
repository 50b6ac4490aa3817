"""The clerk's inbox: opinions of the towns in scope, filtered, searched and paged.

Queries are assembled from fixed fragments with parameters only; the town rule comes from
feedback.scope like every other staff read.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlite_utils import Database

from feedback.scope import Scope

PAGE_SIZE = 50
STATUSES = {"new": "待处理", "merged": "已并入建议", "answered": "已答复", "rejected": "未予受理"}


@dataclass
class Filters:
    status: str | None = "new"
    station_id: int | None = None
    category: str | None = None
    date_from: date | None = None
    date_to: date | None = None
    with_photos: bool = False
    q: str = ""
    page: int = 1

    def query_args(self, **changes) -> dict:
        """The filters as URL arguments (for links that keep them)."""
        values = {
            "status": self.status or "all", "station": self.station_id, "category": self.category,
            "from": self.date_from, "to": self.date_to, "photos": "1" if self.with_photos else None,
            "q": self.q or None, "page": self.page if self.page > 1 else None,
        }  # fmt: skip
        values.update(changes)
        return {key: value for key, value in values.items() if value not in (None, "")}


@dataclass
class Page:
    rows: list[dict]
    total: int
    counts: dict[str, int]
    filters: Filters
    pages: int = field(init=False)

    def __post_init__(self) -> None:
        self.pages = max(1, -(-self.total // PAGE_SIZE))


def _conditions(scope: Scope, filters: Filters, with_status: bool) -> tuple[list[str], list]:
    where, params = ["o.status != 'spam'"], []
    if scope.town is not None:
        where.append("s.town = ?")
        params.append(scope.town)
    if with_status and filters.status:
        where.append("o.status = ?")
        params.append(filters.status)
    if filters.station_id:
        where.append("o.station_id = ?")
        params.append(filters.station_id)
    if filters.category:
        where.append("o.category = ?")
        params.append(filters.category)
    if filters.date_from:
        where.append("o.created_at >= ?")
        params.append(filters.date_from.isoformat())
    if filters.date_to:
        where.append("o.created_at < ?")
        params.append((filters.date_to + timedelta(days=1)).isoformat())
    if filters.with_photos:
        where.append("exists (select 1 from photos p where p.opinion_id = o.id)")
    q = filters.q.strip()
    if len(q) >= 3:
        # The trigram index finds any substring of three or more characters.
        where.append("o.id in (select rowid from opinions_fts where opinions_fts match ?)")
        params.append('"' + q.replace('"', '""') + '"')
    elif q:
        where.append("o.body like ? escape '!'")
        params.append("%" + q.replace("!", "!!").replace("%", "!%").replace("_", "!_") + "%")
    return where, params


def page(db: Database, scope: Scope, filters: Filters) -> Page:
    where, params = _conditions(scope, filters, with_status=True)
    sql_from = "from opinions o join stations s on s.id = o.station_id where " + " and ".join(where)
    total = db.execute(f"select count(*) {sql_from}", params).fetchone()[0]
    offset = (max(1, filters.page) - 1) * PAGE_SIZE
    rows = list(db.query(
        f"select o.*, s.name as station_name, s.village as station_village, "
        f"(select count(*) from photos p where p.opinion_id = o.id) as photo_count "
        f"{sql_from} order by o.created_at desc, o.id desc limit ? offset ?",
        [*params, PAGE_SIZE, offset],
    ))  # fmt: skip
    where, params = _conditions(scope, filters, with_status=False)
    counts = dict.fromkeys(STATUSES, 0)
    for status, count in db.execute(
        "select o.status, count(*) from opinions o join stations s on s.id = o.station_id "
        "where " + " and ".join(where) + " group by o.status", params
    ):  # fmt: skip
        counts[status] = count
    return Page(rows, total, counts, filters)
