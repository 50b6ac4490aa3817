"""Shared fixtures: each test gets its own instance folder and database."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from feedback import create_app
from feedback.db import connect, migrate

ROOT = Path(__file__).resolve().parent.parent
BASE_URL = "https://feedback.example.gov.cn"


@pytest.fixture
def instance(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh instance folder, used by the app and by `feedback` subprocesses alike."""
    folder = tmp_path / "instance"
    monkeypatch.setenv("FEEDBACK_INSTANCE", str(folder))
    monkeypatch.setenv("FEEDBACK_BASE_URL", BASE_URL)
    monkeypatch.delenv("FEEDBACK_DATABASE", raising=False)
    monkeypatch.delenv("SECRET_KEY", raising=False)
    return folder


@pytest.fixture
def app(instance: Path):
    app = create_app({"TESTING": True, "SECRET_KEY": "test"})
    db = connect(app.config["FEEDBACK_DATABASE"])
    migrate(db)
    db.close()
    return app


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def db(app):
    database = connect(app.config["FEEDBACK_DATABASE"])
    yield database
    database.close()


def feedback_cli(
    *args: str, cwd: Path | None = None, env: dict | None = None, stdin: str | None = None
) -> subprocess.CompletedProcess:
    """Run the installed `feedback` console script as an admin would."""
    script = Path(sys.executable).with_name("feedback")
    return subprocess.run(
        [str(script), *args], cwd=cwd, capture_output=True, text=True, input=stdin,
        env={**os.environ, **(env or {})}, timeout=300,
    )  # fmt: skip
