"""Suggestion pages: merge opinions into one, hand it to a department, follow it to the end."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, redirect, render_template, request, url_for
from wtforms.fields.choices import SelectChoice

from feedback import (
    audit,
    clock,
    departments,
    deputy_suggestions,
    handover,
    labels,
    merging,
    recurrence,
    suggestion_list,
    suggestion_steps,
    suggestion_text,
    suggestions,
)
from feedback.context import categories, get_db
from feedback.web.auth import login_required
from feedback.web.pages import found, scope
from feedback.web.staff_forms import (
    AdvanceForm,
    HandlingForm,
    NoteForm,
    SuggestionForm,
    SuggestionTextForm,
)
from feedback.web.supporters import card as supporters_card

bp = Blueprint("suggestions", __name__, url_prefix="/admin/suggestions")
EDIT_PREFIX = "e"  # the edit form's fields beside the page's others: e-title, e-body...


def _ids(raw: list[str] | str) -> list[int]:
    values = raw.split(",") if isinstance(raw, str) else raw
    # An id beyond SQLite's 64-bit range names no opinion (and would overflow the query).
    numbers = [int(v) for v in values if str(v).strip().isdigit()]
    return [n for n in numbers if n < 2**63]


def _suggestion_form(formdata=None, form_class=SuggestionForm, prefix="", **data):
    """The form of a new suggestion (or of a suggestion's text) with the configured
    categories: prefilled from `data` when drawn, read from the request when posted."""
    if formdata is None:
        form = form_class(formdata=None, prefix=prefix, **data)
    else:
        form = form_class(prefix=prefix)
    form.category.choices = [SelectChoice(code, label) for code, label in categories()]
    return form


def _filters() -> suggestion_list.Filters:
    args = request.args
    department = args.get("department", "")
    page = args.get("page", "")
    return suggestion_list.Filters(
        status=args.get("status") or None,
        tier=args.get("tier") or None,
        category=args.get("category") or None,
        department_id=int(department) if department.isdecimal() and len(department) < 18 else None,
        overdue=args.get("overdue") == "1",
        rating=args.get("rating") or None,
        q=(args.get("q") or "").strip()[:100],
        page=int(page) if page.isdecimal() and len(page) < 15 else 1,
    )


@bp.get("/", endpoint="index")
@login_required
def index():
    """The list, filtered and paged, with 批量交办 of the ticked 待交办 ones."""
    db = get_db()
    current = scope()
    result = suggestion_list.page(db, current, _filters())
    return render_template(
        "admin/suggestions.html",
        result=result,
        overdue=suggestions.overdue_ids(result.rows),
        statuses=labels.SUGGESTION_STATUSES,
        tiers=labels.TIERS,
        ratings=labels.RATINGS,
        categories=dict(categories()),
        used=suggestion_list.departments_used(db, current),
        departments=departments.active_names(db),
    )


@bp.post("/hand-over")
@login_required
def hand_over():
    db = get_db()
    ids = _ids(request.form.getlist("ids"))
    try:
        count = handover.hand_over(db, scope(), ids, request.form.get("department", ""))
    except suggestions.Missing:
        return _message("找不到勾选的建议,可能不在您的范围内", 404)
    except (suggestions.SuggestionError, departments.DepartmentError) as error:
        return _message(str(error), 409 if isinstance(error, suggestions.Stale) else 400)
    back = _back()
    joiner = "&" if "?" in back else "?"
    return redirect(f"{back}{joiner}handed={count}", 303)


def _refused(error: suggestions.SuggestionError, status: int = 409):
    """A refused change as a page: 404 when the record is not there for this user, else the
    reason in Chinese."""
    if isinstance(error, suggestions.Missing):
        abort(404)
    return _message(str(error), status)


NOTHING_TICKED = "请先勾选意见:在要合并的意见前面打勾,再点“合并成新建议”或“并入”。"
NO_TARGET = "请先在“并入”旁边的列表里选一件已有建议,再点“并入”。"


def _back() -> str:
    """The page the form was on (the inbox with its filters, or the groups page): only a
    staff path of this site, never another host."""
    back = request.form.get("back") or ""
    if back.startswith("/admin/") and "//" not in back and "\\" not in back:
        return back
    return url_for("opinions.opinions")


def _message(message: str, status: int):
    return render_template("admin/message.html", message=message, back=_back()), status


@bp.post("/merge")
@login_required
def merge():
    """From the inbox or a group: the button pressed decides, never the dropdown alone.
    `action=into` adds the ticked opinions to the suggestion chosen in the dropdown; any other
    submit (合并成新建议, a group's 合并成建议, Enter in the form) drafts a new suggestion from
    those still pending, saying which were handled meanwhile."""
    db = get_db()
    ids = _ids(request.form.getlist("ids"))
    if not ids:
        return _message(NOTHING_TICKED, 400)
    current = scope()
    chosen = found(current.opinions(db, ids))
    try:
        if request.form.get("action") == "into":
            target = request.form.get("suggestion", type=int)
            if not target:
                return _message(NO_TARGET, 400)
            suggestion = found(current.suggestion(db, target))
            suggestions.add_opinions(db, current, suggestion["id"], ids)
            return redirect(url_for("suggestions.show", suggestion_id=suggestion["id"]), 303)
        pending, handled = suggestion_text.still_pending(chosen)
        if not pending:
            return _message(suggestion_text.all_handled_message(handled), 409)
        proposal = merging.draft(pending, dict(categories()))
    except suggestions.SuggestionError as error:
        return _refused(error)
    form = _suggestion_form(None, opinion_ids=",".join(str(o["id"]) for o in pending), **proposal)
    return render_template(
        "admin/suggestion_new.html",
        form=form,
        opinions=pending,
        handled=suggestion_text.handled_ids(handled),
    )


@bp.post("/create")
@login_required
def create():
    db = get_db()
    current = scope()
    form = _suggestion_form(request.form)
    ids = _ids(form.opinion_ids.data or "")
    chosen = found(current.opinions(db, ids)) if ids else []
    if form.validate_on_submit() and ids:
        try:
            suggestion_id = suggestions.create(
                db, current, ids, form.data, current_app.config["FEEDBACK_TIER_DAYS"]
            )
        except suggestions.SuggestionError as error:
            return _refused(error)
        return redirect(url_for("suggestions.show", suggestion_id=suggestion_id), 303)
    return render_template("admin/suggestion_new.html", form=form, opinions=chosen), 400


def _page(db, suggestion: dict, status: int = 200, **forms):
    linked = scope().suggestion_opinions(db, suggestion)
    row = db.execute(
        "select name from departments where id = ?", [suggestion["department_id"]]
    ).fetchone()
    department = row[0] if row else ""
    chosen = deputy_suggestions.signers(db, suggestion["id"])
    handling = forms.get("handling") or HandlingForm(
        formdata=None,
        tier=suggestion["tier"],
        deadline=suggestion["deadline"],
        department=department,
        lead_deputy=chosen["lead"]["code"] if chosen["lead"] else "",
        cosigners=[d["code"] for d in chosen["cosigners"]],
    )
    history = audit.suggestion_history(db, suggestion["id"])
    body = suggestion_text.body_shown(suggestion["body"], len(linked))
    edit = forms.get("edit") or _suggestion_form(
        None,
        SuggestionTextForm,
        EDIT_PREFIX,
        title=suggestion["title"],
        body=body,
        category=suggestion["category"],
    )
    notes = list(
        db.query(
            "select * from suggestion_notes where suggestion_id = ? order by id", [suggestion["id"]]
        )
    )
    stations = sorted({o["station_name"] for o in linked})
    recurring = recurrence.linked(db, scope(), suggestion)
    return render_template(
        "admin/suggestion.html",
        suggestion=suggestion,
        body=body,
        edit_form=edit,
        linked=linked,
        stations=stations,
        recurring=recurring,
        handling=handling,
        note_form=forms.get("note") or NoteForm(formdata=None),
        advance_form=forms.get("advance") or AdvanceForm(formdata=None),
        next_status=labels.NEXT_STATUS.get(suggestion["status"]),
        history=history,
        notes=notes,
        department=department,
        online=suggestions.handled_online(db, suggestion["id"]),
        overdue=suggestions.is_overdue(suggestion, clock.now().date()),
        departments=departments.active_names(db, suggestion["town"]),
        categories=dict(categories()),
        error=forms.get("error"),
        board=supporters_card(db, suggestion, forms),
        signers=chosen,
        candidates=deputy_suggestions.candidates(db, suggestion),
        verdict=deputy_suggestions.verdict_of(db, suggestion),
    ), status


@bp.get("/<int:suggestion_id>")
@login_required
def show(suggestion_id: int):
    db = get_db()
    return _page(db, found(scope().suggestion(db, suggestion_id)))


@bp.post("/<int:suggestion_id>/handling")
@login_required
def set_handling(suggestion_id: int):
    """The page's one form: its fields saved, and with 保存并… the next status too, all or
    nothing (feedback.suggestion_steps)."""
    db = get_db()
    current = scope()
    suggestion = found(current.suggestion(db, suggestion_id))
    form = HandlingForm()
    if not form.validate_on_submit():
        return _page(db, suggestion, 400, handling=form)
    # The status the clerk saw when the page was drawn: a double tap moves it one step only.
    expected = request.form.get("expected")
    if expected not in labels.SUGGESTION_STATUSES:
        expected = suggestion["status"]
    tier_days = current_app.config["FEEDBACK_TIER_DAYS"]
    changes = suggestion_steps.changes_for(
        suggestion, form.tier.data, form.deadline.data, tier_days
    )
    try:
        suggestion_steps.save(
            db,
            current,
            dict(suggestion, status=expected),
            changes,
            form.department.data,
            form.progress.data or "",
            advance=request.form.get("then") == "advance",
            answer=form.answer.data,
            signers=(form.lead_deputy.data or "", form.cosigners.data or []),
        )
    except departments.DepartmentError as error:
        form.department.errors.append(str(error))
        return _page(db, suggestion, 400, handling=form)
    except deputy_suggestions.Refused as error:
        form.lead_deputy.errors.append(str(error))
        return _page(db, suggestion, 400, handling=form)
    except (suggestions.Stale, suggestions.Missing) as error:
        return _refused(error)
    except suggestions.SuggestionError as error:
        return _page(db, suggestion, 400, handling=form, error=str(error))
    return redirect(url_for("suggestions.show", suggestion_id=suggestion_id), 303)


@bp.post("/<int:suggestion_id>/edit")
@login_required
def edit(suggestion_id: int):
    """Correct the title, body or category, at any status (suggestions.edit says why)."""
    db = get_db()
    current = scope()
    suggestion = found(current.suggestion(db, suggestion_id))
    form = _suggestion_form(request.form, SuggestionTextForm, EDIT_PREFIX)
    if not form.validate_on_submit():
        return _page(db, suggestion, 400, edit=form)
    fields = {key: form[key].data for key in suggestion_text.TEXT_FIELDS}
    try:
        suggestions.edit(db, current, suggestion_id, fields, set(dict(categories())))
    except suggestions.SuggestionError as error:
        if isinstance(error, suggestions.Missing):
            abort(404)
        form.category.errors = [str(error)]
        return _page(db, suggestion, 400, edit=form)
    return redirect(url_for("suggestions.show", suggestion_id=suggestion_id), 303)


@bp.post("/<int:suggestion_id>/advance")
@login_required
def advance(suggestion_id: int):
    db = get_db()
    current = scope()
    suggestion = found(current.suggestion(db, suggestion_id))
    form = AdvanceForm()
    # The status the clerk saw when the page was drawn: a double tap moves it one step only.
    expected = request.form.get("expected")
    if expected not in labels.SUGGESTION_STATUSES:
        expected = suggestion["status"]
    if form.validate_on_submit():
        try:
            suggestions.advance(db, current, suggestion_id, expected, form.answer.data)
        except suggestions.Stale as error:
            return _refused(error)
        except suggestions.SuggestionError as error:
            if isinstance(error, suggestions.Missing):
                abort(404)
            return _page(db, suggestion, 400, advance=form, error=str(error))
        return redirect(url_for("suggestions.show", suggestion_id=suggestion_id), 303)
    return _page(db, suggestion, 400, advance=form)


@bp.post("/<int:suggestion_id>/notes")
@login_required
def note(suggestion_id: int):
    db = get_db()
    current = scope()
    suggestion = found(current.suggestion(db, suggestion_id))
    form = NoteForm()
    if not form.validate_on_submit():
        return _page(db, suggestion, 400, note=form)
    try:
        suggestions.add_note(db, current, suggestion_id, form.note.data)
    except suggestions.SuggestionError as error:
        return _refused(error)
    return redirect(url_for("suggestions.show", suggestion_id=suggestion_id), 303)


@bp.post("/<int:suggestion_id>/remove/<int:opinion_id>")
@login_required
def remove(suggestion_id: int, opinion_id: int):
    db = get_db()
    current = scope()
    suggestion = found(current.suggestion(db, suggestion_id))
    try:
        suggestions.remove_opinion(db, current, suggestion_id, opinion_id)
    except suggestions.Missing as error:
        return _page(db, suggestion, 404, error=str(error))
    except suggestions.SuggestionError as error:
        return _page(db, suggestion, 409, error=str(error))
    return redirect(url_for("suggestions.show", suggestion_id=suggestion_id), 303)
