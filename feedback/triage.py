"""Clerk triage pages: the inbox and an opinion's page."""

from __future__ import annotations

from datetime import date

from flask import Blueprint, abort, render_template, request, send_from_directory

from feedback import inbox, scope
from feedback.auth import login_required
from feedback.db import get_db
from feedback.intake import categories, photo_dir

bp = Blueprint("triage", __name__, url_prefix="/admin")


def _date(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


def _filters() -> inbox.Filters:
    args = request.args
    status = args.get("status", "new")
    return inbox.Filters(
        status=status if status in inbox.STATUSES else None,
        station_id=args.get("station", type=int),
        category=args.get("category") or None,
        date_from=_date(args.get("from")),
        date_to=_date(args.get("to")),
        with_photos=args.get("photos") == "1",
        q=(args.get("q") or "").strip()[:100],
        page=max(1, args.get("page", 1, type=int)),
    )


@bp.get("/opinions")
@login_required
def opinions():
    db = get_db()
    current = scope.current()
    result = inbox.page(db, current, _filters())
    return render_template(
        "admin/inbox.html", result=result, stations=current.stations(db, active_only=False),
        categories=dict(categories()), statuses=inbox.STATUSES,
    )  # fmt: skip


@bp.get("/opinions/<int:opinion_id>")
@login_required
def opinion(opinion_id: int):
    db = get_db()
    row = scope.current().opinion(db, opinion_id)
    station = db["stations"].get(row["station_id"])
    photos = list(db.query("select * from photos where opinion_id = ? order by id", [row["id"]]))
    history = list(db.query(
        "select * from audit_log where object_type = 'opinion' and object_id = ? order by id",
        [str(row["id"])],
    ))  # fmt: skip
    return render_template(
        "admin/opinion.html", opinion=row, station=station, photos=photos, history=history,
        categories=dict(categories()), statuses=inbox.STATUSES,
    )  # fmt: skip


@bp.get("/opinions/<int:opinion_id>/photos/<int:photo_id>")
@login_required
def photo(opinion_id: int, photo_id: int):
    db = get_db()
    row = scope.current().opinion(db, opinion_id)
    found = db.execute(
        "select filename from photos where id = ? and opinion_id = ?", [photo_id, row["id"]]
    ).fetchone()
    if found is None:
        abort(404)
    response = send_from_directory(photo_dir(), found[0], mimetype="image/jpeg", max_age=3600)
    response.cache_control.private = True
    return response
