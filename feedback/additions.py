"""补充说明: while an opinion is open, its villager adds a few lines and photos from the
status page (/t/<receipt>); staff read them on the opinion's page and in its 记录.

The rules are in the INSERT itself, so a stale page or two tabs cannot go past them: the
opinion is still open (pending, or behind a suggestion not yet closed), it has fewer than
MAX_ADDITIONS additions, and its added photos stay within MAX_PHOTOS. Photos are checked
and re-encoded by feedback.photos before this is called, written before the transaction
and removed again if it fails, as opinions.create does; a repeated one-time token returns
the first addition instead of a second one.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from pathlib import Path

from sqlite_utils import Database

from feedback import audit, clock, ratelimit
from feedback.db import write_transaction
from feedback.labels import CLOSED
from feedback.photos import Photo, written

BODY_MAX = 500
MAX_ADDITIONS = 5
MAX_PHOTOS = 3  # photos added after the opinion, over all its additions

OPEN = (
    "(o.status = 'new' or (o.status = 'merged' and not exists (select 1 from "
    "suggestion_opinions so join suggestions s on s.id = so.suggestion_id "
    f"where so.opinion_id = o.id and s.status = '{CLOSED}')))"
)


class AdditionError(ValueError):
    """An addition that cannot be stored; the message (Chinese) is for the villager."""


class RateLimited(AdditionError):
    def __init__(self) -> None:
        super().__init__("提交太频繁了,请过一会儿再试;您写的内容都还在")


def is_open(db: Database, opinion_id: int) -> bool:
    sql = f"select 1 from opinions o where o.id = ? and {OPEN}"
    return bool(db.execute(sql, [opinion_id]).fetchone())


def photo_room(db: Database, opinion_id: int) -> int:
    """How many more photos this opinion's additions may bring."""
    used = db.execute(
        "select count(*) from photos where opinion_id = ? and addition_id is not null",
        [opinion_id],
    ).fetchone()[0]
    return max(0, MAX_PHOTOS - used)


def of_opinion(db: Database, opinion_id: int) -> list[dict]:
    """The additions, oldest first, each with its photos."""
    rows = list(
        db.query(
            "select id, body, created_at from opinion_additions where opinion_id = ? order by id",
            [opinion_id],
        )
    )
    photos: dict[int, list[dict]] = {}
    for photo in db.query(
        "select id, addition_id from photos where opinion_id = ? and addition_id is not null "
        "order by id",
        [opinion_id],
    ):
        photos.setdefault(photo["addition_id"], []).append(photo)
    for row in rows:
        row["photos"] = photos.get(row["id"], [])
    return rows


def _key(opinion_id: int, token: str | None, body: str) -> str | None:
    if not token:
        return None
    digest = hashlib.sha256(body.encode()).hexdigest()[:16]
    return f"{opinion_id}:{token}:{digest}"


def _replay(db: Database, key: str | None) -> bool:
    return bool(key) and bool(
        db.execute("select 1 from opinion_additions where token = ?", [key]).fetchone()
    )


def admit(
    db: Database,
    opinion_id: int,
    body: str,
    token: str | None,
    limits: Sequence[ratelimit.Bucket],
) -> bool:
    """Before any photo is decoded: True when this very addition was already stored (a
    double tap), else the attempt is counted (RateLimited when a bucket is full)."""
    with write_transaction(db):
        if _replay(db, _key(opinion_id, token, body)):
            return True
        if not ratelimit.charge(db, limits):
            raise RateLimited()
    return False


def add(
    db: Database,
    photo_dir: Path,
    opinion_id: int,
    body: str,
    photos: Sequence[Photo] = (),
    token: str | None = None,
    limits: Sequence[ratelimit.Bucket] = (),
) -> bool:
    """Store an addition and its photos in one transaction; False when it was a replay."""
    body = (body or "").strip()
    if not body and not photos:
        raise AdditionError("请写几句补充说明,或选一张照片")
    if len(body) > BODY_MAX:
        raise AdditionError(f"补充说明最多 {BODY_MAX} 字,请精简一些")
    key = _key(opinion_id, token, body)
    with written(photo_dir, photos) as batch, write_transaction(db):
        if _replay(db, key):
            batch.remove()
            return False
        if limits and not ratelimit.charge(db, limits):
            raise RateLimited()
        addition_id = _insert(db, opinion_id, body, key, len(batch.files))
        for name, photo in batch.files:
            db.execute(
                "insert into photos (opinion_id, addition_id, filename, width, height, "
                "bytes, created_at) values (?, ?, ?, ?, ?, ?, ?)",
                [
                    opinion_id,
                    addition_id,
                    name,
                    photo.width,
                    photo.height,
                    len(photo.data),
                    clock.stamp(),
                ],
            )
        audit.record(
            db,
            "villager",
            "opinion.addition",
            "opinion",
            opinion_id,
            after={"addition": addition_id, "photos": len(batch.files)},
        )
    return True


def _insert(db: Database, opinion_id: int, body: str, key: str | None, photos: int) -> int:
    """The addition row, inserted only while every rule holds (all in this one statement)."""
    inserted = db.execute(
        "insert into opinion_additions (opinion_id, body, token, created_at) "
        f"select o.id, ?, ?, ? from opinions o where o.id = ? and {OPEN} "
        "and (select count(*) from opinion_additions a where a.opinion_id = o.id) < ? "
        "and (select count(*) from photos p where p.opinion_id = o.id "
        "and p.addition_id is not null) + ? <= ?",
        [body, key, clock.stamp(), opinion_id, MAX_ADDITIONS, photos, MAX_PHOTOS],
    )
    if inserted.rowcount:
        return inserted.lastrowid
    if not is_open(db, opinion_id):
        raise AdditionError("这条意见已经办结或答复了,不能再补充;如有新情况,请扫码重新反映")
    room = photo_room(db, opinion_id)
    if photos > room:
        raise AdditionError(f"补充的照片一共最多 {MAX_PHOTOS} 张,还可以再传 {room} 张")
    raise AdditionError(f"每条意见最多补充 {MAX_ADDITIONS} 次;如有新情况,请扫码重新反映")
