"""Configuration in one readable place: defaults, instance/config.py, environment variables.

Later sources win: defaults < instance/config.py < environment < test config.
"""

from __future__ import annotations

import os
import secrets
from datetime import timedelta
from pathlib import Path
from typing import Any

from flask import Flask

from feedback import labels
from feedback.paths import PACKAGE_DIR

DEFAULTS: dict[str, Any] = {
    # The public base URL printed into QR codes: posters must point at the real server.
    # Unset, it is this machine on the port served (FEEDBACK_PORT), as `make run` serves it.
    "FEEDBACK_BASE_URL": None,
    # The port `feedback serve` listens on by default; `serve --port P` and `PORT=P make run`
    # set it, so that the default base URL (and every poster printed) follows the port.
    "FEEDBACK_PORT": 8000,
    # None means instance/feedback.db; a relative path is taken from the working directory.
    "FEEDBACK_DATABASE": None,
    # The poster font: Debian's fonts-noto-cjk, Simplified Chinese face of the collection.
    "FEEDBACK_FONT_REGULAR": "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "FEEDBACK_FONT_BOLD": "/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc",
    "FEEDBACK_FONT_INDEX": 2,
    "FEEDBACK_POSTER_TITLE": "码上提 · 有事找代表",
    # Opinion categories, code -> label, in the order the form shows them.
    "FEEDBACK_CATEGORIES": dict(labels.CATEGORIES),
    # Default deadline of a suggestion, in days, by tier (微事马上办、一般速交办、重大监督办).
    "FEEDBACK_TIER_DAYS": {"微事": 7, "一般": 30, "重大": 90},
    # A department signs for an item handed to it within this many working days (Mon-Fri);
    # later signing is counted as late (签收及时率).
    "FEEDBACK_SIGN_WORKING_DAYS": 1,
    # A villager answered this many days ago who left a phone number (with consent) and has
    # not rated appears on the town's return-visit list (回访, feedback.return_visits).
    "FEEDBACK_VISIT_AFTER_DAYS": 7,
    # ...until this many days after the answer: older answers drop off the list.
    "FEEDBACK_VISIT_WITHIN_DAYS": 90,
    # Points of the deputies' yearly record (履职积分, feedback.deputy_record): what is set
    # here replaces those defaults only: {"activity": {"reception": 2, "visit": 2,
    # "inspection": 3, "forum": 2, "market": 2}, "opinion": 1, "lead": 5, "cosign": 2}.
    "FEEDBACK_DUTY_POINTS": {},
    # Submission attempts allowed per hour (failed ones count too, a retry of a stored one
    # does not): per device (a cookie) first, then a generous ceiling per address, because
    # a whole village may share one carrier-NAT address. Clients without the device cookie
    # share a smaller per-address budget.
    "FEEDBACK_LIMIT_PER_DEVICE": 10,
    "FEEDBACK_LIMIT_PER_ADDRESS": 300,
    "FEEDBACK_LIMIT_NO_COOKIE": 60,
    # Unknown receipt codes typed on /t per address: a villager mistypes a few times, a
    # guesser needs hundreds of thousands of tries; past either limit every look-up from the
    # address is refused until its window ends. The windows are fixed (clock-aligned), so
    # any 60 minutes see at most twice the hourly limit: 80 wrong tries.
    "FEEDBACK_LOOKUP_MISSES_PER_10_MIN": 20,
    "FEEDBACK_LOOKUP_MISSES_PER_HOUR": 40,
    # Photos: at most 3 of 10 MB each; a request may carry them plus the text.
    "FEEDBACK_MAX_PHOTOS": 3,
    "FEEDBACK_MAX_PHOTO_BYTES": 10 * 1024 * 1024,
    "FEEDBACK_MAX_PHOTO_PIXELS": 50_000_000,
    "MAX_CONTENT_LENGTH": 31 * 1024 * 1024,
    "MAX_FORM_MEMORY_SIZE": 1024 * 1024,
    # A villager may take a long time to type on a phone; the form token lasts a day.
    "WTF_CSRF_TIME_LIMIT": 24 * 3600,
    # How many reverse proxies (nginx) stand in front and set X-Forwarded-For/-Proto; rate
    # limits key on the villager's address, which only the proxy knows.
    "FEEDBACK_PROXY_HOPS": 0,
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SAMESITE": "Lax",
    # A staff session (feedback.sessions) ends after this many hours unused and, however
    # busy, this many days after signing in; the signed cookie is not honoured longer either.
    "FEEDBACK_SESSION_IDLE_HOURS": 12,
    "FEEDBACK_SESSION_DAYS": 7,
    # Names and phone numbers are removed from opinions older than this by
    # `feedback purge-contacts` (个人信息保护法): two years covers the longest handling
    # deadline (重大: 90 days) many times over and one full year of follow-up calls.
    "FEEDBACK_CONTACT_RETENTION_DAYS": 730,
    # Text messages (feedback.notify): no provider, nothing is sent and the outbox says so.
    # tencent: KEY_ID/SECRET are the SecretId/SecretKey, SDK_APP_ID the SmsSdkAppId;
    # aliyun: the AccessKeyId/AccessKeySecret. Templates are the approved ids (Tencent) or
    # codes (Alibaba, SMS_...) of the three messages (merged, answered, and answered to a
    # supporter of 我也遇到); SIGN_NAME the approved 签名.
    "FEEDBACK_SMS_PROVIDER": None,
    "FEEDBACK_SMS_KEY_ID": None,
    "FEEDBACK_SMS_KEY_SECRET": None,
    "FEEDBACK_SMS_SDK_APP_ID": None,
    "FEEDBACK_SMS_SIGN_NAME": None,
    "FEEDBACK_SMS_TEMPLATE_MERGED": None,
    "FEEDBACK_SMS_TEMPLATE_ANSWERED": None,
    "FEEDBACK_SMS_TEMPLATE_SUPPORTED": None,
    "FEEDBACK_SMS_REGION": None,
    "FEEDBACK_SMS_ENDPOINT": None,  # another address than the provider's (a test's fake)
    "FEEDBACK_SMS_TIMEOUT": 10,
    "FEEDBACK_SMS_BATCH": 100,
    "FEEDBACK_SMS_MAX_ATTEMPTS": 6,
    "FEEDBACK_SMS_RECONCILE_AFTER": 300,
    "FEEDBACK_SMS_EXPIRE_HOURS": 72,
    # The secret last part of the reply push address (/sms/replies/<provider>/<token>)
    # given to the provider's console; unset, pushed replies are refused.
    "FEEDBACK_SMS_CALLBACK_TOKEN": None,
}

