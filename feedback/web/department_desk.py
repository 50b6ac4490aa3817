"""The department's desk (/admin/desk): a to-do list and each handed item's page with its
acts (sign for, return, progress with photos, extension, part, answer), phone-first.

A department account is confined here: every other staff page is the town's (inboxes,
stations, reports of a town or the county), so a department user asking for one is sent to
the desk (GET /admin/) or told it is not there (404). What they may read within the desk is
feedback.access's rule; what they may do is feedback.handling's.
"""

from __future__ import annotations

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
)
from flask_wtf import FlaskForm

from feedback import (
    audit,
    clock,
    handling,
    handling_reads,
    periods,
    photos,
    report_tables,
    suggestions,
)
from feedback.context import get_db, handling_photo_dir, photo_dir
from feedback.web import handling_forms as forms
from feedback.web.confinement import confine, role_required
from feedback.web.pages import found, scope

bp = Blueprint("desk", __name__, url_prefix="/admin/desk")
# The staff pages a department account may use besides the desk.
OPEN_TO_DEPARTMENTS = {"auth.login", "auth.logout", "handling.photo", "static"}
FORMS = {
    "sign": forms.SignForm,
    "return": forms.ReturnForm,
    "progress": forms.ProgressForm,
    "extension": forms.ExtensionForm,
    "part": forms.PartForm,
    "answer": forms.AnswerForm,
}


confine(bp, "department", "desk.index", ("desk.",), OPEN_TO_DEPARTMENTS)
department_required = role_required("department")


@bp.get("/")
@department_required
def index():
    db = get_db()
    office = db.execute(
        "select name from departments where id = ?", [g.user["department_id"]]
    ).fetchone()
    sections = handling_reads.to_do(db, scope())
    month = periods.parse("month", periods.current("month"))  # where it stands this month
    figures = report_tables.office_row(db, month, g.user["department_id"])
    return render_template(
        "department/desk.html",
        sections=sections,
        closed_count=handling_reads.closed_count(db, scope()),
        office=office[0],
        figures=figures,
        month=month,
    )


@bp.get("/closed")
@department_required
def closed():
    """Every closed item of the office, most recently closed first, a page at a time."""
    page = request.args.get("page", 1, type=int)
    result = handling_reads.closed_page(get_db(), scope(), page)
    if result is None:
        abort(404)
    return render_template("department/closed.html", result=result)


def _page(db, suggestion: dict, status: int = 200, error: str | None = None, **typed):
    """An item's page: each form as typed when it was refused, the others fresh, all with
    the last event now on the timeline."""
    current = scope()
    seen = handling.latest_event(db, suggestion["id"])
    page_forms = {}
    for name, form_class in FORMS.items():
        form = typed.get(name) or form_class(formdata=None, prefix=name)
        form.seen.data = str(seen)
        page_forms[name] = form
    row = handling.handler(db, suggestion["id"], current.office)
    return render_template(
        "department/item.html",
        suggestion=suggestion,
        mine=row,
        handlers=handling_reads.handlers(db, suggestion["id"]),
        timeline=handling_reads.timeline(db, suggestion["id"]),
        sent_back=handling_reads.sent_back(db, suggestion["id"]),
        opinions=_opinions(db, suggestion),
        revealed=typed.get("revealed"),
        overdue=suggestions.is_overdue(suggestion, clock.now().date()),
        forms=page_forms,
        error=error,
    ), status


def _opinions(db, suggestion: dict) -> list[dict]:
    rows = scope().suggestion_opinions(db, suggestion)
    for row in rows:
        row["photos"] = list(
            db.query("select id from photos where opinion_id = ? order by id", [row["id"]])
        )
    return rows


@bp.get("/<int:suggestion_id>")
@department_required
def item(suggestion_id: int):
    db = get_db()
    return _page(db, found(scope().suggestion(db, suggestion_id)))


