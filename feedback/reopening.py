"""二次办理: an answer the villager is not satisfied with, heard on a return visit
(feedback.return_visits), sends the problem back for more work instead of staying closed.

A closed suggestion goes back to 办理中 (handed over online, its lead department finds it on
its desk again and submits a new answer for the clerk's review; handled offline, the clerk
closes it again with a new answer); an opinion answered directly goes back to the inbox as
new. The closing that was undone is kept (reopenings: when it had closed, its answer, why it
was reopened, who and when), so every timeline still shows the first answer and the reopening.
"""

from __future__ import annotations

from sqlite_utils import Database

from feedback import audit, clock
from feedback.access import Access

REOPENED = "二次办理"


class ReopenError(ValueError):
    """Nothing to reopen (the message, Chinese, says why)."""


def _suggestions(access: Access, alias: str) -> tuple[str, list]:
    """The suggestions this caller may reopen: the town's, or those a deputy leads."""
    if access.deputy is not None:
        led = (
            "exists (select 1 from suggestion_deputies sd where sd.suggestion_id = "
            f"{alias}.id and sd.role = 'lead' and sd.deputy_id = ?)"
        )
        return led, [access.deputy]
    return access.where(alias)


def reopen_in(db: Database, access: Access, opinion_id: int, reason: str) -> None:
    """Reopen what answered this opinion, inside the caller's transaction."""
    where, params = _suggestions(access, "s")
    now = clock.stamp()
    row = db.execute(
        "select s.id, s.closed_at, s.answer from suggestion_opinions so join suggestions s "
        f"on s.id = so.suggestion_id where so.opinion_id = ? and {where}",
        [opinion_id, *params],
    ).fetchone()
    if row:
        suggestion_id, closed_at, answer = row
        scoped, scope_params = _suggestions(access, "suggestions")
        moved = db.execute(
            "update suggestions set status = '办理中', closed_at = null, submitted_at = null "
            f"where id = ? and status = '已办结' and {scoped}",
            [suggestion_id, *scope_params],
        ).rowcount
        if not moved:
            raise ReopenError("这件建议现在没有办结,不用二次办理")
        _remember(db, suggestion_id, opinion_id, closed_at, answer, reason, access, now)
        audit.record(
            db,
            access.username,
            "suggestion.reopen",
            "suggestion",
            suggestion_id,
            after={"reason": reason},
        )
        return
    answered = db.execute(
        "select answered_at, answer from opinions where id = ? and status = 'answered'",
        [opinion_id],
    ).fetchone()
    if access.deputy is not None:
        answered = None  # a deputy calls about the suggestions they lead, nothing else
    if answered is None:
        raise ReopenError("这条意见现在没有答复,不用二次办理")
    db.execute(
        "update opinions set status = 'new', answered_at = null "
        "where id = ? and status = 'answered'",
        [opinion_id],
    )
    _remember(db, None, opinion_id, answered[0], answered[1], reason, access, now)
    audit.record(
        db, access.username, "opinion.reopen", "opinion", opinion_id, after={"reason": reason}
    )


def _remember(db, suggestion_id, opinion_id, closed_at, answer, reason, access, now) -> None:
    db.execute(
        "insert into reopenings (suggestion_id, opinion_id, closed_at, answer, reason, actor, at) "
        "values (?, ?, ?, ?, ?, ?, ?)",
        [suggestion_id, opinion_id, closed_at, answer, reason, access.username, now],
    )


def of_suggestion(db: Database, suggestion_id: int) -> list[dict]:
    return list(
        db.query("select * from reopenings where suggestion_id = ? order by id", [suggestion_id])
    )


def of_opinion(db: Database, opinion_id: int) -> list[dict]:
    """Reopenings of the opinion itself or of the suggestion behind it, oldest first."""
    return list(
        db.query(
            "select * from reopenings where opinion_id = ? or suggestion_id in (select "
            "suggestion_id from suggestion_opinions where opinion_id = ?) order by id",
            [opinion_id, opinion_id],
        )
    )
