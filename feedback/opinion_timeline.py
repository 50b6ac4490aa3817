"""An opinion's story as its villager reads it on /t/<receipt>: received, merged into a
suggestion, handed over and each online step (feedback.handling_reads.villager_steps),
closed or answered, reopened for 二次办理 (feedback.reopening) — in words for any villager,
never another villager's, a department's or a caller's own text — and the answer they may
rate (feedback.opinions.rate)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlite_utils import Database

from feedback import handling_reads, reopening
from feedback.suggestion_text import public_title


@dataclass(frozen=True)
class Event:
    at: str
    title: str
    detail: str = ""


ANSWER_BELOW = "答复内容见下方“答复”。"


def timeline(db: Database, opinion: dict) -> list[Event]:
    """What happened to an opinion, oldest first, in the words a villager reads: never
    another villager's, so a suggestion's title shows only if it is not copied from one of
    the opinions behind it (suggestions.public_title). The answer itself is not repeated
    here: the status page shows it once, in its own card beside the rating form."""
    events = [
        Event(opinion["created_at"], "已收到", "您的意见建议已送达,镇人大工作人员会尽快处理。")
    ]
    link = db.execute(
        """select s.id, s.number, coalesce(s.public_title, s.title), s.assigned_at, s.closed_at,
           s.answer, d.name, so.added_at from suggestion_opinions so
           join suggestions s on s.id = so.suggestion_id
           left join departments d on d.id = s.department_id where so.opinion_id = ?""",
        [opinion["id"]],
    ).fetchone()
    if link:
        suggestion_id, number, title, assigned_at, closed_at, answer, department, added_at = link
        bodies = [
            row[0]
            for row in db.execute(
                "select o.body from suggestion_opinions so join opinions o on o.id = so.opinion_id "
                "where so.suggestion_id = ?",
                [suggestion_id],
            )
        ]
        shown = f"{number} {public_title(title, bodies)}".strip()
        events.append(Event(added_at, "已并入代表建议", shown))
        online = handling_reads.villager_steps(db, suggestion_id)
        events.extend(Event(*step) for step in online)
        if assigned_at and not online:
            events.append(Event(assigned_at, "已交办", f"承办单位:{department or '—'}"))
        if closed_at:
            events.append(Event(closed_at, "已办结", ANSWER_BELOW if answer else ""))
    events.extend(_reopenings(db, opinion))
    if opinion["status"] == "answered":
        events.append(Event(opinion["answered_at"], "已答复", ANSWER_BELOW))
    elif opinion["status"] == "rejected":
        events.append(
            Event(opinion["answered_at"] or "", "未予受理", opinion["reject_reason"] or "")
        )
    return sorted(events, key=lambda event: event.at)


def _reopenings(db: Database, opinion: dict) -> list[Event]:
    """Each answer undone for 二次办理 (feedback.reopening): the first closing, then the
    reopening, in words for any villager (the reason is the caller's note, not shown)."""
    events = []
    for row in reopening.of_opinion(db, opinion["id"]):
        if row["closed_at"]:
            events.append(Event(row["closed_at"], "已答复", f"当时的答复:{row['answer'] or ''}"))
        events.append(Event(row["at"], "二次办理", REOPENED_TEXT))
    return events


REOPENED_TEXT = "回访时村民对答复不满意,镇人大已要求重新办理,办好后会再次答复。"


def answer_of(db: Database, opinion: dict) -> str | None:
    """The final answer the villager may rate: a direct one or that of its closed suggestion."""
    if opinion["status"] == "answered":
        return opinion["answer"]
    row = db.execute(
        """select s.answer from suggestion_opinions so join suggestions s on s.id = so.suggestion_id
           where so.opinion_id = ? and s.status = '已办结'""",
        [opinion["id"]],
    ).fetchone()
    return row[0] if row else None
