"""Clerk triage pages: the inbox and an opinion's page."""

from __future__ import annotations

import json
from datetime import date

from flask import (
    Blueprint,
    abort,
    current_app,
    g,
    redirect,
    render_template,
    request,
    send_from_directory,
    url_for,
)  # fmt: skip
from wtforms.fields.choices import SelectChoice

from feedback import audit, clock, inbox, opinions, scope, suggestions, town_index
from feedback.auth import login_required
from feedback.db import get_db, write_transaction
from feedback.intake import categories, photo_dir
from feedback.staff_forms import AnswerForm, CategoryForm, RejectForm

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


@bp.get("/opinions", endpoint="opinions")
@login_required
def inbox_view():
    db = get_db()
    current = scope.current()
    result = inbox.page(db, current, _filters())
    open_suggestions = current.suggestions(db, open_only=True)
    return render_template(
        "admin/inbox.html", result=result, stations=current.stations(db, active_only=False),
        open_suggestions=open_suggestions, overdue=suggestions.overdue_ids(open_suggestions),
        categories=dict(categories()), statuses=inbox.STATUSES,
    )  # fmt: skip


def _forms() -> dict:
    category = CategoryForm(prefix="c")
    category.category.choices = [SelectChoice(code, label) for code, label in categories()]
    return {"answer_form": AnswerForm(prefix="a"), "reject_form": RejectForm(prefix="r"),
            "category_form": category}  # fmt: skip


@bp.post("/opinions/<int:opinion_id>/<any(answer, reject, category):action>")
@login_required
def act(opinion_id: int, action: str):
    """Answer directly, reject with a reason, or change the category; each is logged."""
    db = get_db()
    row = scope.current().opinion(db, opinion_id)
    forms = _forms()
    form = forms[f"{action}_form"]
    actor = g.user["username"]
    if form.validate_on_submit():
        if action == "category":
            opinions.set_category(db, row, form.category.data, actor)
            return redirect(url_for("triage.opinion", opinion_id=opinion_id), 303)
        if row["status"] != "new":
            abort(409)
        if action == "answer":
            opinions.answer_directly(db, row, form.answer.data, actor)
        else:
            opinions.reject(db, row, form.reason.data, actor)
        return redirect(url_for("triage.opinion", opinion_id=opinion_id), 303)
    return _opinion_page(db, row, forms), 400


@bp.get("/opinions/<int:opinion_id>")
@login_required
def opinion(opinion_id: int):
    db = get_db()
    return _opinion_page(db, scope.current().opinion(db, opinion_id), _forms())


@bp.post("/opinions/<int:opinion_id>/reveal")
@login_required
def reveal(opinion_id: int):
    """Showing a villager's whole phone number is a deliberate act, and it is logged."""
    db = get_db()
    row = scope.current().opinion(db, opinion_id)
    if row["phone"]:
        with write_transaction(db):
            audit.record(db, g.user["username"], "opinion.reveal_phone", "opinion", row["id"])
    return _opinion_page(db, row, _forms(), revealed=True)


def _opinion_page(db, row: dict, forms: dict, revealed: bool = False):
    forms["category_form"].category.data = forms["category_form"].category.data or row["category"]
    station = db["stations"].get(row["station_id"])
    photos = list(db.query("select * from photos where opinion_id = ? order by id", [row["id"]]))
    history = list(db.query(
        "select * from audit_log where object_type = 'opinion' and object_id = ? order by id",
        [str(row["id"])],
    ))  # fmt: skip
    for entry in history:
        entry["detail"] = json.loads(entry["detail"] or "{}")
    # A worker's warm-up may still be building the town's index: say so rather than wait.
    similar = town_index.similar(db, current_app.config["FEEDBACK_DATABASE"], row["id"], 5,
                                 wait=False)  # fmt: skip
    merged_into = suggestions.of_opinion(db, row["id"])
    overdue = bool(merged_into) and suggestions.is_overdue(merged_into, clock.now().date())
    return render_template(
        "admin/opinion.html", opinion=row, station=station, photos=photos, history=history,
        similar=similar, revealed=revealed, merged_into=merged_into, overdue=overdue,
        categories=dict(categories()), statuses=inbox.STATUSES, **forms,
    )  # fmt: skip


@bp.get("/groups")
@login_required
def groups():
    """Pending opinions grouped by likely problem, each group one click from a suggestion."""
    db = get_db()
    current = scope.current()
    towns = [current.town] if current.town else sorted({s["town"] for s in current.stations(db)})
    town = request.args.get("town") if request.args.get("town") in towns else None
    town = town or (towns[0] if towns else None)
    found = (
        town_index.pending_groups(db, current_app.config["FEEDBACK_DATABASE"], town) if town else []
    )
    return render_template("admin/groups.html", groups=found, town=town, towns=towns,
                           categories=dict(categories()))  # fmt: skip


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
