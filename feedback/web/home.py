"""The staff home page: the stations in scope and this month's figures at a glance."""

from __future__ import annotations

from flask import Blueprint, render_template

from feedback import reports
from feedback.context import categories, get_db
from feedback.web.auth import login_required
from feedback.web.pages import scope

bp = Blueprint("home", __name__, url_prefix="/admin")


@bp.get("/")
@login_required
def index():
    db = get_db()
    current = scope()
    stations = current.stations(db)
    month = reports.period(reports.current_month())
    dashboard = reports.dashboard(db, month, current.town, dict(categories()))
    return render_template("admin/home.html", stations=stations, dashboard=dashboard)
