"""A deputy's record of work (履职档案) per year, the county's 年度履职积分登记表, and the
deputies' figures of the monthly bulletin.

Every figure is a GROUP BY over one index per table (activities by deputy and date,
opinions by the deputy they are addressed to, suggestions' signers by deputy), so the
county's year costs a few index scans whatever the number of opinions.

What counts (the README's 履职记录 section and the register's footnote say the same):

- activities: duty activities (履职活动) held in the year (`held_on`), by kind, and the
  people met at them (their `people`);
- opinions collected (收集意见): opinions the deputy typed in (any channel but the QR form)
  made in the year; those villagers sent through the deputy's own card (代表码, channel
  form) are counted apart (扫代表码) and earn no points: the deputy did not collect them;
- suggestions led (领衔) and co-signed (附议): suggestions made in the year the deputy
  leads or co-signs; their results (A/B/C of the answer, for those closed) and
  satisfaction: the deputy's own verdicts (代表意见) on the suggestions they led, and the
  villagers' ratings of the opinions behind them;
- points (积分): each activity by its kind, each opinion collected, each suggestion led
  and co-signed, from the county's table (FEEDBACK_DUTY_POINTS; defaults in DEFAULT_POINTS).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

from sqlite_utils import Database

from feedback import clock
from feedback.labels import DUTY_ACTIVITIES, RATINGS
from feedback.reports import Period, Rate

# Points a county gives, unless it configures its own (FEEDBACK_DUTY_POINTS).
DEFAULT_POINTS: dict = {
    "activity": {"reception": 2, "visit": 2, "inspection": 3, "forum": 2, "market": 2},
    "opinion": 1,
    "lead": 5,
    "cosign": 2,
}
RESULTS = ("A", "B", "C")


class RecordError(ValueError):
    """A year, deputy or town that has no record; `zh` for the pages, str() for the CLI."""

    def __init__(self, en: str, zh: str):
        super().__init__(en)
        self.zh = zh


def points_table(configured: Mapping | None) -> dict:
    """The configured table over the defaults: a county may set only what it changes."""
    table = {key: value for key, value in DEFAULT_POINTS.items() if key != "activity"}
    table["activity"] = dict(DEFAULT_POINTS["activity"])
    for key, value in (configured or {}).items():
        if key == "activity":
            table["activity"].update(value)
        else:
            table[key] = value
    return table


def check_year(value: object, today: date | None = None) -> int:
    """A year from 2000 to this one (China time): a record of a future year is refused."""
    text = str(value or "").strip()
    today = today or clock.now().date()
    if not (text.isascii() and text.isdecimal() and len(text) == 4):
        raise RecordError(
            f"bad year {text!r}: use four digits, e.g. {today.year}",
            f"年份“{text}”不对,请写成 {today.year} 这样的四位数",
        )
    year = int(text)
    if year < 2000:
        raise RecordError(f"year {year} is before 2000", f"{year} 年太早了,没有记录")
    if year > today.year:
        raise RecordError(f"year {year} has not started yet", f"{year} 年还没有到,没有记录")
    return year


def _span(year: int) -> list[str]:
    return [f"{year}-01-01", f"{year + 1}-01-01"]


def _deputies(db: Database, town: str | None, deputy_id: int | None = None) -> list[dict]:
    clauses = [("d.town = ?", town), ("d.id = ?", deputy_id)]
    chosen = [(sql, value) for sql, value in clauses if value is not None]
    where = ("where " + " and ".join(sql for sql, _ in chosen)) if chosen else ""
    params = [value for _, value in chosen]
    return list(
        db.query(
            "select d.id, d.code, d.name, d.town, d.level, d.active from deputies d "
            f"{where} order by d.town, d.active desc, d.name, d.code",
            params,
        )
    )


def _by_deputy(db: Database, sql: str, params: list) -> dict[int, dict]:
    """{deputy_id: {key: count}} of a `select deputy_id, key, count` query."""
    result: dict[int, dict] = {}
    for deputy_id, key, count in db.execute(sql, params).fetchall():
        result.setdefault(deputy_id, {})[key] = count
    return result


def register(
    db: Database,
    year: int,
    town: str | None = None,
    points: Mapping | None = None,
    deputy_id: int | None = None,
) -> list[dict]:
    """Every deputy of the county (or a town, or just one), retired ones too, with the
    year's record."""
    table = points_table(points)
    span = _span(year)
    clauses = [("d.town = ?", town), ("d.id = ?", deputy_id)]
    only = "".join(f" and {sql}" for sql, value in clauses if value is not None)
    only_params = [value for _sql, value in clauses if value is not None]
    activities = _by_deputy(
        db,
        "select a.deputy_id, a.kind, count(*) from deputy_activities a join deputies d "
        f"on d.id = a.deputy_id where a.held_on >= ? and a.held_on < ? {only} group by 1, 2",
        [*span, *only_params],
    )
    people = _by_deputy(
        db,
        "select a.deputy_id, 'people', sum(a.people) from deputy_activities a join deputies d "
        f"on d.id = a.deputy_id where a.held_on >= ? and a.held_on < ? {only} group by 1",
        [*span, *only_params],
    )
    opinions = _by_deputy(
        db,
        "select o.deputy_id, o.channel = 'form', count(*) from opinions o "
        f"{'join deputies d on d.id = o.deputy_id' if only else ''} "
        "where o.deputy_id is not null and o.created_at >= ? and o.created_at < ? "
        f"and o.status != 'spam' {only} group by 1, 2",
        [*span, *only_params],
    )
    signed = _signed(db, span, only, only_params)
    rows = []
    for d in _deputies(db, town, deputy_id):
        kinds = {kind: activities.get(d["id"], {}).get(kind, 0) for kind in DUTY_ACTIVITIES}
        got = opinions.get(d["id"], {})
        mine = signed.get(d["id"], {})
        row = dict(
            d,
            year=year,
            activities=kinds,
            activity_count=sum(kinds.values()),
            people=people.get(d["id"], {}).get("people") or 0,
            collected=got.get(0, 0),
            through_card=got.get(1, 0),
            led=mine.get("lead", 0),
            cosigned=mine.get("cosign", 0),
            closed=mine.get("closed", 0),
            results={r: mine.get(r, 0) for r in RESULTS},
            verdicts={r: mine.get(f"v:{r}", 0) for r in RATINGS},
            villagers={r: mine.get(f"o:{r}", 0) for r in RATINGS},
        )
        row["verdict_rate"] = _rate(row["verdicts"])
        row["villager_rate"] = _rate(row["villagers"])
        row["points"] = score(row, table)
        rows.append(row)
    return rows


