"""The deputies' record of work (/admin/record, nav 履职积分): the year's 履职积分登记表 of the
county (admins) or the clerk's own town, as a page and in Excel, and each deputy's 述职
summary as a printable page and a PDF. Another town's deputies are a 404 to a clerk."""

from __future__ import annotations

from io import BytesIO

from flask import Blueprint, abort, current_app, render_template, request, send_file

from feedback import clock, deputy_record, reports
from feedback.context import get_db
from feedback.render import duty_report
from feedback.render.fonts import PosterFonts
from feedback.web.auth import login_required
from feedback.web.pages import scope

bp = Blueprint("deputy_record", __name__, url_prefix="/admin/record")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _town() -> str | None:
    """A clerk's own town whatever the URL says (another is a 404); an admin's choice."""
    current = scope()
    if current.role not in ("admin", "clerk"):
        abort(404)
    asked = request.args.get("town") or None
    if current.town is not None:
        if asked is not None and asked != current.town:
            abort(404)
        return current.town
    if asked is not None and asked not in reports.towns(get_db()):
        abort(404)
    return asked


def _year() -> int:
    return deputy_record.check_year(request.args.get("year") or clock.now().year)


def _points() -> dict:
    return current_app.config["FEEDBACK_DUTY_POINTS"]


@bp.get("/", endpoint="index")
@login_required
def index():
    town = _town()
    typed = request.args.get("year") or str(clock.now().year)
    try:
        year = _year()
    except deputy_record.RecordError as error:
        return _index_page(town, typed, [], error.zh, 400)
    rows = deputy_record.register(get_db(), year, town, _points())
    return _index_page(town, str(year), rows, None, 200)


def _index_page(town, year, rows, error, status):
    return render_template(
        "admin/record.html",
        town=town,
        towns=reports.towns(get_db()) if scope().town is None else None,
        year=year,
        rows=rows,
        error=error,
        kinds=duty_report.DUTY_ACTIVITIES,
        note=duty_report.points_note(deputy_record.points_table(_points())),
    ), status


@bp.get("/register.xlsx")
@login_required
def register_xlsx():
    town = _town()
    try:
        year = _year()
    except deputy_record.RecordError as error:
        return render_template("admin/message.html", message=error.zh, back=None), 400
    rows = deputy_record.register(get_db(), year, town, _points())
    data = duty_report.register_xlsx(
        rows, year, town or "全县", deputy_record.points_table(_points())
    )
    name = f"{town or '全县'}-{year}-履职积分登记表.xlsx"
    return send_file(BytesIO(data), XLSX, as_attachment=True, download_name=name)


def _record(code: str) -> dict | tuple:
    """The deputy's year, or the page saying why not (a bad year: 400; a deputy unknown or
    of another town: 404)."""
    town = _town()
    try:
        year = _year()
    except deputy_record.RecordError as error:
        return render_template("admin/message.html", message=error.zh, back=None), 400
    try:
        return deputy_record.of_deputy(get_db(), code, year, _points(), town=town)
    except deputy_record.RecordError:
        abort(404)


@bp.get("/<code>")
@login_required
def report(code: str):
    record = _record(code)
    if isinstance(record, tuple):
        return record
    return render_template(
        "reports/duty_report.html",
        record=record,
        title=duty_report.title(record),
        lines=duty_report.summary_lines(record),
        kinds=duty_report.DUTY_ACTIVITIES,
        result_classes=duty_report.RESULT_CLASSES,
        generated=clock.display(clock.stamp()),
    )


@bp.get("/<code>/pdf")
@login_required
def report_pdf(code: str):
    record = _record(code)
    if isinstance(record, tuple):
        return record
    data = duty_report.pdf(record, PosterFonts.from_config(current_app.config))
    name = f"{record['code']}-{record['year']}-述职.pdf"
    return send_file(BytesIO(data), "application/pdf", download_name=name)
