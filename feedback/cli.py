"""The `feedback` command line (also `flask --app feedback ...`)."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import click
from flask import current_app
from flask.cli import FlaskGroup, with_appcontext

from feedback import clock, config, photos, poster_layout, posters, receipts, stations
from feedback import opinion_import as opinion_import_
from feedback.db import get_db, migrate
from feedback.fonts import FontMissing, PosterFonts
from feedback.schema import CHANNELS, STATION_KINDS

DEMO_STATIONS = (
    {"code": "liulong-ting", "name": "六龙村议事亭", "town": "甲镇", "village": "六龙村",
     "kind": "议事亭", "address": "六龙村村委会旁"},
    {"code": "datang-lianluozhan", "name": "大塘村人大代表联络站", "town": "甲镇",
     "village": "大塘村", "kind": "联络站", "address": "大塘村党群服务中心二楼"},
    {"code": "jiazhen-gonggaolan", "name": "甲镇政务公开栏", "town": "甲镇", "village": "",
     "kind": "公告栏", "address": "甲镇人民政府大门东侧"},
)  # fmt: skip


def main() -> None:
    from feedback import create_app

    FlaskGroup(create_app=create_app, name="feedback", help="码上提 — administration.")(
        prog_name="feedback"
    )


def init_app(app) -> None:
    for command in (init_command, demo_command, station_group, opinion_group, poster_command,
                    posters_command, serve_command):  # fmt: skip
        app.cli.add_command(command)


@click.command("init")
@with_appcontext
def init_command() -> None:
    """Create the instance folder, its config with a secret key, and the database (idempotent)."""
    instance = Path(current_app.instance_path)
    if config.write_instance_config(instance):
        click.echo(f"Wrote {instance / 'config.py'} with a new SECRET_KEY")
        current_app.config.from_pyfile("config.py")
    db = get_db()
    applied = migrate(db)
    database = current_app.config["FEEDBACK_DATABASE"]
    referenced = {row[0] for row in db.execute("select filename from photos")}
    removed = photos.sweep_orphans(Path(current_app.instance_path) / "photos", referenced)
    if removed:
        click.echo(f"Removed {removed} photo file(s) left by an interrupted submission")
    click.echo(
        f"Database {database}: applied {', '.join(applied)}"
        if applied
        else f"Database {database} is up to date"
    )


@click.command("demo")
@with_appcontext
def demo_command() -> None:
    """Add three demo stations, only when there are no stations at all."""
    db = get_db()
    if db["stations"].count:
        click.echo("Stations exist; no demo stations added")
        return
    for station in DEMO_STATIONS:
        stations.add(db, station, actor="demo")
    click.echo(f"Added {len(DEMO_STATIONS)} demo stations")


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
    values = {"code": code, "name": name, "town": town, "village": village, "kind": kind,
              "address": address}  # fmt: skip
    try:
        station = stations.add(get_db(), values)
    except stations.StationError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"Added {station['code']}: {station['name']} → {_url(station['code'])}")


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
        for error in rejected.errors:
            click.echo(f"{file}: {error}", err=True)
        raise click.ClickException(f"{file}: {rejected}") from None
    except stations.StationError as error:
        raise click.ClickException(f"{file}: {error}") from None
    click.echo(f"Imported {len(added)} stations from {file}")


@station_group.command("list")
@click.option("--town", help="Only this town's stations.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@with_appcontext
def station_list(town: str | None, as_json: bool) -> None:
    """List stations."""
    rows = [dict(s, active=bool(s["active"]), url=_url(s["code"]))
            for s in stations.list_stations(get_db(), town)]  # fmt: skip
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
@with_appcontext
def opinion_import(file: Path, code: str, channel: str, collected_by: str | None,
                   allow_duplicate: bool, as_json: bool) -> None:  # fmt: skip
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
        parsed = opinion_import_.parse(
            file.name,
            file.read_bytes(),
            station["id"],
            current_app.config["FEEDBACK_CATEGORIES"],
            clock.now(),
        )
        digest = opinion_import_.file_digest(file.read_bytes())
        if not allow_duplicate:
            _refuse_duplicates(db, station, file, digest, parsed)
    except opinion_import_.RowsRejected as rejected:
        for error in rejected.errors:
            click.echo(f"{file}: {error}", err=True)
        raise click.ClickException(f"{file}: {rejected}") from None
    except opinion_import_.ImportRefused as error:
        raise click.ClickException(f"{file}: {error}") from None
    with click.progressbar(length=len(parsed), label="Importing", file=sys.stderr) as bar:
        import_id, done = opinion_import_.store(
            db, station["id"], file.name, digest, parsed, channel, collected_by, "cli",
            on_row=lambda: bar.update(1),
        )  # fmt: skip
    if as_json:
        rows = [{"id": row.id, "receipt": receipts.display(row.receipt)} for row in done]
        click.echo(json.dumps(rows, ensure_ascii=False))
        return
    for row in done:
        click.echo(f"line {row.line}: #{row.id} {receipts.display(row.receipt)}")
    click.echo(f"Imported {len(done)} opinions for {station['code']} (import #{import_id})")


def _refuse_duplicates(db, station: dict, file: Path, digest: str, parsed: list) -> None:
    earlier = opinion_import_.already_imported(db, station["id"], digest)
    if earlier:
        raise opinion_import_.ImportRefused(
            f"this file was already imported for {station['code']} on "
            f"{clock.display(earlier['created_at'])} (import #{earlier['id']}, "
            f"{earlier['rows']} opinions); use --allow-duplicate to import it again"
        )
    repeated = opinion_import_.duplicate_rows(db, station["id"], parsed)
    if repeated:
        raise opinion_import_.RowsRejected(repeated)


SIZE_OPTION = click.option(
    "--size", type=click.Choice(["A4", "A3"], case_sensitive=False), default="A4",
    show_default=True, help="Paper size.",
)  # fmt: skip
OUT_OPTION = click.option(
    "--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), default=Path("qrcodes"),
    show_default=True, help="Folder for the poster files.",
)  # fmt: skip


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
    combined = out_dir / f"{town or 'all'}-posters.pdf"
    _print_posters(chosen, out_dir, size.upper(), combined)
    click.echo(f"Combined PDF: {combined} ({len(chosen)} pages)")


def _print_posters(chosen: list[dict], out_dir: Path, size: str, combined: Path | None) -> None:
    base_url = current_app.config["FEEDBACK_BASE_URL"]
    if config.is_loopback_url(base_url):
        click.echo(
            f"Warning: FEEDBACK_BASE_URL is {base_url}, a loopback address: these QR codes only "
            "work on this machine. Set FEEDBACK_BASE_URL to the public address before printing.",
            err=True,
        )
    try:
        fonts = PosterFonts.from_config(current_app.config)
    except FontMissing as error:
        raise click.ClickException(str(error)) from None
    title = current_app.config["FEEDBACK_POSTER_TITLE"]
    for station in chosen:
        missing = fonts.missing(station["name"] + poster_layout.place_line(station) + title)
        if missing:
            click.echo(f"Warning: {station['code']}: the font lacks {''.join(missing)}", err=True)
    with click.progressbar(length=len(chosen), label="Posters", file=sys.stderr) as bar:
        written = posters.write_batch(chosen, base_url, out_dir, fonts, title, size, combined,
                                      on_done=lambda _files: bar.update(1))  # fmt: skip
    for files in written:
        click.echo(f"{files.code}: {files.pdf} {files.png} {files.share}")


@click.command("serve")
@click.option("--port", default=8000, show_default=True, help="Port to listen on.")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@with_appcontext
def serve_command(port: int, host: str) -> None:
    """Run the service with gunicorn on the configured database (migrating it first)."""
    click.get_current_context().invoke(init_command)
    local = f"http://{'127.0.0.1' if host in ('0.0.0.0', '::') else host}:{port}"
    click.echo(f"码上提 on {local}  (database {current_app.config['FEEDBACK_DATABASE']})")
    click.echo(f"  health:  {local}/healthz")
    click.echo(f"  status lookup (查询码): {local}/t")
    for station in stations.list_stations(get_db(), active_only=True)[:10]:
        click.echo(f"  {station['name']}: {local}/s/{station['code']}")
    conf = Path(__file__).with_name("gunicorn_config.py")
    os.environ["FEEDBACK_INSTANCE"] = current_app.instance_path
    os.execv(sys.executable, [sys.executable, "-m", "gunicorn", "-c", str(conf),
                              "--bind", f"{host}:{port}", "feedback:create_app()"])  # fmt: skip


def _url(code: str) -> str:
    return stations.station_url(current_app.config["FEEDBACK_BASE_URL"], code)
