"""Suggestions led and signed by deputies (代表建议): the lead deputy (领衔) and co-signing
deputies (附议) chosen from the registry of the suggestion's town; a suggestion a deputy
proposes from the opinions they may read; and the lead deputy's own verdict on the answer
(代表意见征询表).

The verdict is given once the suggestion is 已办结, not when a department submits its
answer: a submitted answer may still be sent back by the clerk (退回重办), and the
征询表 judges the answer the congress office accepted, the one villagers read and rate.
A suggestion reopened (二次办理) and closed again is judged again (one verdict a closing).

A deputy reads suggestions only through Access.signed_where and changes nothing of a
suggestion but its verdict: closing, the department and the deadline go through
feedback.suggestions and feedback.handling, whose Access rule gives a deputy no row.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlite_utils import Database

from feedback import audit, clock, suggestions
from feedback.access import Access
from feedback.db import write_transaction
from feedback.labels import CLOSED, RATINGS

COMMENT_MAX = 500


class Refused(ValueError):
    """A deputy or clerk may not do this; the message (Chinese) is for the page."""


class Missing(Refused):
    """Not there for this user: the web says 404."""


class Stale(Refused):
    """Done already (a double tap, two tabs): the web says 409."""


# -- the clerk's choice of lead and co-signers -----------------------------------------


def candidates(db: Database, suggestion: dict) -> list[dict]:
    """Who may be chosen on a suggestion's page: the active deputies of its town, and those
    already on it (a deputy who retired since stays where they signed)."""
    return list(
        db.query(
            "select d.* from deputies d where d.town = ? and (d.active = 1 or d.id in "
            "(select deputy_id from suggestion_deputies where suggestion_id = ?)) "
            "order by d.active desc, d.name, d.code",
            [suggestion["town"], suggestion["id"]],
        )
    )


def signers(db: Database, suggestion_id: int) -> dict:
    """The lead deputy (or None) and the co-signers of a suggestion."""
    rows = list(
        db.query(
            "select d.*, sg.role from suggestion_deputies sg join deputies d "
            "on d.id = sg.deputy_id where sg.suggestion_id = ? order by sg.added_at, d.name",
            [suggestion_id],
        )
    )
    lead = next((row for row in rows if row["role"] == "lead"), None)
    return {"lead": lead, "cosigners": [row for row in rows if row["role"] == "cosign"]}


def names(chosen: dict) -> str:
    """The signers as one line (领衔 王丽;附议 李四、张三), for the ledger and the 记录."""
    parts = []
    if chosen["lead"]:
        parts.append(f"领衔 {chosen['lead']['name']}")
    if chosen["cosigners"]:
        parts.append("附议 " + "、".join(d["name"] for d in chosen["cosigners"]))
    return ";".join(parts)


def _resolve(db: Database, suggestion: dict, code: str, kept: set[int]) -> int:
    """The id of deputy `code`, refused in plain words when they cannot sign this one."""
    row = db.execute(
        "select id, town, active, name from deputies where code = ?", [code.strip().lower()]
    ).fetchone()
    if row is None:
        raise Refused(f"没有编码为 {code} 的代表")
    deputy_id, town, active, name = row
    if town != suggestion["town"]:
        raise Refused(f"{name}是{town}的代表,不能领衔或附议{suggestion['town']}的建议")
    if not active and deputy_id not in kept:
        raise Refused(f"{name}已经离任,不能再领衔或附议建议")
    return deputy_id


def _sign(
    db: Database,
    suggestion_id: int,
    deputy_id: int,
    role: str,
    username: str,
    rule: str = "1",
    params: list | tuple = (),
) -> bool:
    """One signer of a suggestion, stored only if the deputy is of the suggestion's town and
    `rule` (SQL on suggestions s and deputies d) holds; False when it was not."""
    return bool(
        db.execute(
            "insert into suggestion_deputies (suggestion_id, deputy_id, role, added_by, "
            "added_at) select s.id, d.id, ?, ?, ? from suggestions s join deputies d "
            f"on d.town = s.town where s.id = ? and d.id = ? and {rule}",
            [role, username, clock.stamp(), suggestion_id, deputy_id, *params],
        ).rowcount
    )


def set_signers_in(
    db: Database, access: Access, suggestion: dict, lead: str, cosigners: list[str]
) -> bool:
    """Store the lead and co-signers a clerk chose (codes; "" for no lead), inside the
    caller's transaction; True when anything changed. Only a town's staff may choose, for
    a suggestion of their scope, and the rule is repeated in each INSERT."""
    if access.role not in ("admin", "clerk"):
        raise Missing("找不到这件建议")
    before = signers(db, suggestion["id"])
    kept = {d["id"] for d in [before["lead"], *before["cosigners"]] if d}
    lead_id = _resolve(db, suggestion, lead, kept) if lead.strip() else None
    cosign_ids = [_resolve(db, suggestion, code, kept) for code in dict.fromkeys(cosigners)]
    if lead_id is not None and lead_id in cosign_ids:
        raise Refused("领衔代表不用再选为附议代表")
    wanted = {i: "cosign" for i in cosign_ids}
    if lead_id is not None:
        wanted[lead_id] = "lead"
    had = {d["id"]: d["role"] for d in [before["lead"], *before["cosigners"]] if d}
    if wanted == had:
        return False
    db.execute("delete from suggestion_deputies where suggestion_id = ?", [suggestion["id"]])
    where, params = access.where("s")
    for deputy_id, role in sorted(wanted.items(), key=lambda item: item[1] != "lead"):
        if not _sign(db, suggestion["id"], deputy_id, role, access.username, where, params):
            raise Missing("找不到这件建议")
    after = signers(db, suggestion["id"])
    audit.record(
        db,
        access.username,
        "suggestion.deputies",
        "suggestion",
        suggestion["id"],
        before={"deputies": names(before)},
        after={"deputies": names(after)},
    )
    return True


# -- proposed from the deputy's phone --------------------------------------------------


def proposable(db: Database, access: Access, limit: int = 100) -> list[dict]:
    """The pending opinions a deputy may read and put into a suggestion, new first."""
    where, params = access.opinion_where("o", "s")
    return list(
        db.query(
            "select o.*, s.name as station_name, s.village, s.town from opinions o "
            f"join stations s on s.id = o.station_id where o.status = 'new' and {where} "
            "and not exists (select 1 from suggestion_opinions so where so.opinion_id = o.id) "
            "order by o.id desc limit ?",
            [*params, limit],
        )
    )


def gone_away(opinion_id: int) -> Stale:
    return Stale(f"意见 #{opinion_id} 已经处理过(或不在您能看到的范围内),请刷新后重选")


def cosigner_choices(db: Database, access: Access) -> list[dict]:
    """Whom a proposing deputy may ask to co-sign (附议): the other deputies in office of
    their own town."""
    if access.deputy is None:
        return []
    return list(
        db.query(
            "select d.* from deputies d where d.active = 1 and d.id != ? and d.town = "
            "(select town from deputies where id = ? and active = 1) order by d.name, d.code",
            [access.deputy, access.deputy],
        )
    )


def propose(
    db: Database,
    access: Access,
    opinion_ids: list[int],
    fields: dict,
    tier_days: dict,
    cosigners: Sequence[str] = (),
) -> int:
    """A 待交办 suggestion of the deputy's town with the deputy as its lead and the
    co-signers they chose (deputies' codes), made of pending opinions they may read; the
    clerk hands it over as usual. All or nothing."""
    if access.deputy is None:
        raise Refused("只有人大代表本人的账号可以这样提建议")
    ids = list(dict.fromkeys(opinion_ids))
    if not ids:
        raise Refused("请至少勾选一条意见")
    where, params = access.opinion_where("o", "s")
    marks = ", ".join("?" for _ in ids)
    with write_transaction(db):
        rows = dict(
            db.execute(
                f"select o.id, s.town from opinions o join stations s on s.id = o.station_id "
                f"where o.id in ({marks}) and o.status = 'new' and {where} and not exists "
                "(select 1 from suggestion_opinions so where so.opinion_id = o.id)",
                [*ids, *params],
            ).fetchall()
        )
        gone = [i for i in ids if i not in rows]
        if gone:
            raise gone_away(gone[0])
        town = next(iter(rows.values()))
        as_town = Access("clerk", town, access.username)
        fields = dict(fields, tier=fields.get("tier") or "一般")
        suggestion_id = suggestions.insert(db, as_town, ids, fields, tier_days)
        db.execute(
            "update suggestions set proposed_by = ? where id = ?", [access.deputy, suggestion_id]
        )
        db.execute(
            "insert into suggestion_deputies (suggestion_id, deputy_id, role, added_by, "
            "added_at) values (?, ?, 'lead', ?, ?)",
            [suggestion_id, access.deputy, access.username, clock.stamp()],
        )
        _add_cosigners(db, access, {"id": suggestion_id, "town": town}, cosigners)
        audit.record(
            db,
            access.username,
            "suggestion.propose",
            "suggestion",
            suggestion_id,
            after={"opinions": ids, "deputies": names(signers(db, suggestion_id))},
        )
    return suggestion_id


def _add_cosigners(db: Database, access: Access, suggestion: dict, codes: Sequence[str]) -> None:
    """The proposing deputy's co-signers, each of the suggestion's town and in office (the
    rule repeated in the INSERT), inside the caller's transaction."""
    for code in dict.fromkeys(codes):
        deputy_id = _resolve(db, suggestion, code, kept=set())
        if deputy_id == access.deputy:
            raise Refused("您是领衔代表,不用再选自己为附议代表")
        if not _sign(db, suggestion["id"], deputy_id, "cosign", access.username, "d.active = 1"):
            raise Refused("这位代表已经离任,不能再附议建议")


# -- what a deputy reads, and their verdict ---------------------------------------------

_SIGNED = (
    "select s.*, d.name as department, sg.role as my_role, "
    "(select count(*) from suggestion_opinions so where so.suggestion_id = s.id) "
    "as opinion_count, (select v.verdict from deputy_verdicts v where v.suggestion_id = s.id "
    "and v.closed_at = s.closed_at) as verdict from suggestions s "
    "join suggestion_deputies sg on sg.suggestion_id = s.id and sg.deputy_id = ? "
    "left join departments d on d.id = s.department_id where {where}"
)


def signed(db: Database, access: Access, limit: int = 50) -> list[dict]:
    """The suggestions a deputy leads or co-signs, latest first."""
    where, params = access.signed_where("s")
    sql = _SIGNED.format(where=where) + " order by s.id desc limit ?"
    return list(db.query(sql, [access.deputy, *params, limit]))


def signed_one(db: Database, access: Access, suggestion_id: int) -> dict | None:
    where, params = access.signed_where("s")
    sql = _SIGNED.format(where=where) + " and s.id = ?"
    return next(db.query(sql, [access.deputy, *params, suggestion_id]), None)


def verdict_of(db: Database, suggestion: dict) -> dict | None:
    """The lead deputy's verdict on the suggestion's present closing, if given."""
    if not suggestion.get("closed_at"):
        return None
    return next(
        db.query(
            "select v.*, d.name as deputy_name from deputy_verdicts v join deputies d "
            "on d.id = v.deputy_id where v.suggestion_id = ? and v.closed_at = ?",
            [suggestion["id"], suggestion["closed_at"]],
        ),
        None,
    )


def check_verdict(verdict: str, comment: str) -> str:
    comment = (comment or "").strip()
    if verdict not in RATINGS:
        raise Refused("请选择满意、基本满意或不满意")
    if len(comment) > COMMENT_MAX:
        raise Refused(f"意见最多 {COMMENT_MAX} 字")
    if verdict == "不满意" and not comment:
        raise Refused("选“不满意”时,请写明哪里不满意,镇人大会据此督办")
    return comment


def give_verdict(
    db: Database, access: Access, suggestion_id: int, verdict: str, comment: str
) -> None:
    """The lead deputy's verdict on the accepted answer, once per closing; the rule (their
    suggestion, they lead it and are in office, it is closed, not judged yet) is the INSERT's."""
    comment = check_verdict(verdict, comment)
    where, params = access.signed_where("s")
    with write_transaction(db):
        added = db.execute(
            "insert into deputy_verdicts (suggestion_id, deputy_id, closed_at, verdict, "
            "comment, at) select s.id, sg.deputy_id, s.closed_at, ?, ?, ? from suggestions s "
            "join suggestion_deputies sg on sg.suggestion_id = s.id and sg.role = 'lead' "
            f"and sg.deputy_id = ? where s.id = ? and s.status = ? and {where} "
            "and s.closed_at is not null and not exists (select 1 from deputy_verdicts v "
            "where v.suggestion_id = s.id and v.closed_at = s.closed_at)",
            [verdict, comment, clock.stamp(), access.deputy, suggestion_id, CLOSED, *params],
        )
        if not added.rowcount:
            raise _why_not(db, access, suggestion_id)
        audit.record(
            db,
            access.username,
            "suggestion.verdict",
            "suggestion",
            suggestion_id,
            after={"rating": verdict, "reason": comment},
        )


def _why_not(db: Database, access: Access, suggestion_id: int) -> Refused:
    row = signed_one(db, access, suggestion_id)
    if row is None:
        return Missing("找不到这件建议")
    if row["my_role"] != "lead":
        return Refused("代表意见征询表由领衔代表填写;附议代表可以查看办理情况")
    if row["status"] != CLOSED:
        return Refused("承办单位的答复经镇人大审核、建议办结后,才能填写代表意见")
    return Stale("您已经对这次答复填写过意见了")
