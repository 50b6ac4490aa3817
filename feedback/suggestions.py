"""Suggestions (代表建议): formal items formed by merging opinions, handed to a department and
followed to the end.

Merging never deletes, moves or rewrites an opinion: a link row says which suggestion it
stands behind; taking it out deletes only the link. Closing a suggestion writes its answer
to every linked opinion, so each villager sees it on their status page and can rate it.

Every change takes the Access of whoever makes it and repeats its rule in its own SQL, with
the state rule (an open suggestion, a pending opinion, one town) in the same statement, so a
view that forgot a lookup, or two clerks racing, cannot act outside the rules.
"""

from __future__ import annotations

from datetime import date, timedelta

from sqlite_utils import Database

from feedback import audit, clock, departments, notify
from feedback.access import Access
from feedback.db import write_transaction
from feedback.labels import CLOSED, NEXT_STATUS
from feedback.suggestion_text import TEXT_FIELDS


class SuggestionError(ValueError):
    """A change that cannot be made; the message (Chinese) is for the clerk."""


class Missing(SuggestionError):
    """The suggestion or opinion is not there for this user (or not at all): the web says 404,
    so someone outside the scope learns nothing."""


class Stale(SuggestionError):
    """Someone else changed it first (two clerks at once, or a double tap): nothing was done."""


MIXED_TOWNS = "不同镇的意见不能合并成一件建议:每件建议只含本镇群众的意见"
# Handed over online (feedback.handling): the department signs for and answers it, the clerk
# reviews; its status and lead department move only through those acts.
ONLINE = "exists (select 1 from suggestion_departments sd where sd.suggestion_id = suggestions.id)"
HANDLED_ONLINE = (
    "这件建议已在线交办给承办单位,由对方签收、办理和答复:请在“在线交办”里审核答复;"
    "要换承办单位,请对方退回后重新交办"
)
MOVED_ONLINE = "这件建议已在线交办,办理期限只能由承办单位申请延期、经您同意后改变(见“在线交办”)"


def handled_online(db: Database, suggestion_id: int) -> bool:
    """Handed to departments online (feedback.handling): they sign, answer and ask for
    time, so the department, the deadline and the status are no longer the clerk's to set."""
    return bool(
        db.execute(
            "select 1 from suggestion_departments where suggestion_id = ?", [suggestion_id]
        ).fetchone()
    )


def deadline_for(tier: str, start: date, tier_days: dict[str, int]) -> str:
    return (start + timedelta(days=tier_days[tier])).isoformat()


def create(
    db: Database, access: Access, opinion_ids: list[int], fields: dict, tier_days: dict
) -> int:
    """A new suggestion numbered per town and year (甲镇-2026-0042) with the opinions behind it.

    The town is that of the opinions, which must all be in the user's scope and of one town:
    a suggestion is handled by one town's people's congress and read by its clerk only.
    """
    with write_transaction(db):
        return insert(db, access, opinion_ids, fields, tier_days)


def insert(
    db: Database, access: Access, opinion_ids: list[int], fields: dict, tier_days: dict
) -> int:
    """create() inside the caller's transaction: several suggestions made at once (each
    opinion its own, feedback.merging) stand or fall together."""
    ids = list(dict.fromkeys(opinion_ids))
    if not ids:
        raise SuggestionError("请至少选一条意见")
    now = clock.now()
    town = _town_of(db, access, ids)
    seq = db.execute(
        "select coalesce(max(seq), 0) + 1 from suggestions where town = ? and year = ?",
        [town, now.year],
    ).fetchone()[0]
    number = f"{town}-{now.year}-{seq:04d}"
    suggestion_id = db.execute(
        "insert into suggestions (town, year, seq, number, title, body, category, tier, "
        "deadline, created_at) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            town,
            now.year,
            seq,
            number,
            fields["title"],
            fields["body"],
            fields["category"],
            fields["tier"],
            deadline_for(fields["tier"], now.date(), tier_days),
            clock.stamp(now),
        ],
    ).lastrowid
    created = {"number": number, "opinions": ids}
    audit.record(
        db, access.username, "suggestion.create", "suggestion", suggestion_id, after=created
    )
    _link(db, access, suggestion_id, ids)
    return suggestion_id


