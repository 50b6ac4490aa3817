"""The `feedback` command line (also `flask --app feedback ...`)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click
from flask import current_app
from flask.cli import FlaskGroup, with_appcontext

from feedback import config, photos, stations, users
from feedback.db import get_db, migrate

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
    from feedback.cli_opinions import opinion_group, similar_command
    from feedback.cli_ops import backup_command, purge_contacts_command
    from feedback.cli_reports import report_command
    from feedback.cli_stations import poster_command, posters_command, station_group

    for command in (init_command, demo_command, station_group, opinion_group, poster_command,
                    posters_command, serve_command, user_group, similar_command,
                    backup_command, purge_contacts_command, report_command):  # fmt: skip
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


@click.group("user")
def user_group() -> None:
    """Staff accounts."""


@user_group.command("add")
@click.argument("name")
@click.option("--role", type=click.Choice(users.ROLES), required=True,
              help="admin: every town; clerk: one town.")  # fmt: skip
@click.option("--town", help="The clerk's town.")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@with_appcontext
def user_add(name: str, role: str, town: str | None, password_stdin: bool) -> None:
    """Add a staff account; the password is asked for (or read from stdin)."""
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        user = users.add(get_db(), name, password, role, town)
    except users.UserError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"Added {user['role']} {user['username']} ({user['town'] or 'every town'})")


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