SMS_KEYS = tuple(key for key in DEFAULTS if key.startswith("FEEDBACK_SMS_"))

# Settings that may come from the environment, by the same name.
ENV_KEYS = (
    "SECRET_KEY",
    "FEEDBACK_BASE_URL",
    "FEEDBACK_DATABASE",
    "FEEDBACK_PROXY_HOPS",
    "FEEDBACK_PORT",
    *SMS_KEYS,
)


def instance_path() -> str:
    """The instance folder: $FEEDBACK_INSTANCE, else instance/ beside the package."""
    configured = os.environ.get("FEEDBACK_INSTANCE")
    if configured:
        return str(Path(configured).resolve())
    return str(PACKAGE_DIR.parent / "instance")


def load(app: Flask, test_config: dict[str, Any] | None) -> None:
    app.config.from_mapping(DEFAULTS)
    app.config.from_pyfile("config.py", silent=True)
    for key in ENV_KEYS:
        if os.environ.get(key):
            app.config[key] = os.environ[key]
    if test_config:
        app.config.from_mapping(test_config)
    app.config["FEEDBACK_PROXY_HOPS"] = int(app.config["FEEDBACK_PROXY_HOPS"])
    app.config["FEEDBACK_PORT"] = int(app.config["FEEDBACK_PORT"])
    for key in ("BATCH", "MAX_ATTEMPTS", "RECONCILE_AFTER", "EXPIRE_HOURS"):
        app.config[f"FEEDBACK_SMS_{key}"] = int(app.config[f"FEEDBACK_SMS_{key}"])
    base_url = app.config["FEEDBACK_BASE_URL"] or local_url(app.config["FEEDBACK_PORT"])
    app.config["FEEDBACK_BASE_URL"] = base_url.rstrip("/")
    app.config["SESSION_COOKIE_SECURE"] = app.config["FEEDBACK_BASE_URL"].startswith("https:")
    app.config["PERMANENT_SESSION_LIFETIME"] = timedelta(days=app.config["FEEDBACK_SESSION_DAYS"])
    database = app.config["FEEDBACK_DATABASE"]
    app.config["FEEDBACK_DATABASE"] = str(
        Path(database).expanduser().resolve()
        if database
        else Path(app.instance_path) / "feedback.db"
    )


def local_url(port: int, host: str = "127.0.0.1") -> str:
    """This machine's address on the port served: the default base URL and what `serve`
    prints to open."""
    return f"http://{'127.0.0.1' if host in ('0.0.0.0', '::') else host}:{port}"


def write_instance_config(instance: Path) -> bool:
    """Create instance/config.py with a fresh secret key; never overwrite. True if written."""
    instance.mkdir(parents=True, exist_ok=True)
    target = instance / "config.py"
    if target.exists():
        return False
    target.write_text(
        "# Generated by `feedback init`. Keep this file out of version control.\n"
        f"SECRET_KEY = {secrets.token_hex(32)!r}\n"
        "# FEEDBACK_BASE_URL = 'https://feedback.example.gov.cn'  # printed into QR codes\n",
        encoding="utf-8",
    )
    target.chmod(0o600)
    return True
