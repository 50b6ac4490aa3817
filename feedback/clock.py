"""Time as the offices count it: China Standard Time (UTC+8, no daylight saving).

Timestamps are stored as ISO strings with their offset, so they sort as text and a month
in a report is the month people lived through.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

CHINA = timezone(timedelta(hours=8), "CST")


def now() -> datetime:
    return datetime.now(CHINA).replace(microsecond=0)


def stamp(moment: datetime | None = None) -> str:
    return (moment or now()).astimezone(CHINA).isoformat()


def display(value: str | None) -> str:
    """'2026-11-23T10:31:05+08:00' -> '2026-11-23 10:31'."""
    if not value:
        return ""
    return datetime.fromisoformat(value).astimezone(CHINA).strftime("%Y-%m-%d %H:%M")
