"""Retention of villagers' contact details (个人信息保护法: keep personal information no longer
than the purpose needs). Names and phone numbers are needed while an opinion is handled and
the villager may be called back; after the retention period they are removed. The opinion
itself — text, receipt, status, answer and rating — stays, so reports and the villager's
status page are unchanged. The phones of supporters (我也遇到, feedback.supporters) follow
the same period, purged in the same transaction; the support itself stays counted."""

from __future__ import annotations

from datetime import timedelta

from sqlite_utils import Database

from feedback import audit, clock, notify
from feedback.db import write_transaction

_HAS_CONTACT = "(name is not null or phone is not null or consent != 0 or sms != 0)"


def cutoff(days: int) -> str:
    """Opinions created before this moment (China time) are past the retention period."""
    return clock.stamp(clock.now() - timedelta(days=days))


def count_contacts(db: Database, days: int) -> int:
    sql = f"select count(*) from opinions where created_at < ? and {_HAS_CONTACT}"
    return db.execute(sql, [cutoff(days)]).fetchone()[0]


def count_supporter_phones(db: Database, days: int) -> int:
    sql = "select count(*) from supporters where created_at < ? and phone is not null"
    return db.execute(sql, [cutoff(days)]).fetchone()[0]


def purge_contacts(db: Database, days: int, actor: str) -> int:
    """Remove names and phone numbers of opinions and supporters older than `days` (and from
    the text messages to them, feedback.notify.purge_numbers), in one transaction,
    logged with how many and the cutoff (never the removed values)."""
    before = cutoff(days)
    with write_transaction(db):
        purged = db.execute(
            f"update opinions set name = null, phone = null, consent = 0, sms = 0 "
            f"where created_at < ? and {_HAS_CONTACT}",
            [before],
        ).rowcount
        supporters = db.execute(
            "update supporters set phone = null, consent = 0 "
            "where created_at < ? and (phone is not null or consent != 0)",
            [before],
        ).rowcount
        messages = notify.purge_numbers(db, before)
        audit.record(
            db,
            actor,
            "opinion.purge_contacts",
            "opinion",
            None,
            count=purged,
            messages=messages,
            supporters=supporters,
            older_than_days=days,
            cutoff=before,
        )
    return purged
