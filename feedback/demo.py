"""The demo a newcomer's `make run` sets up: three stations of one town and an admin and a
clerk to sign in with. Only into a database that is a demo: stations only when there are
none, accounts only when there are none and the stations are the demo's, so a real
deployment never gets an account it did not ask for.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from sqlite_utils import Database

from feedback import stations, users

STATIONS = (
    {
        "code": "liulong-ting",
        "name": "六龙村议事亭",
        "town": "甲镇",
        "village": "六龙村",
        "kind": "议事亭",
        "address": "六龙村村委会旁",
    },
    {
        "code": "datang-lianluozhan",
        "name": "大塘村人大代表联络站",
        "town": "甲镇",
        "village": "大塘村",
        "kind": "联络站",
        "address": "大塘村党群服务中心二楼",
    },
    {
        "code": "jiazhen-gonggaolan",
        "name": "甲镇政务公开栏",
        "town": "甲镇",
        "village": "",
        "kind": "公告栏",
        "address": "甲镇人民政府大门东侧",
    },
)

TOWN = "甲镇"
ACCOUNTS = (("demo-admin", "admin", None), ("demo-clerk", "clerk", TOWN))


@dataclass(frozen=True)
class Account:
    username: str
    role: str
    town: str | None
    password: str


def add_stations(db: Database) -> bool:
    """The demo stations, only into a database without stations; True if added."""
    if db["stations"].count:
        return False
    for station in STATIONS:
        stations.add(db, station, actor="demo")
    return True


def has_accounts(db: Database) -> bool:
    return bool(db["users"].count)


def add_accounts(db: Database) -> list[Account]:
    """A demo admin and a demo clerk of 甲镇 with fresh random passwords (returned once, never
    stored in the clear), only when nobody has an account and every station is a demo one."""
    demo_codes = {station["code"] for station in STATIONS}
    codes = {row[0] for row in db.execute("select code from stations")}
    if has_accounts(db) or not codes or not codes <= demo_codes:
        return []
    made = []
    for username, role, town in ACCOUNTS:
        password = secrets.token_urlsafe(9)
        users.add(db, username, password, role, town, actor="demo")
        made.append(Account(username, role, town, password))
    return made
