"""The clerk's side of online handling, on the suggestion's page (templates/admin/_handling.html
included there): hand over to a lead and co-handlers, decide an extension, review the answer,
urge. A refused act draws the suggestion's page again with the form as typed and the reason.
Also the progress photos, for everyone who may read their suggestion."""

from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, abort, current_app, g, redirect, url_for
from wtforms.fields.choices import SelectChoice

from feedback import clock, departments, handling, handling_reads, handling_town, routing
from feedback.context import get_db, handling_photo_dir
from feedback.labels import RESULT_CLASSES
from feedback.web import handling_forms as forms
from feedback.web.auth import login_required
from feedback.web.department_desk import private_photo
from feedback.web.pages import found, scope

bp = Blueprint("handling", __name__, url_prefix="/admin")
ACTS = "handover, grant, refuse, accept, sendback, urge"
FORMS = {
    "handover": forms.HandOverForm,
    "grant": forms.DecideForm,
    "refuse": forms.DecideForm,
    "accept": forms.ReviewForm,
    "sendback": forms.ReviewForm,
    "urge": forms.UrgeForm,
}
PREFIX = {"grant": "decide", "refuse": "decide", "accept": "review", "sendback": "review"}


@bp.post(f"/suggestions/<int:suggestion_id>/online/<any({ACTS}):act>")
@login_required
def act(suggestion_id: int, act: str):
    db = get_db()
    current = scope()
    suggestion = found(current.suggestion(db, suggestion_id))
    form = FORMS[act](prefix=PREFIX.get(act, act))
    if act == "handover":
        _choices(db, form, suggestion)
    if not form.validate_on_submit():
        return _again(suggestion_id, 400, "请按红字提示修改,这次操作还没有执行", act, form)
    try:
        _perform(db, current, suggestion_id, act, form)
    except handling.Missing:
        abort(404)
    except handling.HandlingError as error:
        status = 409 if isinstance(error, handling.Stale) else 400
        return _again(suggestion_id, status, str(error), act, form)
    return redirect(url_for("suggestions.show", suggestion_id=suggestion_id) + "#online", 303)


def _perform(db, current, suggestion_id: int, act: str, form) -> None:
    seen = form.seen_id()
    if act == "handover":
        handling_town.hand_over(
            db,
            current,
            suggestion_id,
            form.lead.data,
            form.co.data or [],
            form.deadline.data,
            seen,
            current_app.config["FEEDBACK_SIGN_WORKING_DAYS"],
        )
    elif act in ("grant", "refuse"):
        handling_town.decide_extension(
            db, current, suggestion_id, act == "grant", form.reason.data, seen
        )
    elif act in ("accept", "sendback"):
        handling_town.review(db, current, suggestion_id, act == "accept", form.reason.data, seen)
    else:
        handling_town.urge(db, current, suggestion_id, form.reason.data, seen)


def _again(suggestion_id: int, status: int, error: str, act: str, form):
    """The suggestion's own page (its view, whatever draws it) with this form as typed."""
    g.handling_typed = {PREFIX.get(act, act): form}
    g.handling_error = error
    response = current_app.make_response(
        current_app.view_functions["suggestions.show"](suggestion_id=suggestion_id)
    )
    response.status_code = status
    return response


def _choices(db, form: forms.HandOverForm, suggestion: dict) -> None:
    offered = departments.offered(db, suggestion["town"])
    choices = [SelectChoice(d["id"], d["name"] + ("" if d["town"] else "(县级)")) for d in offered]
    form.lead.choices = [SelectChoice(0, "请选择主办单位"), *choices]
    form.co.choices = choices


def panel(suggestion: dict) -> dict:
    """What templates/admin/_handling.html shows of a suggestion, for its clerk."""
    db = get_db()
    typed = g.get("handling_typed") or {}
    seen = handling.latest_event(db, suggestion["id"])
    page_forms = {}
    for name, form_class in (
        ("handover", forms.HandOverForm),
        ("decide", forms.DecideForm),
        ("review", forms.ReviewForm),
        ("urge", forms.UrgeForm),
    ):
        form = typed.get(name) or form_class(formdata=None, prefix=name)
        form.seen.data = str(seen)
        page_forms[name] = form
    handover = page_forms["handover"]
    _choices(db, handover, suggestion)
    if not handover.deadline.data:
        handover.deadline.data = _default_deadline(suggestion)
    route = _route(db, suggestion, handover)
    return {
        "route": route,
        "handlers": handling_reads.handlers(db, suggestion["id"]),
        "timeline": handling_reads.timeline(db, suggestion["id"]),
        "urges": handling_reads.urges(db, suggestion["id"]),
        "forms": page_forms,
        "error": g.get("handling_error"),
    }


def _route(db, suggestion: dict, handover: forms.HandOverForm) -> routing.Route | None:
    """While it waits to be handed over: the department that took on the most similar
    earlier suggestions, picked in advance unless the clerk already chose one."""
    if suggestion["status"] != "待交办":
        return None
    route = routing.suggest(db, current_app.config["FEEDBACK_DATABASE"], suggestion)
    offered = {choice.value for choice in handover.lead.choices}
    if route is None or route.department_id not in offered:
        return None
    if not handover.lead.data:
        handover.lead.data = route.department_id
    return route


def _default_deadline(suggestion: dict) -> str:
    """The tier's deadline counted from today, unless the suggestion's own is later."""
    days = current_app.config["FEEDBACK_TIER_DAYS"][suggestion["tier"]]
    from_today = (clock.now().date() + timedelta(days=days)).isoformat()
    return max(suggestion["deadline"] or "", from_today)


@bp.get("/handling/photos/<int:photo_id>")
@login_required
def photo(photo_id: int):
    """A department's 现场照片, for whoever may read its suggestion."""
    filename = found(handling_reads.photo_file(get_db(), scope(), photo_id))
    return private_photo(handling_photo_dir(), filename)


@bp.app_context_processor
def online_handling() -> dict:
    return {"handling_panel": panel, "result_classes": RESULT_CLASSES}
