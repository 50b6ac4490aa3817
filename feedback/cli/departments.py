"""Handling offices from the command line: `feedback department add`, `feedback department list`."""

from __future__ import annotations

import json

import click
from flask.cli import with_appcontext

from feedback import departments
from feedback.context import get_db


@click.group("department")
def department_group() -> None:
    """Handling offices (承办单位): a town's own, or the county's, serving every town."""


@department_group.command("add")
@click.argument("name")
@click.option("--town", help="A town's own office: offered to that town only (a known town).")
@with_appcontext
def department_add(name: str, town: str | None) -> None:
    """Add an office; without --town a county office that every town may hand over to."""
    try:
        departments.add(get_db(), name, "cli", town)
    except departments.DepartmentError as error:
        raise click.ClickException(error.en) from None
    click.echo(f"Added department {' '.join(name.split())} ({town or 'county: every town'})")


@department_group.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON list of offices.")
@with_appcontext
def department_list(as_json: bool) -> None:
    """Every office with its town (none: a county office) and whether it is in use."""
    rows = departments.listing(get_db(), None)
    if as_json:
        listed = [
            {"id": r["id"], "name": r["name"], "town": r["town"], "active": bool(r["active"])}
            for r in rows
        ]
        click.echo(json.dumps(listed, ensure_ascii=False))
        return
    if not rows:
        click.echo("No departments yet: `feedback department add NAME [--town T]`")
    for r in rows:
        retired = "" if r["active"] else "  (retired)"
        click.echo(f"{r['name']}\t{r['town'] or 'county'}\t{r['suggestions']} suggestions{retired}")
