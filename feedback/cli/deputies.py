"""`feedback deputy ...`: the registry of deputies and their cards (代表码)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from feedback import deputies, stations
from feedback.cli.stations import poster_fonts, reject_rows
from feedback.context import get_db
from feedback.labels import DEPUTY_LEVELS
from feedback.render import cards


@click.group("deputy")
def deputy_group() -> None:
    """People's-congress deputies: the registry, their stations and their cards."""


@deputy_group.command("add")
@click.argument("code")
@click.argument("name")
@click.option("--town", required=True, help="The deputy's town (a known one).")
@click.option(
    "--level",
    type=click.Choice(DEPUTY_LEVELS),
    default="乡镇",
    show_default=True,
    help="The congress the deputy was elected to.",
)
@click.option(
    "--station",
    "station_codes",
    multiple=True,
    help="A station of the town the deputy is posted to (repeat for several; the first "
    "receives what is sent to the deputy's own code).",
)
@click.option("--phone", default="", help="The deputy's mobile number.")
@with_appcontext
def deputy_add(
    code: str, name: str, town: str, level: str, station_codes: tuple[str, ...], phone: str
) -> None:
    """Add a deputy. CODE is 2-32 characters of a-z, 0-9 and '-' (part of /d/CODE)."""
    values = {
        "code": code,
        "name": name,
        "town": town,
        "level": level,
        "stations": list(station_codes),
        "phone": phone,
    }
    try:
        deputy = deputies.add(get_db(), values)
    except deputies.DeputyError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"Added {deputy['code']}: {deputy['name']} → {_url(deputy['code'])}")
    if deputies.receiving_station(deputy) is None:
        click.echo(
            f"Warning: {deputy['code']} is posted to no active station: their code takes no "
            "opinions until they are",
            err=True,
        )


@deputy_group.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@with_appcontext
def deputy_import(file: Path) -> None:
    """Import deputies from a CSV file (UTF-8, UTF-8 with BOM, or GBK as Excel saves it).

    Columns: code,name,town,level,stations,phone; stations are codes separated by spaces.
    A file with any bad row imports nothing.
    """
    try:
        added = deputies.import_csv(get_db(), file.read_bytes(), filename=file.name)
    except deputies.ImportRejected as rejected:
        reject_rows(file, rejected)
    except deputies.DeputyError as error:
        raise click.ClickException(f"{file}: {error}") from None
    click.echo(f"Imported {len(added)} deputies from {file}")


@deputy_group.command("list")
@click.option("--town", help="Only this town's deputies.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@with_appcontext
def deputy_list(town: str | None, as_json: bool) -> None:
    """List deputies with their stations."""
    rows = [
        dict(
            {key: d[key] for key in ("code", "name", "town", "level", "phone", "created_at")},
            active=bool(d["active"]),
            stations=[s["code"] for s in d["stations"]],
            url=_url(d["code"]),
        )
        for d in deputies.listing(get_db(), town)
    ]
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    if not rows:
        click.echo("No deputies")
    for d in rows:
        state = "" if d["active"] else "  [retired]"
        posted = " ".join(d["stations"]) or "(no station)"
        click.echo(f"{d['code']:<24} {d['town']} {d['level']} {d['name']}  {posted}{state}")


@deputy_group.command("retire")
@click.argument("codes", nargs=-1, required=True)
@with_appcontext
def deputy_retire(codes: tuple[str, ...]) -> None:
    """Retire deputies: their record stays, their code stops taking opinions."""
    db = get_db()
    unknown = [code for code in codes if deputies.get(db, code) is None]
    if unknown:
        raise click.ClickException(f"no deputy with code {', '.join(unknown)}")
    for code in codes:
        try:
            deputies.retire(db, code)
        except deputies.DeputyError as error:
            raise click.ClickException(str(error)) from None
        click.echo(f"Retired {code}")


@deputy_group.command("card")
@click.argument("codes", nargs=-1, required=True)
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("qrcodes"),
    show_default=True,
    help="Folder for the card files.",
)
@click.option(
    "--size",
    type=click.Choice(list(cards.SIZES), case_sensitive=False),
    default="A5",
    show_default=True,
    help="A5 for a plaque, A4 for a wall.",
)
@with_appcontext
def deputy_card(codes: tuple[str, ...], out_dir: Path, size: str) -> None:
    """Write CODE.pdf and CODE.png (300 dpi) for each deputy: the QR of /d/CODE."""
    db = get_db()
    found = [deputies.get(db, code) for code in codes]
    unknown = [code for code, deputy in zip(codes, found, strict=True) if deputy is None]
    if unknown:
        raise click.ClickException(f"no deputy with code {', '.join(unknown)}")
    retired = [d["code"] for d in found if not d["active"]]
    if retired:
        raise click.ClickException(f"retired: {', '.join(retired)} (their code takes no opinions)")
    base_url = current_app.config["FEEDBACK_BASE_URL"]
    warning = stations.base_url_warning(base_url)
    if warning:
        click.echo(warning, err=True)
    fonts, title = poster_fonts(), current_app.config["FEEDBACK_POSTER_TITLE"]
    for deputy in found:
        missing = fonts.missing(cards.texts(deputy, title))
        if missing:
            click.echo(f"Warning: {deputy['code']}: the font lacks {''.join(missing)}", err=True)
        if deputies.receiving_station(deputy) is None:
            click.echo(f"Warning: {deputy['code']} has no active station yet", err=True)
    with click.progressbar(length=len(found), label="Cards", file=sys.stderr) as bar:
        written = cards.write_cards(
            found, base_url, out_dir, fonts, title, size.upper(), lambda _f: bar.update(1)
        )
    for files in written:
        click.echo(f"{files.code}: {files.pdf} {files.png}")


def _url(code: str) -> str:
    return deputies.deputy_url(current_app.config["FEEDBACK_BASE_URL"], code)
