"""Service-wide public pages: health, and Chinese error pages."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime

from flask import Blueprint, jsonify, render_template
from werkzeug.exceptions import HTTPException

from feedback.db import get_db

bp = Blueprint("public", __name__)


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
    """Every error a villager may meet is a small Chinese page (or JSON), never a bare one."""
    from feedback.intake import wants_json

    title, advice = ERROR_TEXT.get(error.code or 500, ERROR_TEXT[500])
    if wants_json():
        return jsonify(error=title, fields={}), error.code
    return render_template("errors/error.html", title=title, advice=advice), error.code


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
