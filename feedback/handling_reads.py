"""What the pages of online handling read: who a suggestion is handed to, its timeline, a
department's to-do list. Every read of a suggestion goes through the reader's Access first;
these functions are handed rows that already passed it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sqlite_utils import Database

from feedback import clock, reopening
from feedback.access import Access
from feedback.labels import HANDLER_ROLES, HANDLING_EVENTS, RESULT_CLASSES
from feedback.paging import page_count

NEAR_DAYS = 3  # "near the deadline" on the to-do list


def handlers(db: Database, suggestion_id: int) -> list[dict]:
    """The lead first, then co-handlers, with names and whether they signed for it in time."""
    rows = list(
        db.query(
            "select sd.*, d.name from suggestion_departments sd join departments d "
            "on d.id = sd.department_id where sd.suggestion_id = ? "
            "order by sd.role = 'co', d.name",
            [suggestion_id],
        )
    )
    for row in rows:
        row["role_label"] = HANDLER_ROLES[row["role"]]
        row["late"] = (row["signed_at"] or clock.stamp()) > row["sign_due_at"]
    return rows


def timeline(db: Database, suggestion_id: int) -> list[dict]:
    """Every act of online handling, oldest first, who and when, with its photos."""
    events = list(
        db.query(
            "select e.*, d.name as department from handling_events e left join departments d "
            "on d.id = e.department_id where e.suggestion_id = ? order by e.id",
            [suggestion_id],
        )
    )
    photos: dict[int, list[dict]] = {}
    for photo in db.query(
        "select p.* from handling_photos p join handling_events e on e.id = p.event_id "
        "where e.suggestion_id = ? order by p.id",
        [suggestion_id],
    ):
        photos.setdefault(photo["event_id"], []).append(photo)
    for event in events:
        event["label"] = HANDLING_EVENTS[event["kind"]]
        event["result_label"] = RESULT_CLASSES.get(event["result_class"] or "", "")
        event["photos"] = photos.get(event["id"], [])
    events.extend(_reopened(db, suggestion_id))
    return sorted(events, key=lambda e: e["at"])


def _reopened(db: Database, suggestion_id: int) -> list[dict]:
    """二次办理 (feedback.reopening) on the same timeline, with the villager's reason."""
    return [
        {
            "kind": "reopen",
            "label": "二次办理(回访不满意)",
            "department": None,
            "actor": row["actor"],
            "at": row["at"],
            "body": row["reason"],
            "new_date": None,
            "result_class": None,
            "result_label": "",
            "photos": [],
        }
        for row in reopening.of_suggestion(db, suggestion_id)
    ]


# What a villager reads of online handling on their status page (/t/<receipt>): the steps
# that tell them their problem is moving, in plain words, never a department's or a clerk's
# own text (a return's reason, a progress note may name other people); internal acts
# (a co-handler's part, the answer before review, a refused extension) are left out.
VILLAGER_STEPS = {
    "handover": ("已交办", "{body}"),
    "sign": ("承办单位已签收", "{department}已签收,正在办理"),
    "return": ("正在重新交办", "原承办单位认为不归其办理,镇人大正在重新交办"),
    "progress": ("办理进展", "{department}记录了办理进展"),
    "extension_grant": ("办理期限延长", "经镇人大同意,办理期限延长到 {new_date}"),
    "urge": ("镇人大督办", "镇人大已督促承办单位抓紧办理"),
    "send_back": ("继续办理", "答复没有通过镇人大审核,承办单位继续办理"),
}


def villager_steps(db: Database, suggestion_id: int) -> list[tuple[str, str, str]]:
    """(when, title, detail) of each online step a villager may read, oldest first."""
    rows = db.execute(
        "select e.kind, e.at, e.body, e.new_date, coalesce(d.name, '承办单位') from "
        "handling_events e left join departments d on d.id = e.department_id "
        "where e.suggestion_id = ? order by e.id",
        [suggestion_id],
    ).fetchall()
    steps = []
    for kind, at, body, new_date, department in rows:
        if kind in VILLAGER_STEPS:
            title, detail = VILLAGER_STEPS[kind]
            steps.append(
                (at, title, detail.format(body=body, department=department, new_date=new_date))
            )
    return steps


def sent_back(db: Database, suggestion_id: int) -> str | None:
    """The reason, if the clerk's last word on an answer was to send it back."""
    row = db.execute(
        "select kind, body from handling_events where suggestion_id = ? "
        "and kind in ('answer', 'send_back') order by id desc limit 1",
        [suggestion_id],
    ).fetchone()
    return row[1] if row and row[0] == "send_back" else None


