"""Time as the offices count it: China Standard Time (UTC+8, no daylight saving).

Timestamps are stored as ISO strings with their offset, so they sort as text and a month
in a report is the month people lived through.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

CHINA = timezone(timedelta(hours=8), "CST")


def now() -> datetime:
    return datetime.now(CHINA).replace(microsecond=0)


def stamp(moment: datetime | None = None) -> str:
    return (moment or now()).astimezone(CHINA).isoformat()


def parse(value: str) -> datetime:
    """A stored timestamp as a moment in China time. One without an offset is UTC: the only
    ones are SQLite's `strftime(..., 'now')` column defaults of older rows (the audit log,
    stations), which migration 0010 rewrites; never read one as the server's local time."""
    moment = datetime.fromisoformat(value)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(CHINA)


def display(value: str | None) -> str:
    """'2026-11-23T10:31:05+08:00' -> '2026-11-23 10:31': the one way staff and villagers
    read a moment (the template filter `when`, the CLI, slips, bulletins)."""
    if not value:
        return ""
    return parse(value).strftime("%Y-%m-%d %H:%M")


def display_value(value: object) -> object:
    """A value from an audit entry as staff read it: timestamps (assigned_at, closed_at...) in
    China time like every other moment on the page, anything else unchanged."""
    if isinstance(value, str) and len(value) >= 19 and value[10:11] == "T":
        try:
            return display(value)
        except ValueError:
            return value
    return value
