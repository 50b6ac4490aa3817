"""Service-wide hooks: health, Chinese error pages, security headers on every response, and
the refusal of URLs no page can answer (NUL characters, ids beyond SQLite's range)."""

from __future__ import annotations

import secrets
import sqlite3
from datetime import UTC, datetime
from typing import NoReturn

from flask import Blueprint, g, jsonify, render_template, request
from werkzeug.exceptions import BadRequest, HTTPException, NotFound
from werkzeug.routing import IntegerConverter
from werkzeug.wrappers import Response

from feedback.context import get_db

bp = Blueprint("hooks", __name__)

# SQLite stores integers in 64 bits; a bigger number in a URL names no row.
LARGEST_ID = 2**63 - 1


class RowIdConverter(IntegerConverter):
    """`<int:...>` app-wide: a number beyond SQLite's range matches no route, so it is a 404
    page rather than an OverflowError deep in a query."""

    def __init__(self, url_map, fixed_digits=0, min=None, max=LARGEST_ID, signed=False) -> None:
        super().__init__(url_map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)


def refuse(code: int, zh: str) -> NoReturn:
    """Stop the request with the error page of `code`, saying in Chinese what was wrong."""
    error = {400: BadRequest, 404: NotFound}[code]()
    error.zh = zh  # type: ignore[attr-defined]
    raise error


def csp_nonce() -> str:
    """This response's nonce: every <script> and <style> of a page carries it, and the
    Content-Security-Policy allows no other inline code or style."""
    if "csp_nonce" not in g:
        g.csp_nonce = secrets.token_urlsafe(16)
    return g.csp_nonce


@bp.before_app_request
def refuse_nul() -> None:
    """A NUL character is in no link this service makes; SQLite's full-text search reads it
    as the end of the query and fails, so refuse it once here instead of page by page."""
    if "\x00" in request.path or b"%00" in request.query_string.lower():
        refuse(400, "链接里有无效的字符,请检查链接是否完整,或回到上一页重新操作。")


@bp.after_app_request
def security_headers(response: Response) -> Response:
    """No inline code or style but this response's own, no framing (clickjacking), no MIME
    sniffing of photos, and no Referer: a receipt code in /t/<code> must not reach the logs
    of another site a villager follows a link to. HSTS is set by nginx (deploy/)."""
    nonce = csp_nonce()
    response.headers.setdefault(
        "Content-Security-Policy",
        "default-src 'self'; img-src 'self' data: blob:; "
        f"script-src 'self' 'nonce-{nonce}'; style-src 'self' 'nonce-{nonce}'; "
        "object-src 'none'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'",
    )
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "no-referrer")
    return response


@bp.get("/healthz")
def healthz():
    """200 only when the database can be read and written."""
    db = get_db()
    try:
        with db.atomic():
            db.execute(
                "insert into heartbeat (id, at) values (1, ?) "
                "on conflict (id) do update set at = excluded.at",
                [datetime.now(UTC).isoformat(timespec="seconds")],
            )
        count = db.execute("select count(*) from stations").fetchone()[0]
    except sqlite3.Error as error:
        return jsonify(status="error", error=str(error)), 503
    return jsonify(status="ok", stations=count)


@bp.app_errorhandler(HTTPException)
def http_error(error: HTTPException):
    """Every error is a small Chinese page (or JSON), never a bare one. Staff pages answer in
    the staff layout, in words for staff: a record outside their scope is "not found or not
    yours", never the villagers' advice about the QR code on a poster."""
    from feedback.web.public import wants_json

    title, advice = ERROR_TEXT.get(error.code or 500, ERROR_TEXT[500])
    staff_page = request.path == "/admin" or request.path.startswith("/admin/")
    if error.code == 404 and staff_page:
        advice = STAFF_NOT_FOUND
    advice = getattr(error, "zh", advice)  # refuse() says what was wrong with the request
    if wants_json():
        return jsonify(error=title, fields={}), error.code
    if staff_page:
        return render_template("admin/error.html", title=title, advice=advice), error.code
    # Signed-in staff trying a poster's link (/s/CODE) are told where stations are managed.
    staff_hint = STAFF_STATION_HINT if error.code == 404 and g.get("user") else None
    page = render_template("errors/error.html", title=title, advice=advice, staff_hint=staff_hint)
    return page, error.code


STAFF_NOT_FOUND = "要找的记录不存在,或不在您的账号可以查看的范围内。请回到列表重新进入。"
STAFF_STATION_HINT = (
    "工作人员提示:这个链接对应的站点不存在、已停用或不在您的镇街;"
    "站点和海报请在工作台的“站点与海报”页查看和启用。"
)
ERROR_TEXT = {
    400: ("请求有误", "请回到上一页重新操作。"),
    404: (
        "没有找到这个页面",
        "这个二维码或链接对应的站点不存在或已停用。请核对链接,或扫描村里张贴的最新二维码。",
    ),
    405: ("不支持这种访问方式", "请回到上一页重新操作。"),
    409: ("这件事已经处理过了", "请刷新页面查看最新情况。"),
    413: ("提交的内容太大了", "请少选几张照片,或把文字写短一些,再提交一次。"),
    429: ("提交太频繁了", "请稍等一会儿再试。"),
    500: ("出了点问题", "请稍后再试。如果一直这样,请联系镇人大办公室。"),
}
