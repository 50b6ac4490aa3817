"""Setting up and running the service: `feedback init`, `feedback demo`, `feedback serve`."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from feedback import config, paths, photos, stations
from feedback.context import get_db
from feedback.db import migrate

DEMO_STATIONS = (
    {
        "code": "liulong-ting",
        "name": "六龙村议事亭",
        "town": "甲镇",
        "village": "六龙村",
        "kind": "议事亭",
        "address": "六龙村村委会旁",
    },
    {
        "code": "datang-lianluozhan",
        "name": "大塘村人大代表联络站",
        "town": "甲镇",
        "village": "大塘村",
        "kind": "联络站",
        "address": "大塘村党群服务中心二楼",
    },
    {
        "code": "jiazhen-gonggaolan",
        "name": "甲镇政务公开栏",
        "town": "甲镇",
        "village": "",
        "kind": "公告栏",
        "address": "甲镇人民政府大门东侧",
    },
)


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
    conf = paths.PACKAGE_DIR / "gunicorn_config.py"
    os.environ["FEEDBACK_INSTANCE"] = current_app.instance_path
    os.execv(
        sys.executable,
        [
            sys.executable,
            "-m",
            "gunicorn",
            "-c",
            str(conf),
            "--bind",
            f"{host}:{port}",
            "feedback:create_app()",
        ],
    )
