"""补充说明 from the status page: POST /t/<receipt>/more.

The same order as the form (feedback.web.public.station_form): everything cheap first (the
receipt, CSRF, the text's length, how many photos), then the flood limits count the
attempt, and only then are photos decoded. Every refusal re-renders the status page with
the message beside the field and the text still typed in (photos must be chosen again).
"""

from __future__ import annotations

from flask import Blueprint, redirect, request, url_for
from werkzeug.datastructures import CombinedMultiDict
from werkzeug.exceptions import RequestEntityTooLarge

from feedback import additions, ratelimit, receipts
from feedback.context import get_db, photo_dir
from feedback.web import flood, public
from feedback.web.forms import AdditionForm

bp = Blueprint("additions", __name__)

EXPIRED = "页面停留太久已过期,您写的内容都还在,请再点一次“提交补充”"
TOO_BIG = "提交的内容太大了:照片请少选几张,文字请精简一些后再提交"


def _limits() -> list[ratelimit.Bucket]:
    return [ratelimit.Bucket(f"addition:{key}", limit) for key, limit in flood.limits()]


@bp.post("/t/<receipt>/more")
def add(receipt: str):
    opinion = public._load(receipt)
    try:
        form = AdditionForm(CombinedMultiDict((request.files, request.form)))
        uploads = [f for f in request.files.getlist("photos") if f and f.filename]
    except RequestEntityTooLarge:
        return _again(opinion, AdditionForm(formdata=None), TOO_BIG, 413, had_photos=True)
    if not form.validate():
        message = EXPIRED if "csrf_token" in form.errors else public.FIX_AND_RETRY
        return _again(opinion, form, message, 400, had_photos=bool(uploads))
    room = additions.photo_room(get_db(), opinion["id"])
    if len(uploads) > room:
        message = f"补充的照片一共最多 {additions.MAX_PHOTOS} 张,这次最多还能选 {room} 张"
        return _again(opinion, form, message, 400, photo_error=message, had_photos=True)
    body = form.more.data or ""
    db = get_db()
    back = url_for("public.status", receipt=receipts.display(opinion["receipt"]))
    try:
        if additions.admit(db, opinion["id"], body, form.submission_token.data, _limits()):
            return redirect(back, 303)  # a double tap: stored once already
        prepared, photo_error = public._read_photos(uploads)
        if photo_error:
            return _again(opinion, form, public.FIX_AND_RETRY, 400, photo_error, True)
        additions.add(db, photo_dir(), opinion["id"], body, prepared, form.submission_token.data)
    except additions.RateLimited as error:
        return _again(opinion, form, str(error), 429, had_photos=bool(uploads))
    except additions.AdditionError as error:
        status = 409 if not additions.is_open(db, opinion["id"]) else 400
        return _again(opinion, form, str(error), status, had_photos=bool(uploads))
    return redirect(f"{back}#more-card", 303)


def _again(
    opinion: dict,
    form: AdditionForm,
    message: str,
    status: int,
    photo_error: str | None = None,
    had_photos: bool = False,
):
    return public.status_page(
        opinion,
        status=status,
        more_form=form,
        more_message=message,
        more_photo_error=photo_error,
        more_photos_again=public.PHOTOS_AGAIN if had_photos else None,
    )
