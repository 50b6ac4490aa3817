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
    help="admin: every town; clerk: one town; department: what is handed to one office; "
    "deputy: a deputy's stations and what is addressed to them.",
)
@click.option("--town", help="The clerk's town: a known one (`feedback town list`).")
@click.option("--department", help="A department account's office (`feedback department list`).")
@click.option("--deputy", help="A deputy's account: their code (`feedback deputy list`).")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@with_appcontext
def user_add(
    name: str,
    role: str,
    town: str | None,
    department: str | None,
    deputy: str | None,
    password_stdin: bool,
) -> None:
    """Add a staff account; the password is asked for (or read from stdin)."""
    # An option the role does not use is an error, said before the password is asked for.
    for option, value, owner, account in (
        ("--town", town, "clerk", "a clerk"),
        ("--department", department, "department", "a department account"),
        ("--deputy", deputy, "deputy", "a deputy's account"),
    ):
        if value and role != owner:
            raise click.ClickException(
                f"{option} is only for {account} (--role {owner}), not for --role {role}"
            )
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        user = users.add(get_db(), name, password, role, town, department=department, deputy=deputy)
    except users.UserError as error:
        raise click.ClickException(str(error)) from None
    scope = user["town"] or "every town"
    if user["role"] == "department":
        scope = " ".join(department.split())
    elif user["role"] == "deputy":
        scope = f"deputy {deputy.strip().lower()}"
    click.echo(f"Added {user['role']} {user['username']} ({scope})")
