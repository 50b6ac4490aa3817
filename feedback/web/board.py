"""The town's public board (/board/<town>) and its "我也遇到" button.

Views parse, call feedback.board and feedback.supporters, render. A tap on 我也遇到 is one
POST (with or without a phone, which sits in a <details> that needs no JavaScript) and
comes back to the same card with what happened; a mistake (a bad phone, a phone without
consent, a page left open past its token) re-renders the page with the message on that
card and the phone still typed in.
"""

from __future__ import annotations

import secrets

from flask import (
    Blueprint,
    current_app,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_wtf.csrf import generate_csrf

from feedback import board, ratelimit, supporters
from feedback.context import categories, get_db
from feedback.web import flood
from feedback.web.forms import SupportForm
from feedback.web.hooks import refuse

bp = Blueprint("board", __name__)

UNKNOWN_TOWN = (
    "没有找到这个镇街的公开栏。请核对链接,或扫描村里张贴的二维码后点“看看本镇正在办的事”。"
)
EXPIRED = "页面停留太久已过期,请再点一次“我也遇到”;您填的手机号还在"
OUTCOMES = {
    supporters.COUNTED: "已记下:您也遇到了这件事。办理结果会在这里公开。",
    supporters.PHONE_ADDED: "已记下您的手机号,办好后会告诉您。",
    supporters.ALREADY: "您已经登记过“我也遇到”了,每个手机号(或每部手机)只算一次。",
}


def _town(town: str) -> str:
    if len(town) > 40 or not board.known_town(get_db(), town):
        refuse(404, UNKNOWN_TOWN)
    return town


def _page_number() -> int:
    value = request.args.get("page", "")
    return int(value) if value.isdecimal() and len(value) < 6 else 1


def _only() -> int | None:
    value = request.args.get("s", "")
    return int(value) if value.isdecimal() and len(value) < 10 else None


@bp.get("/board/<town>")
def show(town: str):
    return _render(_town(town))


@bp.get("/b/<int:suggestion_id>")
def entry(suggestion_id: int):
    """The short link texted to a supporter (the provider's template holds the rest): the
    suggestion's card on its town's board."""
    town = board.town_of(get_db(), suggestion_id)
    if town is None:
        refuse(404, "没有找到这件事,它可能已经不在公开栏上了。")
    return redirect(url_for("board.show", town=town, s=suggestion_id) + f"#s-{suggestion_id}")


def _render(town: str, failed: dict | None = None, status: int = 200):
    """The page; `failed` is the card whose support was refused: its id, message and form."""
    db = get_db()
    labels = dict(categories())
    shown = board.page(db, town, _page_number(), request.args.get("show", ""), labels, _only())
    notice = session.pop("board_notice", None)
    # One CSRF token for the page and a one-time token per card: a form object per card
    # cost more than the rest of the page.
    tokens = {row["id"]: secrets.token_urlsafe(12) for row in shown.rows if row["open"]}
    page = render_template(
        "public/board.html",
        board=shown,
        tokens=tokens,
        csrf=generate_csrf(),
        notice=notice,
        failed=failed,
    )
    response = current_app.make_response((page, status))
    flood.give_device_cookie(response)
    return response


def _limits() -> list[ratelimit.Bucket]:
    """The form's flood limits, counted apart from submissions (prefixed)."""
    return [ratelimit.Bucket(f"support:{key}", limit) for key, limit in flood.limits()]


@bp.post("/board/<town>/<int:suggestion_id>/support")
def support(town: str, suggestion_id: int):
    town = _town(town)
    form = SupportForm()
    if not form.validate():
        message = EXPIRED if "csrf_token" in form.errors else "请按下面带 ⚠ 的提示修改后再点一次"
        return _refused(town, suggestion_id, form, message, 400)
    device = supporters.device_key(flood.device_cookie(), form.submission_token.data)
    if device is None:  # neither the browser's cookie nor the page's token: not from a page
        return _refused(town, suggestion_id, form, EXPIRED, 400)
    try:
        outcome = supporters.support(
            get_db(),
            town,
            suggestion_id,
            device,
            form.phone.data or None,
            bool(form.consent.data),
            _limits(),
        )
    except LookupError:
        refuse(404, "没有找到这件事,它可能已经不在公开栏上了。")
    except supporters.RateLimited as error:
        return _refused(town, suggestion_id, form, str(error), 429)
    except supporters.SupportError as error:  # closed meanwhile
        return _refused(town, suggestion_id, form, str(error), 409)
    session["board_notice"] = {"id": suggestion_id, "text": OUTCOMES[outcome]}
    back = url_for("board.show", town=town, page=request.args.get("page") or None, s=_only())
    return redirect(f"{back}#s-{suggestion_id}", 303)


def _refused(town: str, suggestion_id: int, form: SupportForm, message: str, status: int):
    failed = {"id": suggestion_id, "form": form, "message": message}
    return _render(town, failed, status)
