"""How often a villager's browser may post: the flood limits of the station form, 我也遇到
(feedback.web.board) and 补充说明 (feedback.web.additions), and the long-lived device cookie
they count by.

One module for the three pages, so that they count a device and an address the same way: a
browser with a well-formed cookie has its own budget, one without shares a smaller budget per
address (a bot that drops cookies gains nothing by it). The cookie is a random id, never
anything the villager typed.
"""

from __future__ import annotations

import re
import secrets

from flask import current_app, request

DEVICE_COOKIE = "fb_device"
_DEVICE_ID = re.compile(r"^[A-Za-z0-9_-]{20,64}$")


def limits() -> list[tuple[str, int]]:
    """(bucket key, limit) per address, and per device or per address without a cookie."""
    config = current_app.config
    address = request.remote_addr or "unknown"
    device = device_cookie()
    buckets = [(f"address:{address}", config["FEEDBACK_LIMIT_PER_ADDRESS"])]
    if device:
        buckets.append((f"device:{device}", config["FEEDBACK_LIMIT_PER_DEVICE"]))
    else:
        buckets.append((f"no-cookie:{address}", config["FEEDBACK_LIMIT_NO_COOKIE"]))
    return buckets


def device_cookie() -> str | None:
    """This browser's long-lived random id, when it has a well-formed one."""
    device = request.cookies.get(DEVICE_COOKIE, "")
    return device if _DEVICE_ID.match(device) else None


def give_device_cookie(response) -> None:
    """The long-lived device cookie for a browser that has none yet (as the form gives)."""
    if device_cookie() is None:
        response.set_cookie(
            DEVICE_COOKIE,
            secrets.token_urlsafe(24),
            max_age=365 * 86400,
            httponly=True,
            samesite="Lax",
            secure=current_app.config["SESSION_COOKIE_SECURE"],
        )
