"""The groups page (相似分组): pending opinions grouped by likely problem, each group fixed and
merged in place, and the clerk back on the page with the next group at the top."""

from __future__ import annotations

from flask import Blueprint, current_app, redirect, render_template, request, url_for

from feedback import group_review, merging, suggestions
from feedback.context import categories, get_db
from feedback.web.auth import login_required
from feedback.web.pages import scope
from feedback.web.suggestions import NO_TARGET, NOTHING_TICKED, _ids, _message

bp = Blueprint("groups", __name__, url_prefix="/admin/groups")


def _towns(current) -> list[str]:
    db = get_db()
    return [current.town] if current.town else sorted({s["town"] for s in current.stations(db)})


def _town(towns: list[str], asked: str | None) -> str | None:
    return asked if asked in towns else (towns[0] if towns else None)


@bp.get("", endpoint="index")
@login_required
def index():
    return _page(singles_page=False)


@bp.get("/singles", endpoint="singles")
@login_required
def singles():
    """The pending opinions in no group: each a card of one, and all in a list."""
    return _page(singles_page=True)


def _page(singles_page: bool):
    db = get_db()
    current = scope()
    towns = _towns(current)
    town = _town(towns, request.args.get("town"))
    database = current_app.config["FEEDBACK_DATABASE"]
    shown = group_review.review(db, database, current, town, singles_page) if town else None
    return render_template(
        "admin/groups.html",
        review=shown,
        singles_page=singles_page,
        town=town,
        towns=towns,
        open_suggestions=current.suggestions(db, open_only=True) if town else [],
        notice=_notice(db, current),
        categories=dict(categories()),
    )


def _notice(db, current) -> dict | None:
    """What the last merge did, from the link it sent the clerk back with (?done=...)."""
    made = _ids(request.args.get("done", ""))
    rows = [row for i in made[:50] if (row := current.suggestion(db, i))]
    if not rows:
        return None
    skipped = _ids(request.args.get("skipped", ""))
    return {"suggestions": rows, "joined": request.args.get("joined") == "1", "skipped": skipped}


@bp.post("/merge")
@login_required
def merge():
    """A group's buttons: 并入 a suggestion offered (into=ID) or chosen in the list
    (action=into), each ticked opinion its own suggestion (action=each), or one new
    suggestion (any other submit, Enter included). Made at once, without a draft page: its
    title and text are corrected on the suggestion's page, linked from the notice."""
    db = get_db()
    ids = _ids(request.form.getlist("ids"))
    if not ids:
        return _message(NOTHING_TICKED, 400)
    current = scope()
    action = request.form.get("action")
    target = request.form.get("into", type=int)
    if action == "into" and not target:
        target = request.form.get("suggestion", type=int)
        if not target:
            return _message(NO_TARGET, 400)
    try:
        if target:
            done = merging.into_existing(db, current, target, ids)
        else:
            labels, days = dict(categories()), current_app.config["FEEDBACK_TIER_DAYS"]
            done = merging.into_new(db, current, ids, labels, days, each=action == "each")
    except suggestions.Missing:
        return _message("找不到勾选的意见或这件建议,可能不在您的范围内", 404)
    except suggestions.SuggestionError as error:
        return _message(str(error), 409)
    town = _town(_towns(current), request.form.get("town"))
    args = {"done": ",".join(str(s["id"]) for s in done.suggestions)}
    if done.joined:
        args["joined"] = "1"
    if done.skipped:
        args["skipped"] = ",".join(map(str, done.skipped))
    page = "groups.singles" if request.form.get("view") == "singles" else "groups.index"
    return redirect(url_for(page, town=town, **args), 303)
