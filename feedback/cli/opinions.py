"""`feedback opinion ...`: opinions gathered offline, and their receipt slips."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from feedback import clock, opinions, receipts, similar_opinions, stations
from feedback import imports as opinion_import_
from feedback.cli.stations import poster_fonts, reject_rows
from feedback.context import get_db
from feedback.labels import CHANNELS
from feedback.render import slips

SLIP_SIZE_OPTION = click.option(
    "--slip-size",
    type=click.Choice(sorted(slips.SIZES), case_sensitive=False),
    default="a6",
    show_default=True,
    help="A6 sheets, or 80 mm receipt-printer rolls.",
)


@click.group("opinion")
def opinion_group() -> None:
    """Opinions gathered offline: paper forms, market-day stalls, home visits."""


@opinion_group.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--station", "code", required=True, help="Station the opinions belong to.")
@click.option(
    "--channel",
    default="paper",
    show_default=True,
    help="How they were gathered: "
    + ", ".join(f"{code} ({label})" for code, label in CHANNELS.items() if code != "form"),
)
@click.option("--collected-by", help="The deputy or clerk who gathered them.")
@click.option(
    "--allow-duplicate",
    is_flag=True,
    help="Import even if this file or these rows were imported before.",
)
@click.option("--json", "as_json", is_flag=True, help="Print a JSON list of {id, receipt}.")
@click.option(
    "--slips",
    "slips_pdf",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Also write a PDF of receipt slips, one a page, to hand out.",
)
@SLIP_SIZE_OPTION
@with_appcontext
def opinion_import(
    file: Path,
    code: str,
    channel: str,
    collected_by: str | None,
    allow_duplicate: bool,
    as_json: bool,
    slips_pdf: Path | None,
    slip_size: str,
) -> None:
    """Import opinions from a CSV file (UTF-8, UTF-8 with BOM, GBK) or an .xlsx workbook.

    Columns body,category,created_at,name,phone (only body required; Chinese headers
    内容,类别,时间,姓名,电话 also work). A file with any bad row imports nothing.
    """
    db = get_db()
    station = stations.get(db, code)
    if station is None:
        raise click.ClickException(f"no station with code {code}")
    try:
        channel = opinion_import_.channel_code(channel)
        data = file.read_bytes()
        digest = opinion_import_.file_digest(data)
        if not allow_duplicate:
            _refuse_repeated_file(db, station, digest)
        categories = current_app.config["FEEDBACK_CATEGORIES"]
        parsed = opinion_import_.parse(file.name, data, station["id"], categories, clock.now())
        repeated = (
            [] if allow_duplicate else opinion_import_.duplicate_rows(db, station["id"], parsed)
        )
        if repeated:
            raise opinion_import_.RowsRejected(repeated)
    except opinion_import_.RowsRejected as rejected:
        reject_rows(file, rejected)
    except opinion_import_.ImportRefused as error:
        raise click.ClickException(f"{file}: {error}; nothing was imported") from None
    with click.progressbar(length=len(parsed), label="Importing", file=sys.stderr) as bar:
        import_id, done = opinion_import_.store(
            db,
            station["id"],
            file.name,
            digest,
            parsed,
            channel,
            collected_by,
            "cli",
            on_row=lambda: bar.update(1),
        )
    if slips_pdf:
        _write_slips(db, slips_pdf, [row.id for row in done], slip_size)
    if as_json:
        rows = [{"id": row.id, "receipt": receipts.display(row.receipt)} for row in done]
        click.echo(json.dumps(rows, ensure_ascii=False))
        return
    for row in done:
        click.echo(f"line {row.line}: #{row.id} {receipts.display(row.receipt)}")
    click.echo(f"Imported {len(done)} opinions for {station['code']} (import #{import_id})")
    if slips_pdf:
        click.echo(f"Receipt slips: {slips_pdf}")


@opinion_group.command("slips")
@click.argument("receipt_codes", nargs=-1)
@click.option("--import", "import_id", type=int, help="Every opinion of this import.")
@click.option(
    "--out",
    "out",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="The PDF to write.",
)
@SLIP_SIZE_OPTION
@with_appcontext
def opinion_slips(
    receipt_codes: tuple[str, ...], import_id: int | None, out: Path, slip_size: str
) -> None:
    """Print receipt slips (A6 or 80 mm) for opinions by receipt code or by import."""
    db = get_db()
    ids = []
    for typed in receipt_codes:
        opinion = opinions.by_receipt(db, typed)
        if opinion is None:
            raise click.ClickException(f"no opinion with receipt {typed}")
        ids.append(opinion["id"])
    if import_id is not None:
        ids += [
            row["id"]
            for row in db.query(
                "select id from opinions where import_id = ? order by id", [import_id]
            )
        ]
    if not ids:
        raise click.ClickException("no opinions: give receipt codes or --import N")
    _write_slips(db, out, ids, slip_size)
    click.echo(f"Wrote {len(ids)} slip(s) to {out}")


def _write_slips(db, out: Path, opinion_ids: list[int], size: str) -> None:
    fonts = poster_fonts()
    rows = (
        (opinion, db["stations"].get(opinion["station_id"]))
        for opinion in (db["opinions"].get(opinion_id) for opinion_id in opinion_ids)
    )
    out.parent.mkdir(parents=True, exist_ok=True)
    slips.write_slips(out, rows, current_app.config["FEEDBACK_BASE_URL"], fonts, size)


def _refuse_repeated_file(db, station: dict, digest: str) -> None:
    """Checked before any row is read: a file imported twice is refused at once."""
    earlier = opinion_import_.already_imported(db, station["id"], digest)
    if earlier:
        raise opinion_import_.ImportRefused(
            f"this file was already imported for {station['code']} on "
            f"{clock.display(earlier['created_at'])} (import #{earlier['id']}, "
            f"{earlier['rows']} opinions); use --allow-duplicate to import it again"
        )


@click.command("similar")
@click.argument("opinion_id", type=int)
@click.option(
    "--limit", default=5, show_default=True, type=click.IntRange(1, 100), help="How many to list."
)
@click.option("--json", "as_json", is_flag=True, help='Print [{"id", "score", "body"}].')
@with_appcontext
def similar_command(opinion_id: int, limit: int, as_json: bool) -> None:
    """The opinions most similar to opinion ID (same town), best first."""
    try:
        found = similar_opinions.similar(
            get_db(), current_app.config["FEEDBACK_DATABASE"], opinion_id, limit
        )
    except KeyError:
        raise click.ClickException(f"no opinion with id {opinion_id}") from None
    if as_json:
        rows = [{"id": r["id"], "score": r["score"], "body": r["body"]} for r in found]
        click.echo(json.dumps(rows, ensure_ascii=False))
        return
    if not found:
        click.echo("No similar opinions")
    for row in found:
        click.echo(f"#{row['id']:<8} {row['score']:.3f}  {row['station_name']}  {row['body']}")


@click.command("groups")
@click.option("--town", required=True, help="The town whose pending opinions to group.")
@click.option("--json", "as_json", is_flag=True, help='Print [{"ids": [...], "score": ...}].')
@with_appcontext
def groups_command(town: str, as_json: bool) -> None:
    """The groups of similar pending opinions of a town, best first, as the staff groups page
    shows them; an opinion in no group is not listed."""
    db = get_db()
    towns = stations.towns(db)
    if town not in towns:
        raise click.BadParameter(
            f"unknown town {town!r} (known: {', '.join(towns) or 'none yet'})",
            param_hint="'--town'",
        )
    found = similar_opinions.pending_groups(db, current_app.config["FEEDBACK_DATABASE"], town)
    if as_json:
        rows = [{"ids": [o["id"] for o in g.members], "score": g.score} for g in found]
        click.echo(json.dumps(rows, ensure_ascii=False))
        return
    if not found:
        click.echo(f"No groups among the pending opinions of {town}")
    for number, group in enumerate(found, 1):
        click.echo(f"Group {number}: {len(group.members)} opinions, score {group.score:.3f}")
        for row in group.members:
            click.echo(f"  #{row['id']:<8} {row['station_name']}  {row['body']}")
