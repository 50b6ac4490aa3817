"""适老化: the 大字 switch of every public page, without JavaScript.

A plain link (/big?on=1&next=<this page>) sets a long-lived cookie and comes back to the
page, so an elderly villager taps once and every public page stays in large text until
they tap again; the pages read the cookie through `big_text()`. The 读给我听 button is the
pages' own progressive enhancement (templates/base.html)."""

from __future__ import annotations

from flask import Blueprint, current_app, redirect, request

bp = Blueprint("elderly", __name__)

COOKIE = "fb_big"


def big_text() -> bool:
    return request.cookies.get(COOKIE) == "1"


def _local(target: str) -> str:
    """Back to a page of this service only (never another host: an open redirect)."""
    if not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/t"
    return target


@bp.get("/big")
def switch():
    response = redirect(_local(request.args.get("next", "/t")), 303)
    on = request.args.get("on") == "1"
    response.set_cookie(
        COOKIE,
        "1" if on else "0",
        max_age=365 * 86400,
        httponly=True,
        samesite="Lax",
        secure=current_app.config["SESSION_COOKIE_SECURE"],
    )
    return response


@bp.app_context_processor
def _switch_link() -> dict:
    """What base.html needs for the switch: whether it is on, and the way back here (a page
    drawn for a POST names its own way back as `switch_back`)."""
    return {"big_text": big_text, "here": request.full_path.rstrip("?"), "switch_back": None}
