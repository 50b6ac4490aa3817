"""The villager's side: the station form, the receipt, the status page and its photos.

Nothing typed is ever lost: every failure re-renders the form with what was typed (photos
must be chosen again, and the page says so), and a repeated submission token returns the
first receipt instead of a second opinion.

A stranger's request costs little: everything cheap (CSRF, the form's fields, the one-time
token, the rate limits of feedback.web.flood, which count every attempt) is checked before a
single photo is decoded, and wrong receipt codes are counted per address so receipts cannot
be guessed.
"""

from __future__ import annotations

import secrets

from flask import (
    Blueprint,
    abort,
    current_app,
    jsonify,
    redirect,
    render_template,
    request,
    send_from_directory,
    session,
    url_for,
)
from werkzeug.datastructures import CombinedMultiDict
from werkzeug.exceptions import RequestEntityTooLarge
from wtforms.fields.choices import SelectChoice

from feedback import (
    additions,
    deputies,
    opinion_timeline,
    opinions,
    photos,
    ratelimit,
    receipts,
    stations,
)
from feedback.clock import display as show_time
from feedback.context import categories, get_db, photo_dir
from feedback.photos import Photo, PhotoError
from feedback.web import flood
from feedback.web.forms import AdditionForm, OpinionForm, RatingForm

bp = Blueprint("public", __name__)

CSRF_MESSAGE = "页面停留太久已过期,您填写的内容都还在,请再点一次“提交”"
PHOTOS_AGAIN = "如需附照片,请重新选择照片"
FIX_AND_RETRY = "请按下面带 ⚠ 的提示修改后再提交"
TOO_OFTEN = "提交太频繁了,请过一会儿再试;您填写的内容都还在"
TOO_MANY_MISSES = "查询码输错的次数太多了,请过一会儿再试(最长一小时);您也可以找村里的代表帮忙查询"


@bp.app_template_filter("when")
def _when(value: str | None) -> str:
    return show_time(value)


@bp.app_template_filter("receipt")
def _receipt(code: str) -> str:
    return receipts.display(code)


def _opinion_form(formdata: CombinedMultiDict | None) -> OpinionForm:
    form = OpinionForm(formdata=formdata)
    form.category.choices = [SelectChoice("", "请选择类别(可不选)")] + [
        SelectChoice(code, label) for code, label in categories()
    ]
    return form


@bp.route("/s/<code>", methods=["GET", "POST"])
def station_form(code: str):
    station = stations.get_active(get_db(), code)
    if station is None:
        abort(404)
    return _intake(station)


@bp.route("/d/<code>", methods=["GET", "POST"])
def deputy_form(code: str):
    """A deputy's card (代表码): the station form, headed with the deputy, received at their
    station and addressed to them. Unknown or retired: the same 404 as a station's."""
    found = deputies.get_receiving(get_db(), code)
    if found is None:
        abort(404)
    deputy, station = found
    return _intake(dict(station, deputy=deputy))


def _intake(station: dict):
    """GET draws the form, POST stores the opinion; `station["deputy"]`, when set, is the
    deputy it is addressed to."""
    if request.method == "GET":
        form = _opinion_form(None)
        form.submission_token.data = secrets.token_urlsafe(18)
        return _page(station, form)
    try:
        # Form fields only, never a JSON body: the form is what phones send.
        form = _opinion_form(CombinedMultiDict((request.files, request.form)))
        uploads = [f for f in request.files.getlist("photos") if f and f.filename]
    except RequestEntityTooLarge:
        return _failure(
            station,
            _opinion_form(None),
            413,
            "提交的内容太大了:照片请少选几张,文字请精简一些后再提交",
        )
    if not form.category.data:
        form.category.data = "other"
    # Everything cheap first; photos are decoded only for a request that passed it all.
    valid = form.validate()
    photo_error = _too_many(uploads)
    if not valid or photo_error:
        message = CSRF_MESSAGE if "csrf_token" in form.errors else FIX_AND_RETRY
        return _failure(station, form, 400, message, bool(uploads), photo_error)
    db = get_db()
    new = _new_opinion(station, form)
    try:
        if not uploads:  # nothing costly left: count and store in one transaction
            return _success(opinions.create(db, photo_dir(), new, limits=flood.limits()))
        earlier = opinions.admit(db, new, flood.limits())
    except opinions.RateLimited:
        return _failure(station, form, 429, TOO_OFTEN, bool(uploads))
    if earlier:
        return _success(opinions.Stored(earlier, True))
    # A bot that filled the honeypot gets its receipt, but its photos are not even opened.
    prepared, photo_error = ([], None) if new.spam else _read_photos(uploads)
    if photo_error:
        return _failure(station, form, 400, FIX_AND_RETRY, True, photo_error)
    return _success(opinions.create(db, photo_dir(), new, prepared))


