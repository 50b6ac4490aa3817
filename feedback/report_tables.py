"""The bulletin's two tables that put units side by side, so that every town and every office
sees where it stands: the county's towns (全县 only) and the departments (承办单位).

Like the rest of feedback.reports, every figure is one GROUP BY over an index range of the
period, a handful of queries whatever the number of towns or offices; the rows are put
together in Python by town or by department id. The definitions are in
feedback.report_definitions (the bulletin's footnotes) and the README's "报表口径".

Which offices a report lists: a town's report shows the town's own offices (every one in use,
with or without figures) and the county offices (县直, no town) that handled its suggestions
in the period, counting only its own suggestions; never another town's office, even where
older data links one. The county's report shows every office with a figure in the period and
says how many offices in use had none.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlite_utils import Database

from feedback.periods import Period

CONTENT = "('满意', '基本满意')"
COUNTED = "o.status in ('new', 'merged', 'answered', 'rejected')"
ON_TIME = "(g.deadline is null or substr(g.closed_at, 1, 10) <= g.deadline)"
COUNTY_OFFICE = "县直"


@dataclass(frozen=True)
class Rate:
    """numerator / denominator; `text` is "—" when there is nothing to divide by."""

    numerator: int
    denominator: int

    @property
    def value(self) -> float | None:
        return self.numerator / self.denominator if self.denominator else None

    @property
    def text(self) -> str:
        value = self.value
        return "—" if value is None else f"{value * 100:.1f}%"

    def __str__(self) -> str:
        return self.text


def _rate(numerator: int | None, denominator: int | None) -> Rate:
    return Rate(numerator or 0, denominator or 0)


def _grouped(db: Database, sql: str, params: list) -> dict:
    """{first column: the other columns} of a GROUP BY query."""
    return {row[0]: row[1:] for row in db.execute(sql, params).fetchall()}


# --- Towns side by side (the county's bulletin) ---------------------------------------------
def towns(db: Database, p: Period, names: list[str]) -> list[dict]:
    """One row per town: received, merged, suggestions, 办结率, 按期办结率, 满意率, overdue."""
    span = [p.start.isoformat(), p.cutoff]
    # Station by station over opinions_inbox (station, status, date), as a town's report does.
    received = _grouped(
        db,
        "select s.town, count(*) from stations s cross join opinions o on o.station_id = s.id "
        f"where {COUNTED} and o.created_at >= ? and o.created_at < ? group by 1",
        span,
    )
    merged = _grouped(
        db,
        "select s.town, count(*) from stations s cross join opinions o on o.station_id = s.id "
        "join suggestion_opinions so on so.opinion_id = o.id where o.status = 'merged' "
        "and o.created_at >= ? and o.created_at < ? group by 1",
        span,
    )
    created = _grouped(
        db,
        "select g.town, count(*), coalesce(sum(g.closed_at is not null and g.closed_at < ?), 0) "
        "from suggestions g where g.created_at >= ? and g.created_at < ? group by 1",
        [p.cutoff, *span],
    )
    closed = _grouped(
        db,
        f"select g.town, count(*), sum({ON_TIME}) from suggestions g "
        "where g.closed_at >= ? and g.closed_at < ? group by 1",
        span,
    )
    rated = _grouped(
        db,
        f"select s.town, count(*), sum(o.rating in {CONTENT}) from opinions o cross join "
        "stations s on s.id = o.station_id where o.rating is not null and o.rated_at >= ? "
        "and o.rated_at < ? group by 1",
        span,
    )
    overdue = _grouped(
        db,
        "select g.town, count(*) from suggestions g where g.created_at < ? "
        "and (g.closed_at is null or g.closed_at >= ?) and g.deadline < ? group by 1",
        [p.cutoff, p.cutoff, p.status_day.isoformat()],
    )
    rows = []
    for town in names:
        made, done = created.get(town, (0, 0)), closed.get(town, (0, 0))
        ratings = rated.get(town, (0, 0))
        rows.append(
            {
                "town": town,
                "received": received.get(town, (0,))[0],
                "merged": merged.get(town, (0,))[0],
                "suggestions": made[0],
                "completion": _rate(made[1], made[0]),
                "closed": done[0],
                "on_time": _rate(done[1], done[0]),
                "rated": ratings[0],
                "satisfaction": _rate(ratings[1], ratings[0]),
                "overdue": overdue.get(town, (0,))[0],
            }
        )
    return rows


# --- Departments ------------------------------------------------------------------------------
FIGURES = (
    "received",
    "as_lead",
    "as_co",
    "signed",
    "signed_on_time",
    "returned",
    "closed",
    "closed_on_time",
    "extensions_asked",
    "extensions_granted",
    "urges",
    "class_a",
    "class_b",
    "class_c",
    "rated",
    "content",
)


class _Departments:
    """The SQL behind `departments`; `town` None is the county (no suggestion filter)."""

    def __init__(self, db: Database, p: Period, town: str | None):
        self.db, self.town = db, town
        self.span = [p.start.isoformat(), p.cutoff]
        self.town_params = [town] if town else []

    def _on(self, alias: str) -> str:
        """A join to the suggestion of rows `alias`, confined to the town (none for the county).
        CROSS JOIN keeps the period's range on `alias` the outer loop: without statistics the
        planner would walk every suggestion of the town instead."""
        if not self.town:
            return ""
        return f" cross join suggestions g on g.id = {alias}.suggestion_id and g.town = ?"

    def _town_g(self) -> str:
        return " and g.town = ?" if self.town else ""

    def figures(self) -> dict[int, dict[str, int]]:
        by_id: dict[int, dict[str, int]] = {}

        def add(department_id: int | None, **values: int) -> None:
            if department_id is None:
                return
            row = by_id.setdefault(department_id, dict.fromkeys(FIGURES, 0))
            for key, value in values.items():
                row[key] += value or 0

        db, span, town = self.db, self.span, self.town_params
        for dep, lead, co in db.execute(
            "select h.department_id, sum(h.role = 'lead'), sum(h.role = 'co') "
            f"from department_handings h{self._on('h')} "
            "where h.handed_at >= ? and h.handed_at < ? group by 1",
            [*town, *span],
        ):
            add(dep, as_lead=lead, as_co=co)
        # Handed over the old way (the clerk set the office and moved it to 已交办): the lead.
        for dep, count in db.execute(
            "select g.department_id, count(*) from suggestions g where g.assigned_at >= ? "
            f"and g.assigned_at < ? and g.department_id is not null{self._town_g()} "
            "and not exists (select 1 from department_handings h where h.suggestion_id = g.id "
            "and h.handed_at = g.assigned_at) group by 1",
            [*span, *town],
        ):
            add(dep, as_lead=count)
        for dep, signed, on_time in db.execute(
            "select h.department_id, count(*), sum(h.signed_at <= h.sign_due_at) "
            f"from department_handings h{self._on('h')} "
            "where h.signed_at >= ? and h.signed_at < ? group by 1",
            [*town, *span],
        ):
            add(dep, signed=signed, signed_on_time=on_time)
        kinds = {"return": "returned", "extension_ask": "extensions_asked", "urge": "urges"}
        for dep, kind, count in db.execute(
            f"select e.department_id, e.kind, count(*) from handling_events e{self._on('e')} "
            "where e.kind in ('return', 'extension_ask', 'urge') and e.at >= ? and e.at < ? "
            "group by 1, 2",
            [*town, *span],
        ):
            add(dep, **{kinds[kind]: count})
        # A grant names no office: it is the one that asked (the last request before it).
        for dep, count in db.execute(
            "select a.department_id, count(*) from handling_events e join handling_events a "
            "on a.id = (select max(x.id) from handling_events x where x.suggestion_id = "
            f"e.suggestion_id and x.kind = 'extension_ask' and x.id < e.id){self._on('e')} "
            "where e.kind = 'extension_grant' and e.at >= ? and e.at < ? group by 1",
            [*town, *span],
        ):
            add(dep, extensions_granted=count)
        for dep, closed, on_time, a, b, c in db.execute(
            f"select g.department_id, count(*), sum({ON_TIME}), sum(g.result_class = 'A'), "
            "sum(g.result_class = 'B'), sum(g.result_class = 'C') from suggestions g "
            "where g.closed_at >= ? and g.closed_at < ? and g.department_id is not null"
            f"{self._town_g()} group by 1",
            [*span, *town],
        ):
            add(dep, closed=closed, closed_on_time=on_time, class_a=a, class_b=b, class_c=c)
        for dep, rated, content in db.execute(
            f"select g.department_id, count(*), sum(o.rating in {CONTENT}) from opinions o "
            "cross join suggestion_opinions so on so.opinion_id = o.id cross join suggestions g "
            "on g.id = so.suggestion_id where o.rating is not null and o.rated_at >= ? "
            "and o.rated_at < ? and g.status = '已办结' and g.department_id is not null"
            f"{self._town_g()} group by 1",
            [*span, *town],
        ):
            add(dep, rated=rated, content=content)
        return by_id


def departments(db: Database, p: Period, town: str | None) -> dict:
    """The table by department: {"rows": [...], "idle": offices in use with no figure}."""
    figures = _Departments(db, p, town).figures()
    offices = db.query(
        "select id, name, town, active from departments d "
        "where (:town is null or d.town is null or d.town = :town)",
        {"town": town},
    )
    rows, idle = [], 0
    for office in offices:
        counts = figures.get(office["id"])
        own = town is not None and office["town"] == town
        if counts is None and not (own and office["active"]):
            idle += 1 if office["active"] and town is None else 0
            continue
        rows.append(_row(office, counts or dict.fromkeys(FIGURES, 0)))
    if town is None:
        rows.sort(key=lambda r: (r["town"] is not None, r["town"] or "", r["name"]))
    else:
        rows.sort(key=lambda r: (r["town"] is None, r["name"]))
    return {"rows": rows, "idle": idle}


def office_row(db: Database, p: Period, department_id: int) -> dict | None:
    """One office's row over every town it serves (its desk shows it): the county's figures
    for that office, zeros when it has none."""
    office = next(
        db.query("select id, name, town, active from departments where id = ?", [department_id]),
        None,
    )
    if office is None:
        return None
    counts = _Departments(db, p, None).figures().get(department_id)
    return _row(office, counts or dict.fromkeys(FIGURES, 0))


def _row(office: dict, counts: dict[str, int]) -> dict:
    received = counts["as_lead"] + counts["as_co"]
    return {
        "id": office["id"],
        "name": office["name"],
        "town": office["town"],
        "unit": office["town"] or COUNTY_OFFICE,
        "active": bool(office["active"]),
        **counts,
        "received": received,
        "sign_rate": _rate(counts["signed_on_time"], counts["signed"]),
        "on_time": _rate(counts["closed_on_time"], counts["closed"]),
        "satisfaction": _rate(counts["content"], counts["rated"]),
    }


# Its columns, for the bulletin's table, the ledger's sheet and the CSV: (heading, value of a row).
COLUMNS: tuple[tuple[str, str], ...] = (
    ("收到交办", "received"),
    ("其中主办", "as_lead"),
    ("其中协办", "as_co"),
    ("签收", "signed"),
    ("按时签收", "signed_on_time"),
    ("签收及时率", "sign_rate"),
    ("退回", "returned"),
    ("办结", "closed"),
    ("按期办结", "closed_on_time"),
    ("按期办结率", "on_time"),
    ("申请延期", "extensions_asked"),
    ("同意延期", "extensions_granted"),
    ("督办", "urges"),
    ("A类", "class_a"),
    ("B类", "class_b"),
    ("C类", "class_c"),
    ("参评", "rated"),
    ("满意率", "satisfaction"),
)
TOWN_COLUMNS: tuple[tuple[str, str], ...] = (
    ("收到意见", "received"),
    ("并入建议的意见", "merged"),
    ("新建建议", "suggestions"),
    ("办结率", "completion"),
    ("办结建议", "closed"),
    ("按期办结率", "on_time"),
    ("参评", "rated"),
    ("满意率", "satisfaction"),
    ("超期建议", "overdue"),
)


def cell(row: dict, key: str) -> int | str:
    """A row's value for a file: a count as a number, a rate as its text ("—" when 0/0)."""
    value = row[key]
    return value if isinstance(value, int) else value.text
