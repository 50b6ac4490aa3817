"""Who may see and change what, for every role, in one place.

Every staff read of stations, opinions, suggestions and imports goes through an Access, so
the rule lives here once instead of in each view: an admin (the county office) sees every
town, a clerk only their own town, a department account only the suggestions handed to its
office (as lead 主办 or co-handler 协办, feedback.handling) and the opinions behind those,
never a station, an inbox or another office's item; a deputy only the opinions of the
stations they are posted to and those addressed to them, all of their own town, while
they are in office. A lookup returns the row or None; the
web turns None into a plain 404, so someone outside the scope learns nothing from trying
URLs, and the domain functions that change a record take the Access too and repeat its rule
in their own SQL.

A role this module does not know sees nothing: new roles (departments, deputies, a county
level) are added here, as another way of building the same SQL condition.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlite_utils import Database


@dataclass(frozen=True)
class Access:
    role: str
    town: str | None = None  # a clerk's town; None for an admin (every town)
    username: str = "system"
    department_id: int | None = None  # a department account's office
    deputy_id: int | None = None  # a deputy account's deputy

    @classmethod
    def of(cls, user: dict) -> Access:
        return cls(
            user["role"],
            user.get("town"),
            user.get("username", "system"),
            user.get("department_id") if user["role"] == "department" else None,
            user.get("deputy_id") if user["role"] == "deputy" else None,
        )

    @property
    def deputy(self) -> int | None:
        """The deputy a deputy account is; None for every other role."""
        return self.deputy_id if self.role == "deputy" else None

    @property
    def office(self) -> int | None:
        """The office a department account acts for; None for every other role."""
        return self.department_id if self.role == "department" else None

    @classmethod
    def of_town(cls, town: str | None) -> Access:
        """Reports: one town's figures, or the county's (None)."""
        return cls("admin", None) if town is None else cls("clerk", town)

    def where(self, alias: str = "stations") -> tuple[str, list]:
        """The rule as SQL on a table alias with a `town` column (stations, suggestions)."""
        if self.role == "admin":
            return "1", []
        if self.role == "clerk" and self.town:
            return f"{alias}.town = ?", [self.town]
        return "0", []

    def suggestion_where(self, alias: str = "suggestions") -> tuple[str, list]:
        """The rule as SQL on a suggestions alias: a town's staff by town, a department by
        what is handed to its office now (a returned item is no longer theirs)."""
        if self.role in ("admin", "clerk"):
            return self.where(alias)
        if self.office is not None:
            handed = (
                "exists (select 1 from suggestion_departments sd "
                f"where sd.suggestion_id = {alias}.id and sd.department_id = ?)"
            )
            return handed, [self.office]
        return "0", []

    def signed_where(self, alias: str = "suggestions") -> tuple[str, list]:
        """A deputy's read of suggestions: those they lead (领衔) or co-sign (附议), of their
        own town, while in office. Kept apart from suggestion_where on purpose: every change
        to a suggestion goes through that rule, which gives a deputy nothing, so a deputy can
        never close one or change its department (feedback.deputy_suggestions)."""
        if self.deputy is None:
            return "0", []
        signed = (
            "exists (select 1 from suggestion_deputies sg "
            f"where sg.suggestion_id = {alias}.id and sg.deputy_id = ?) and {alias}.town = "
            "(select d.town from deputies d where d.id = ? and d.active = 1)"
        )
        return signed, [self.deputy, self.deputy]

    def sms_where(self, station: str = "st", suggestion: str = "sg") -> tuple[str, list]:
        """The rule as SQL on a text message (feedback.notify): town staff only, by the town
        of its opinion's station or, for a supporter's message, of its suggestion (each
        alias NULL when the message is of the other kind)."""
        if self.role not in ("admin", "clerk"):
            return "0", []
        by_station, params = self.where(station)
        by_suggestion, more = self.where(suggestion)
        return f"({by_station} or {by_suggestion})", params + more

    def opinion_where(self, opinion: str = "o", station: str = "s") -> tuple[str, list]:
        """The rule as SQL on an opinion joined to its station: a department reads only the
        opinions behind a suggestion handed to its office."""
        if self.role in ("admin", "clerk"):
            return self.where(station)
        if self.office is not None:
            behind = (
                f"{opinion}.id in (select so.opinion_id from suggestion_opinions so join "
                "suggestion_departments sd on sd.suggestion_id = so.suggestion_id "
                "where sd.department_id = ?)"
            )
            return behind, [self.office]
        if self.deputy is not None:
            return _DEPUTY_OPINIONS.format(o=opinion, s=station), [self.deputy] * 3
        return "0", []

    def deputy_page(self, db: Database, limit: int, offset: int) -> tuple[str, list]:
        """SQL of the ids of one page of a deputy's inbox, in NEWEST order: opinion_where's
        rule for a deputy, in the shape a page at a million opinions needs."""
        if self.deputy is None:
            return "select null where 0", []
        stations = [row[0] for row in db.execute(_DEPUTY_STATIONS, [self.deputy])]
        most = limit + offset  # each part's newest `most` hold the page
        marks = ", ".join("?" * len(stations)) or "null"
        parts = [_AT_STATION] * len(stations) + [_ADDRESSED.format(stations=marks)]
        params = [value for station in stations for value in (station, most)]
        params += [self.deputy, *stations, most, limit, offset]
        sql = f"select id from ({' union all '.join(parts)}) order by {NEWEST} limit ? offset ?"
        return sql, params

    def stations(self, db: Database, active_only: bool = True) -> list[dict]:
        where, params = self.where()
        if active_only:
            where += " and stations.active = 1"
        return list(db.query(f"select * from stations where {where} order by town, name", params))

    def station(self, db: Database, station_id: int) -> dict | None:
        where, params = self.where()
        return _one(db, f"select * from stations where id = ? and {where}", [station_id, *params])

    def opinion(self, db: Database, opinion_id: int) -> dict | None:
        where, params = self.opinion_where("o", "s")
        sql = (
            "select o.*, s.town as town from opinions o join stations s on s.id = o.station_id "
            f"where o.id = ? and {where}"
        )
        return _one(db, sql, [opinion_id, *params])

    def opinions(self, db: Database, ids: list[int]) -> list[dict] | None:
        """The given opinions with their station's name, or None unless every one is in scope.
        Only a town's staff gather opinions into suggestions."""
        if self.role not in ("admin", "clerk"):
            return None
        rows = [self.opinion(db, opinion_id) for opinion_id in dict.fromkeys(ids)]
        if any(row is None for row in rows):
            return None
        stations = {s["id"]: s for s in self.stations(db, active_only=False)}
        return [
            dict(
                row,
                station_name=stations[row["station_id"]]["name"],
                village=stations[row["station_id"]]["village"] or "",
            )
            for row in rows
        ]

    def suggestion_opinions(self, db: Database, suggestion: dict) -> list[dict]:
        """The opinions behind a suggestion that this user may read, each checked against the
        scope on its own: a stray link to another town's opinion (older data) never shows that
        town's words to this town's clerk, while an admin sees it and can take it out."""
        where, params = self.opinion_where("o", "s")
        sql = (
            "select o.*, s.name as station_name from suggestion_opinions so join opinions o "
            "on o.id = so.opinion_id join stations s on s.id = o.station_id "
            f"where so.suggestion_id = ? and {where} order by o.id"
        )
        return list(db.query(sql, [suggestion["id"], *params]))

    def suggestion(self, db: Database, suggestion_id: int) -> dict | None:
        where, params = self.suggestion_where("suggestions")
        sql = f"select * from suggestions where id = ? and {where}"
        return _one(db, sql, [suggestion_id, *params])

    def suggestions(self, db: Database, open_only: bool = False) -> list[dict]:
        where, params = self.suggestion_where("s")
        if open_only:
            where += " and s.status != '已办结'"
        sql = (
            "select s.*, d.name as department, (select count(*) from suggestion_opinions so "
            "where so.suggestion_id = s.id) as opinion_count from suggestions s left join "
            f"departments d on d.id = s.department_id where {where} order by s.id desc"
        )
        return list(db.query(sql, params))

    def opinion_import(self, db: Database, import_id: int) -> dict | None:
        where, params = self.where("s")
        sql = (
            "select i.* from opinion_imports i join stations s on s.id = i.station_id "
            f"where i.id = ? and {where}"
        )
        return _one(db, sql, [import_id, *params])


