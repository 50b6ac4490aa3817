"""`feedback station ...`, `feedback poster` and `feedback posters`."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from feedback import stations
from feedback.context import get_db
from feedback.labels import STATION_KINDS
from feedback.render import poster_layout, posters
from feedback.render.fonts import FontMissing, PosterFonts


@click.group("station")
def station_group() -> None:
    """Manage stations (the places where posters hang)."""


@station_group.command("add")
@click.argument("code")
@click.argument("name")
@click.option("--town", required=True, help="Town (镇/街道) the station belongs to.")
@click.option("--village", default="", help="Village or community.")
@click.option("--kind", default="其他", help=f"One of {', '.join(STATION_KINDS)}.")
@click.option("--address", default="", help="Where exactly the poster hangs.")
@with_appcontext
def station_add(code: str, name: str, town: str, village: str, kind: str, address: str) -> None:
    """Add a station. CODE is 2-32 characters of a-z, 0-9 and '-'."""
    values = {
        "code": code,
        "name": name,
        "town": town,
        "village": village,
        "kind": kind,
        "address": address,
    }
    try:
        station = stations.add(get_db(), values)
    except stations.StationError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"Added {station['code']}: {station['name']} → {station_url(station['code'])}")


@station_group.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@with_appcontext
def station_import(file: Path) -> None:
    """Import stations from a CSV file (UTF-8, UTF-8 with BOM, or GBK as Excel saves it).

    Columns: code,name,town,village,kind,address. A file with any bad row imports nothing.
    """
    try:
        added = stations.import_csv(get_db(), file.read_bytes())
    except stations.ImportRejected as rejected:
        reject_rows(file, rejected)
    except stations.StationError as error:
        raise click.ClickException(f"{file}: {error}") from None
    click.echo(f"Imported {len(added)} stations from {file}")


@station_group.command("list")
@click.option("--town", help="Only this town's stations.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@with_appcontext
def station_list(town: str | None, as_json: bool) -> None:
    """List stations."""
    rows = [
        dict(s, active=bool(s["active"]), url=station_url(s["code"]))
        for s in stations.list_stations(get_db(), town)
    ]
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    if not rows:
        click.echo("No stations")
    for s in rows:
        state = "" if s["active"] else "  [disabled]"
        click.echo(f"{s['code']:<24} {s['town']} {s['village']} {s['name']} ({s['kind']}){state}")


@station_group.command("disable")
@click.argument("codes", nargs=-1, required=True)
@with_appcontext
def station_disable(codes: tuple[str, ...]) -> None:
    """Disable stations: their form answers 404 and `posters` skips them."""
    _set_active(codes, False)


@station_group.command("enable")
@click.argument("codes", nargs=-1, required=True)
@with_appcontext
def station_enable(codes: tuple[str, ...]) -> None:
    """Enable disabled stations again."""
    _set_active(codes, True)


def _set_active(codes: tuple[str, ...], active: bool) -> None:
    db = get_db()
    unknown = [code for code in codes if stations.get(db, code) is None]
    if unknown:
        raise click.ClickException(f"no station with code {', '.join(unknown)}")
    for code in codes:
        stations.set_active(db, code, active)
        click.echo(f"{'Enabled' if active else 'Disabled'} {code}")


SIZE_OPTION = click.option(
    "--size",
    type=click.Choice(["A4", "A3"], case_sensitive=False),
    default="A4",
    show_default=True,
    help="Paper size.",
)
OUT_OPTION = click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("qrcodes"),
    show_default=True,
    help="Folder for the poster files.",
)


@click.command("poster")
@click.argument("codes", nargs=-1, required=True)
@OUT_OPTION
@SIZE_OPTION
@with_appcontext
def poster_command(codes: tuple[str, ...], out_dir: Path, size: str) -> None:
    """Write CODE.pdf, CODE.png (300 dpi) and CODE-share.png for each station."""
    db = get_db()
    found = [stations.get(db, code) for code in codes]
    unknown = [code for code, station in zip(codes, found, strict=True) if station is None]
    if unknown:
        raise click.ClickException(f"no station with code {', '.join(unknown)}")
    _print_posters(found, out_dir, size.upper(), combined=None)


@click.command("posters")
@click.option("--town", help="Only this town's stations.")
@OUT_OPTION
@SIZE_OPTION
@with_appcontext
def posters_command(town: str | None, out_dir: Path, size: str) -> None:
    """Posters for every active station (of a town), plus one combined multi-page PDF."""
    chosen = stations.list_stations(get_db(), town, active_only=True)
    if not chosen:
        raise click.ClickException(f"no active stations{' in ' + town if town else ''}")
    # A town name is not a path: no separators, no leading dots.
    label = re.sub(r'[\\/:*?"<>|\x00-\x1f]', "_", town or "all").lstrip(".") or "town"
    combined = out_dir / f"{label}-posters.pdf"
    _print_posters(chosen, out_dir, size.upper(), combined)
    click.echo(f"Combined PDF: {combined} ({len(chosen)} pages)")


def _print_posters(chosen: list[dict], out_dir: Path, size: str, combined: Path | None) -> None:
    base_url = current_app.config["FEEDBACK_BASE_URL"]
    warning = stations.base_url_warning(base_url)
    if warning:
        click.echo(warning, err=True)
    fonts = poster_fonts()
    title = current_app.config["FEEDBACK_POSTER_TITLE"]
    for station in chosen:
        missing = fonts.missing(station["name"] + poster_layout.place_line(station) + title)
        if missing:
            click.echo(f"Warning: {station['code']}: the font lacks {''.join(missing)}", err=True)
    with click.progressbar(length=len(chosen), label="Posters", file=sys.stderr) as bar:
        written = posters.write_batch(
            chosen,
            base_url,
            out_dir,
            fonts,
            title,
            size,
            combined,
            on_done=lambda _files: bar.update(1),
        )
    for files in written:
        click.echo(f"{files.code}: {files.pdf} {files.png} {files.share}")


def reject_rows(file: Path, rejected: Exception) -> None:
    """Name every bad line of a refused file on stderr, then fail with the summary."""
    for error in rejected.errors:  # type: ignore[attr-defined]
        click.echo(f"{file}: {error}", err=True)
    raise click.ClickException(f"{file}: {rejected}")


def station_url(code: str) -> str:
    return stations.station_url(current_app.config["FEEDBACK_BASE_URL"], code)


def poster_fonts() -> PosterFonts:
    try:
        return PosterFonts.from_config(current_app.config)
    except FontMissing as error:
        raise click.ClickException(str(error)) from None
