"""Suggestion pages: merge opinions into one, hand it to a department, follow it to the end."""

from __future__ import annotations

import json
from datetime import date

from flask import Blueprint, current_app, g, redirect, render_template, request, url_for
from wtforms.fields.choices import SelectChoice

from feedback import clock, departments, scope, suggestions
from feedback.auth import login_required
from feedback.db import get_db
from feedback.intake import categories
from feedback.staff_forms import AdvanceForm, HandlingForm, NoteForm, SuggestionForm

bp = Blueprint("handling", __name__, url_prefix="/admin/suggestions")


def _ids(raw: list[str] | str) -> list[int]:
    values = raw.split(",") if isinstance(raw, str) else raw
    return [int(v) for v in values if str(v).strip().isdigit()]


def _suggestion_form(formdata=None, **data) -> SuggestionForm:
    form = SuggestionForm(formdata=formdata, **data) if formdata is None else SuggestionForm()
    form.category.choices = [SelectChoice(code, label) for code, label in categories()]
    return form


@bp.get("/", endpoint="index")
@login_required
def index():
    rows = scope.current().suggestions(get_db())
    return render_template("admin/suggestions.html", rows=rows,
                           overdue=suggestions.overdue_ids(rows))  # fmt: skip


@bp.post("/merge")
@login_required
def merge():
    """From the inbox: new suggestion from the ticked opinions, or add them to an open one."""
    db = get_db()
    ids = _ids(request.form.getlist("ids"))
    if not ids:
        return redirect(url_for("triage.opinions"), 303)
    chosen = scope.current().opinions(db, ids)
    target = request.form.get("suggestion", type=int)
    if target:
        suggestion = scope.current().suggestion(db, target)
        try:
            suggestions.add_opinions(db, suggestion["id"], ids, g.user["username"])
        except suggestions.SuggestionError as error:
            return render_template("admin/message.html", message=str(error)), 409
        return redirect(url_for("handling.show", suggestion_id=suggestion["id"]), 303)
    proposal = suggestions.draft(chosen)
    form = _suggestion_form(None, opinion_ids=",".join(map(str, ids)), **proposal)
    return render_template("admin/suggestion_new.html", form=form, opinions=chosen)


@bp.post("/create")
@login_required
def create():
    db = get_db()
    form = _suggestion_form(request.form)
    ids = _ids(form.opinion_ids.data or "")
    chosen = scope.current().opinions(db, ids) if ids else []
    towns = {db["stations"].get(o["station_id"])["town"] for o in chosen}
    if form.validate_on_submit() and len(towns) == 1:
        try:
            suggestion_id = suggestions.create(
                db, towns.pop(), ids, form.data, current_app.config["FEEDBACK_TIER_DAYS"],
                g.user["username"],
            )  # fmt: skip
        except suggestions.SuggestionError as error:
            return render_template("admin/message.html", message=str(error)), 409
        return redirect(url_for("handling.show", suggestion_id=suggestion_id), 303)
    return render_template("admin/suggestion_new.html", form=form, opinions=chosen), 400