def _town_of(db: Database, access: Access, ids: list[int]) -> str:
    """The one town of these opinions, all in scope; refused otherwise."""
    where, params = access.where("st")
    marks = ", ".join("?" for _ in ids)
    rows = dict(
        db.execute(
            f"select o.id, st.town from opinions o join stations st on st.id = o.station_id "
            f"where o.id in ({marks}) and {where}",
            [*ids, *params],
        ).fetchall()
    )
    missing = [i for i in ids if i not in rows]
    if missing:
        raise Missing(f"找不到意见 #{missing[0]}")
    if len(set(rows.values())) > 1:
        raise SuggestionError(MIXED_TOWNS)
    return next(iter(rows.values()))


def add_opinions(db: Database, access: Access, suggestion_id: int, opinion_ids: list[int]) -> None:
    """Put more pending opinions behind an open suggestion of the same town; all or none."""
    with write_transaction(db):
        _link(db, access, suggestion_id, list(dict.fromkeys(opinion_ids)))


def _link(db: Database, access: Access, suggestion_id: int, opinion_ids: list[int]) -> None:
    """Link each opinion in one statement that also checks every rule: the opinion is pending,
    unlinked and in scope, the suggestion is open and in scope, and both are of one town. A
    refusal raises, and the caller's transaction undoes whatever was linked before it."""
    s_where, s_params = access.where("s")
    o_where, o_params = access.where("st")
    for opinion_id in opinion_ids:
        linked = db.execute(
            "insert into suggestion_opinions (opinion_id, suggestion_id, added_at) "
            "select o.id, s.id, ? from opinions o join stations st on st.id = o.station_id "
            "join suggestions s on s.id = ? and s.town = st.town "
            "where o.id = ? and o.status = 'new' and s.status != ? "
            "and not exists (select 1 from suggestion_opinions x where x.opinion_id = o.id) "
            f"and {s_where} and {o_where}",
            [clock.stamp(), suggestion_id, opinion_id, CLOSED, *s_params, *o_params],
        ).rowcount
        if not linked:
            raise _why_not_linked(db, access, suggestion_id, opinion_id)
        db.execute(
            "update opinions set status = 'merged' where id = ? and status = 'new'", [opinion_id]
        )
        notify.merged(db, opinion_id, suggestion_id)
        after = {"status": "merged", "suggestion": suggestion_id}
        audit.record(
            db,
            access.username,
            "opinion.merge",
            "opinion",
            opinion_id,
            before={"status": "new"},
            after=after,
        )


def _why_not_linked(
    db: Database, access: Access, suggestion_id: int, opinion_id: int
) -> SuggestionError:
    """The reason, in the clerk's words, that the link statement refused an opinion."""
    suggestion = access.suggestion(db, suggestion_id)
    if suggestion is None:
        return Missing("找不到这件建议")
    if suggestion["status"] == CLOSED:
        return SuggestionError(f"建议 {suggestion['number']} 已办结,不能再并入意见;请另建一件建议")
    opinion = access.opinion(db, opinion_id)
    if opinion is None:
        return Missing(f"找不到意见 #{opinion_id}")
    if opinion["town"] != suggestion["town"]:
        return SuggestionError(
            f"意见 #{opinion_id} 是{opinion['town']}的,不能并入{suggestion['town']}的建议"
        )
    return Stale(f"意见 #{opinion_id} 已处理过,不能再合并")


