"""Who may see what: an admin sees every town, a clerk only their own.

Every staff read of stations, opinions and imports goes through a Scope, so the town rule
lives here once instead of in each view. Anything outside the scope is a plain 404, so a
clerk of another town learns nothing from trying URLs.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import abort, g
from sqlite_utils import Database


@dataclass(frozen=True)
class Scope:
    town: str | None  # None: every town (admin)

    @classmethod
    def of(cls, user: dict) -> Scope:
        return cls(None if user["role"] == "admin" else user["town"])

    def where(self, alias: str = "stations") -> tuple[str, list]:
        """The town rule as SQL on a table alias that has a `town` column (reports use it)."""
        if self.town is None:
            return "1", []
        return f"{alias}.town = ?", [self.town]

    def stations(self, db: Database, active_only: bool = True) -> list[dict]:
        where, params = self.where()
        if active_only:
            where += " and stations.active = 1"
        return list(db.query(f"select * from stations where {where} order by town, name", params))

    @staticmethod
    def _one(db: Database, sql: str, params: list) -> dict:
        """The row, or a 404 that tells another town nothing."""
        row = next(db.query(sql, params), None)
        return row if row is not None else abort(404)

    def station(self, db: Database, station_id: int) -> dict:
        where, params = self.where()
        sql = f"select * from stations where id = ? and {where}"
        return self._one(db, sql, [station_id, *params])

    def opinion(self, db: Database, opinion_id: int) -> dict:
        where, params = self.where("s")
        sql = (f"select o.* from opinions o join stations s on s.id = o.station_id "
               f"where o.id = ? and {where}")  # fmt: skip
        return self._one(db, sql, [opinion_id, *params])

    def opinions(self, db: Database, ids: list[int]) -> list[dict]:
        """The given opinions, all of them in scope, or a 404."""
        rows = [self.opinion(db, opinion_id) for opinion_id in dict.fromkeys(ids)]
        stations = {s["id"]: s["name"] for s in self.stations(db, active_only=False)}
        return [dict(row, station_name=stations.get(row["station_id"], "")) for row in rows]

    def suggestion(self, db: Database, suggestion_id: int) -> dict:
        where, params = self.where("suggestions")
        sql = f"select * from suggestions where id = ? and {where}"
        return self._one(db, sql, [suggestion_id, *params])

    def suggestions(self, db: Database, open_only: bool = False) -> list[dict]:
        where, params = self.where("s")
        if open_only:
            where += " and s.status != '已办结'"
        sql = (
            "select s.*, d.name as department, (select count(*) from suggestion_opinions so "
            "where so.suggestion_id = s.id) as opinion_count from suggestions s left join "
            f"departments d on d.id = s.department_id where {where} order by s.id desc"
        )
        return list(db.query(sql, params))

    def opinion_import(self, db: Database, import_id: int) -> dict:
        where, params = self.where("s")
        sql = (f"select i.* from opinion_imports i join stations s on s.id = i.station_id "
               f"where i.id = ? and {where}")  # fmt: skip
        return self._one(db, sql, [import_id, *params])


def current() -> Scope:
    return Scope.of(g.user)
