"""Opinions gathered offline — paper forms, market-day stalls, home visits — entered from a
CSV file or an Excel workbook, into the same pipeline as the QR form.

All or nothing: every row is checked first and every bad line is named; only a clean file
is stored, in one transaction. A file (or rows) already imported for a station is refused
unless the caller says it really means to import them again.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlite_utils import Database

from feedback import clock, opinions, receipts, tabular
from feedback.db import write_transaction
from feedback.labels import CHANNELS
from feedback.opinions import NewOpinion
from feedback.stations import LineError
from feedback.text import (
    BODY_MAX,
    BODY_MIN,
    PHONE_PATTERN,
    clean_line,
    clean_text,
    phone_digits,
)

COLUMNS = ("body", "category", "created_at", "name", "phone")
REQUIRED_COLUMNS = ("body",)
CHINESE_HEADERS = {
    "内容": "body",
    "意见": "body",
    "意见建议": "body",
    "意见内容": "body",
    "反映内容": "body",
    "类别": "category",
    "分类": "category",
    "类型": "category",
    "时间": "created_at",
    "日期": "created_at",
    "收集时间": "created_at",
    "提交时间": "created_at",
    "姓名": "name",
    "名字": "name",
    "电话": "phone",
    "手机": "phone",
    "手机号": "phone",
    "联系电话": "phone",
}
NAME_MAX = 20
_DATE = re.compile(
    r"^(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?"
    r"(?:[ T]*(\d{1,2})[:：时](\d{1,2})分?(?:[:：](\d{1,2})秒?)?)?$"
)


class ImportRefused(ValueError):
    """The file as a whole is refused; the message names the file's problem in English (the
    command line), `zh` in Chinese (staff pages)."""

    def __init__(self, message: str, zh: str | None = None):
        super().__init__(message)
        self.zh = zh or message


class RowsRejected(ImportRefused):
    def __init__(self, errors: list[LineError]):
        self.errors = errors
        super().__init__(f"{len(errors)} bad row(s); nothing was imported")


@dataclass(frozen=True)
class Problem:
    """What is wrong with a row, for the command line (English) and staff pages (Chinese)."""

    en: str
    zh: str

    def __str__(self) -> str:
        return self.en


@dataclass(frozen=True)
class Parsed:
    line: int
    values: dict  # the row as read, for showing it back
    opinion: NewOpinion
    problems: tuple[Problem, ...]
    dated: bool  # the file gave a date (an empty one means "now")


@dataclass(frozen=True)
class Imported:
    line: int
    id: int
    receipt: str


def channel_code(value: str) -> str:
    """A channel by its code (paper) or its label (纸质意见表)."""
    value = value.strip()
    for code, label in CHANNELS.items():
        if value in (code, label) and code != "form":
            return code
    raise ImportRefused(
        f"unknown channel {value!r}; use one of "
        + ", ".join(f"{label} ({code})" for code, label in CHANNELS.items() if code != "form")
    )


def check(
    filename: str, data: bytes, station_id: int, categories: Mapping[str, str], now: datetime
) -> list[Parsed]:
    """Every row with its problems (none for a good row); ImportRefused for a bad file."""
    try:
        rows = tabular.read_table(filename, data, COLUMNS, REQUIRED_COLUMNS, CHINESE_HEADERS)
    except tabular.TableError as error:
        raise ImportRefused(str(error), error.zh) from None
    if not rows:
        raise ImportRefused("the file has a header but no opinions", "文件只有表头,没有意见")
    checked = []
    for row in rows:
        problems: list[Problem] = []
        opinion = _opinion(row.values, station_id, categories, now, problems)
        dated = bool(_text(row.values.get("created_at")))
        checked.append(Parsed(row.line, row.values, opinion, tuple(problems), dated))
    return checked


def parse(
    filename: str, data: bytes, station_id: int, categories: Mapping[str, str], now: datetime
) -> list[Parsed]:
    """Check every row; raise RowsRejected naming each bad line, or return them all."""
    checked = check(filename, data, station_id, categories, now)
    errors = [
        LineError(row.line, "; ".join(map(str, row.problems))) for row in checked if row.problems
    ]
    if errors:
        raise RowsRejected(errors)
    return checked


def _text(value: object) -> str:
    return "" if value is None else str(value).strip() if not isinstance(value, date) else "x"


def _opinion(
    values: Mapping[str, object],
    station_id: int,
    categories: Mapping[str, str],
    now: datetime,
    problems: list[Problem],
) -> NewOpinion:
    add = problems.append
    if "__extra__" in values:
        add(
            Problem(
                "more cells than columns (a comma inside the text? quote it)",
                "单元格比表头多(文字里有逗号?请加引号)",
            )
        )
    body = clean_text(str(values.get("body") or "")) or ""
    n = len(body)
    if not body:
        add(Problem("body is empty", "内容是空的"))
    elif n < BODY_MIN:
        add(
            Problem(
                f"body has {n} characters; at least {BODY_MIN}",
                f"内容只有 {n} 个字,至少 {BODY_MIN} 个",
            )
        )
    elif n > BODY_MAX:
        add(
            Problem(
                f"body has {n} characters; at most {BODY_MAX}",
                f"内容有 {n} 个字,最多 {BODY_MAX} 个",
            )
        )
    category = _category(_text(values.get("category")), categories, problems)
    try:
        created_at = when(values.get("created_at"), now)
    except DateProblem as problem:
        add(problem.problem)
        created_at = now
    name = clean_line(_text(values.get("name"))) or None
    if name and len(name) > NAME_MAX:
        add(
            Problem(
                f"name has {len(name)} characters; at most {NAME_MAX}", f"姓名最多 {NAME_MAX} 个字"
            )
        )
    phone = phone_digits(_text(values.get("phone"))) or None
    if phone and not re.match(PHONE_PATTERN, phone):
        typed = values.get("phone")
        add(
            Problem(
                f"phone {typed!s} is not a mainland mobile number",
                f"电话 {typed!s} 不是 11 位手机号码",
            )
        )
    return NewOpinion(
        station_id=station_id,
        body=body,
        category=category,
        name=name,
        phone=phone,
        consent=bool(name or phone),
        created_at=clock.stamp(created_at),
    )


def _category(value: str, categories: Mapping[str, str], problems: list[Problem]) -> str:
    if not value:
        return "other"
    for code, label in categories.items():
        if value.lower() == code or value == label:  # noqa: SIM109
            return code
    problems.append(
        Problem(
            f"unknown category {value!r}; use one of "
            + ", ".join(f"{label} ({code})" for code, label in categories.items()),
            f"没有“{value}”这个类别,可用:" + "、".join(categories.values()),
        )
    )
    return "other"


class DateProblem(ValueError):
    def __init__(self, problem: Problem):
        self.problem = problem
        super().__init__(problem.en)


def when(value: object, now: datetime) -> datetime:
    """A date as Excel and people write it (naive means China time); empty means now.
    Raises DateProblem for an unreadable, impossible or future date."""
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, date):
        moment = datetime(value.year, value.month, value.day)
    else:
        text = _text(value)
        if not text:
            return now
        match = _DATE.match(text)
        try:
            if match:
                moment = datetime(*(int(p) for p in match.groups(default="0")))  # type: ignore[misc]
            else:
                moment = datetime.fromisoformat(text)
        except ValueError:
            raise DateProblem(
                Problem(f"{text!r} is not a real date", f"“{text}”不是真实存在的日期")
                if match
                else Problem(
                    f"cannot read the date {text!r}; write it like 2026-03-01 09:30",
                    f"看不懂日期“{text}”,请写成 2026-03-01 09:30 这样",
                )
            ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=clock.CHINA)
    if moment > now + timedelta(minutes=5):
        shown = clock.display(clock.stamp(moment))
        raise DateProblem(Problem(f"the date {shown} is in the future", f"日期 {shown} 还没到"))
    return moment


def file_digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def already_imported(db: Database, station_id: int, digest: str) -> dict | None:
    return next(
        db.query(
            "select * from opinion_imports where station_id = ? and sha256 = ? order by id",
            [station_id, digest],
        ),
        None,
    )


def duplicate_rows(db: Database, station_id: int, parsed: list[Parsed]) -> list[LineError]:
    """Rows already imported for this station: same text, name, phone and date when the row
    gives one. An undated row with neither name nor phone is not judged on its text alone:
    two villagers may well write the same short complaint (a repeated file is caught by its
    hash instead)."""
    known: dict[tuple, str] = {}
    for row in db.query(
        "select body, created_at, name, phone, receipt from opinions "
        "where station_id = ? and import_id is not null",
        [station_id],
    ):
        known[(row["body"], row["name"], row["phone"])] = row["receipt"]
        known[(row["body"], row["name"], row["phone"], row["created_at"])] = row["receipt"]
    errors = []
    for item in parsed:
        o = item.opinion
        if not item.dated and not (o.name or o.phone):
            continue
        key = (o.body, o.name, o.phone, o.created_at) if item.dated else (o.body, o.name, o.phone)
        if key in known:
            receipt = receipts.display(known[key])
            message = f"already imported (receipt {receipt}); --allow-duplicate imports it anyway"
            errors.append(LineError(item.line, message))
    return errors


def store(
    db: Database,
    station_id: int,
    filename: str,
    digest: str,
    parsed: list[Parsed],
    channel: str,
    collected_by: str | None,
    actor: str,
    on_row: Callable[[], None] | None = None,
) -> tuple[int, list[Imported]]:
    """Store every row in one transaction; returns the import's id and each row's receipt."""
    from feedback import audit

    done = []
    with write_transaction(db):
        import_id = db.execute(
            "insert into opinion_imports (station_id, sha256, filename, rows, channel, "
            "collected_by, actor, created_at) values (?, ?, ?, ?, ?, ?, ?, ?)",
            [
                station_id,
                digest,
                filename,
                len(parsed),
                channel,
                collected_by,
                actor,
                clock.stamp(),
            ],
        ).lastrowid
        for item in parsed:
            item.opinion.channel = channel
            item.opinion.collected_by = collected_by
            item.opinion.import_id = import_id
            opinion_id, receipt = opinions.insert(db, item.opinion)
            done.append(Imported(item.line, opinion_id, receipt))
            if on_row:
                on_row()
        audit.record(
            db,
            actor,
            "opinion.import",
            "opinion_import",
            import_id,
            station_id=station_id,
            rows=len(parsed),
            filename=filename,
        )
    return import_id, done