# A deputy's opinions: addressed to them or received at one of their stations, and only
# of their own town while they are in office (a retired deputy's account reads nothing).
# `+s.town` keeps SQLite from walking the whole town by its stations to check one row.
_DEPUTY_OPINIONS = (
    "({o}.deputy_id = ? or {o}.station_id in "
    "(select ds.station_id from deputy_stations ds where ds.deputy_id = ?)) "
    "and +{s}.town = (select d.town from deputies d where d.id = ? and d.active = 1)"
)
# The same rule shaped for a page of the deputy's inbox, newest first: for each of their
# stations (of their town, while in office) and for what is addressed to them elsewhere,
# the newest entries read in order off an index (opinions_station_dates, opinions_deputy),
# so a page at a million opinions reads about a page's worth of each, never all of the
# deputy's thousands (bench/deputy_inbox.py). NEWEST is that index's order.
_DEPUTY_STATIONS = (
    "select ds.station_id from deputy_stations ds join stations st on st.id = ds.station_id "
    "join deputies d on d.id = ds.deputy_id where ds.deputy_id = ? and d.active = 1 "
    "and st.town = d.town order by ds.position"
)
NEWEST = "created_at desc, status desc, category desc, id desc"


def newest(alias: str) -> str:
    """NEWEST on a table alias."""
    return ", ".join(f"{alias}.{term}" for term in NEWEST.split(", "))


_AT_STATION = (
    "select * from (select o.id, o.created_at, o.status, o.category from opinions o "
    f"where o.station_id = ? and o.status != 'spam' order by {newest('o')} limit ?)"
)
_ADDRESSED = (
    "select * from (select o.id, o.created_at, o.status, o.category from opinions o "
    "join stations st on st.id = o.station_id join deputies d on d.id = o.deputy_id "
    "where o.deputy_id = ? and o.status != 'spam' and d.active = 1 and st.town = d.town "
    f"and o.station_id not in ({{stations}}) order by {newest('o')} limit ?)"
)


def _one(db: Database, sql: str, params: list) -> dict | None:
    return next(db.query(sql, params), None)
