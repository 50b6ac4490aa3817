"""Towns from the command line: `feedback town add`, `feedback town list`."""

from __future__ import annotations

import json

import click
from flask.cli import with_appcontext

from feedback import towns
from feedback.context import get_db


@click.group("town")
def town_group() -> None:
    """Towns (镇/街道): added with their first station, or here ahead of it."""


@town_group.command("add")
@click.argument("name")
@with_appcontext
def town_add(name: str) -> None:
    """Add a town before its stations, so its clerks can have accounts."""
    try:
        added = towns.add(get_db(), name)
    except towns.TownError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"Added town {added}")


@town_group.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON list of names.")
@with_appcontext
def town_list(as_json: bool) -> None:
    """The known towns, the names accounts and stations use."""
    known = towns.names(get_db())
    if as_json:
        click.echo(json.dumps(known, ensure_ascii=False))
        return
    click.echo("\n".join(known) if known else "No towns yet: add a station or `feedback town add`")
