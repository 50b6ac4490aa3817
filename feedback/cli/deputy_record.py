"""`feedback deputy record` and `feedback deputy report`: the county's (or a town's)
年度履职积分登记表 in Excel, and one deputy's 述职 summary of a year (PDF or HTML)."""

from __future__ import annotations

from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from feedback import deputy_record, reports
from feedback.cli.reports import write_atomically
from feedback.cli.stations import poster_fonts
from feedback.context import get_db
from feedback.render import duty_report


def _year(value: str) -> int:
    try:
        return deputy_record.check_year(value)
    except deputy_record.RecordError as error:
        raise click.BadParameter(str(error), param_hint="'--year'") from None


def _folder(out: Path) -> None:
    if not out.parent.is_dir():
        raise click.BadParameter(f"folder {out.parent} does not exist", param_hint="'--out'")


@click.command("record")
@click.option("--year", required=True, help="The year, e.g. 2026.")
@click.option("--town", help="Only this town's deputies (default: the whole county).")
@click.option("--out", required=True, type=click.Path(path_type=Path), help="FILE.xlsx to write.")
@with_appcontext
def record_command(year: str, town: str | None, out: Path) -> None:
    """Write the year's 年度履职积分登记表 (a row per deputy, retired ones too) in Excel."""
    number = _year(year)
    db = get_db()
    if town is not None and town not in reports.towns(db):
        known = ", ".join(reports.towns(db)) or "none yet"
        raise click.BadParameter(f"unknown town {town!r} (known: {known})", param_hint="'--town'")
    if out.suffix.lower() != ".xlsx":
        raise click.BadParameter("the register is an Excel file: FILE.xlsx", param_hint="'--out'")
    _folder(out)
    points = current_app.config["FEEDBACK_DUTY_POINTS"]
    rows = deputy_record.register(db, number, town, points)
    table = deputy_record.points_table(points)
    write_atomically(out, duty_report.register_xlsx(rows, number, town or "全县", table))
    total = sum(row["points"] for row in rows)
    click.echo(f"Wrote {out}: {town or 'county'} {number}, {len(rows)} deputies, {total} points")


@click.command("report")
@click.argument("code")
@click.option("--year", required=True, help="The year, e.g. 2026.")
@click.option(
    "--out", required=True, type=click.Path(path_type=Path), help="FILE.pdf or FILE.html."
)
@with_appcontext
def report_command(code: str, year: str, out: Path) -> None:
    """Write one deputy's 述职 summary of a year: PDF (the posters' CJK font) or HTML."""
    number = _year(year)
    fmt = out.suffix.lower().lstrip(".")
    if fmt not in ("pdf", "html"):
        raise click.BadParameter("write FILE.pdf or FILE.html", param_hint="'--out'")
    _folder(out)
    try:
        record = deputy_record.of_deputy(
            get_db(), code, number, current_app.config["FEEDBACK_DUTY_POINTS"]
        )
    except deputy_record.RecordError as error:
        raise click.BadParameter(str(error), param_hint="'CODE'") from None
    if fmt == "pdf":
        data = duty_report.pdf(record, poster_fonts())
    else:
        data = duty_report.html(record).encode("utf-8")
    write_atomically(out, data)
    click.echo(f"Wrote {out}: {record['name']} {number}, {record['points']} points")
