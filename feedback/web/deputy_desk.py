"""The deputy's phone (/admin/deputy): the opinions addressed to them and those of their
stations, new first; typing in an opinion heard on a visit or at a market stall, whose
receipt is shown large for the villager to photograph; recording a duty activity.

A deputy's account is confined here as a department's is to its desk: every other staff
page (inboxes, stations, suggestions, reports) is the town office's, so it answers 404 and
GET /admin/ opens this page. What a deputy may read is feedback.access's rule; what they
may do is feedback.deputy_work's.
"""

from __future__ import annotations

import secrets

from flask import (
    Blueprint,
    current_app,
    g,
    redirect,
    render_template,
    request,
    url_for,
)
from wtforms.fields.choices import SelectChoice

from feedback import audit, clock, deputies, deputy_work, opinions
from feedback.context import activity_photo_dir, categories, get_db, photo_dir
from feedback.labels import DUTY_ACTIVITIES
from feedback.photos import PhotoError
from feedback.render import slips
from feedback.web.confinement import confine, role_required
from feedback.web.department_desk import _photos, private_photo
from feedback.web.deputy_forms import ActivityForm, HeardOpinionForm
from feedback.web.pages import found, scope

bp = Blueprint("deputy_desk", __name__, url_prefix="/admin/deputy")
# Staff pages a deputy may use besides these: signing in and out, and the printed slip of
# an opinion they may read (feedback.access decides which).
OPEN_TO_DEPUTIES = {"auth.login", "auth.logout", "imports.opinion_slip", "static"}
# The deputy's own pages: this phone, their suggestions (feedback.web.deputy_suggestions) and
# the return visits of what they lead (feedback.web.return_visits).
DEPUTY_BLUEPRINTS = ("deputy_desk.", "deputy_suggestions.", "visits.")


confine(bp, "deputy", "deputy_desk.index", DEPUTY_BLUEPRINTS, OPEN_TO_DEPUTIES)
deputy_required = role_required("deputy")


def _me() -> dict:
    return deputies.by_id(get_db(), g.user["deputy_id"])


@bp.get("/")
@deputy_required
def index():
    db = get_db()
    page = request.args.get("page", "1")
    page = int(page) if page.isascii() and page.isdecimal() and 0 < int(page) < 10000 else 1
    return render_template(
        "deputy/index.html",
        me=_me(),
        rows=deputy_work.inbox(db, scope(), page),
        page=page,
        page_size=deputy_work.INBOX_PAGE,
        activities=deputy_work.activities(db, scope(), limit=5),
        kinds=DUTY_ACTIVITIES,
    )


@bp.get("/opinions/<int:opinion_id>")
@deputy_required
def opinion(opinion_id: int):
    return _opinion_page(found(scope().opinion(get_db(), opinion_id)))


@bp.post("/opinions/<int:opinion_id>/reveal")
@deputy_required
def reveal(opinion_id: int):
    """A villager's whole phone number, on purpose and logged, as for clerks."""
    db = get_db()
    row = found(scope().opinion(db, opinion_id))
    audit.phone_revealed(db, g.user["username"], row)
    return _opinion_page(row, revealed=True)


def _opinion_page(row: dict, revealed: bool = False):
    db = get_db()
    return render_template(
        "deputy/opinion.html",
        opinion=row,
        station=db["stations"].get(row["station_id"]),
        photos=opinions.photos_of(db, row["id"]),
        revealed=revealed,
        categories=dict(categories()),
    )


def _heard_form(activity_id: int | None = None) -> HeardOpinionForm:
    db = get_db()
    form = HeardOpinionForm()
    form.category.choices = [SelectChoice("", "其他(不确定时选这个)")] + [
        SelectChoice(code, label) for code, label in categories()
    ]
    form.station.choices = [
        SelectChoice(s["id"], s["name"]) for s in deputy_work.stations_of(db, scope())
    ]
    form.activity.choices = [SelectChoice(0, "不属于哪次活动")] + [
        SelectChoice(a["id"], f"{a['held_on']} {DUTY_ACTIVITIES[a['kind']]} · {a['place']}")
        for a in deputy_work.activities(db, scope())
    ]
    if request.method == "GET":
        form.activity.data = activity_id or 0
        form.submission_token.data = secrets.token_urlsafe(18)
    return form


