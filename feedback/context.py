"""What a request or a command takes from the running app: its database connection, the photo
folder and the opinion categories. The one module besides the app factory where the domain's
inputs are read off Flask; the domain itself is handed them as plain values."""

from __future__ import annotations

from pathlib import Path

from flask import Flask, current_app, g
from sqlite_utils import Database

from feedback import db


def get_db() -> Database:
    """The app's database for this request or command (one reused connection per thread)."""
    if "db" not in g:
        g.db = db.shared(current_app.config["FEEDBACK_DATABASE"])
    return g.db


def close_db(exception: BaseException | None = None) -> None:
    """End of request: never leave a transaction open on the reused connection."""
    conn = g.pop("db", None)
    if conn is not None and conn.conn.in_transaction:
        conn.conn.rollback()


def photo_dir() -> Path:
    return Path(current_app.instance_path) / "photos"


def handling_photo_dir() -> Path:
    """Departments' progress photos (现场照片), apart from villagers' (never swept by
    `feedback init` as orphans of the opinions' photos table)."""
    return Path(current_app.instance_path) / "handling_photos"


def activity_photo_dir() -> Path:
    """Photos of deputies' duty activities (履职活动), apart from villagers' like handling's."""
    return Path(current_app.instance_path) / "activity_photos"


def categories() -> list[tuple[str, str]]:
    """The opinion categories, code and label, in the order forms offer them."""
    return list(current_app.config["FEEDBACK_CATEGORIES"].items())


def init_app(app: Flask) -> None:
    app.teardown_appcontext(close_db)
