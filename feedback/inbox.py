"""The clerk's inbox: opinions of the towns in scope, filtered, searched and paged.

Queries are assembled from fixed fragments with parameters only; the town rule comes from
feedback.scope like every other staff read.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlite_utils import Database

from feedback.access import Access
from feedback.labels import OPINION_STATUSES
from feedback.paging import page_count

PAGE_SIZE = 50
# The last day a filter may name: the inbox counts up to the day after `date_to`.
LAST_DAY = date.max - timedelta(days=1)
# The last page whose offset SQLite can hold in its 64-bit integers.
LAST_PAGE = (2**63 - 1) // PAGE_SIZE


@dataclass
class Filters:
    status: str | None = "new"
    station_id: int | None = None
    category: str | None = None
    date_from: date | None = None
    date_to: date | None = None
    with_photos: bool = False
    rating: str | None = None  # the villager's verdict on the answer (满意 / 基本满意 / 不满意)
    q: str = ""
    page: int = 1

    def query_args(self, **changes) -> dict:
        """The filters as URL arguments (for links that keep them)."""
        values = {
            "status": self.status or "all",
            "station": self.station_id,
            "category": self.category,
            "from": self.date_from,
            "to": self.date_to,
            "photos": "1" if self.with_photos else None,
            "rating": self.rating,
            "q": self.q or None,
            "page": self.page if self.page > 1 else None,
        }
        values.update(changes)
        return {key: value for key, value in values.items() if value not in (None, "")}


@dataclass
class Page:
    rows: list[dict]
    total: int
    counts: dict[str, int]
    filters: Filters
    pages: int = field(init=False)

    def __post_init__(self) -> None:
        self.pages = page_count(self.total, PAGE_SIZE)


def _conditions(scope: Access, filters: Filters) -> tuple[list[str], list]:
    """Every filter but status and text: what the status tabs count within."""
    where, params = ["o.status != 'spam'"], []
    if scope.town is not None:
        where.append("o.station_id in (select id from stations where town = ?)")
        params.append(scope.town)
    if filters.station_id:
        where.append("o.station_id = ?")
        params.append(filters.station_id)
    if filters.category:
        where.append("o.category = ?")
        params.append(filters.category)
    if filters.date_from:
        where.append("o.created_at >= ?")
        params.append(filters.date_from.isoformat())
    if filters.date_to:
        where.append("o.created_at < ?")
        params.append((filters.date_to + timedelta(days=1)).isoformat())
    if filters.with_photos:
        where.append("exists (select 1 from photos p where p.opinion_id = o.id)")
    if filters.rating:
        where.append("o.rating = ?")
        params.append(filters.rating)
    return where, params


def _text_condition(db: Database, q: str) -> tuple[str, list]:
    """Opinions whose text contains q, through the trigram index wherever it can serve.

    Three or more characters are a trigram phrase. Two characters (路灯) are found as the
    start of any indexed trigram (路灯坏, 路灯不...), listed by the vocabulary table, or as
    the last two characters of a text (an index of its own): the same rows as LIKE, without
    reading every opinion of the town. One character falls back to LIKE.
    """
    if len(q) >= 3:
        return "o.id in (select rowid from opinions_fts where opinions_fts match ?)", [_phrase(q)]
    if len(q) == 2:
        folded = q.lower()
        terms = [
            row[0]
            for row in db.execute(
                "select term from opinions_fts_terms where term >= ? and term < ?",
                [folded, folded + "\U0010ffff"],
            )
        ]
        ends = "select id from opinions where lower(substr(body, -2)) = lower(?)"
        if not terms:
            return f"o.id in ({ends})", [q]
        fts = "select rowid from opinions_fts where opinions_fts match ?"
        return f"o.id in ({fts} union all {ends})", [" OR ".join(map(_phrase, terms)), q]
    escaped = q.replace("!", "!!").replace("%", "!%").replace("_", "!_")
    return "o.body like ? escape '!'", ["%" + escaped + "%"]


def _phrase(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'


def _stored_counts(db: Database, scope: Access, filters: Filters) -> dict[str, int] | None:
    """Counts per status from opinion_counts, when the filters are ones it keeps."""
    if filters.date_from or filters.date_to or filters.with_photos or filters.rating:
        return None
    where, params = ["1"], []
    if scope.town is not None:
        where.append("station_id in (select id from stations where town = ?)")
        params.append(scope.town)
    if filters.station_id:
        where.append("station_id = ?")
        params.append(filters.station_id)
    if filters.category:
        where.append("category = ?")
        params.append(filters.category)
    sql = f"select status, sum(n) from opinion_counts where {' and '.join(where)} group by status"
    return _by_status(db.execute(sql, params))


def _scanned_counts(db: Database, where: list[str], params: list) -> dict[str, int]:
    """Counts per status from the covering indexes (sums, not GROUP BY: with GROUP BY the
    planner walks the status index over every opinion to save a sort)."""
    sums = ", ".join(f"sum(o.status = '{status}')" for status in OPINION_STATUSES)
    row = db.execute(f"select {sums} from opinions o where {' and '.join(where)}", params)
    return _by_status(zip(OPINION_STATUSES, row.fetchone(), strict=True))


def _by_status(pairs) -> dict[str, int]:
    counts = dict.fromkeys(OPINION_STATUSES, 0)
    for status, count in pairs:
        if status in counts:
            counts[status] = count or 0
    return counts


def _walks_by_date(db: Database, scope: Access, filters: Filters, total: int, offset: int) -> bool:
    """Whether a town's page of every status is cheaper read by walking all opinions newest
    first than by sorting the town's own index entries.

    The walk reads about (offset + 50) / share entries, the sort all of the town's: walking
    wins for the early pages of a big town (page 1 of 全部 in a town with a fifth of a million
    opinions: 0.1 ms instead of 22 ms) and loses for deep pages of a small one (158 ms
    instead of 9 ms at page 200 of a town with 2 %). SQLite cannot know the share; the
    counts can. The newest id stands in for the number of opinions of every town.
    """
    narrowed = filters.status or filters.station_id or filters.category or filters.with_photos
    narrowed = narrowed or filters.rating
    if scope.town is None or narrowed or filters.date_from or filters.date_to or not total:
        return False
    everyone = db.execute("select max(id) from opinions").fetchone()[0] or 0
    return (offset + PAGE_SIZE) * everyone < total * total


def _page_ids(db: Database, where: list[str], params: list, offset: int, walk: bool) -> list[int]:
    """The page's ids, found and ordered in the indexes: deep pages skip index entries only."""
    source = "opinions o indexed by opinions_created" if walk else "opinions o"
    sql = (
        f"select o.id from {source} where {' and '.join(where)} "
        "order by o.created_at desc, o.id desc limit ? offset ?"
    )
    return [row[0] for row in db.execute(sql, [*params, PAGE_SIZE, offset])]


