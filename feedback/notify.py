"""Text messages to villagers (短信通知): the outbox side.

A villager who left a phone number and ticked 有进展时发短信告诉我 is texted when their opinion
is merged into a suggestion and when it is answered (its suggestion closed, or the opinion
answered directly), with the link to rate. A supporter (我也遇到, feedback.supporters) who
left a phone with consent is texted once when the suggestion is answered, with the link to
its board entry (they have no receipt). The message is not sent here: a row is put in
`sms_outbox` inside the very transaction of the event, so an event never happens without its
message nor a message without its event; `feedback notify` (feedback.notify_send) sends it.

Each event path calls one function of this module, inside its transaction: merging
(feedback.suggestions._link), closing (suggestions.advance_in), a department's answer
accepted (feedback.handling_town.review) and a direct answer (feedback.opinions._change).
"""

from __future__ import annotations

import re

from sqlite_utils import Database

from feedback import audit, clock
from feedback.access import Access
from feedback.db import write_transaction
from feedback.privacy import mask_phone

# What a message says, as the provider's approved template renders it; the template takes
# one parameter, in the link: a villager's receipt (FEEDBACK_BASE_URL/t/<receipt>) or, for a
# supporter, the suggestion's id (FEEDBACK_BASE_URL/b/<id>, which opens its board entry:
# providers allow no link, town name or long value in a parameter).
TEXTS = {
    "merged": "您反映的意见已并入代表建议,正在办理。查看进展:{link} 回复TD退订",
    "answered": "您反映的意见已有答复,请查看并评价:{link} 回复TD退订",
    "supported_answered": "您也遇到的问题已有答复,请查看:{link} 回复TD退订",
}
LINKS = {"merged": "/t/{param}", "answered": "/t/{param}", "supported_answered": "/b/{param}"}
STATUS_LABELS = {
    "pending": "待发送",
    "sending": "发送中",
    "sent": "已发送",
    "failed": "发送失败",
    "cancelled": "已取消(已退订)",
    "expired": "已过期未发",
}
EVENT_LABELS = {"merged": "并入建议", "answered": "已答复", "supported_answered": "我也遇到·已答复"}

# Who may be texted about an opinion: they asked for it, a number is left, it is not spam,
# and the number has not opted out since the opinion was made.
_WANTED = (
    "o.sms = 1 and o.phone is not null and o.status != 'spam' and not exists "
    "(select 1 from sms_optouts x where x.phone = o.phone and x.at >= o.created_at)"
)
_INSERT = (
    "insert or ignore into sms_outbox (opinion_id, event, suggestion_id, occasion, phone, "
    "receipt, next_at, tag, created_at) select o.id, ?, ?, ?, o.phone, o.receipt, ?, "
    "'mst' || lower(hex(randomblob(10))), ? from opinions o "
)


def merged(db: Database, opinion_id: int, suggestion_id: int) -> None:
    """The opinion now stands behind a suggestion; call inside the merge's transaction."""
    now = clock.stamp()
    db.execute(
        _INSERT + f"where o.id = ? and {_WANTED}",
        ["merged", suggestion_id, "", now, now, opinion_id],
    )


def suggestion_answered(db: Database, suggestion_id: int) -> None:
    """The suggestion is closed with its answer: every villager behind it who asked is told,
    then every supporter who left a phone with consent; call inside the closing transaction.
    The occasion is the closing moment, so a suggestion reopened for more work (二次办理) and
    closed again texts them all again. A supporter whose number a villager behind it is texted
    at on this closing gets no second text: the villager's carries the link to rate."""
    now = clock.stamp()
    closed = db.execute("select closed_at from suggestions where id = ?", [suggestion_id])
    occasion = closed.fetchone()[0] or now
    db.execute(
        _INSERT + "join suggestion_opinions so on so.opinion_id = o.id "
        f"where so.suggestion_id = ? and {_WANTED}",
        ["answered", suggestion_id, occasion, now, now, suggestion_id],
    )
    db.execute(_SUPPORTERS, [occasion, now, now, suggestion_id, occasion])