def _new_opinion(station: dict, form: OpinionForm) -> opinions.NewOpinion:
    return opinions.NewOpinion(
        station_id=station["id"],
        body=form.body.data,
        category=form.category.data,
        name=form.name.data or None,
        phone=form.phone.data or None,
        consent=bool(form.consent.data),
        sms=bool(form.sms.data),
        submission_token=form.submission_token.data or None,
        spam=bool((form.website.data or "").strip()),
        deputy_id=station["deputy"]["id"] if station.get("deputy") else None,
    )


def _too_many(uploads: list) -> str | None:
    most = current_app.config["FEEDBACK_MAX_PHOTOS"]
    return f"最多只能上传 {most} 张照片,请重新选择" if len(uploads) > most else None


def _read_photos(uploads: list) -> tuple[list[Photo], str | None]:
    """Decode and re-encode the photos: the costly step, reached only by counted attempts."""
    config = current_app.config
    prepared = []
    for number, upload in enumerate(uploads, start=1):
        try:
            prepared.append(
                photos.prepare(
                    upload.read(config["FEEDBACK_MAX_PHOTO_BYTES"] + 1),
                    config["FEEDBACK_MAX_PHOTO_BYTES"],
                    config["FEEDBACK_MAX_PHOTO_PIXELS"],
                )
            )
        except PhotoError as error:
            return [], f"第 {number} 张照片:{error}"
    return prepared, None


def wants_json() -> bool:
    return request.accept_mimetypes.best_match(["text/html", "application/json"]) == (
        "application/json"
    )


def _success(stored: opinions.Stored):
    code = stored.opinion["receipt"]
    status_url = url_for("public.status", receipt=receipts.display(code))
    if wants_json():
        body = {"receipt": receipts.display(code), "status_url": status_url}
        return jsonify(body), 200 if stored.replayed else 201
    session["new_receipt"] = code
    return redirect(status_url, 303)


def _failure(
    station: dict,
    form: OpinionForm,
    status: int,
    message: str,
    had_photos: bool = False,
    photo_error: str | None = None,
):
    """The form again, with the message, everything typed, and what to do about photos."""
    fields = {name: errors[0] for name, errors in form.errors.items()}
    if "csrf_token" in fields:
        fields["csrf_token"] = CSRF_MESSAGE
    if photo_error:
        fields["photos"] = photo_error
    if wants_json():
        return jsonify(error=message, fields=fields), status
    photos_again = PHOTOS_AGAIN if had_photos or status == 413 else None
    return _page(station, form, message, photo_error, photos_again), status


def _page(
    station: dict,
    form: OpinionForm,
    message: str | None = None,
    photo_error: str | None = None,
    photos_again: str | None = None,
):
    response = current_app.make_response(
        render_template(
            "public/form.html",
            station=station,
            form=form,
            message=message,
            photo_error=photo_error,
            photos_again=photos_again,
        )
    )
    flood.give_device_cookie(response)
    return response


def _lookup_limits() -> list[ratelimit.Bucket]:
    """Wrong receipt codes allowed per address, in a short and a long window."""
    config = current_app.config
    key = f"lookup-miss:{request.remote_addr or 'unknown'}"
    return [
        ratelimit.Bucket(key, config["FEEDBACK_LOOKUP_MISSES_PER_10_MIN"], 600),
        ratelimit.Bucket(key, config["FEEDBACK_LOOKUP_MISSES_PER_HOUR"], ratelimit.HOUR),
    ]