def remove_opinion(db: Database, access: Access, suggestion_id: int, opinion_id: int) -> None:
    """Take an opinion back out of an open suggestion: it is pending again, exactly as it was.
    A closed suggestion keeps its opinions: their villagers have its answer."""
    s_where, s_params = access.where("s")
    o_where, o_params = access.where("st")
    with write_transaction(db):
        removed = db.execute(
            "delete from suggestion_opinions where opinion_id = ? and suggestion_id = ? "
            "and exists (select 1 from suggestions s "
            f"where s.id = suggestion_opinions.suggestion_id and s.status != ? and {s_where}) "
            "and exists (select 1 from opinions o join stations st on st.id = o.station_id "
            f"where o.id = suggestion_opinions.opinion_id and {o_where})",
            [opinion_id, suggestion_id, CLOSED, *s_params, *o_params],
        ).rowcount
        if not removed:
            suggestion = access.suggestion(db, suggestion_id)
            if suggestion is None:
                raise Missing("找不到这件建议")
            if suggestion["status"] == CLOSED:
                raise SuggestionError("已办结的建议不能再移出意见")
            raise Missing("这条意见不在这件建议里")
        db.execute(
            "update opinions set status = 'new', answer = null, answered_at = null "
            "where id = ? and status = 'merged'",
            [opinion_id],
        )
        before = {"status": "merged", "suggestion": suggestion_id}
        audit.record(
            db,
            access.username,
            "opinion.unmerge",
            "opinion",
            opinion_id,
            before=before,
            after={"status": "new"},
        )


def update(
    db: Database,
    access: Access,
    suggestion_id: int,
    changes: dict,
    department: str | None = None,
) -> None:
    """Tier, deadline, department and deputies of an open suggestion: logged before
    -> after, compared with the row as it is inside the transaction. A department typed by
    name is picked from the list (or added to it) in the same transaction; a retired one is
    refused (departments.choose)."""
    with write_transaction(db):
        update_in(db, access, suggestion_id, changes, department)


def update_in(
    db: Database,
    access: Access,
    suggestion_id: int,
    changes: dict,
    department: str | None = None,
) -> None:
    """update() inside the caller's transaction (feedback.suggestion_steps)."""
    where, params = access.where("suggestions")
    current = access.suggestion(db, suggestion_id)
    if current is None:
        raise Missing("找不到这件建议")
    if current["status"] == CLOSED:
        raise SuggestionError("已办结的建议不能再修改交办信息")
    online = handled_online(db, suggestion_id)
    if department and online:
        row = db.execute(
            "select name from departments where id = ?", [current["department_id"]]
        ).fetchone()
        if row is None or row[0] != " ".join(department.split()):
            raise SuggestionError(HANDLED_ONLINE)
    if online and changes.get("deadline", current["deadline"]) != current["deadline"]:
        raise SuggestionError(MOVED_ONLINE)
    if department:
        chosen = departments.choose(
            db, department, access.username, current["department_id"], current["town"]
        )
        changes = dict(changes, department_id=chosen)
    changes = {k: v for k, v in changes.items() if current.get(k) != v}
    if not changes:
        return
    assignments = ", ".join(f"{key} = ?" for key in changes)
    db.execute(
        f"update suggestions set {assignments} where id = ? and status != ? and {where}",
        [*changes.values(), suggestion_id, CLOSED, *params],
    )
    audit.record(
        db,
        access.username,
        "suggestion.update",
        "suggestion",
        suggestion_id,
        before={k: current.get(k) for k in changes},
        after=changes,
    )


def edit(
    db: Database, access: Access, suggestion_id: int, fields: dict, categories: set[str]
) -> None:
    """Title, body and category, at any status, logged before -> after. A closed suggestion
    may be corrected too: its title is what every villager behind it reads, and a typo found
    after the answer went out must still be fixable; its tier, department and answer stay
    fixed (update, advance)."""
    if fields["category"] not in categories:
        raise SuggestionError("请从列表里选类别")
    where, params = access.where("suggestions")
    with write_transaction(db):
        current = access.suggestion(db, suggestion_id)
        if current is None:
            raise Missing("找不到这件建议")
        changes = {k: fields[k] for k in TEXT_FIELDS if current[k] != fields[k]}
        if not changes:
            return
        assignments = ", ".join(f"{key} = ?" for key in changes)
        db.execute(
            f"update suggestions set {assignments} where id = ? and {where}",
            [*changes.values(), suggestion_id, *params],
        )
        audit.record(
            db,
            access.username,
            "suggestion.edit",
            "suggestion",
            suggestion_id,
            before={k: current[k] for k in changes},
            after=changes,
        )


