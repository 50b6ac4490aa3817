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
from feedback.forms import BODY_MAX, BODY_MIN, PHONE_PATTERN, clean_line, clean_text, phone_digits
from feedback.opinions import NewOpinion
from feedback.schema import CHANNELS
from feedback.stations import LineError

COLUMNS = ("body", "category", "created_at", "name", "phone")
REQUIRED_COLUMNS = ("body",)
CHINESE_HEADERS = {
    "内容": "body", "意见": "body", "意见建议": "body", "意见内容": "body", "反映内容": "body",
    "类别": "category", "分类": "category", "类型": "category",
    "时间": "created_at", "日期": "created_at", "收集时间": "created_at", "提交时间": "created_at",
    "姓名": "name", "名字": "name",
    "电话": "phone", "手机": "phone", "手机号": "phone", "联系电话": "phone",
}  # fmt: skip
NAME_MAX = 20
_DATE = re.compile(
    r"^(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?"
    r"(?:[ T]+(\d{1,2})[:：时](\d{1,2})(?:[:：分](\d{1,2})秒?)?)?$"
)


class ImportRefused(ValueError):
    """The file as a whole is refused; the message names the file's problem."""


class RowsRejected(ImportRefused):
    def __init__(self, errors: list[LineError]):
        self.errors = errors
        super().__init__(f"{len(errors)} bad row(s); nothing was imported")


@dataclass(frozen=True)
class Parsed:
    line: int
    opinion: NewOpinion
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
        if value in (code, label):
            return code
    raise ImportRefused(
        f"unknown channel {value!r}; use one of "
        + ", ".join(f"{label} ({code})" for code, label in CHANNELS.items())
    )


def parse(
    filename: str, data: bytes, station_id: int, categories: Mapping[str, str], now: datetime
) -> list[Parsed]:
    """Check every row; raise RowsRejected naming each bad line, or return them all."""
    try:
        rows = tabular.read_table(filename, data, COLUMNS, REQUIRED_COLUMNS, CHINESE_HEADERS)
    except tabular.TableError as error:
        raise ImportRefused(str(error)) from None
    if not rows:
        raise ImportRefused("the file has a header but no opinions")
    parsed, errors = [], []
    for row in rows:
        problems: list[str] = []
        opinion = _opinion(row.values, station_id, categories, now, problems)
        if problems:
            errors.append(LineError(row.line, "; ".join(problems)))
        else:
            parsed.append(Parsed(row.line, opinion, bool(_text(row.values.get("created_at")))))
    if errors:
        raise RowsRejected(errors)
    return parsed


def _text(value: object) -> str:
    return "" if value is None else str(value).strip() if not isinstance(value, date) else "x"


def _opinion(
    values: Mapping[str, object], station_id: int, categories: Mapping[str, str],
    now: datetime, problems: list[str],
) -> NewOpinion:  # fmt: skip
    if "__extra__" in values:
        problems.append("more cells than columns (a comma inside the text? quote it)")
    body = clean_text(str(values.get("body") or "")) or ""
    if not body:
        problems.append("body is empty")
    elif len(body) < BODY_MIN:
        problems.append(f"body has {len(body)} characters; at least {BODY_MIN}")
    elif len(body) > BODY_MAX:
        problems.append(f"body has {len(body)} characters; at most {BODY_MAX}")
    category = _category(_text(values.get("category")), categories, problems)
    created_at = _when(values.get("created_at"), now, problems)
    name = clean_line(_text(values.get("name"))) or None
    if name and len(name) > NAME_MAX:
        problems.append(f"name has {len(name)} characters; at most {NAME_MAX}")
    phone = phone_digits(_text(values.get("phone"))) or None
    if phone and not re.match(PHONE_PATTERN, phone):
        problems.append(f"phone {values.get('phone')!s} is not a mainland mobile number")
    return NewOpinion(
        station_id=station_id, body=body, category=category, name=name, phone=phone,
        consent=bool(name or phone), created_at=clock.stamp(created_at),
    )  # fmt: skip


def _category(value: str, categories: Mapping[str, str], problems: list[str]) -> str:
    if not value:
        return "other"
    for code, label in categories.items():
        if value.lower() == code or value == label:
            return code
    problems.append(
        f"unknown category {value!r}; use one of "
        + ", ".join(f"{label} ({code})" for code, label in categories.items())
    )
    return "other"


def _when(value: object, now: datetime, problems: list[str]) -> datetime:
    """Dates as Excel and people write them; naive times are China time."""
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
                parts = [int(p) for p in match.groups(default="0")]
                moment = datetime(*parts)  # type: ignore[arg-type]
            else:
                moment = datetime.fromisoformat(text)
        except ValueError:
            problems.append(
                f"{text!r} is not a real date" if match
                else f"cannot read the date {text!r}; write it like 2026-03-01 09:30"
            )  # fmt: skip
            return now
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=clock.CHINA)
    if moment > now + timedelta(minutes=5):
        problems.append(f"the date {clock.display(clock.stamp(moment))} is in the future")
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
    """Rows already imported for this station: same text, date (when given), name and phone."""
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
            [station_id, digest, filename, len(parsed), channel, collected_by, actor,
             clock.stamp()],
        ).lastrowid  # fmt: skip
        for item in parsed:
            item.opinion.channel = channel
            item.opinion.collected_by = collected_by
            item.opinion.import_id = import_id
            opinion_id, receipt = opinions.insert(db, item.opinion)
            done.append(Imported(item.line, opinion_id, receipt))
            if on_row:
                on_row()
        audit.record(db, actor, "opinion.import", "opinion_import", import_id,
                     station_id=station_id, rows=len(parsed), filename=filename)  # fmt: skip
    return import_id, done