# Supporters: a phone with consent, not opted out since the support, and not a number a
# villager behind the suggestion is texted at on this same closing.
_SUPPORTERS = (
    "insert or ignore into sms_outbox (supporter_id, event, suggestion_id, occasion, phone, "
    "next_at, tag, created_at) select p.id, 'supported_answered', p.suggestion_id, ?, "
    "p.phone, ?, 'mst' || lower(hex(randomblob(10))), ? from supporters p "
    "where p.suggestion_id = ? and p.phone is not null and p.consent = 1 and not exists "
    "(select 1 from sms_optouts x where x.phone = p.phone and x.at >= p.created_at) "
    "and not exists (select 1 from sms_outbox m where m.phone = p.phone "
    "and m.event = 'answered' and m.suggestion_id = p.suggestion_id and m.occasion = ?)"
)


def after_opinion_change(db: Database, action: str, opinion_id: int) -> None:
    """A staff change to one opinion (feedback.opinions._change): a direct answer texts."""
    if action == "opinion.answer":
        now = clock.stamp()
        db.execute(
            _INSERT + f"where o.id = ? and {_WANTED}",
            ["answered", None, now, now, now, opinion_id],
        )


# --- opting out -------------------------------------------------------------------------

STOP_WORDS = {"TD", "T", "N", "退订", "STOP", "UNSUBSCRIBE", "取消"}


def is_stop(text: str) -> bool:
    """A reply that means 'no more texts' (回复TD退订), however it is typed."""
    return re.sub(r"[\s\W_]+", "", text or "").upper() in STOP_WORDS


def normalise_phone(phone: str) -> str | None:
    """A mainland mobile number as stored (13812345678) from a provider's +8613812345678."""
    digits = re.sub(r"\D", "", phone or "")
    if digits.startswith("86") and len(digits) == 13:
        digits = digits[2:]
    return digits if re.fullmatch(r"1\d{10}", digits) else None


def opt_out(db: Database, phone: str, source: str, actor: str) -> int:
    """No more texts to this number about anything made so far: its waiting messages are
    cancelled; returns how many. Call inside a write transaction."""
    now = clock.stamp()
    db.execute(
        "insert into sms_optouts (phone, at, source, actor) values (?, ?, ?, ?) "
        "on conflict (phone) do update set at = excluded.at, source = excluded.source, "
        "actor = excluded.actor",
        [phone, now, source, actor],
    )
    cancelled = db.execute(
        "update sms_outbox set status = 'cancelled', error = '已退订' "
        "where phone = ? and status = 'pending'",
        [phone],
    ).rowcount
    audit.record(
        db,
        actor,
        "sms.optout",
        "phone",
        None,
        phone=mask_phone(phone),
        source=source,
        cancelled=cancelled,
    )
    return cancelled


class NotFound(LookupError):
    """No such opinion in the user's scope: the web says 404."""


def clerk_opt_out(db: Database, access: Access, opinion_id: int) -> int:
    """A clerk's click (the villager asked on the phone, or at the office): no more texts to
    this opinion's number. Town staff only, the scope repeated in the statement."""
    where, params = access.where("st") if access.role in ("admin", "clerk") else ("0", [])
    with write_transaction(db):
        row = db.execute(
            "select o.phone from opinions o join stations st on st.id = o.station_id "
            f"where o.id = ? and o.phone is not null and {where}",
            [opinion_id, *params],
        ).fetchone()
        if row is None:
            raise NotFound(opinion_id)
        cancelled = opt_out(db, row[0], "clerk", access.username)
        audit.record(
            db, access.username, "opinion.sms_optout", "opinion", opinion_id, cancelled=cancelled
        )
    return cancelled


def clerk_opt_out_supporter(
    db: Database, access: Access, suggestion_id: int, supporter_id: int
) -> int:
    """The same click for a supporter (我也遇到) on the suggestion page's 公开栏 card."""
    where, params = access.where("s")
    with write_transaction(db):
        row = db.execute(
            "select p.phone from supporters p join suggestions s on s.id = p.suggestion_id "
            f"where p.id = ? and p.suggestion_id = ? and p.phone is not null and {where}",
            [supporter_id, suggestion_id, *params],
        ).fetchone()
        if row is None:
            raise NotFound(supporter_id)
        cancelled = opt_out(db, row[0], "clerk", access.username)
        audit.record(
            db,
            access.username,
            "supporter.sms_optout",
            "supporter",
            supporter_id,
            suggestion=suggestion_id,
            cancelled=cancelled,
        )
    return cancelled