def advance(
    db: Database, access: Access, suggestion_id: int, expected: str, answer: str | None = None
) -> str:
    """Move from the status the clerk saw (`expected`) to the next; closing (已办结) needs the
    final answer and sends it back. The move happens only if the suggestion is still in that
    status, so of two clerks (or a double tap) exactly one moves it, by one step."""
    with write_transaction(db):
        return advance_in(db, access, suggestion_id, expected, answer)


def advance_in(
    db: Database, access: Access, suggestion_id: int, expected: str, answer: str | None = None
) -> str:
    """advance() inside the caller's transaction (feedback.suggestion_steps)."""
    new = NEXT_STATUS.get(expected)
    if new is None:
        raise SuggestionError("已办结的建议不能再改状态")
    if new == CLOSED and not (answer or "").strip():
        raise SuggestionError("办结需要填写最终答复")
    now = clock.stamp()
    changes: dict = {"status": new}
    if new == "已交办":
        changes["assigned_at"] = now
    if new == CLOSED:
        changes.update(closed_at=now, answer=answer.strip())
    where, params = access.where("suggestions")
    assignments = ", ".join(f"{key} = ?" for key in changes)
    sql = (
        f"update suggestions set {assignments} where id = ? and status = ? and {where} "
        f"and not {ONLINE}"
    )
    if new == "已交办":
        sql += " and department_id is not null"
    moved = db.execute(sql, [*changes.values(), suggestion_id, expected, *params]).rowcount
    if not moved:
        current = access.suggestion(db, suggestion_id)
        if current is None:
            raise Missing("找不到这件建议")
        if handled_online(db, suggestion_id):
            raise SuggestionError(HANDLED_ONLINE)
        if current["status"] != expected:
            raise Stale(f"这件建议刚刚已经是“{current['status']}”了(可能是别人处理的),请刷新页面")
        raise SuggestionError("请先选定承办单位再交办")
    audit.record(
        db,
        access.username,
        "suggestion.status",
        "suggestion",
        suggestion_id,
        before={"status": expected},
        after=changes,
    )
    if new == CLOSED:
        db.execute(
            "update opinions set answer = ?, answered_at = ? where id in "
            "(select opinion_id from suggestion_opinions where suggestion_id = ?)",
            [answer.strip(), now, suggestion_id],
        )
        notify.suggestion_answered(db, suggestion_id)
    return new


def add_note(db: Database, access: Access, suggestion_id: int, body: str) -> None:
    with write_transaction(db):
        add_note_in(db, access, suggestion_id, body)


def add_note_in(db: Database, access: Access, suggestion_id: int, body: str) -> None:
    """add_note() inside the caller's transaction (feedback.suggestion_steps)."""
    where, params = access.where("s")
    added = db.execute(
        "insert into suggestion_notes (suggestion_id, body, author, created_at) "
        f"select s.id, ?, ?, ? from suggestions s where s.id = ? and {where}",
        [body, access.username, clock.stamp(), suggestion_id, *params],
    ).rowcount
    if not added:
        raise Missing("找不到这件建议")
    audit.record(
        db, access.username, "suggestion.note", "suggestion", suggestion_id, after={"note": body}
    )


def of_opinion(db: Database, opinion_id: int) -> dict | None:
    """The suggestion an opinion stands behind, with its department's name, if merged."""
    return next(
        db.query(
            "select s.*, d.name as department from suggestion_opinions so join suggestions s "
            "on s.id = so.suggestion_id left join departments d on d.id = s.department_id "
            "where so.opinion_id = ?",
            [opinion_id],
        ),
        None,
    )


def is_overdue(suggestion: dict, today: date) -> bool:
    return (
        suggestion["status"] != "已办结"
        and bool(suggestion["deadline"])
        and date.fromisoformat(suggestion["deadline"]) < today
    )


def overdue_ids(rows: list[dict]) -> set[int]:
    """Which of these suggestions are past their deadline today (China time)."""
    today = clock.now().date()
    return {row["id"] for row in rows if is_overdue(row, today)}
