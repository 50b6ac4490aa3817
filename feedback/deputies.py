"""Deputies (人大代表): the registry of a county's deputies, the stations of their town they
are posted to, and their code, the address of their card (代表码, /d/CODE).

Adding, importing and retiring follow stations: the same rules speak English to the CLI and
CSV imports and Chinese to the staff page, and a file with any bad row imports nothing and
names every bad line (feedback.tabular). A retired deputy keeps their row and everything
linked to it; only their code stops taking opinions.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from sqlite_utils import Database

from feedback import audit, clock, tabular, towns
from feedback.access import Access
from feedback.db import write_transaction
from feedback.labels import DEPUTY_LEVELS
from feedback.stations import ImportRejected, LineError, StationError
from feedback.text import PHONE_PATTERN, clean_line, is_code, phone_digits

__all__ = ["DeputyError", "ImportRejected", "LineError"]

COLUMNS = ("code", "name", "town", "level", "stations", "phone")
REQUIRED_COLUMNS = ("code", "name", "town")
CHINESE_HEADERS = {
    "编码": "code",
    "代表编码": "code",
    "代码": "code",
    "姓名": "name",
    "代表姓名": "name",
    "名字": "name",
    "镇": "town",
    "镇街": "town",
    "乡镇": "town",
    "所属镇街": "town",
    "层级": "level",
    "级别": "level",
    "代表层级": "level",
    "站点": "stations",
    "联络站": "stations",
    "所在站点": "stations",
    "站点编码": "stations",
    "电话": "phone",
    "手机": "phone",
    "手机号": "phone",
    "联系电话": "phone",
}
NAME_MAX = 20
WORDS = {
    "en": {
        "code": "code",
        "name": "name",
        "town": "town",
        "required": "{} is required",
        "pattern": "code must be 2-32 characters of a-z, 0-9 and '-'",
        "long": f"name is over {NAME_MAX} characters",
        "level": f"level must be one of {', '.join(DEPUTY_LEVELS)}",
        "phone": "phone must be a mainland mobile number (11 digits starting with 1)",
        "station": "no station with code {}",
        "elsewhere": "station {} is in {}, not in the deputy's town",
        "taken": "code {} is already taken",
    },
    "zh": {
        "code": "编码",
        "name": "姓名",
        "town": "所属镇街",
        "required": "请填写{}",
        "pattern": "编码为 2-32 位小写字母、数字或 -",
        "long": f"姓名最多 {NAME_MAX} 个字",
        "level": f"层级只能是 {'、'.join(DEPUTY_LEVELS)}",
        "phone": "手机号应是 11 位、以 1 开头的大陆手机号",
        "station": "没有编码为 {} 的站点",
        "elsewhere": "站点 {} 属于{},不在这位代表所在的镇街",
        "taken": "编码 {} 已被其他代表使用,请换一个",
    },
}


class DeputyError(StationError):
    """A deputy could not be stored; `fields` names each bad field (for a form)."""


def validate(values: Mapping[str, object], language: str = "en") -> dict:
    """Clean one deputy's fields (stations: a list of codes, or one string separated by
    spaces), or raise DeputyError with every problem found. Stations are checked against
    the database by `_resolve`."""
    words = WORDS[language]
    deputy = {key: clean_line(_text(values.get(key))) or "" for key in COLUMNS if key != "stations"}
    deputy["code"] = deputy["code"].lower()
    deputy["level"] = deputy["level"] or "乡镇"
    deputy["phone"] = phone_digits(deputy["phone"]) or None
    stations = values.get("stations") or []
    if isinstance(stations, str):
        stations = stations.split()
    deputy["stations"] = list(dict.fromkeys(code.strip().lower() for code in stations))
    problems: dict[str, str] = {}
    for key in REQUIRED_COLUMNS:
        if not deputy[key]:
            problems[key] = words["required"].format(words[key])
    if "code" not in problems and not is_code(deputy["code"]):
        problems["code"] = words["pattern"]
    if "name" not in problems and len(deputy["name"]) > NAME_MAX:
        problems["name"] = words["long"]
    if deputy["level"] not in DEPUTY_LEVELS:
        problems["level"] = words["level"]
    if deputy["phone"] and not _is_phone(deputy["phone"]):
        problems["phone"] = words["phone"]
    if problems:
        raise DeputyError("; ".join(problems.values()), problems)
    return deputy


def _text(value: object) -> str:
    return "" if value is None else str(value)


def _is_phone(value: str) -> bool:
    return re.fullmatch(PHONE_PATTERN, value) is not None


def _resolve(db: Database, deputy: dict, language: str) -> tuple[str, list[int]]:
    """The deputy's known town and the ids of their stations, all of that town."""
    words, problems = WORDS[language], {}
    try:
        town = towns.known(db, deputy["town"])
    except towns.TownError as error:
        raise DeputyError(
            str(error) if language == "en" else error.zh, {"town": error.zh}
        ) from None
    ids = []
    for code in deputy["stations"]:
        row = db.execute("select id, town from stations where code = ?", [code]).fetchone()
        if row is None:
            problems.setdefault("stations", words["station"].format(code))
        elif row[1] != town:
            problems.setdefault("stations", words["elsewhere"].format(code, row[1]))
        else:
            ids.append(row[0])
    if _exists(db, deputy["code"]):
        problems["code"] = words["taken"].format(deputy["code"])
    if problems:
        raise DeputyError("; ".join(problems.values()), problems)
    return town, ids


