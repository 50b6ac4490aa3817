"""Towns (镇/街道): the unit of a clerk's scope, known before anyone is posted to one.

A town comes into being with its first station (a trigger of migration 0012 keeps the
`towns` table complete on every path that writes stations) or is added by an admin ahead of
its stations. An account may only name a known town: a clerk of "甲鎮" when the town is
甲镇 would see an empty inbox and never know why, so a near miss is refused with the
likely name.
"""

from __future__ import annotations

import difflib

from sqlite_utils import Database

from feedback import audit, clock
from feedback.db import write_transaction
from feedback.text import clean_line

# Traditional forms common in Chinese place names, folded to the simplified ones so that
# 甲鎮 is recognised as a spelling of 甲镇 (a phone or an old spreadsheet may type either).
_SIMPLIFIED = str.maketrans(
    "鎮鄉區縣東灣陽龍馬門長華興豐嶺橋溝壩莊寧廣雲黃灘圍壩樂陳劉張楊趙吳蘭閩滬鳳雙塘",
    "镇乡区县东湾阳龙马门长华兴丰岭桥沟坝庄宁广云黄滩围坝乐陈刘张杨赵吴兰闽沪凤双塘",
)
MAX_LENGTH = 20


class TownError(ValueError):
    """A town name refused: English for the CLI, Chinese (`zh`) for the web."""

    def __init__(self, en: str, zh: str) -> None:
        super().__init__(en)
        self.zh = zh


def names(db: Database) -> list[str]:
    """Every known town, in the order lists show them."""
    return [row[0] for row in db.execute("select name from towns order by name")]


def fold(name: str) -> str:
    """A town name as compared for near misses: simplified characters, no spaces."""
    return "".join(name.split()).translate(_SIMPLIFIED)


def close_matches(name: str, known: list[str]) -> list[str]:
    """Known towns that `name` is likely a misspelling of, best first: the same name in
    traditional characters first, then difflib's closest spellings."""
    folded = {fold(town): town for town in known}
    same = [folded[fold(name)]] if fold(name) in folded and folded[fold(name)] != name else []
    near = difflib.get_close_matches(fold(name), list(folded), n=3, cutoff=0.6)
    return list(dict.fromkeys(same + [folded[f] for f in near if folded[f] != name]))


def known(db: Database, name: str | None) -> str:
    """The town by its exact name, or TownError saying which known town was meant."""
    name = clean_line(name) or ""
    if name and db.execute("select 1 from towns where name = ?", [name]).fetchone():
        return name
    hints = close_matches(name, names(db)) if name else []
    en = f"unknown town {name!r}"
    zh = f"没有“{name}”这个镇街"
    if hints:
        en += f"; did you mean {' or '.join(hints)}?"
        zh += f",是不是“{'”或“'.join(hints)}”?"
    en += " (a town is added with its first station, or by `feedback town add NAME`)"
    zh += "。请从列表里选;新的镇街随它的第一个站点建立,或由管理员在账号页添加。"
    raise TownError(en, zh)


def add(db: Database, name: str | None, actor: str = "cli") -> str:
    """A town ahead of its stations, so its clerks can have accounts before the posters.
    A name that is a known town in other characters (甲鎮 for 甲镇) is refused."""
    name = clean_line(name) or ""
    if not name or len(name) > MAX_LENGTH:
        raise TownError(
            f"a town name has 1-{MAX_LENGTH} characters", f"镇街名称要 1-{MAX_LENGTH} 个字"
        )
    with write_transaction(db):
        known_towns = names(db)
        if name in known_towns:
            raise TownError(f"town {name} already exists", f"已经有“{name}”了")
        same = [town for town in known_towns if fold(town) == fold(name)]
        if same:
            raise TownError(
                f"town {name} is {same[0]} in other characters; use {same[0]}",
                f"“{name}”就是已有的“{same[0]}”(繁简写法不同),请直接选“{same[0]}”",
            )
        db.execute("insert into towns (name, created_at) values (?, ?)", [name, clock.stamp()])
        audit.record(db, actor, "town.add", "town", name)
    return name
