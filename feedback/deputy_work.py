"""A deputy's own work on their phone: the opinions they may read (feedback.access), the
opinions they type in after a visit or at a market stall, and their duty activities
(履职活动: 进站接待、走访、调研视察、座谈、集市摆摊) with photos, to which the opinions typed
in during them are linked.

Every change names the deputy account's Access and repeats its rule in its own SQL: only
a deputy in office, only at their own stations, only to their own activities.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

from sqlite_utils import Database

from feedback import audit, clock, opinions
from feedback.access import Access, newest
from feedback.db import write_transaction
from feedback.labels import DUTY_ACTIVITIES
from feedback.photos import Photo, written

INBOX_PAGE = 50
OLDEST_ACTIVITY_DAYS = 366  # an activity is recorded within the year it happened


class Refused(ValueError):
    """The deputy may not do this (Chinese, for the page)."""


def _deputy(access: Access) -> int:
    if access.deputy is None:
        raise Refused("只有人大代表本人的账号可以这样做")
    return access.deputy


def inbox(db: Database, access: Access, page: int = 1) -> list[dict]:
    """The opinions a deputy may read, new first: those addressed to them and those of their
    stations (spam never), each with its station's name and whether it is addressed to them."""
    page_ids, params = access.deputy_page(db, INBOX_PAGE, (page - 1) * INBOX_PAGE)
    sql = (
        "select o.id, o.receipt, o.body, o.category, o.name, o.phone, o.channel, o.status, "
        "o.created_at, o.deputy_id, o.place, o.activity_id, s.name as station_name, "
        "(select count(*) from photos p where p.opinion_id = o.id) as photo_count "
        "from opinions o join stations s on s.id = o.station_id "
        f"where o.id in ({page_ids}) order by {newest('o')}"
    )
    rows = db.query(sql, params)
    return [dict(row, addressed=row["deputy_id"] == access.deputy) for row in rows]


def stations_of(db: Database, access: Access) -> list[dict]:
    """The active stations a deputy in office is posted to, first first: where what they
    type in is received."""
    return list(
        db.query(
            "select s.* from deputy_stations ds join stations s on s.id = ds.station_id "
            "join deputies d on d.id = ds.deputy_id "
            "where ds.deputy_id = ? and d.active = 1 and s.active = 1 and s.town = d.town "
            "order by ds.position",
            [_deputy(access)],
        )
    )


@dataclass
class Heard:
    """An opinion a deputy heard (走访、集市摆摊、电话), typed in on the villager's behalf."""

    station_id: int
    body: str
    category: str
    channel: str
    place: str | None = None
    name: str | None = None
    phone: str | None = None
    consent: bool = False
    activity_id: int | None = None
    submission_token: str | None = None


def enter_opinion(
    db: Database, access: Access, photo_dir: Path, heard: Heard, collected_by: str
) -> opinions.Stored:
    """Store it like any opinion (a receipt for the villager, the same replay rule), at one
    of the deputy's stations, addressed to the deputy, linked to their activity if named."""
    deputy_id = _deputy(access)
    allowed = db.execute(
        "select 1 from deputy_stations ds join deputies d on d.id = ds.deputy_id "
        "join stations s on s.id = ds.station_id where ds.deputy_id = ? and ds.station_id = ? "
        "and d.active = 1 and s.active = 1 and s.town = d.town "
        "and (? is null or exists (select 1 from deputy_activities a "
        "where a.id = ? and a.deputy_id = d.id))",
        [deputy_id, heard.station_id, heard.activity_id, heard.activity_id],
    ).fetchone()
    if not allowed:
        raise Refused("只能记在自己所在的站点和自己的履职活动下")
    new = opinions.NewOpinion(
        station_id=heard.station_id,
        body=heard.body,
        category=heard.category,
        name=heard.name or None,
        phone=heard.phone or None,
        consent=heard.consent,
        channel=heard.channel,
        collected_by=collected_by,
        submission_token=heard.submission_token,
        deputy_id=deputy_id,
        activity_id=heard.activity_id,
        place=heard.place or None,
    )
    return opinions.create(db, photo_dir, new, entered_by=access.username)


@dataclass
class Activity:
    kind: str
    held_on: str
    place: str
    people: int
    notes: str = ""


def check_activity(activity: Activity, today: date) -> None:
    """An activity happened (no future date) within the last year, of a known kind."""
    if activity.kind not in DUTY_ACTIVITIES:
        raise Refused("请从列表里选活动类型")
    held = date.fromisoformat(activity.held_on)
    if held > today:
        raise Refused("活动日期不能晚于今天")
    if (today - held).days > OLDEST_ACTIVITY_DAYS:
        raise Refused("只能记录一年以内的活动")


def record_activity(
    db: Database,
    access: Access,
    activity: Activity,
    photos: list[Photo] = (),  # type: ignore[assignment]
    photo_dir: Path | None = None,
) -> int:
    """A duty activity with its photos (already verified by feedback.photos): the files are
    written first and removed again if the activity is refused, as for opinions."""
    deputy_id = _deputy(access)
    check_activity(activity, clock.now().date())
    with written(photo_dir, photos) as batch, write_transaction(db):
        activity_id = _insert_activity(db, access, deputy_id, activity)
        for name, photo in batch.files:
            db.execute(
                "insert into activity_photos (activity_id, filename, width, height, bytes, "
                "created_at) values (?, ?, ?, ?, ?, ?)",
                [activity_id, name, photo.width, photo.height, len(photo.data), clock.stamp()],
            )
    return activity_id


def _insert_activity(db: Database, access: Access, deputy_id: int, activity: Activity) -> int:
    cursor = db.execute(
        "insert into deputy_activities (deputy_id, kind, held_on, place, people, notes, "
        "created_by, created_at) select id, ?, ?, ?, ?, ?, ?, ? from deputies "
        "where id = ? and active = 1",
        [
            activity.kind,
            activity.held_on,
            activity.place,
            activity.people,
            activity.notes,
            access.username,
            clock.stamp(),
            deputy_id,
        ],
    )
    if cursor.rowcount != 1:
        raise Refused("离任的代表不能再记录履职活动")
    audit.record(
        db,
        access.username,
        "deputy.activity",
        "activity",
        cursor.lastrowid,
        kind=activity.kind,
        held_on=activity.held_on,
    )
    return cursor.lastrowid


def activities(db: Database, access: Access, limit: int = 20) -> list[dict]:
    """The deputy's own activities, latest first, with how many opinions each collected."""
    return list(
        db.query(
            "select a.*, (select count(*) from opinions o where o.activity_id = a.id "
            "and o.status != 'spam') as opinion_count, (select count(*) from activity_photos p "
            "where p.activity_id = a.id) as photo_count from deputy_activities a "
            "where a.deputy_id = ? order by a.held_on desc, a.id desc limit ?",
            [_deputy(access), limit],
        )
    )


def activity(db: Database, access: Access, activity_id: int) -> dict | None:
    """One of the deputy's own activities with its photos and opinions, or None."""
    row = next(
        db.query(
            "select * from deputy_activities where id = ? and deputy_id = ?",
            [activity_id, _deputy(access)],
        ),
        None,
    )
    if row is None:
        return None
    row["photos"] = list(
        db.query("select * from activity_photos where activity_id = ? order by id", [row["id"]])
    )
    where, params = access.opinion_where("o", "s")
    row["opinions"] = list(
        db.query(
            "select o.*, s.name as station_name from opinions o join stations s "
            f"on s.id = o.station_id where o.activity_id = ? and {where} order by o.id",
            [row["id"], *params],
        )
    )
    return row
