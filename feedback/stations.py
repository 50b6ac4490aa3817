"""Stations: the places where posters hang. Adding, importing, listing, disabling."""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

from sqlite_utils import Database

from feedback import audit, clock, tabular
from feedback.db import write_transaction
from feedback.labels import STATION_KINDS
from feedback.text import clean_line, is_code

COLUMNS = ("code", "name", "town", "village", "kind", "address")
REQUIRED_COLUMNS = ("code", "name", "town")
# Header spellings a clerk's Excel sheet is likely to use.
CHINESE_HEADERS = {
    "编码": "code",
    "站点编码": "code",
    "代码": "code",
    "名称": "name",
    "站点名称": "name",
    "站点": "name",
    "镇": "town",
    "镇街": "town",
    "乡镇": "town",
    "镇/街道": "town",
    "所属镇街": "town",
    "村": "village",
    "村居": "village",
    "村/社区": "village",
    "所属村": "village",
    "类型": "kind",
    "站点类型": "kind",
    "地址": "address",
    "位置": "address",
}


LIMITS = {"name": 40, "town": 20, "village": 20, "address": 100}
# The same rules speak English to the CLI and CSV imports, Chinese to staff pages.
WORDS = {
    "en": {
        "code": "code",
        "name": "name",
        "town": "town",
        "village": "village",
        "kind": "kind",
        "address": "address",
        "required": "{} is required",
        "long": "{} is over {} characters",
        "pattern": "code must be 2-32 characters of a-z, 0-9 and '-'",
        "kinds": f"kind must be one of {', '.join(STATION_KINDS)}",
        "taken": "code {} is already taken",
    },
    "zh": {
        "code": "编码",
        "name": "站点名称",
        "town": "所属镇街",
        "village": "所属村(社区)",
        "kind": "类型",
        "address": "地址",
        "required": "请填写{}",
        "long": "{}最多 {} 个字",
        "pattern": "编码为 2-32 位小写字母、数字或 -",
        "kinds": f"类型只能是 {'、'.join(STATION_KINDS)}",
        "taken": "编码 {} 已被其他站点使用,请换一个",
    },
}


class StationError(ValueError):
    """A station could not be stored; the message says why, for the person who asked.
    `fields` names each bad field with its message, for a form to show beside the field."""

    def __init__(self, message: str, fields: dict[str, str] | None = None):
        super().__init__(message)
        self.fields = fields or {}


@dataclass(frozen=True)
class LineError:
    line: int
    message: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.message}"


class ImportRejected(StationError):
    """A file with bad rows: nothing was imported."""

    def __init__(self, errors: list[LineError]):
        self.errors = errors
        super().__init__(f"{len(errors)} bad row(s); nothing was imported")


def station_url(base_url: str, code: str) -> str:
    """The address a station's QR code encodes."""
    return f"{base_url.rstrip('/')}/s/{code}"


def is_loopback_url(url: str) -> bool:
    """Whether a base URL only reaches this machine, so its posters work nowhere else."""
    host = urlsplit(url).hostname or ""
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback or ipaddress.ip_address(host).is_unspecified
    except ValueError:
        return False


LOOPBACK_WARNING = {
    "en": "Warning: FEEDBACK_BASE_URL is {}, a loopback address: these QR codes only work on "
    "this machine. Set FEEDBACK_BASE_URL to the public address before printing.",
    "zh": "注意:海报二维码里的地址(FEEDBACK_BASE_URL)现在是 {},只在这台电脑上能打开,"
    "村民扫码打不开。请管理员先把 FEEDBACK_BASE_URL 设成村民手机能打开的网址,再打印海报。",
}


def base_url_warning(base_url: str, language: str = "en") -> str | None:
    """The warning printed beside posters whose QR codes would lead nowhere (CLI and web)."""
    return LOOPBACK_WARNING[language].format(base_url) if is_loopback_url(base_url) else None