@bp.route("/opinions/new", methods=["GET", "POST"])
@deputy_required
def enter_opinion():
    """An opinion heard on a visit or at a market stall, typed in on the villager's behalf."""
    form = _heard_form(request.args.get("activity", type=int))
    if not form.station.choices:
        return render_template(
            "deputy/message.html", message="您还没有所在的站点,请联系镇人大把您安排到站点"
        ), 409
    if request.method == "POST" and not form.category.data:
        form.category.data = "other"
    if form.validate_on_submit():
        heard = deputy_work.Heard(
            station_id=form.station.data,
            body=form.body.data,
            category=form.category.data,
            channel=form.channel.data,
            place=form.place.data,
            name=form.name.data,
            phone=form.phone.data,
            consent=bool(form.consent.data),
            activity_id=form.activity.data or None,
            submission_token=form.submission_token.data or None,
        )
        try:
            stored = deputy_work.enter_opinion(
                get_db(), scope(), photo_dir(), heard, collected_by=_me()["name"]
            )
        except deputy_work.Refused as error:
            return render_template("deputy/opinion_new.html", form=form, error=str(error)), 400
        return redirect(url_for("deputy_desk.entered", opinion_id=stored.opinion["id"]), 303)
    status = 400 if request.method == "POST" else 200
    return render_template("deputy/opinion_new.html", form=form), status


@bp.get("/opinions/<int:opinion_id>/entered")
@deputy_required
def entered(opinion_id: int):
    """The receipt, large, for the villager to photograph; and the printed slip."""
    db = get_db()
    row = found(scope().opinion(db, opinion_id))
    url = slips.status_url(current_app.config["FEEDBACK_BASE_URL"], row["receipt"])
    return render_template(
        "deputy/entered.html",
        opinion=row,
        station=db["stations"].get(row["station_id"]),
        status_url=url,
    )


@bp.route("/activities/new", methods=["GET", "POST"])
@deputy_required
def new_activity():
    form = ActivityForm()
    if request.method == "GET":
        form.held_on.data = clock.now().date().isoformat()
    error = None
    if form.validate_on_submit():
        activity = deputy_work.Activity(
            kind=form.kind.data,
            held_on=form.held_on.data,
            place=form.place.data,
            people=int(form.people.data or 0),
            notes=form.notes.data or "",
        )
        uploads = [f for f in request.files.getlist("photos") if f and f.filename]
        try:
            activity_id = deputy_work.record_activity(
                get_db(), scope(), activity, _photos(uploads), activity_photo_dir()
            )
        except (deputy_work.Refused, PhotoError) as refused:
            error = str(refused)
        else:
            return redirect(url_for("deputy_desk.activity", activity_id=activity_id), 303)
    status = 400 if request.method == "POST" else 200
    return render_template("deputy/activity_new.html", form=form, error=error), status


@bp.get("/activities/<int:activity_id>")
@deputy_required
def activity(activity_id: int):
    row = found(deputy_work.activity(get_db(), scope(), activity_id))
    return render_template(
        "deputy/activity.html", activity=row, kinds=DUTY_ACTIVITIES, categories=dict(categories())
    )


@bp.get("/activities/<int:activity_id>/photos/<int:photo_id>")
@deputy_required
def activity_photo(activity_id: int, photo_id: int):
    row = found(deputy_work.activity(get_db(), scope(), activity_id))
    photo = found(next((p for p in row["photos"] if p["id"] == photo_id), None))
    return private_photo(activity_photo_dir(), photo["filename"])


@bp.get("/opinions/<int:opinion_id>/photos/<int:photo_id>")
@deputy_required
def opinion_photo(opinion_id: int, photo_id: int):
    db = get_db()
    row = found(scope().opinion(db, opinion_id))
    stored = found(
        db.execute(
            "select filename from photos where id = ? and opinion_id = ?", [photo_id, row["id"]]
        ).fetchone()
    )
    return private_photo(photo_dir(), stored[0])
