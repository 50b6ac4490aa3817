"""Public pages: the station form (a placeholder until intake lands), health, Chinese errors."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime

from flask import Blueprint, abort, jsonify, render_template
from werkzeug.exceptions import HTTPException

from feedback import stations
from feedback.db import get_db

bp = Blueprint("public", __name__)


@bp.get("/s/<code>")
def station_form(code: str):
    station = stations.get_active(get_db(), code)
    if station is None:
        abort(404)
    return render_template("public/station.html", station=station)


@bp.get("/healthz")
def healthz():
    """200 only when the database can be read and written."""
    db = get_db()
    try:
        with db.atomic():
            db.execute(
                "insert into heartbeat (id, at) values (1, ?) "
                "on conflict (id) do update set at = excluded.at",
                [datetime.now(UTC).isoformat(timespec="seconds")],
            )
        count = db.execute("select count(*) from stations").fetchone()[0]
    except sqlite3.Error as error:
        return jsonify(status="error", error=str(error)), 503
    return jsonify(status="ok", stations=count)


@bp.app_errorhandler(HTTPException)
def http_error(error: HTTPException):
    """Every error a villager may meet is a small Chinese page, never a bare server page."""
    return render_template("errors/error.html", error=error), error.code