def validate(values: Mapping[str, str | None], language: str = "en") -> dict[str, str]:
    """Clean one station's fields, or raise StationError with every problem found."""
    words = WORDS[language]
    station = {key: clean_line(values.get(key)) or "" for key in COLUMNS}
    station["code"] = station["code"].lower()
    station["kind"] = station["kind"] or "其他"
    problems: dict[str, str] = {}
    for key in REQUIRED_COLUMNS:
        if not station[key]:
            problems[key] = words["required"].format(words[key])
    if "code" not in problems and not is_code(station["code"]):
        problems["code"] = words["pattern"]
    for key, limit in LIMITS.items():
        if key not in problems and len(station[key]) > limit:
            problems[key] = words["long"].format(words[key], limit)
    if station["kind"] not in STATION_KINDS:
        problems["kind"] = words["kinds"]
    if problems:
        raise StationError("; ".join(problems.values()), problems)
    return station


def add(
    db: Database, values: Mapping[str, str | None], actor: str = "cli", language: str = "en"
) -> dict:
    station = validate(values, language)
    with write_transaction(db):
        if _exists(db, station["code"]):
            message = WORDS[language]["taken"].format(station["code"])
            raise StationError(message, {"code": message})
        station_id = db["stations"].insert(dict(station, created_at=clock.stamp())).last_pk
        audit.record(db, actor, "station.add", "station", station_id, code=station["code"])
    return get(db, station["code"])


def import_csv(db: Database, data: bytes, actor: str = "cli") -> list[dict]:
    """Import every row of a CSV file, or none: raise ImportRejected naming each bad line."""
    try:
        rows = list(tabular.read_csv(data, COLUMNS, REQUIRED_COLUMNS, CHINESE_HEADERS))
    except tabular.TableError as error:
        raise StationError(str(error)) from None
    if not rows:
        raise StationError("the file has a header but no stations")
    stations, errors, seen = [], [], {}
    for row in rows:
        if "__extra__" in row.values:
            errors.append(LineError(row.line, "more cells than columns (a comma inside a name?)"))
            continue
        try:
            station = validate(row.values)
        except StationError as error:
            errors.append(LineError(row.line, str(error)))
            continue
        code = station["code"]
        if code in seen:
            errors.append(LineError(row.line, f"code {code} repeats line {seen[code]}"))
        elif _exists(db, code):
            errors.append(LineError(row.line, f"code {code} is already taken"))
        seen.setdefault(code, row.line)
        stations.append(station)
    if errors:
        raise ImportRejected(errors)
    with db.atomic():
        db["stations"].insert_all(dict(s, created_at=clock.stamp()) for s in stations)
        audit.record(db, actor, "station.import", "station", None, count=len(stations))
    return [get(db, s["code"]) for s in stations]


def get(db: Database, code: str) -> dict | None:
    return next(db.query("select * from stations where code = ?", [code.strip().lower()]), None)


def get_active(db: Database, code: str) -> dict | None:
    station = get(db, code)
    return station if station and station["active"] else None


def towns(db: Database) -> list[str]:
    """Every town with a station: the towns the service knows."""
    return [row[0] for row in db.execute("select distinct town from stations order by town")]


def list_stations(db: Database, town: str | None = None, active_only: bool = False) -> list[dict]:
    where, params = [], []
    if town:
        where.append("town = ?")
        params.append(town)
    if active_only:
        where.append("active = 1")
    return list(
        db["stations"].rows_where(" and ".join(where) or None, params, order_by="town, code")
    )


def set_active(db: Database, code: str, active: bool, actor: str = "cli") -> dict:
    station = get(db, code)
    if station is None:
        raise StationError(f"no station with code {code}")
    with db.atomic():
        db["stations"].update(station["id"], {"active": int(active)})
        audit.record(
            db, actor, "station.enable" if active else "station.disable", "station", station["id"]
        )
    return get(db, code)


def _exists(db: Database, code: str) -> bool:
    return db.execute("select 1 from stations where code = ?", [code]).fetchone() is not None