def opinion_opted_out(db: Database, opinion: dict) -> bool:
    """Whether texts about this opinion are stopped (a TD reply or a clerk's click since)."""
    if not opinion.get("phone"):
        return False
    row = db.execute(
        "select 1 from sms_optouts where phone = ? and at >= ?",
        [opinion["phone"], opinion["created_at"]],
    ).fetchone()
    return row is not None


# --- reading ------------------------------------------------------------------------------


def _labelled(rows: list[dict]) -> list[dict]:
    for row in rows:
        row["status_label"] = STATUS_LABELS[row["status"]]
        row["event_label"] = EVENT_LABELS[row["event"]]
        row["phone"] = mask_phone(row["phone"])
    return rows


def of_opinion(db: Database, opinion_id: int) -> list[dict]:
    """The messages about one opinion, oldest first, with the provider's last answer."""
    rows = list(
        db.query(
            "select m.*, (select a.response from sms_attempts a where a.outbox_id = m.id "
            "order by a.id desc limit 1) as last_response "
            "from sms_outbox m where m.opinion_id = ? order by m.id",
            [opinion_id],
        )
    )
    return _labelled(rows)


def of_supporters(db: Database, access: Access, suggestion_id: int) -> dict[int, dict]:
    """Each supporter's latest message about this suggestion, and whether the number is
    opted out since the support: for the suggestion page's 公开栏 card (town staff)."""
    where, params = access.where("s")
    found: dict[int, dict] = {}
    for row in db.query(
        "select p.id as supporter_id, m.status, m.sent_at, m.error, exists (select 1 from "
        "sms_optouts x where x.phone = p.phone and x.at >= p.created_at) as opted_out "
        "from supporters p join suggestions s on s.id = p.suggestion_id "
        "left join sms_outbox m on m.id = (select max(id) from sms_outbox "
        "where supporter_id = p.id) "
        f"where p.suggestion_id = ? and p.phone is not null and {where}",
        [suggestion_id, *params],
    ):
        row["status_label"] = STATUS_LABELS[row["status"]] if row["status"] else ""
        found[row["supporter_id"]] = row
    return found


def _scoped(access: Access) -> tuple[str, list]:
    """A message is in the towns of its opinion's station or of its supporter's suggestion."""
    where, params = access.sms_where("st", "sg")
    sql = (
        "from sms_outbox m left join opinions o on o.id = m.opinion_id "
        "left join stations st on st.id = o.station_id "
        "left join suggestions sg on sg.id = m.suggestion_id and m.supporter_id is not null "
        f"where {where}"
    )
    return sql, params


def counts(db: Database, access: Access) -> dict[str, int]:
    """How many messages of the user's towns are in each state."""
    sql, params = _scoped(access)
    found = dict(
        db.execute(f"select m.status, count(*) {sql} group by m.status", params).fetchall()
    )
    return {status: found.get(status, 0) for status in STATUS_LABELS}


def recent(db: Database, access: Access, limit: int = 50) -> list[dict]:
    """The latest messages of the user's towns, newest first, phones masked."""
    sql, params = _scoped(access)
    rows = list(
        db.query(
            f"select m.*, coalesce(st.town, sg.town) as town {sql} order by m.id desc limit ?",
            [*params, limit],
        )
    )
    return _labelled(rows)


# --- retention ----------------------------------------------------------------------------


def purge_numbers(db: Database, before: str) -> int:
    """Retention (feedback.retention): numbers leave the outbox with their opinions' and
    supporters'. What was never sent is cancelled (there is no number left to send to);
    opt-outs of numbers no longer on any opinion or supporter go too. Call inside the purge's
    transaction after the opinions and supporters lost their numbers; returns the outbox rows
    scrubbed."""
    scrubbed = db.execute(
        "update sms_outbox set phone = null, status = case when status in "
        "('pending', 'sending') then 'cancelled' else status end, error = case when status in "
        "('pending', 'sending') then '联系方式已按保存期限删除' else error end "
        "where phone is not null and (opinion_id in "
        "(select id from opinions where created_at < ?) or supporter_id in "
        "(select id from supporters where created_at < ?))",
        [before, before],
    ).rowcount
    db.execute(
        "delete from sms_optouts where not exists "
        "(select 1 from opinions o where o.phone = sms_optouts.phone) and not exists "
        "(select 1 from supporters p where p.phone = sms_optouts.phone)"
    )
    return scrubbed
