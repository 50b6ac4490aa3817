"""`feedback report`: the bulletin of a month, quarter or half-year as a file, for the e-mail
or the printer at the period's end (每月一通报、季度一分析、半年一总结).

The file is written next to its destination and then renamed over it, so a reader (or a
sync folder) never sees half a workbook, and a failure leaves any earlier file intact.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from feedback import periods, reports
from feedback.context import get_db
from feedback.render import bulletin, ledger

FORMATS = ("html", "xlsx", "csv")


def write_atomically(target: Path, data: bytes) -> None:
    """Write data to target via a temporary file in the same folder and a rename."""
    folder = target.parent
    if not folder.is_dir():
        raise click.ClickException(f"cannot write {target}: folder {folder} does not exist")
    if target.is_dir():
        raise click.ClickException(f"cannot write {target}: it is a folder")
    try:
        handle, temporary = tempfile.mkstemp(dir=folder, prefix=f".{target.name}.", suffix=".tmp")
    except OSError as error:
        raise click.ClickException(f"cannot write {target}: {error.strerror}") from None
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(temporary, 0o644)
        os.replace(temporary, target)
    except OSError as error:
        Path(temporary).unlink(missing_ok=True)
        raise click.ClickException(f"cannot write {target}: {error.strerror}") from None


PERIOD_OPTIONS = {"month": "--month", "quarter": "--quarter", "half": "--half"}


def chosen_period(given: dict[str, str | None]) -> periods.Period:
    """The one period asked for, checked; an error naming the option otherwise."""
    named = {kind: value for kind, value in given.items() if value is not None}
    options = ", ".join(PERIOD_OPTIONS.values())
    if not named:
        raise click.UsageError(f"give the period: one of {options}")
    if len(named) > 1:
        both = " and ".join(PERIOD_OPTIONS[kind] for kind in named)
        raise click.UsageError(f"give only one of {options} (got {both})")
    ((kind, value),) = named.items()
    try:
        return periods.parse(kind, value)
    except periods.PeriodError as error:
        raise click.BadParameter(str(error), param_hint=f"'{PERIOD_OPTIONS[kind]}'") from None


@click.command("report")
@click.option("--month", help="A month, YYYY-MM, in China time (每月一通报).")
@click.option("--quarter", help="A quarter, YYYY-Qn with n 1-4, e.g. 2026-Q3 (季度一分析).")
@click.option("--half", help="A half-year, YYYY-H1 (January-June) or YYYY-H2 (半年一总结).")
@click.option("--town", help="One town; without it, the whole county.")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(FORMATS),
    help="html (printable bulletin), xlsx (the 台账) or csv (every figure); "
    "default: from the --out file's extension.",
)
@click.option(
    "--out",
    required=True,
    type=click.Path(path_type=Path),
    help="The file to write (replaced atomically).",
)
@with_appcontext
def report_command(
    month: str | None,
    quarter: str | None,
    half: str | None,
    town: str | None,
    fmt: str | None,
    out: Path,
) -> None:
    """Write the bulletin of a town or the whole county for exactly one of --month, --quarter
    or --half."""
    period = chosen_period({"month": month, "quarter": quarter, "half": half})
    fmt = fmt or out.suffix.lstrip(".").lower()
    if fmt not in FORMATS:
        raise click.BadParameter(f"give --format {'|'.join(FORMATS)}", param_hint="'--format'")
    db = get_db()
    if town is not None and town not in reports.towns(db):
        known = ", ".join(reports.towns(db)) or "none yet"
        raise click.BadParameter(f"unknown town {town!r} (known: {known})", param_hint="'--town'")
    report = reports.build(db, period, town, current_app.config["FEEDBACK_CATEGORIES"])
    if fmt == "html":
        data = bulletin.html(report).encode("utf-8")
    elif fmt == "xlsx":
        data = ledger.workbook(db, report)
    else:
        data = ledger.report_csv(report)
    write_atomically(out, data)
    o, s = report["opinions"], report["suggestions"]
    click.echo(
        f"Wrote {out} ({fmt}): {report['area']} {report['key']}, {o['received']} opinions, "
        f"{s['created']} new suggestions, completion {s['completion'].text}, "
        f"satisfaction {report['satisfaction']['rate'].text}, {len(report['overdue'])} overdue, "
        f"{len(report['departments']['rows'])} departments"
    )