def _insert(db: Database, deputy: dict, town: str, station_ids: list[int]) -> int:
    deputy_id = db.execute(
        "insert into deputies (code, name, town, level, phone, created_at) "
        "values (?, ?, ?, ?, ?, ?)",
        [deputy["code"], deputy["name"], town, deputy["level"], deputy["phone"], clock.stamp()],
    ).lastrowid
    db.conn.executemany(
        "insert into deputy_stations (deputy_id, station_id, position) values (?, ?, ?)",
        [(deputy_id, station_id, n) for n, station_id in enumerate(station_ids)],
    )
    return deputy_id


def add(
    db: Database, values: Mapping[str, object], actor: str = "cli", language: str = "en"
) -> dict:
    deputy = validate(values, language)
    with write_transaction(db):
        town, station_ids = _resolve(db, deputy, language)
        deputy_id = _insert(db, deputy, town, station_ids)
        audit.record(db, actor, "deputy.add", "deputy", deputy_id, code=deputy["code"])
    return get(db, deputy["code"])


FILE_WORDS = {
    "en": {
        "empty": "the file has a header but no deputies",
        "extra": "more cells than columns (a comma in a name?)",
        "repeats": "code {} repeats line {}",
    },
    "zh": {
        "empty": "文件只有表头,没有代表",
        "extra": "这一行的格子比表头多(名字里有逗号?)",
        "repeats": "编码 {} 与第 {} 行重复",
    },
}


def import_csv(
    db: Database, data: bytes, actor: str = "cli", filename: str = "", language: str = "en"
) -> list[dict]:
    """Import every row of a CSV file (or workbook), or none: raise ImportRejected naming
    each bad line. Rows are checked against the database and each other before any write."""
    words = FILE_WORDS[language]
    try:
        rows = tabular.read_table(filename, data, COLUMNS, REQUIRED_COLUMNS, CHINESE_HEADERS)
    except tabular.TableError as error:
        raise DeputyError(str(error) if language == "en" else error.zh) from None
    if not rows:
        raise DeputyError(words["empty"])
    ready, errors, seen = [], [], {}
    with write_transaction(db):
        for row in rows:
            if "__extra__" in row.values:
                errors.append(LineError(row.line, words["extra"]))
                continue
            try:
                deputy = validate(row.values, language)
                town, station_ids = _resolve(db, deputy, language)
            except DeputyError as error:
                errors.append(LineError(row.line, str(error)))
                continue
            code = deputy["code"]
            if code in seen:
                errors.append(LineError(row.line, words["repeats"].format(code, seen[code])))
            seen.setdefault(code, row.line)
            ready.append((deputy, town, station_ids))
        if errors:
            raise ImportRejected(errors)
        for deputy, town, station_ids in ready:
            _insert(db, deputy, town, station_ids)
        audit.record(db, actor, "deputy.import", "deputy", None, count=len(ready))
    return [get(db, deputy["code"]) for deputy, _town, _ids in ready]