def _signed(db: Database, span: list[str], only: str, only_params: list) -> dict:
    """Per deputy: suggestions led and co-signed, closed, their results, the lead's verdicts
    and the villagers' ratings. One pass over the signers, and the verdicts and ratings
    driven from their own (small) tables."""
    joins = "join suggestions s on s.id = sg.suggestion_id join deputies d on d.id = sg.deputy_id"
    made = f"s.created_at >= ? and s.created_at < ? {only}"
    params = [*span, *only_params]
    figures: dict[int, dict] = {}
    for deputy_id, role, closed, result, count in db.execute(
        f"select sg.deputy_id, sg.role, s.status = '已办结', s.result_class, count(*) "
        f"from suggestion_deputies sg {joins} where {made} group by 1, 2, 3, 4",
        params,
    ).fetchall():
        mine = figures.setdefault(deputy_id, {})
        mine[role] = mine.get(role, 0) + count
        if closed:
            mine["closed"] = mine.get("closed", 0) + count
            if result:
                mine[result] = mine.get(result, 0) + count
    for sql in (
        # The lead's own verdicts, on every closing of the suggestions they led; CROSS JOIN
        # keeps SQLite reading the verdicts first (its own choice probed them per signer).
        "select sg.deputy_id, 'v:' || v.verdict, count(*) from deputy_verdicts v "
        "cross join suggestion_deputies sg on sg.suggestion_id = v.suggestion_id "
        f"and sg.deputy_id = v.deputy_id and sg.role = 'lead' {joins} "
        f"where {made} group by 1, 2",
        # The villagers' ratings of the opinions behind the suggestions a deputy led, from
        # the rated opinions (ratings come after the suggestion is made, in its year or later).
        "select sg.deputy_id, 'o:' || o.rating, count(*) from opinions o "
        "join suggestion_opinions so on so.opinion_id = o.id "
        "join suggestion_deputies sg on sg.suggestion_id = so.suggestion_id and sg.role = 'lead' "
        f"{joins} where o.rated_at >= ? and o.rating is not null and {made} group by 1, 2",
    ):
        extra = [span[0]] if "o.rated_at" in sql else []
        for deputy_id, values in _by_deputy(db, sql, [*extra, *params]).items():
            figures.setdefault(deputy_id, {}).update(values)
    return figures


