"""Staff accounts from the command line: `feedback user add`."""

from __future__ import annotations

import sys

import click
from flask.cli import with_appcontext

from feedback import users
from feedback.context import get_db


@click.group("user")
def user_group() -> None:
    """Staff accounts."""


@user_group.command("add")
@click.argument("name")
@click.option(
    "--role",
    type=click.Choice(users.ROLES),
    required=True,
    help="admin: every town; clerk: one town; department: what is handed to one office.",
)
@click.option("--town", help="The clerk's town: a known one (`feedback town list`).")
@click.option("--department", help="A department account's office (`feedback department list`).")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@with_appcontext
def user_add(
    name: str, role: str, town: str | None, department: str | None, password_stdin: bool
) -> None:
    """Add a staff account; the password is asked for (or read from stdin)."""
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        user = users.add(get_db(), name, password, role, town, department=department)
    except users.UserError as error:
        raise click.ClickException(str(error)) from None
    scope = user["town"] or "every town"
    if user["role"] == "department":
        scope = " ".join(department.split())
    click.echo(f"Added {user['role']} {user['username']} ({scope})")
