"""The town's public board (GET /board/<town>): what the town is doing about what villagers
raised, a page at a time.

Everything here is public, so it is chosen column by column and never `select *`: a
suggestion's number, its title for the public, category, department, status, dates, the
answer and how many raised it or added their support. Never an opinion's words, a name or
a phone: the staff title and body quote villagers (drafted bodies list their opinions), so
the board shows the clerk's public title (suggestions.public_title) or, until one is
written, the neutral title made of the places and the category (suggestion_text).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlite_utils import Database

from feedback import audit
from feedback.access import Access
from feedback.db import write_transaction
from feedback.labels import CLOSED
from feedback.privacy import mask_phone
from feedback.suggestion_text import neutral_title, public_title

PAGE_SIZE = 20
LAST_PAGE = 10_000
TITLE_MIN, TITLE_MAX = 4, 60
OPEN_STATUSES = ("待交办", "已交办", "办理中")
FILTERS = {"open": OPEN_STATUSES, "closed": (CLOSED,)}
# A mobile number inside a longer text (an answer that names who was called back).
_PHONE = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)")
# The columns the public may read, and nothing else.
_COLUMNS = (
    "s.id, s.number, s.public_title, s.category, s.status, s.created_at, s.assigned_at, "
    "s.deadline, s.closed_at, s.answer, d.name as department, "
    "(select count(*) from suggestion_opinions so where so.suggestion_id = s.id) as opinions, "
    "(select count(*) from supporters p where p.suggestion_id = s.id) as supporters"
)


class TitleError(ValueError):
    """A public title that cannot be saved; the message (Chinese) is for the clerk."""


@dataclass(frozen=True)
class Page:
    town: str
    rows: list[dict]
    total: int
    page: int
    pages: int
    show: str  # "", "open" or "closed"
    only: int | None = None  # one suggestion (?s=<id>, the link texted to its supporters)


def known_town(db: Database, town: str) -> bool:
    return bool(db.execute("select 1 from towns where name = ?", [town]).fetchone())


def page(
    db: Database,
    town: str,
    number: int,
    show: str,
    category_labels: dict[str, str],
    only: int | None = None,
) -> Page:
    """One page of the town's suggestions, newest first, each with the title it shows; or
    only the suggestion `only`, wherever it would be in the list (none if not the town's)."""
    where, params = "town = ?", [town]
    if only is not None:
        where += " and id = ?"
        params.append(only)
        show = ""
    elif show in FILTERS:
        where += f" and status in ({', '.join('?' for _ in FILTERS[show])})"
        params.extend(FILTERS[show])
    else:
        show = ""
    total = db.execute(f"select count(*) from suggestions where {where}", params).fetchone()[0]
    pages = max(1, -(-total // PAGE_SIZE))
    number = min(max(1, number), pages, LAST_PAGE)
    # The page's ids first, from the index alone: the counts and joins are then made for
    # these 20 rows only, however deep the page (OFFSET would compute every skipped row).
    rows = list(
        db.query(
            f"select {_COLUMNS} from (select id from suggestions where {where} "
            "order by id desc limit ? offset ?) page join suggestions s on s.id = page.id "
            "left join departments d on d.id = s.department_id order by s.id desc",
            [*params, PAGE_SIZE, (number - 1) * PAGE_SIZE],
        )
    )
    places = _places(db, [row["id"] for row in rows])
    for row in rows:
        label = category_labels.get(row["category"], row["category"])
        default = neutral_title(places.get(row["id"], []) or [town], label)
        row["title"] = row.pop("public_title") or default
        row["open"] = row["status"] != CLOSED
        row["answer"] = masked(row["answer"])
    return Page(town, rows, total, number, pages, show, only)


def town_of(db: Database, suggestion_id: int) -> str | None:
    """The town whose board shows this suggestion (every suggestion is on its town's)."""
    row = db.execute("select town from suggestions where id = ?", [suggestion_id]).fetchone()
    return row[0] if row else None


def masked(text: str | None) -> str | None:
    """The answer as the public reads it: a phone number written into it (经与反映人
    13912345678 联系) is masked as everywhere else."""
    return _PHONE.sub(lambda m: mask_phone(m.group()), text) if text else text


def _places(db: Database, ids: list[int]) -> dict[int, list[str]]:
    """The villages (or towns) of the opinions behind each suggestion, in order of arrival."""
    if not ids:
        return {}
    marks = ", ".join("?" for _ in ids)
    out: dict[int, list[str]] = {}
    for suggestion_id, place, _first in db.execute(
        "select so.suggestion_id, coalesce(nullif(st.village, ''), st.town), min(o.id) "
        "from suggestion_opinions so join opinions o on o.id = so.opinion_id "
        f"join stations st on st.id = o.station_id where so.suggestion_id in ({marks}) "
        "group by 1, 2 order by 1, 3",
        ids,
    ):
        out.setdefault(suggestion_id, []).append(place)
    return out


def default_title(db: Database, suggestion: dict, category_labels: dict[str, str]) -> str:
    """The neutral title the board shows for this suggestion until the clerk writes one."""
    label = category_labels.get(suggestion["category"], suggestion["category"])
    places = _places(db, [suggestion["id"]]).get(suggestion["id"], [])
    return neutral_title(places or [suggestion["town"]], label)


def set_public_title(db: Database, access: Access, suggestion_id: int, title: str) -> None:
    """The title villagers read on the board, written by the clerk (empty: back to the neutral
    one). Refused when it repeats an opinion's words: the board shows no villager's text.
    The scope is repeated in the UPDATE; the change is logged before -> after."""
    title = " ".join((title or "").split())
    if title and not TITLE_MIN <= len(title) <= TITLE_MAX:
        raise TitleError(f"公开标题请写 {TITLE_MIN}–{TITLE_MAX} 个字")
    if _PHONE.search(title):
        raise TitleError("公开标题不能含电话号码")
    where, params = access.where("suggestions")
    with write_transaction(db):
        current = access.suggestion(db, suggestion_id)
        if current is None:
            raise LookupError(suggestion_id)
        if title:
            bodies = [o["body"] for o in access.suggestion_opinions(db, current)]
            if not public_title(title, bodies):
                raise TitleError(
                    "公开标题不能照抄群众意见的原话(公开栏不显示村民写的内容),"
                    "请概括成“关于××村的××问题”这样的标题"
                )
        value = title or None
        if current["public_title"] == value:
            return
        db.execute(
            f"update suggestions set public_title = ? where id = ? and {where}",
            [value, suggestion_id, *params],
        )
        audit.record(
            db,
            access.username,
            "suggestion.public_title",
            "suggestion",
            suggestion_id,
            before={"public_title": current["public_title"]},
            after={"public_title": value},
        )
