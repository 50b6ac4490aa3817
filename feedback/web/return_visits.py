"""The town's return-visit list (回访, feedback.return_visits): who to call, their number
shown on purpose (logged), and the outcome recorded on the villager's behalf."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, g, redirect, render_template, request, url_for
from flask_wtf import FlaskForm
from wtforms import BooleanField, RadioField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length

from feedback import audit, reopening, return_visits
from feedback.context import get_db
from feedback.text import clean_text
from feedback.web.auth import login_required
from feedback.web.pages import found, scope

bp = Blueprint("visits", __name__, url_prefix="/admin/visits")


class VisitForm(FlaskForm):
    outcome = RadioField(
        "回访结果",
        choices=[SelectChoice(o, o) for o in return_visits.OUTCOMES],
        validators=[InputRequired("请选择回访结果")],
    )
    note = TextAreaField(
        "记录(不满意时写明原因)",
        filters=[clean_text],
        validators=[Length(max=return_visits.MAX_NOTE, message="最多 200 字")],
    )
    reopen = BooleanField("村民不满意:要求二次办理")


def _callers_only() -> None:
    """The town's staff and deputies (for what they lead) call; departments do not."""
    if scope().role not in ("admin", "clerk", "deputy"):
        abort(404)


def _list(status: int = 200, typed: dict | None = None, error: str | None = None, shown=None):
    db = get_db()
    page = max(request.args.get("page", 1, type=int), 1)
    config = current_app.config
    rows, total = return_visits.due(
        db, scope(), config["FEEDBACK_VISIT_AFTER_DAYS"], config["FEEDBACK_VISIT_WITHIN_DAYS"], page
    )
    forms = {row["id"]: VisitForm(formdata=None, prefix=f"v{row['id']}") for row in rows}
    forms.update(typed or {})
    return render_template(
        "admin/visits.html",
        rows=rows,
        total=total,
        page=page,
        pages=(total + return_visits.PAGE - 1) // return_visits.PAGE,
        forms=forms,
        error=error,
        shown=shown,
        after_days=config["FEEDBACK_VISIT_AFTER_DAYS"],
        within_days=config["FEEDBACK_VISIT_WITHIN_DAYS"],
    ), status


@bp.get("/")
@login_required
def index():
    _callers_only()
    return _list()


@bp.post("/<int:opinion_id>")
@login_required
def record(opinion_id: int):
    _callers_only()
    form = VisitForm(prefix=f"v{opinion_id}")
    if not form.validate_on_submit():
        return _list(400, {opinion_id: form}, "请按红字提示修改,这次回访还没有记下")
    try:
        return_visits.record(
            get_db(), scope(), opinion_id, form.outcome.data, form.note.data, form.reopen.data
        )
    except (return_visits.VisitError, reopening.ReopenError) as error:
        status = 409 if str(error) == return_visits.NOT_DUE else 400
        return _list(status, {opinion_id: form}, str(error))
    return redirect(url_for("visits.index", done=opinion_id), 303)


@bp.post("/<int:opinion_id>/reveal")
@login_required
def reveal(opinion_id: int):
    """The caller needs the whole number: shown on purpose, and logged."""
    _callers_only()
    db = get_db()
    phone = found(return_visits.phone_of(db, scope(), opinion_id))
    audit.phone_revealed(db, g.user["username"], {"id": opinion_id, "phone": phone})
    return _list(shown=opinion_id)
