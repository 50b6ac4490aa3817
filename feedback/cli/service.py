"""Setting up and running the service: `feedback init`, `feedback demo`, `feedback serve`."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from feedback import config, demo, paths, photos, stations
from feedback.context import get_db
from feedback.db import migrate


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
    """Three demo stations (only into a database without stations) and a demo admin and
    clerk to sign in with (only into a demo database without accounts); prints how to sign
    in. Safe to run again: nothing is added twice."""
    db = get_db()
    if demo.add_stations(db):
        click.echo(f"Added {len(demo.STATIONS)} demo stations")
    else:
        click.echo("Stations exist; no demo stations added")
    accounts = demo.add_accounts(db)
    sign_in = f"{current_app.config['FEEDBACK_BASE_URL']}/admin/"
    if accounts:
        click.echo(f"Demo accounts (passwords shown only now), sign in at {sign_in}")
        for account in accounts:
            where = account.town or "every town"
            line = f"  {account.username}  password {account.password}  ({account.role}, {where})"
            click.echo(line)
    elif demo.has_accounts(db):
        click.echo(
            f"Staff accounts exist; sign in at {sign_in} (the demo ones' passwords were printed "
            "when they were made). Another account: feedback user add NAME --role admin"
        )
    else:
        click.echo("No staff account yet. Make one: feedback user add NAME --role admin")


@click.command("serve")
@click.option(
    "--port",
    type=int,
    envvar="FEEDBACK_PORT",
    default=8000,
    show_default=True,
    help="Port to listen on (also $FEEDBACK_PORT).",
)
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@with_appcontext
def serve_command(port: int, host: str) -> None:
    """Run the service with gunicorn on the configured database (migrating it first)."""
    click.get_current_context().invoke(init_command)
    local = config.local_url(port, host)
    click.echo(f"码上提 on {local}  (database {current_app.config['FEEDBACK_DATABASE']})")
    click.echo(f"  health:  {local}/healthz")
    click.echo(f"  staff sign-in (工作台): {local}/admin/")
    click.echo(f"  status lookup (查询码): {local}/t")
    for station in stations.list_stations(get_db(), active_only=True)[:10]:
        click.echo(f"  {station['name']}: {local}/s/{station['code']}")
    conf = paths.PACKAGE_DIR / "gunicorn_config.py"
    os.environ["FEEDBACK_INSTANCE"] = current_app.instance_path
    # The workers' default base URL (QR codes on the stations page) follows the port served.
    os.environ["FEEDBACK_PORT"] = str(port)
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
