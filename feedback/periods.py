"""The periods a bulletin covers (每月一通报、季度一分析、半年一总结): a China month, a quarter
or a half-year, each checked and cut off the same way.

A period is [start, end) of China dates. Times are stored as China-time ISO strings, so "in
the third quarter" is the text range ['2026-07-01', '2026-10-01'). The cut-off is the end of
the period; while it is still running that means now, since nothing is stored with a future
time. A period that has not started is refused.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from feedback import clock

KINDS = ("month", "quarter", "half")
_PATTERNS = {
    "month": re.compile(r"^(\d{4})-(\d{2})$"),
    "quarter": re.compile(r"^(\d{4})-[Qq](\d)$"),
    "half": re.compile(r"^(\d{4})-[Hh](\d)$"),
}
_PARTS = {"month": 12, "quarter": 4, "half": 2}  # how many of them a year has
_MONTHS = {"month": 1, "quarter": 3, "half": 6}  # how many months each one spans
QUARTER_NAMES = ("第一季度", "第二季度", "第三季度", "第四季度")
HALF_NAMES = ("上半年", "下半年")
# What each one is called in its title and in "本月收到…" (每月一通报、季度一分析、半年一总结).
DOCUMENT = {"month": "通报", "quarter": "分析", "half": "总结"}
# How the formats are explained: English for the CLI, Chinese for the staff page.
_FORMAT_EN = {
    "month": "use YYYY-MM, e.g. 2026-03",
    "quarter": "use YYYY-Qn with n from 1 to 4, e.g. 2026-Q3",
    "half": "use YYYY-Hn with n 1 (January-June) or 2 (July-December), e.g. 2026-H2",
}
_FORMAT_ZH = {
    "month": "请写成 2026-03 这样的年-月",
    "quarter": "请写成 2026-Q3 这样的年-季度(Q1 至 Q4)",
    "half": "请写成 2026-H2 这样的年-半年(H1 上半年,H2 下半年)",
}
_NOUN_ZH = {"month": "月份", "quarter": "季度", "half": "半年"}


class MonthError(ValueError):
    """A period that cannot be reported on; `zh` for staff pages, str() for the CLI. (Named
    when the bulletin was monthly only; it stands for quarters and half-years too.)"""

    def __init__(self, en: str, zh: str):
        super().__init__(en)
        self.zh = zh


PeriodError = MonthError


@dataclass(frozen=True)
class Period:
    kind: str  # "month", "quarter" or "half"
    key: str  # "2026-03", "2026-Q3", "2026-H2": what --month/--quarter/--half and URLs take
    label: str  # "2026 年 3 月", "2026年第三季度", "2026年下半年": what titles say
    start: date  # its first day
    end: date  # the first day after it
    cutoff: str  # ISO stamp: events before it count; states are taken at it
    status_day: date  # the day overdue is judged on (as suggestions.is_overdue does)
    current: bool  # still running
    as_of: str  # what the bulletin says it counts up to: the cut-off, or now

    @property
    def month(self) -> str:
        """The key; the name it had when every period was a month."""
        return self.key

    @property
    def this(self) -> str:
        """How the bulletin's sentences name it: 本月, 本季度, 上半年 / 下半年."""
        if self.kind == "month":
            return "本月"
        if self.kind == "quarter":
            return "本季度"
        return self.label[-3:]

    @property
    def document(self) -> str:
        return DOCUMENT[self.kind]

    @property
    def last_day(self) -> date:
        return self.end - timedelta(days=1)

    @property
    def last_month(self) -> date:
        """The first day of its last month that has begun: where its 12-month trend ends."""
        if self.current:
            return date(self.status_day.year, self.status_day.month, 1)
        return add_months(self.end, -1)


def add_months(first: date, months: int) -> date:
    index = first.year * 12 + first.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def parse(kind: str, value: str, now: datetime | None = None) -> Period:
    """Check a month ("2026-03"), quarter ("2026-Q3") or half-year ("2026-H2") and work out
    its cut-off; one that has not started is refused."""
    if kind not in KINDS:
        raise ValueError(f"no such period kind {kind!r}")
    text = (value or "").strip()
    match = _PATTERNS[kind].match(text)
    noun = {"month": "month", "quarter": "quarter", "half": "half-year"}[kind]
    if not match or not 1 <= int(match.group(2)) <= _PARTS[kind] or int(match.group(1)) < 2000:
        raise MonthError(
            f"bad {noun} {value!r}: {_FORMAT_EN[kind]}",
            f"{_NOUN_ZH[kind]}“{value}”的格式不对,{_FORMAT_ZH[kind]}",
        )
    year, part = int(match.group(1)), int(match.group(2))
    start = date(year, (part - 1) * _MONTHS[kind] + 1, 1)
    key, label = _name(kind, year, part)
    now = (now or clock.now()).astimezone(clock.CHINA)
    if start > now.date():  # before add_months: 9999-12 has no next month to compute
        shown = key if kind == "month" else label
        raise MonthError(f"{noun} {key} has not started yet", f"{shown} 还没有到,无法统计")
    end = add_months(start, _MONTHS[kind])
    # The running period is cut at its end too: nothing is stored with a future time, and an
    # opinion stored in the very second the report is made still counts.
    cutoff = clock.stamp(datetime.combine(end, time(), clock.CHINA))
    if now.date() < end:
        return Period(kind, key, label, start, end, cutoff, now.date(), True, clock.stamp(now))
    return Period(kind, key, label, start, end, cutoff, end, False, cutoff)


def _name(kind: str, year: int, part: int) -> tuple[str, str]:
    if kind == "month":
        return f"{year}-{part:02d}", f"{year} 年 {part} 月"
    if kind == "quarter":
        return f"{year}-Q{part}", f"{year}年{QUARTER_NAMES[part - 1]}"
    return f"{year}-H{part}", f"{year}年{HALF_NAMES[part - 1]}"


def current(kind: str, now: datetime | None = None) -> str:
    """The key of the running month, quarter or half-year."""
    today = (now or clock.now()).astimezone(clock.CHINA).date()
    if kind == "month":
        return today.strftime("%Y-%m")
    part = (today.month - 1) // _MONTHS[kind] + 1
    return f"{today.year}-{'Q' if kind == 'quarter' else 'H'}{part}"


def recent(kind: str, years: int = 3, now: datetime | None = None) -> list[tuple[str, str]]:
    """(key, label) of the quarters or half-years of the last `years` years up to the running
    one, newest first: what the staff page's pickers offer."""
    today = (now or clock.now()).astimezone(clock.CHINA).date()
    found = []
    for year in range(today.year, today.year - years, -1):
        for part in range(_PARTS[kind], 0, -1):
            if date(year, (part - 1) * _MONTHS[kind] + 1, 1) <= today:
                found.append(_name(kind, year, part))
    return found
