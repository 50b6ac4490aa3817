"""The bulletin on a staff page, for a month, a quarter or a half-year, and its downloads.

A clerk's report is their own town's, whatever the URL says: asking for another town is a
404, like every other object outside their access. Admins pick any town or the whole county.

The period is one of ?month=2026-03, ?quarter=2026-Q3 or ?half=2026-H2 (none: this month).
The picker sends its three fields with the button pressed as `by`, which says which one
counts; a URL naming two periods without `by` is refused, like a bad value, with a Chinese
message and a 400.
"""

from __future__ import annotations

import io

from flask import Blueprint, abort, render_template, request, send_file
from sqlite_utils import Database

from feedback import periods, reports
from feedback.context import categories, get_db
from feedback.render import bulletin, ledger
from feedback.web.auth import login_required
from feedback.web.pages import scope

bp = Blueprint("reports", __name__, url_prefix="/admin/reports")

DOWNLOADS = {
    "report.xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "台账"),
    "report.csv": ("text/csv; charset=utf-8", "报表"),
    "opinions.csv": ("text/csv; charset=utf-8", "群众意见"),
}


def _town(db: Database) -> tuple[str | None, list[str] | None]:
    """The town to report on and the towns to offer (None: a clerk has no choice)."""
    current = scope()
    asked = request.args.get("town") or None
    if current.town is not None:
        if asked is not None and asked != current.town:
            abort(404)
        return current.town, None
    known = reports.towns(db)
    if asked is not None and asked not in known:
        abort(404)
    return asked, known


NOUNS = {"month": "月份", "quarter": "季度", "half": "半年"}


def _asked() -> tuple[str, str]:
    """(kind, value) of the period asked for; PeriodError when it cannot be told."""
    given = {kind: request.args.get(kind, "").strip()[:20] for kind in periods.KINDS}
    by = request.args.get("by")
    if by in periods.KINDS:
        return by, given[by]
    named = [kind for kind in periods.KINDS if given[kind]]
    if len(named) > 1:
        both = "和".join(NOUNS[kind] for kind in named)
        raise periods.PeriodError(
            f"give only one of month, quarter or half (got {', '.join(named)})",
            f"链接里同时有{both},只能选一种统计期:月份、季度或半年",
        )
    if not named:
        return "month", periods.current("month")
    return named[0], given[named[0]]


def _picker(period: periods.Period | None, town: str | None, towns: list[str] | None) -> dict:
    """What the picker shows: the period asked for in its own field, the others at now
    (all at now after a refused one)."""
    chosen = {k: periods.current(k) for k in periods.KINDS}
    options = {k: periods.recent(k) for k in ("quarter", "half")}
    args = {}
    if period is not None:
        chosen[period.kind] = period.key
        args = {period.kind: period.key}
        listed = options.get(period.kind, [])  # one asked for by URL, beyond the list, shows
        if period.kind in options and period.key not in {key for key, _label in listed}:
            listed.insert(0, (period.key, period.label))
    return {
        "chosen": chosen,
        "options": options,
        "town": town,
        "towns": towns,
        "this_month": periods.current("month"),
        "args": {**args, **({"town": town} if town else {})},
    }


@bp.get("/", endpoint="index")
@login_required
def index():
    town, towns = _town(get_db())
    try:
        kind, value = _asked()
        period = periods.parse(kind, value)
    except periods.PeriodError as error:
        page = _picker(None, town, towns)
        return render_template("reports/page.html", report=None, error=error.zh, **page), 400
    page = _picker(period, town, towns)
    report = reports.build(get_db(), period, town, dict(categories()))
    return render_template("reports/page.html", **page, **bulletin.context(report, links=True))


@bp.get("/<any('report.xlsx', 'report.csv', 'opinions.csv'):kind>", endpoint="download")
@login_required
def download(kind: str):
    db = get_db()
    town, _towns = _town(db)
    try:
        period = periods.parse(*_asked())
    except periods.PeriodError as error:
        return render_template("admin/message.html", message=error.zh), 400
    report = reports.build(db, period, town, dict(categories()))
    if kind == "report.xlsx":
        data = ledger.workbook(db, report)
    elif kind == "report.csv":
        data = ledger.report_csv(report)
    else:
        data = ledger.opinions_csv(db, report)
    mimetype, name = DOWNLOADS[kind]
    filename = f"{report['area']}-{report['key']}-{name}.{kind.rsplit('.', 1)[1]}"
    return send_file(
        io.BytesIO(data), mimetype=mimetype, as_attachment=True, download_name=filename, max_age=0
    )
