"""The `feedback` command line (also `flask --app feedback ...`): one module per command group,
each command with --help, --json where scripts want it, and errors that name the bad input."""

from __future__ import annotations

from flask import Flask
from flask.cli import FlaskGroup


def main() -> None:
    from feedback import create_app

    FlaskGroup(create_app=create_app, name="feedback", help="码上提 — administration.")(
        prog_name="feedback"
    )


def init_app(app: Flask) -> None:
    from feedback.cli.departments import department_group
    from feedback.cli.deputies import deputy_group
    from feedback.cli.deputy_record import record_command
    from feedback.cli.deputy_record import report_command as duty_report
    from feedback.cli.notify import notify_command
    from feedback.cli.operations import backup_command, purge_contacts_command
    from feedback.cli.opinions import groups_command, opinion_group, similar_command
    from feedback.cli.reports import report_command
    from feedback.cli.service import demo_command, init_command, serve_command
    from feedback.cli.stations import poster_command, posters_command, station_group
    from feedback.cli.towns import town_group
    from feedback.cli.users import user_group
    from feedback.cli.vectors import embed_command

    for command in (
        init_command,
        demo_command,
        station_group,
        town_group,
        department_group,
        deputy_group,
        opinion_group,
        poster_command,
        posters_command,
        serve_command,
        user_group,
        similar_command,
        groups_command,
        backup_command,
        purge_contacts_command,
        report_command,
        embed_command,
        notify_command,
    ):
        app.cli.add_command(command)
    for command in (record_command, duty_report):
        deputy_group.add_command(command)
