"""The villager's side: the station form, the receipt, the status page and its photos.

Nothing typed is ever lost: every failure re-renders the form with what was typed (photos
must be chosen again, and the page says so), and a repeated submission token returns the
first receipt instead of a second opinion.
"""

from __future__ import annotations

import re
import secrets
from pathlib import Path

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

from feedback import opinions, receipts, stations
from feedback.clock import display as show_time
from feedback.db import get_db
from feedback.forms import OpinionForm, RatingForm
from feedback.photos import Photo, PhotoError, prepare

bp = Blueprint("intake", __name__)

DEVICE_COOKIE = "fb_device"
_DEVICE_ID = re.compile(r"^[A-Za-z0-9_-]{20,64}$")
CSRF_MESSAGE = "页面停留太久已过期,您填写的内容都还在,请再点一次“提交”"
PHOTOS_AGAIN = "如需附照片,请重新选择照片"


@bp.app_template_filter("when")
def _when(value: str | None) -> str:
    return show_time(value)


@bp.app_template_filter("receipt")
def _receipt(code: str) -> str:
    return receipts.display(code)


def photo_dir() -> Path:
    return Path(current_app.instance_path) / "photos"


def categories() -> list[tuple[str, str]]:
    return list(current_app.config["FEEDBACK_CATEGORIES"].items())


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
    if request.method == "GET":
        form = _opinion_form(None)
        form.submission_token.data = secrets.token_urlsafe(18)
        return _page(station, form)
    try:
        # Form fields only, never a JSON body: the form is what phones send.
        form = _opinion_form(CombinedMultiDict((request.files, request.form)))
        uploads = [f for f in request.files.getlist("photos") if f and f.filename]
    except RequestEntityTooLarge:
        return _failure(station, _opinion_form(None), 413,
                        "提交的内容太大了:照片请少选几张,文字请精简一些后再提交")  # fmt: skip
    if not form.category.data:
        form.category.data = "other"
    valid = form.validate()
    photos, photo_error = _read_photos(uploads)
    if not valid or photo_error:
        message = CSRF_MESSAGE if "csrf_token" in form.errors else "请按红字提示修改后再提交"
        return _failure(station, form, 400, message, bool(uploads), photo_error)
    try:
        stored = opinions.create(
            get_db(), photo_dir(), _new_opinion(station, form), photos, _limits()
        )
    except opinions.RateLimited:
        return _failure(station, form, 429, "提交太频繁了,请过一会儿再试;您填写的内容都还在",
                        bool(uploads))  # fmt: skip
    return _success(stored)


def _new_opinion(station: dict, form: OpinionForm) -> opinions.NewOpinion:
    return opinions.NewOpinion(
        station_id=station["id"],
        body=form.body.data,
        category=form.category.data,
        name=form.name.data or None,
        phone=form.phone.data or None,
        consent=bool(form.consent.data),
        submission_token=form.submission_token.data or None,
        spam=bool((form.website.data or "").strip()),
    )


def _read_photos(uploads: list) -> tuple[list[Photo], str | None]:
    config = current_app.config
    if len(uploads) > config["FEEDBACK_MAX_PHOTOS"]:
        return [], f"最多只能上传 {config['FEEDBACK_MAX_PHOTOS']} 张照片,请重新选择"
    photos = []
    for number, upload in enumerate(uploads, start=1):
        try:
            photos.append(prepare(upload.read(config["FEEDBACK_MAX_PHOTO_BYTES"] + 1),
                                  config["FEEDBACK_MAX_PHOTO_BYTES"],
                                  config["FEEDBACK_MAX_PHOTO_PIXELS"]))  # fmt: skip
        except PhotoError as error:
            return [], f"第 {number} 张照片:{error}"
    return photos, None


def _limits() -> list[tuple[str, int]]:
    config = current_app.config
    address = request.remote_addr or "unknown"
    device = request.cookies.get(DEVICE_COOKIE, "")
    buckets = [(f"address:{address}", config["FEEDBACK_LIMIT_PER_ADDRESS"])]
    if _DEVICE_ID.match(device):
        buckets.append((f"device:{device}", config["FEEDBACK_LIMIT_PER_DEVICE"]))
    else:
        buckets.append((f"no-cookie:{address}", config["FEEDBACK_LIMIT_NO_COOKIE"]))
    return buckets


def wants_json() -> bool:
    return request.accept_mimetypes.best_match(["text/html", "application/json"]) == (
        "application/json"
    )


def _success(stored: opinions.Stored):
    code = stored.opinion["receipt"]
    status_url = url_for("intake.status", receipt=receipts.display(code))
    if wants_json():
        body = {"receipt": receipts.display(code), "status_url": status_url}
        return jsonify(body), 200 if stored.replayed else 201
    session["new_receipt"] = code
    return redirect(status_url, 303)


def _failure(station: dict, form: OpinionForm, status: int, message: str,
             had_photos: bool = False, photo_error: str | None = None):  # fmt: skip
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


def _page(station: dict, form: OpinionForm, message: str | None = None,
          photo_error: str | None = None, photos_again: str | None = None):  # fmt: skip
    response = current_app.make_response(render_template(
        "public/form.html", station=station, form=form, message=message,
        photo_error=photo_error, photos_again=photos_again,
    ))  # fmt: skip
    if not _DEVICE_ID.match(request.cookies.get(DEVICE_COOKIE, "")):
        response.set_cookie(DEVICE_COOKIE, secrets.token_urlsafe(24), max_age=365 * 86400,
                            httponly=True, samesite="Lax",
                            secure=current_app.config["SESSION_COOKIE_SECURE"])  # fmt: skip
    return response


@bp.get("/t")
def lookup():
    typed = request.args.get("code", "")
    if typed:
        opinion = opinions.by_receipt(get_db(), typed)
        if opinion:
            return redirect(url_for("intake.status", receipt=receipts.display(opinion["receipt"])))
        return render_template("public/lookup.html", typed=typed,
                               message="没有找到这个查询码,请核对后再输入"), 404  # fmt: skip
    return render_template("public/lookup.html", typed="", message=None)


def _load(receipt: str) -> dict:
    opinion = opinions.by_receipt(get_db(), receipt)
    if opinion is None:
        abort(404)
    return opinion


@bp.route("/t/<receipt>", methods=["GET", "POST"])
def status(receipt: str):
    opinion = opinions.by_receipt(get_db(), receipt)
    if opinion is None:
        return render_template("public/lookup.html", typed=receipt,
                               message="没有找到这个查询码,请核对后再输入"), 404  # fmt: skip
    canonical = receipts.display(opinion["receipt"])
    if receipt != canonical and request.method == "GET":
        return redirect(url_for("intake.status", receipt=canonical), 301)
    db = get_db()
    answer = opinions.answer_of(db, opinion)
    form = RatingForm()
    if request.method == "POST":
        if answer is None or opinion["rating"]:
            abort(409)
        if form.validate():
            opinions.rate(db, opinion, form.rating.data)
            return redirect(url_for("intake.status", receipt=canonical), 303)
    just_submitted = session.pop("new_receipt", None) == opinion["receipt"]
    return render_template(
        "public/status.html", opinion=opinion, station=db["stations"].get(opinion["station_id"]),
        photos=opinions.photos_of(db, opinion["id"]), events=opinions.timeline(db, opinion),
        answer=answer, form=form, just_submitted=just_submitted,
        category=dict(categories()).get(opinion["category"], opinion["category"]),
    ), (400 if form.errors else 200)  # fmt: skip


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
    response.cache_control.private = True
    return response