def get(db: Database, code: str) -> dict | None:
    """A deputy by code, with their stations (each a dict, first first)."""
    row = next(db.query("select * from deputies where code = ?", [code.strip().lower()]), None)
    return with_stations(db, row) if row else None


def by_id(db: Database, deputy_id: int) -> dict | None:
    row = next(db.query("select * from deputies where id = ?", [deputy_id]), None)
    return with_stations(db, row) if row else None


def with_stations(db: Database, deputy: dict) -> dict:
    stations = list(
        db.query(
            "select s.* from deputy_stations ds join stations s on s.id = ds.station_id "
            "where ds.deputy_id = ? order by ds.position",
            [deputy["id"]],
        )
    )
    return dict(deputy, stations=stations)


def receiving_station(deputy: dict) -> dict | None:
    """Where an opinion sent to the deputy's own code is received: their first station
    that still takes opinions."""
    return next((s for s in deputy["stations"] if s["active"]), None)


def get_receiving(db: Database, code: str) -> tuple[dict, dict] | None:
    """The active deputy of a /d/CODE and the station receiving for them, or None (unknown,
    retired, or posted to no active station: their code takes no opinions)."""
    deputy = get(db, code)
    if deputy is None or not deputy["active"]:
        return None
    station = receiving_station(deputy)
    return (deputy, station) if station else None


def listing(db: Database, town: str | None = None) -> list[dict]:
    where, params = ("where town = ?", [town]) if town else ("", [])
    rows = db.query(f"select * from deputies {where} order by town, active desc, code", params)
    return [with_stations(db, row) for row in rows]


def in_scope(db: Database, access: Access, deputy_id: int | None = None) -> list[dict]:
    """The deputies a staff user may see (feedback.access: an admin all, a clerk their
    town's), or just the one of `deputy_id` if it is among them."""
    where, params = access.where("deputies")
    if deputy_id is not None:
        where, params = f"{where} and deputies.id = ?", [*params, deputy_id]
    rows = db.query(
        f"select * from deputies where {where} order by town, active desc, code", params
    )
    return [with_stations(db, row) for row in rows]


def retire(db: Database, code: str, actor: str = "cli", town: str | None = None) -> dict:
    """The deputy's code stops taking opinions; their record stays. `town` confines a
    clerk-scoped caller to their own town's deputies, in the UPDATE itself."""
    deputy = get(db, code)
    if deputy is None or (town and deputy["town"] != town):
        raise DeputyError(f"no deputy with code {code}", {"code": f"没有编码为 {code} 的代表"})
    with write_transaction(db):
        changed = db.execute(
            "update deputies set active = 0 "
            "where id = ? and active = 1 and (? is null or town = ?)",
            [deputy["id"], town, town],
        ).rowcount
        if not changed:
            raise DeputyError(f"deputy {code} is already retired", {"code": "这位代表已经离任"})
        audit.record(db, actor, "deputy.retire", "deputy", deputy["id"])
    return get(db, code)


def deputy_url(base_url: str, code: str) -> str:
    """The address a deputy's card (代表码) encodes."""
    return f"{base_url.rstrip('/')}/d/{code}"


def _exists(db: Database, code: str) -> bool:
    return db.execute("select 1 from deputies where code = ?", [code]).fetchone() is not None
