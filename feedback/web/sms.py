"""Text messages on the web: the outbox page (/admin/sms), a clerk's 不再发短信 on the opinion
page and for a supporter on the suggestion page, and the providers' push of villagers'
replies (回复TD退订)."""

from __future__ import annotations

import hmac

from flask import (
    Blueprint,
    abort,
    current_app,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)

from feedback import notify, sms
from feedback.context import get_db
from feedback.db import write_transaction
from feedback.web.auth import login_required
from feedback.web.pages import scope

bp = Blueprint("sms", __name__)


def provider_state() -> str:
    """What the staff pages say about sending: the provider, or that none is configured."""
    try:
        settings = sms.settings_from(current_app.config)
    except ValueError:
        return "短信服务配置不完整,短信暂不发送(见 README“短信通知”)"
    if settings is None:
        return "未配置短信服务(FEEDBACK_SMS_PROVIDER),短信不会发出,只在这里记着"
    return {"tencent": "腾讯云短信", "aliyun": "阿里云短信"}[settings.provider]


@bp.app_template_global("sms_panel")
def sms_panel(opinion: dict) -> dict:
    """The opinion page's 短信 card: the messages about it and whether texts are stopped."""
    db = get_db()
    return {
        "messages": notify.of_opinion(db, opinion["id"]),
        "opted_out": notify.opinion_opted_out(db, opinion),
        "provider": provider_state(),
    }


@bp.get("/admin/sms")
@login_required
def outbox():
    db = get_db()
    current = scope()
    return render_template(
        "admin/sms.html",
        counts=notify.counts(db, current),
        labels=notify.STATUS_LABELS,
        messages=notify.recent(db, current),
        provider=provider_state(),
    )


@bp.post("/admin/opinions/<int:opinion_id>/sms-optout")
@login_required
def opt_out(opinion_id: int):
    """The villager asked the office to stop the texts."""
    try:
        notify.clerk_opt_out(get_db(), scope(), opinion_id)
    except notify.NotFound:
        abort(404)
    return redirect(url_for("opinions.opinion", opinion_id=opinion_id) + "#sms", 303)


@bp.post("/admin/suggestions/<int:suggestion_id>/supporters/<int:supporter_id>/sms-optout")
@login_required
def opt_out_supporter(suggestion_id: int, supporter_id: int):
    """A supporter (我也遇到) asked the office to stop the texts."""
    try:
        notify.clerk_opt_out_supporter(get_db(), scope(), suggestion_id, supporter_id)
    except notify.NotFound:
        abort(404)
    return redirect(url_for("suggestions.show", suggestion_id=suggestion_id) + "#board", 303)


# What each provider pushes and expects back. Tencent: [{"mobile", "text", "time", ...}],
# answered {"result": 0, "errmsg": "OK"}; Alibaba (SmsUp): [{"phone_number", "content",
# "send_time", ...}], answered {"code": 0, "msg": "成功"}.
PUSHED = {
    "tencent": ("mobile", "text", {"result": 0, "errmsg": "OK"}),
    "aliyun": ("phone_number", "content", {"code": 0, "msg": "成功"}),
}


@bp.post("/sms/replies/<any(tencent, aliyun):provider>/<token>")
def replies(provider: str, token: str):
    """Villagers' replies pushed by the provider; a STOP word (TD, 退订) opts the number out.
    The address carries FEEDBACK_SMS_CALLBACK_TOKEN: without it, a 404."""
    expected = current_app.config.get("FEEDBACK_SMS_CALLBACK_TOKEN") or ""
    if not expected or not hmac.compare_digest(token.encode(), expected.encode()):
        abort(404)
    items = request.get_json(silent=True)
    items = items if isinstance(items, list) else [items] if isinstance(items, dict) else []
    phone_key, text_key, answer = PUSHED[provider]
    db = get_db()
    for item in items:
        if not isinstance(item, dict):
            continue
        phone = notify.normalise_phone(str(item.get(phone_key) or ""))
        if phone and notify.is_stop(str(item.get(text_key) or "")):
            with write_transaction(db):
                notify.opt_out(db, phone, "reply", "villager")
    return jsonify(answer)