def _page(db, suggestion: dict, status: int = 200, **forms):
    linked = list(db.query(
        "select o.*, s.name as station_name from suggestion_opinions so join opinions o "
        "on o.id = so.opinion_id join stations s on s.id = o.station_id "
        "where so.suggestion_id = ? order by o.id", [suggestion["id"]]))  # fmt: skip
    row = db.execute("select name from departments where id = ?",
                     [suggestion["department_id"]]).fetchone()  # fmt: skip
    department = row[0] if row else ""
    handling = forms.get("handling") or HandlingForm(
        formdata=None, tier=suggestion["tier"], deadline=suggestion["deadline"],
        department=department, deputies=suggestion["deputies"])  # fmt: skip
    history = list(db.query(
        "select * from audit_log where object_type = 'suggestion' and object_id = ? order by id",
        [str(suggestion["id"])]))  # fmt: skip
    for entry in history:
        entry["detail"] = json.loads(entry["detail"] or "{}")
    notes = list(db.query("select * from suggestion_notes where suggestion_id = ? order by id",
                          [suggestion["id"]]))  # fmt: skip
    stations = sorted({o["station_name"] for o in linked})
    return render_template(
        "admin/suggestion.html", suggestion=suggestion, linked=linked, stations=stations,
        handling=handling, note_form=forms.get("note") or NoteForm(formdata=None),
        advance_form=forms.get("advance") or AdvanceForm(formdata=None),
        next_status=suggestions.NEXT_STATUS.get(suggestion["status"]), history=history,
        notes=notes, department=department,
        overdue=suggestions.is_overdue(suggestion, clock.now().date()),
        departments=departments.active_names(db),
        categories=dict(categories()), error=forms.get("error"),
    ), status  # fmt: skip


@bp.get("/<int:suggestion_id>")
@login_required
def show(suggestion_id: int):
    db = get_db()
    return _page(db, scope.current().suggestion(db, suggestion_id))


@bp.post("/<int:suggestion_id>/handling")
@login_required
def set_handling(suggestion_id: int):
    db = get_db()
    suggestion = scope.current().suggestion(db, suggestion_id)
    form = HandlingForm()
    if not form.validate_on_submit():
        return _page(db, suggestion, 400, handling=form)
    changes = {"tier": form.tier.data, "deputies": form.deputies.data or ""}
    if form.tier.data != suggestion["tier"] and form.deadline.data == suggestion["deadline"]:
        start = date.fromisoformat(suggestion["created_at"][:10])
        tier_days = current_app.config["FEEDBACK_TIER_DAYS"]
        changes["deadline"] = suggestions.deadline_for(form.tier.data, start, tier_days)
    elif form.deadline.data:
        changes["deadline"] = form.deadline.data
    try:
        suggestions.update(db, suggestion, changes, g.user["username"], form.department.data)
    except departments.DepartmentError as error:
        form.department.errors.append(str(error))
        return _page(db, suggestion, 400, handling=form)
    return redirect(url_for("handling.show", suggestion_id=suggestion_id), 303)


@bp.post("/<int:suggestion_id>/advance")
@login_required
def advance(suggestion_id: int):
    db = get_db()
    suggestion = scope.current().suggestion(db, suggestion_id)
    form = AdvanceForm()
    if form.validate_on_submit():
        try:
            suggestions.advance(db, suggestion, g.user["username"], form.answer.data)
        except suggestions.SuggestionError as error:
            return _page(db, suggestion, 400, advance=form, error=str(error))
        return redirect(url_for("handling.show", suggestion_id=suggestion_id), 303)
    return _page(db, suggestion, 400, advance=form)


@bp.post("/<int:suggestion_id>/notes")
@login_required
def note(suggestion_id: int):
    db = get_db()
    suggestion = scope.current().suggestion(db, suggestion_id)
    form = NoteForm()
    if not form.validate_on_submit():
        return _page(db, suggestion, 400, note=form)
    suggestions.add_note(db, suggestion_id, form.note.data, g.user["username"])
    return redirect(url_for("handling.show", suggestion_id=suggestion_id), 303)


@bp.post("/<int:suggestion_id>/remove/<int:opinion_id>")
@login_required
def remove(suggestion_id: int, opinion_id: int):
    db = get_db()
    suggestion = scope.current().suggestion(db, suggestion_id)
    if suggestion["status"] == "已办结":
        return _page(db, suggestion, 409, error="已办结的建议不能再移出意见")
    try:
        suggestions.remove_opinion(db, suggestion_id, opinion_id, g.user["username"])
    except suggestions.SuggestionError as error:
        return _page(db, suggestion, 404, error=str(error))
    return redirect(url_for("handling.show", suggestion_id=suggestion_id), 303)
