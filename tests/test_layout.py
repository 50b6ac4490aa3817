"""The house keeps its shape: the domain never imports Flask, the CLI never imports the web
side, rendering is pure, and every command a user can type is in the README."""

from __future__ import annotations

import ast
from pathlib import Path

import click
import pytest

from feedback import create_app

PACKAGE = Path(__file__).resolve().parent.parent / "feedback"
README = (PACKAGE.parent / "README.md").read_text(encoding="utf-8")
WEB_LIBRARIES = {"flask", "flask_wtf", "wtforms", "werkzeug", "jinja2"}
# App-level modules: they bind the domain to Flask and are not part of it.
APP_LEVEL = {"__init__.py", "config.py", "context.py", "gunicorn_config.py"}


def imports_of(path: Path) -> set[str]:
    """Every module a file imports, by full dotted name (werkzeug.security counted apart)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
            found |= {f"{node.module}.{alias.name}" for alias in node.names}
    return found


def domain_modules() -> list[Path]:
    return [p for p in sorted(PACKAGE.glob("*.py")) if p.name not in APP_LEVEL]


@pytest.mark.parametrize(
    "path",
    domain_modules() + sorted((PACKAGE / "render").glob("*.py")),
    ids=lambda p: str(p.relative_to(PACKAGE)),
)
def test_domain_and_render_import_no_web_framework(path):
    used = imports_of(path)
    web = {name for name in used if name.split(".")[0] in WEB_LIBRARIES}
    web = {name for name in web if not name.startswith("werkzeug.security")}
    if path.parent.name == "render":
        web = {name for name in web if not name.startswith("jinja2")}
    assert not web, f"{path.name} imports {sorted(web)}"
    assert not {name for name in used if name.startswith(("feedback.web", "feedback.cli"))}


@pytest.mark.parametrize("path", sorted((PACKAGE / "cli").glob("*.py")), ids=lambda p: p.name)
def test_cli_never_imports_web(path):
    assert not {name for name in imports_of(path) if name.startswith("feedback.web")}


def command_lines(group: click.Group, prefix: str = "feedback") -> list[str]:
    lines = []
    for name, command in sorted(group.commands.items()):
        if name in {"routes", "run", "shell"}:  # Flask's own commands
            continue
        if isinstance(command, click.Group):
            lines += command_lines(command, f"{prefix} {name}")
        else:
            lines.append(f"{prefix} {name}")
    return lines


COMMANDS = command_lines(create_app({"TESTING": True, "SECRET_KEY": "x"}).cli)


def test_the_command_line_has_the_contract_commands():
    for expected in (
        "feedback init",
        "feedback station add",
        "feedback station import",
        "feedback poster",
        "feedback posters",
        "feedback opinion import",
        "feedback similar",
        "feedback user add",
        "feedback report",
        "feedback backup",
        "feedback purge-contacts",
        "feedback serve",
    ):
        assert expected in COMMANDS


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_is_in_the_readme(command):
    """As sqlite-utils does: a command nobody can find in the README does not exist."""
    assert f"`{command}" in README or f"{command} " in README, f"{command} is not in README.md"
