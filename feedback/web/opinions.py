"""Clerk triage pages: the inbox and an opinion's page."""

from __future__ import annotations

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
)
from wtforms.fields.choices import SelectChoice

from feedback import (
    additions,
    audit,
    category_hint,
    clock,
    deputies,
    inbox,
    labels,
    opinions,
    recurrence,
    similar_opinions,
    suggestions,
)
from feedback.context import categories, get_db, photo_dir
from feedback.web.auth import login_required
from feedback.web.hooks import LARGEST_ID, refuse
from feedback.web.pages import found, scope
from feedback.web.staff_forms import AnswerForm, CategoryForm, RejectForm

bp = Blueprint("opinions", __name__, url_prefix="/admin")


def _date(name: str) -> date | None:
    """A YYYY-MM-DD argument; a malformed one is ignored, one the inbox cannot count with
    (beyond inbox.LAST_DAY) is refused with a message."""
    value = request.args.get(name)
    try:
        day = date.fromisoformat(value) if value else None
    except ValueError:
        return None
    if day is not None and day > inbox.LAST_DAY:
        refuse(400, f"日期 {value} 超出了能查询的范围,请重新选日期")
    return day


def _number(name: str, default: int | None, largest: int, zh: str) -> int | None:
    """A whole-number argument no larger than `largest`; a bigger one is refused (SQLite
    cannot even hold it), anything else not a number falls back to the default."""
    value = (request.args.get(name) or "").strip()
    if not value.isdecimal() or not value.isascii():
        return default
    if len(value) > len(str(largest)) or int(value) > largest:  # int() refuses 4,300 digits
        refuse(400, zh)
    return int(value)


def _filters() -> inbox.Filters:
    args = request.args
    status = args.get("status", "new")
    return inbox.Filters(
        status=status if status in labels.OPINION_STATUSES else None,
        station_id=_number("station", None, LARGEST_ID, "没有这个站点,请从列表里选站点"),
        category=args.get("category") or None,
        date_from=_date("from"),
        date_to=_date("to"),
        with_photos=args.get("photos") == "1",
        rating=args.get("rating") if args.get("rating") in labels.RATINGS else None,
        q=(args.get("q") or "").strip()[:100],
        page=max(1, _number("page", 1, inbox.LAST_PAGE, "没有这一页,请回到第一页") or 1),
    )


@bp.get("/opinions", endpoint="opinions")
@login_required
def inbox_view():
    db = get_db()
    current = scope()
    result = inbox.page(db, current, _filters())
    open_suggestions = current.suggestions(db, open_only=True)
    return render_template(
        "admin/inbox.html",
        result=result,
        stations=current.stations(db, active_only=False),
        open_suggestions=open_suggestions,
        overdue=suggestions.overdue_ids(open_suggestions),
        categories=dict(categories()),
        statuses=labels.OPINION_STATUSES,
        ratings=labels.RATINGS,
    )


def _forms() -> dict:
    category = CategoryForm(prefix="c")
    category.category.choices = [SelectChoice(code, label) for code, label in categories()]
    return {
        "answer_form": AnswerForm(prefix="a"),
        "reject_form": RejectForm(prefix="r"),
        "category_form": category,
    }


@bp.post("/opinions/<int:opinion_id>/<any(answer, reject, category):action>")
@login_required
def act(opinion_id: int, action: str):
    """Answer directly, reject with a reason, or change the category; each is logged."""
    db = get_db()
    current = scope()
    row = found(current.opinion(db, opinion_id))
    forms = _forms()
    form = forms[f"{action}_form"]
    if form.validate_on_submit():
        try:
            if action == "category":
                opinions.set_category(db, current, opinion_id, form.category.data)
            elif action == "answer":
                opinions.answer_directly(db, current, opinion_id, form.answer.data)
            else:
                opinions.reject(db, current, opinion_id, form.reason.data)
        except opinions.NotFound:
            abort(404)
        except opinions.AlreadyHandled as error:
            return render_template("admin/message.html", message=str(error)), 409
        return redirect(url_for("opinions.opinion", opinion_id=opinion_id), 303)
    return _opinion_page(db, row, forms), 400


@bp.post("/opinions/<int:opinion_id>/recur")
@login_required
def recur(opinion_id: int):
    """The problem came back: a new suggestion of this opinion following the closed one."""
    db = get_db()
    current = scope()
    found(current.opinion(db, opinion_id))
    closed = request.form.get("suggestion", type=int) or 0
    try:
        new = recurrence.reopen(
            db,
            current,
            opinion_id,
            closed,
            dict(categories()),
            current_app.config["FEEDBACK_TIER_DAYS"],
        )
    except suggestions.Missing:
        abort(404)
    except suggestions.SuggestionError as error:
        return render_template("admin/message.html", message=str(error)), 409
    return redirect(url_for("suggestions.show", suggestion_id=new), 303)


@bp.get("/opinions/<int:opinion_id>")
@login_required
def opinion(opinion_id: int):
    db = get_db()
    return _opinion_page(db, found(scope().opinion(db, opinion_id)), _forms())


@bp.post("/opinions/<int:opinion_id>/reveal")
@login_required
def reveal(opinion_id: int):
    """Showing a villager's whole phone number is a deliberate act, and it is logged."""
    db = get_db()
    row = found(scope().opinion(db, opinion_id))
    audit.phone_revealed(db, g.user["username"], row)
    return _opinion_page(db, row, _forms(), revealed=True)


def _opinion_page(db, row: dict, forms: dict, revealed: bool = False):
    forms["category_form"].category.data = forms["category_form"].category.data or row["category"]
    station = db["stations"].get(row["station_id"])
    photos = list(
        db.query(
            "select * from photos where opinion_id = ? and addition_id is null order by id",
            [row["id"]],
        )
    )
    history = audit.history(db, "opinion", row["id"])
    # A worker's warm-up may still be building the town's index: say so rather than wait.
    similar = similar_opinions.similar(
        db, current_app.config["FEEDBACK_DATABASE"], row["id"], 5, wait=False
    )
    hint = category_hint.suggest(
        db, current_app.config["FEEDBACK_DATABASE"], row["town"], row["id"]
    )
    merged_into = suggestions.of_opinion(db, row["id"])
    again = recurrence.closed_like(db, scope(), similar or []) if row["status"] == "new" else []
    overdue = bool(merged_into) and suggestions.is_overdue(merged_into, clock.now().date())
    return render_template(
        "admin/opinion.html",
        opinion=row,
        station=station,
        deputy=deputies.by_id(db, row["deputy_id"]) if row.get("deputy_id") else None,
        photos=photos,
        additions=additions.of_opinion(db, row["id"]),
        history=history,
        similar=similar,
        category_hint=hint if hint != row["category"] else None,
        revealed=revealed,
        merged_into=merged_into,
        again=again,
        overdue=overdue,
        categories=dict(categories()),
        statuses=labels.OPINION_STATUSES,
        **forms,
    )


@bp.get("/opinions/<int:opinion_id>/photos/<int:photo_id>")
@login_required
def photo(opinion_id: int, photo_id: int):
    db = get_db()
    row = found(scope().opinion(db, opinion_id))
    stored = found(
        db.execute(
            "select filename from photos where id = ? and opinion_id = ?", [photo_id, row["id"]]
        ).fetchone()
    )
    response = send_from_directory(photo_dir(), stored[0], mimetype="image/jpeg", max_age=3600)
    response.cache_control.public = False  # send_file says public; a villager's photo is not
    response.cache_control.private = True
    return response
