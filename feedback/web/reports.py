"""The monthly report on a staff page, its downloads, and the bulletin as a standalone file.

A clerk's report is their own town's, whatever the URL says: asking for another town is a
404, like every other object outside their access. Admins pick any town or the whole county.
"""

from __future__ import annotations

import io

from flask import Blueprint, abort, render_template, request, send_file
from sqlite_utils import Database

from feedback import reports
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


def _arguments() -> tuple[str, str | None, list[str] | None]:
    db = get_db()
    town, towns = _town(db)
    month = (request.args.get("month") or reports.current_month()).strip()[:20]
    return month, town, towns


@bp.get("/", endpoint="index")
@login_required
def index():
    month, town, towns = _arguments()
    page = {
        "month": month,
        "town": town,
        "towns": towns,
        "this_month": reports.current_month(),
        "args": {"month": month, **({"town": town} if town else {})},
    }
    try:
        report = reports.build(get_db(), month, town, dict(categories()))
    except reports.MonthError as error:
        page["month"] = reports.current_month()
        return render_template("reports/page.html", report=None, error=error.zh, **page), 400
    return render_template("reports/page.html", **page, **bulletin.context(report, links=True))


@bp.get("/<any('report.xlsx', 'report.csv', 'opinions.csv'):kind>", endpoint="download")
@login_required
def download(kind: str):
    month, town, _towns = _arguments()
    db = get_db()
    try:
        report = reports.build(db, month, town, dict(categories()))
    except reports.MonthError as error:
        return render_template("admin/message.html", message=error.zh), 400
    if kind == "report.xlsx":
        data = ledger.workbook(db, report)
    elif kind == "report.csv":
        data = ledger.report_csv(report)
    else:
        data = ledger.opinions_csv(db, report)
    mimetype, name = DOWNLOADS[kind]
    filename = f"{report['area']}-{report['month']}-{name}.{kind.rsplit('.', 1)[1]}"
    return send_file(
        io.BytesIO(data), mimetype=mimetype, as_attachment=True, download_name=filename, max_age=0
    )
