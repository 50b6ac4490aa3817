"""`feedback report`: the monthly bulletin as a file, for the month-end e-mail or printer.

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

from feedback import reports
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


@click.command("report")
@click.option("--month", required=True, help="The month, YYYY-MM, in China time.")
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
def report_command(month: str, town: str | None, fmt: str | None, out: Path) -> None:
    """Write the monthly bulletin of a town or the whole county."""
    fmt = fmt or out.suffix.lstrip(".").lower()
    if fmt not in FORMATS:
        raise click.BadParameter(f"give --format {'|'.join(FORMATS)}", param_hint="'--format'")
    db = get_db()
    if town is not None and town not in reports.towns(db):
        known = ", ".join(reports.towns(db)) or "none yet"
        raise click.BadParameter(f"unknown town {town!r} (known: {known})", param_hint="'--town'")
    try:
        report = reports.build(db, month, town, current_app.config["FEEDBACK_CATEGORIES"])
    except reports.MonthError as error:
        raise click.BadParameter(str(error), param_hint="'--month'") from None
    if fmt == "html":
        data = bulletin.html(report).encode("utf-8")
    elif fmt == "xlsx":
        data = ledger.workbook(db, report)
    else:
        data = ledger.report_csv(report)
    write_atomically(out, data)
    o, s = report["opinions"], report["suggestions"]
    click.echo(
        f"Wrote {out} ({fmt}): {report['area']} {report['month']}, {o['received']} opinions, "
        f"{s['created']} new suggestions, completion {s['completion'].text}, "
        f"satisfaction {report['satisfaction']['rate'].text}, {len(report['overdue'])} overdue"
    )