@bp.post("/<int:suggestion_id>/<any(sign, return, progress, extension, part, answer):act>")
@department_required
def act(suggestion_id: int, act: str):
    db = get_db()
    current = scope()
    suggestion = found(current.suggestion(db, suggestion_id))
    form = FORMS[act](prefix=act)
    if not form.validate_on_submit():
        return _page(db, suggestion, 400, "请按红字提示修改,这次操作还没有执行", **{act: form})
    uploads = [f for f in request.files.getlist(f"{act}-photos") if f and f.filename]
    try:
        _perform(db, current, suggestion_id, act, form, uploads)
    except handling.Missing:
        abort(404)
    except (handling.HandlingError, photos.PhotoError) as error:
        stale = isinstance(error, handling.Stale)
        fresh = found(current.suggestion(db, suggestion_id)) if stale else suggestion
        return _page(db, fresh, 409 if stale else 400, str(error), **{act: form})
    if act == "return":  # no longer this office's: back to the list, saying so
        return redirect(url_for("desk.index", returned=suggestion["number"]), 303)
    return redirect(url_for("desk.item", suggestion_id=suggestion_id), 303)


def _perform(db, current, suggestion_id: int, act: str, form: FlaskForm, uploads: list) -> None:
    seen = form.seen_id()
    if act == "sign":
        handling.sign_for(db, current, suggestion_id, seen)
    elif act == "return":
        handling.give_back(db, current, suggestion_id, form.reason.data, seen)
    elif act == "progress":
        handling.record_progress(
            db,
            current,
            suggestion_id,
            form.body.data,
            seen,
            _photos(uploads),
            handling_photo_dir(),
        )
    elif act == "extension":
        handling.ask_extension(db, current, suggestion_id, form.until.data, form.reason.data, seen)
    elif act == "part":
        handling.add_part(db, current, suggestion_id, form.text.data, seen)
    else:
        handling.submit_answer(
            db, current, suggestion_id, form.result_class.data, form.text.data, seen
        )


def _photos(uploads: list) -> list[photos.Photo]:
    """Verified and re-encoded like a villager's (feedback.photos), before anything is stored."""
    config = current_app.config
    most = config["FEEDBACK_MAX_PHOTOS"]
    if len(uploads) > most:
        raise photos.PhotoError(f"最多只能上传 {most} 张照片,请重新选择")
    prepared = []
    for number, upload in enumerate(uploads, start=1):
        raw = upload.read(config["FEEDBACK_MAX_PHOTO_BYTES"] + 1)
        try:
            prepared.append(
                photos.prepare(
                    raw, config["FEEDBACK_MAX_PHOTO_BYTES"], config["FEEDBACK_MAX_PHOTO_PIXELS"]
                )
            )
        except photos.PhotoError as error:
            raise photos.PhotoError(f"第 {number} 张照片:{error}(照片要重新选择)") from None
    return prepared


@bp.post("/<int:suggestion_id>/opinions/<int:opinion_id>/reveal")
@department_required
def reveal(suggestion_id: int, opinion_id: int):
    """A villager's whole phone number, on purpose and logged, as for clerks."""
    db = get_db()
    current = scope()
    suggestion = found(current.suggestion(db, suggestion_id))
    opinion = found(current.opinion(db, opinion_id))
    audit.phone_revealed(db, g.user["username"], opinion)
    return _page(db, suggestion, revealed=opinion["id"])


@bp.get("/<int:suggestion_id>/opinions/<int:opinion_id>/photos/<int:photo_id>")
@department_required
def opinion_photo(suggestion_id: int, opinion_id: int, photo_id: int):
    db = get_db()
    current = scope()
    found(current.suggestion(db, suggestion_id))
    opinion = found(current.opinion(db, opinion_id))
    stored = found(
        db.execute(
            "select filename from photos where id = ? and opinion_id = ?", [photo_id, opinion["id"]]
        ).fetchone()
    )
    return private_photo(photo_dir(), stored[0])


def private_photo(folder, filename: str):
    response = send_from_directory(folder, filename, mimetype="image/jpeg", max_age=3600)
    response.cache_control.public = False  # a villager's or an office's photo is not public
    response.cache_control.private = True
    return response