def urges(db: Database, suggestion_id: int) -> int:
    return db.execute(
        "select count(*) from handling_events where suggestion_id = ? and kind = 'urge'",
        [suggestion_id],
    ).fetchone()[0]


CLOSED_SHOWN = 20  # closed items the to-do list shows; the rest page by page
CLOSED_PAGE = 50

# A department's items (its office, then the reader's scope) in one state.
_OF_OFFICE = (
    "from suggestions s join suggestion_departments sd on sd.suggestion_id = s.id "
    "and sd.department_id = ? where {where} and {state}"
)
_HANDED = (
    "select s.*, sd.role, sd.signed_at, sd.sign_due_at, sd.answer as own_answer, "
    "(select count(*) from handling_events e where e.suggestion_id = s.id "
    "and e.kind = 'urge') as urges, (select e.kind from handling_events e where "
    "e.suggestion_id = s.id and e.kind in ('answer', 'send_back') "
    f"order by e.id desc limit 1) as last_review {_OF_OFFICE} order by {{order}}"
)
_CLOSED = "s.status = '已办结'"


@dataclass
class ClosedPage:
    rows: list[dict]
    total: int
    page: int
    pages: int
    size: int


def to_do(db: Database, access: Access) -> dict[str, list[dict]]:
    """A department's open items in the sections its list shows: to sign for, sent back to
    it, near or past the deadline, in hand, waiting for the town's review; and the most
    recently closed (an office of the county closes thousands over the years: those page
    through `closed`)."""
    where, params = access.suggestion_where("s")
    rows = db.query(
        _HANDED.format(where=where, state="s.status != '已办结'", order="s.deadline, s.id"),
        [access.office, *params],
    )
    near = (clock.now().date() + timedelta(days=NEAR_DAYS)).isoformat()
    sections: dict[str, list[dict]] = {
        key: [] for key in ("sign", "sent_back", "due", "doing", "review")
    }
    for row in rows:
        sections[_section(_labelled(row), near)].append(row)
    sections["closed"] = closed(db, access, CLOSED_SHOWN)
    return sections


def closed(db: Database, access: Access, limit: int, offset: int = 0) -> list[dict]:
    """A department's closed items, the most recently closed first."""
    where, params = access.suggestion_where("s")
    sql = _HANDED.format(where=where, state=_CLOSED, order="s.closed_at desc, s.id desc")
    rows = db.query(f"{sql} limit ? offset ?", [access.office, *params, limit, offset])
    return [_labelled(row) for row in rows]


def closed_count(db: Database, access: Access) -> int:
    where, params = access.suggestion_where("s")
    sql = "select count(*) " + _OF_OFFICE.format(where=where, state=_CLOSED)
    return db.execute(sql, [access.office, *params]).fetchone()[0]


def closed_page(db: Database, access: Access, page: int) -> ClosedPage | None:
    """Page `page` of a department's closed items, CLOSED_PAGE a page; None for a page there
    is not."""
    total = closed_count(db, access)
    pages = page_count(total, CLOSED_PAGE)
    if not 1 <= page <= pages:
        return None
    rows = closed(db, access, CLOSED_PAGE, (page - 1) * CLOSED_PAGE)
    return ClosedPage(rows, total, page, pages, CLOSED_PAGE)


def _labelled(row: dict) -> dict:
    row["role_label"] = HANDLER_ROLES[row["role"]]
    row["overdue"] = _overdue(row)
    return row


def _overdue(row: dict) -> bool:
    today = clock.now().date()
    return (
        row["status"] != "已办结"
        and bool(row["deadline"])
        and date.fromisoformat(row["deadline"]) < today
    )


def _section(row: dict, near: str) -> str:
    if not row["signed_at"]:
        return "sign"
    if row["submitted_at"]:
        return "review"
    if row["last_review"] == "send_back":
        return "sent_back"
    if row["deadline"] and row["deadline"] <= near:
        return "due"
    return "doing"


def photo_file(db: Database, access: Access, photo_id: int) -> str | None:
    """A progress photo's stored name, if its suggestion is in the reader's scope."""
    row = db.execute(
        "select p.filename, e.suggestion_id from handling_photos p join handling_events e "
        "on e.id = p.event_id where p.id = ?",
        [photo_id],
    ).fetchone()
    if row is None or access.suggestion(db, row[1]) is None:
        return None
    return row[0]