def _rate(counts: dict) -> Rate:
    return Rate(counts.get("满意", 0) + counts.get("基本满意", 0), sum(counts.values()))


def score(row: dict, table: Mapping) -> float:
    """The year's points: activities by kind, opinions collected, suggestions signed."""
    each = table["activity"]
    total = sum(row["activities"][kind] * each.get(kind, 0) for kind in DUTY_ACTIVITIES)
    total += row["collected"] * table["opinion"]
    total += row["led"] * table["lead"] + row["cosigned"] * table["cosign"]
    return int(total) if float(total).is_integer() else round(total, 1)


def of_deputy(
    db: Database, code: str, year: int, points: Mapping | None = None, town: str | None = None
) -> dict:
    """One deputy's year, with the suggestions they signed listed; `town` confines a
    clerk to their town's deputies (another town's is unknown to them)."""
    deputy = db.execute(
        "select id, town from deputies where code = ?", [(code or "").strip().lower()]
    ).fetchone()
    if deputy is None or (town and deputy[1] != town):
        raise RecordError(f"no deputy with code {code}", f"没有编码为 {code} 的代表")
    (row,) = register(db, year, points=points, deputy_id=deputy[0])
    row["suggestions"] = list(
        db.query(
            "select s.number, s.title, s.status, s.result_class, sg.role, "
            "(select v.verdict from deputy_verdicts v where v.suggestion_id = s.id "
            "and v.closed_at = s.closed_at) as verdict from suggestion_deputies sg "
            "join suggestions s on s.id = sg.suggestion_id where sg.deputy_id = ? "
            "and s.created_at >= ? and s.created_at < ? order by sg.role desc, s.id",
            [deputy[0], *_span(year)],
        )
    )
    row["points_table"] = points_table(points)
    return row


def bulletin(db: Database, p: Period, town: str | None) -> dict:
    """The bulletin's deputies table (a town: per deputy; the county: per town) and the
    deputies' 满意率 (verdicts given in the month) beside the villagers'."""
    month = [p.start.isoformat(), p.cutoff]
    days = [p.start.isoformat(), p.end.isoformat()]
    group = "d.id" if town else "d.town"
    label = "d.name" if town else "d.town"
    where, params = ("d.town = ?", [town]) if town else ("1", [])
    rows = db.query(
        f"select {label} as label, count(distinct d.id) as deputies, "
        "coalesce(sum((select count(*) from deputy_activities a where a.deputy_id = d.id "
        "and a.held_on >= ? and a.held_on < ?)), 0) as activities, "
        "coalesce(sum((select sum(a.people) from deputy_activities a where a.deputy_id = d.id "
        "and a.held_on >= ? and a.held_on < ?)), 0) as people, "
        "coalesce(sum((select count(*) from opinions o where o.deputy_id = d.id "
        "and o.created_at >= ? and o.created_at < ? and o.channel != 'form' "
        "and o.status != 'spam')), 0) as collected, "
        "coalesce(sum((select count(*) from suggestion_deputies sg join suggestions s "
        "on s.id = sg.suggestion_id where sg.deputy_id = d.id and sg.role = 'lead' "
        "and s.created_at >= ? and s.created_at < ?)), 0) as led "
        f"from deputies d where {where} and (d.active = 1 or exists (select 1 from "
        "deputy_activities a where a.deputy_id = d.id and a.held_on >= ?)) "
        f"group by {group} order by {label}",
        [*days, *days, *month, *month, *params, days[0]],
    )
    counts = dict(
        db.execute(
            "select v.verdict, count(*) from deputy_verdicts v join suggestions s "
            f"on s.id = v.suggestion_id where v.at >= ? and v.at < ? "
            f"{'and s.town = ?' if town else ''} group by 1",
            [*month, *([town] if town else [])],
        ).fetchall()
    )
    return {
        "rows": list(rows),
        "by_town": town is None,
        "verdicts": [{"label": r, "count": counts.get(r, 0)} for r in RATINGS],
        "rate": _rate(counts),
        "judged": sum(counts.values()),
    }