def _rows(db: Database, ids: list[int]) -> list[dict]:
    if not ids:
        return []
    marks = ",".join("?" * len(ids))
    found = {
        row["id"]: row
        for row in db.query(
            "select o.*, s.name as station_name, s.village as station_village, "
            "(select count(*) from photos p where p.opinion_id = o.id) as photo_count "
            f"from opinions o join stations s on s.id = o.station_id where o.id in ({marks})",
            ids,
        )
    }
    return [found[i] for i in ids]


def page(db: Database, scope: Access, filters: Filters) -> Page:
    """One page of the inbox, the number of opinions found and the counts per status.

    Without a text search the counts come from opinion_counts (or the covering indexes) and
    the page from the indexes; with one, the matching opinions are read once, their
    (id, status, date) only, and counted, ordered and paged from that single read.
    """
    where, params = _conditions(scope, filters)
    offset = (max(1, filters.page) - 1) * PAGE_SIZE
    # SQLite's full-text query syntax ends at a NUL character and then fails to parse.
    q = filters.q.replace("\x00", "").strip()
    if q:
        condition, text_params = _text_condition(db, q)
        found = db.execute(
            f"select o.id, o.status, o.created_at from opinions o "
            f"where {' and '.join(where)} and {condition}",
            [*params, *text_params],
        ).fetchall()
        counts = _by_status(Counter(status for _, status, _ in found).items())
        chosen = [r for r in found if not filters.status or r[1] == filters.status]
        chosen.sort(key=lambda r: (r[2], r[0]), reverse=True)
        ids = [r[0] for r in chosen[offset : offset + PAGE_SIZE]]
        return Page(_rows(db, ids), len(chosen), counts, filters)
    counts = _stored_counts(db, scope, filters) or _scanned_counts(db, where, params)
    total = counts.get(filters.status, 0) if filters.status else sum(counts.values())
    walk = _walks_by_date(db, scope, filters, total, offset)
    if filters.status:
        where, params = [*where, "o.status = ?"], [*params, filters.status]
    return Page(_rows(db, _page_ids(db, where, params, offset, walk)), total, counts, filters)
