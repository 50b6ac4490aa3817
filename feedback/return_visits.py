"""Return visits (回访): the villagers who were answered but have not said whether they are
satisfied, called by the town, their verdict recorded on their behalf.

Many elderly villagers never come back to /t/<receipt>, so 满意率 counted only those
who did. An opinion is due for a visit when it has an answer (its own, or its closed
suggestion's) given at least `after_days` ago (and not more than `within_days`), a phone
number left with consent, no rating since that answer, and no visit since that answer
that settled it (every outcome but 未接通 settles it: 未接通 stays on the list, its
attempts counted). The caller records 满意 / 基本满意 / 不满意 (the opinion's rating,
marked as from a visit), 未接通 or 拒绝回访, with a note; a 不满意 may reopen the
suggestion for more work (二次办理, feedback.reopening).

The list, the record and its rule are one SQL condition (DUE), so a visit recorded twice
(two callers, a double tap) is refused the second time and nothing is half written.
"""

from __future__ import annotations

from datetime import timedelta

from sqlite_utils import Database

from feedback import audit, clock, reopening
from feedback.access import Access
from feedback.db import write_transaction
from feedback.labels import RATINGS

OUTCOMES = (*RATINGS, "未接通", "拒绝回访")
MAX_NOTE = 200
PAGE = 50

# When the answer the villager may rate was given: their own, or the closing of the
# suggestion behind it (both set opinions.answered_at), while that suggestion is closed.
ANSWERED = (
    "(o.status = 'answered' or exists (select 1 from suggestion_opinions so join suggestions "
    "x on x.id = so.suggestion_id where so.opinion_id = o.id and x.status = '已办结'))"
)
DUE = (
    f"o.phone is not null and o.consent = 1 and o.answered_at is not null and {ANSWERED} "
    "and (o.rating is null or o.rated_at < o.answered_at) "
    "and not exists (select 1 from return_visits v where v.opinion_id = o.id "
    "and v.at >= o.answered_at and v.outcome != '未接通')"
)


NOT_DUE = "这位村民现在不在回访名单上(可能刚被同事回访过,或已经自己评价了),请刷新页面"


class VisitError(ValueError):
    """A visit the rules refuse; the message (Chinese) says why."""


# The villagers behind the suggestions a deputy leads (领衔), while in office: the lead deputy
# calls them as the town does (feedback.deputy_suggestions keeps who leads).
LED = (
    "o.id in (select so.opinion_id from suggestion_opinions so join suggestion_deputies sd "
    "on sd.suggestion_id = so.suggestion_id join deputies d on d.id = sd.deputy_id "
    "where sd.role = 'lead' and sd.deputy_id = ? and d.active = 1)"
)


def scope(access: Access) -> tuple[str, list]:
    """Whose calls are whose, as SQL on an opinion `o`: the town's (a clerk's own town, an
    admin's every town) and a lead deputy's (the villagers behind what they lead)."""
    if access.role in ("admin", "clerk"):
        where, params = access.where("st")
        return f"o.station_id in (select st.id from stations st where {where})", params
    if access.deputy is not None:
        return LED, [access.deputy]
    return "0", []


def phone_of(db: Database, access: Access, opinion_id: int) -> str | None:
    """The number to call, for whoever may call about this opinion (None otherwise)."""
    where, params = scope(access)
    row = db.execute(
        f"select o.phone from opinions o where o.id = ? and {where}", [opinion_id, *params]
    ).fetchone()
    return row[0] if row else None


def due(
    db: Database, access: Access, after_days: int, within_days: int = 90, page: int = 1
) -> tuple[list[dict], int]:
    """The opinions due for a visit, answered longest ago first, and how many in all.
    Only answers of the last `within_days`: a call about an answer of a year ago asks a
    villager to remember it, and a town that never called would have a list of tens of
    thousands to page through."""
    where, params = scope(access)
    now = clock.now()
    before = clock.stamp(now - timedelta(days=after_days))
    since = clock.stamp(now - timedelta(days=within_days))
    # By the town's stations, so that the partial index (station_id, answered_at) of the
    # opinions with a number left with consent is what is read, not every town's.
    base = f"from opinions o where {where} and o.answered_at between ? and ? and {DUE}"
    total = db.execute(f"select count(*) {base}", [*params, since, before]).fetchone()[0]
    rows = list(
        db.query(
            "select o.id, o.receipt, o.body, o.phone, o.name, o.answered_at, o.answer, "
            "st.name as station_name, st.town as town, (select count(*) from return_visits v "
            "where v.opinion_id = o.id and v.at >= o.answered_at) as attempts from opinions o "
            "join stations st on st.id = o.station_id where o.id in (select o.id "
            f"{base} order by o.answered_at, o.id limit ? offset ?) order by o.answered_at, o.id",
            [*params, since, before, PAGE, (max(page, 1) - 1) * PAGE],
        )
    )
    return rows, total


def record(
    db: Database,
    access: Access,
    opinion_id: int,
    outcome: str,
    note: str = "",
    reopen: bool = False,
) -> None:
    """One call's outcome. A verdict becomes the opinion's rating (from a visit); with
    `reopen`, a 不满意 sends the suggestion behind it back for more work."""
    if outcome not in OUTCOMES:
        raise VisitError("请选择回访结果")
    note = (note or "").strip()
    if len(note) > MAX_NOTE:
        raise VisitError(f"回访记录最多 {MAX_NOTE} 个字")
    if reopen and outcome != "不满意":
        raise VisitError("只有村民不满意时才能要求二次办理")
    if reopen and len(note) < 2:
        raise VisitError("要求二次办理,请写明村民不满意的原因")
    where, params = scope(access)
    now = clock.stamp()
    with write_transaction(db):
        added = db.execute(
            "insert into return_visits (opinion_id, outcome, note, caller, at) "
            f"select o.id, ?, ?, ?, ? from opinions o where o.id = ? and {DUE} and {where}",
            [outcome, note, access.username, now, opinion_id, *params],
        ).rowcount
        if not added:
            raise VisitError(
                "这位村民现在不在回访名单上(可能刚被同事回访过,或已经自己评价了),请刷新页面"
            )
        if outcome in RATINGS:
            db.execute(
                "update opinions set rating = ?, rating_reason = ?, rated_at = ?, "
                "rating_source = 'visit' where id = ?",
                [outcome, note or None if outcome == "不满意" else None, now, opinion_id],
            )
        audit.record(
            db,
            access.username,
            "opinion.return_visit",
            "opinion",
            opinion_id,
            after={"outcome": outcome, **({"note": note} if note else {})},
        )
        if reopen:
            reopening.reopen_in(db, access, opinion_id, note)


def visits_of(db: Database, opinion_id: int) -> list[dict]:
    """Every call made about an opinion, oldest first (its page and timeline)."""
    return list(
        db.query("select * from return_visits where opinion_id = ? order by id", [opinion_id])
    )