def _find(typed: str) -> dict | None:
    return opinions.look_up(get_db(), typed, _lookup_limits())


@bp.errorhandler(opinions.TooManyMisses)
def _too_many_misses(_error: opinions.TooManyMisses):
    return render_template("public/lookup.html", typed="", message=TOO_MANY_MISSES), 429


@bp.get("/t")
def lookup():
    typed = request.args.get("code", "")
    if typed:
        opinion = _find(typed)
        if opinion:
            return redirect(url_for("public.status", receipt=receipts.display(opinion["receipt"])))
        return render_template(
            "public/lookup.html", typed=typed, message="没有找到这个查询码,请核对后再输入"
        ), 404
    return render_template("public/lookup.html", typed="", message=None)


def _load(receipt: str) -> dict:
    opinion = _find(receipt)
    if opinion is None:
        abort(404)
    return opinion


@bp.route("/t/<receipt>", methods=["GET", "POST"])
def status(receipt: str):
    opinion = _find(receipt)
    if opinion is None:
        return render_template(
            "public/lookup.html", typed=receipt, message="没有找到这个查询码,请核对后再输入"
        ), 404
    canonical = receipts.display(opinion["receipt"])
    if receipt != canonical and request.method == "GET":
        return redirect(url_for("public.status", receipt=canonical), 301)
    db = get_db()
    answer = opinion_timeline.answer_of(db, opinion)
    form = RatingForm()
    if request.method == "POST":
        if answer is None or opinion["rating"]:
            abort(409)
        if form.validate():
            try:
                opinions.rate(db, opinion, form.rating.data, form.reason.data)
            except opinions.AlreadyHandled:
                abort(409)  # a second tap lost the race: rated once
            return redirect(url_for("public.status", receipt=canonical), 303)
    just_submitted = session.pop("new_receipt", None) == opinion["receipt"]
    return status_page(opinion, form, just_submitted=just_submitted)


def status_page(
    opinion: dict,
    form: RatingForm | None = None,
    status: int | None = None,
    just_submitted: bool = False,
    **more: object,
):
    """The status page of one opinion; `more` is the 补充说明 form's state when it was
    refused (feedback.web.additions): the form with what was typed, and the messages."""
    db = get_db()
    form = form or RatingForm()
    shown = opinions.photos_of(db, opinion["id"])
    added = additions.of_opinion(db, opinion["id"])
    events = opinion_timeline.timeline(db, opinion) + [
        opinion_timeline.Event(a["created_at"], "您补充了说明") for a in added
    ]
    more_form = more.pop("more_form", None) or AdditionForm(formdata=None)
    if not more_form.submission_token.data:
        more_form.submission_token.data = secrets.token_urlsafe(18)
    page = render_template(
        "public/status.html",
        opinion=opinion,
        station=db["stations"].get(opinion["station_id"]),
        photos=[p for p in shown if not p.get("addition_id")],
        events=sorted(events, key=lambda event: event.at),
        answer=opinion_timeline.answer_of(db, opinion),
        form=form,
        just_submitted=just_submitted,
        category=dict(categories()).get(opinion["category"], opinion["category"]),
        additions=added,
        can_add=additions.is_open(db, opinion["id"]),
        photo_room=additions.photo_room(db, opinion["id"]),
        more_form=more_form,
        **more,
    )
    response = current_app.make_response((page, status or (400 if form.errors else 200)))
    # One villager's opinion: no shared cache (a proxy, a carrier's) may keep or serve it.
    response.cache_control.private = True
    response.cache_control.no_store = True
    return response


@bp.get("/t/<receipt>/photos/<int:photo_id>")
def photo(receipt: str, photo_id: int):
    opinion = _load(receipt)
    row = (
        get_db()
        .execute(
            "select filename from photos where id = ? and opinion_id = ?", [photo_id, opinion["id"]]
        )
        .fetchone()
    )
    if row is None:
        abort(404)
    response = send_from_directory(photo_dir(), row[0], mimetype="image/jpeg", max_age=86400)
    response.cache_control.public = False  # send_file says public; a villager's photo is not
    response.cache_control.private = True
    return response
