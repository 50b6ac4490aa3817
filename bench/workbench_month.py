"""The constructed month of bench/workbench.py: one town, 200 opinions about 80 problems.

A problem is one thing in one place (the lamps of 六龙村, the unpaid wages at the brick
works); its opinions are written as villagers write them, from the labelled texts in
tests/data (bench/triage.py turns their places into slots) with this problem's village and
road, an opener and a closer, so no two read alike. Sizes are skewed like a real month: a
few problems raised by five villagers, a quarter raised once. Questions about medical
insurance are answered directly by the clerk; everything else becomes a suggestion.

A helper of bench/workbench.py, not a benchmark of its own (no __main__ block).
"""

from __future__ import annotations

import random
import sys
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

from triage import CATEGORY_OF, body_of, templates  # noqa: E402

TOWN = "甲镇"
VILLAGES = ("六龙村", "大塘村", "石桥村", "红星村", "金桂村", "那坡屯", "龙潭社区", "新华社区")
ROADS = ("幸福", "解放", "人民", "建设", "团结", "和平", "胜利", "光明")
# How many villagers raised each of the 80 problems: 200 opinions in all.
SIZES = [5] * 5 + [4] * 16 + [3] * 18 + [2] * 16 + [1] * 25
PLACELESS = {"medical", "wages"}  # problems of a person, not of a place: one each per town
ANSWERED = {"medical"}  # a question the clerk answers directly, opinion by opinion
ANSWER = "医保报销请带身份证、医保卡和住院票据到镇医保站办理,村卫生室可代办门诊报销。"
# The office each category is handed to.
DEPARTMENTS = {
    "cityscape": "镇村镇建设办",
    "pollution": "镇生态环境办",
    "emergency": "镇应急管理办",
    "rural": "镇农业农村办",
    "food-drug": "镇市场监管所",
    "labour": "镇劳动保障所",
    "other": "镇社会事务办",
}


@dataclass(frozen=True)
class Problem:
    number: int
    kind: str
    village: str
    road: str

    @property
    def category(self) -> str:
        return CATEGORY_OF.get(self.kind, "other")

    @property
    def answered(self) -> bool:
        return self.kind in ANSWERED


@dataclass(frozen=True)
class Opinion:
    problem: Problem
    body: str
    days_ago: float


def problems(rng: random.Random) -> list[Problem]:
    """80 distinct (kind, place) problems; each place-less kind at most once."""
    kinds = sorted({kind for kind, _ in templates()})
    chosen: dict[tuple[str, str], Problem] = {}
    while len(chosen) < len(SIZES):
        kind = rng.choice(kinds)
        village = "" if kind in PLACELESS else rng.choice(VILLAGES)
        if (kind, village) not in chosen:
            road = rng.choice(ROADS)
            chosen[(kind, village)] = Problem(len(chosen), kind, village, road)
    return list(chosen.values())


def month(seed: int = 13) -> list[Opinion]:
    """The month's opinions in the order they arrived."""
    rng = random.Random(seed)
    by_kind: dict[str, list[str]] = {}
    for kind, body in templates():
        by_kind.setdefault(kind, []).append(body)
    found = []
    for problem, size in zip(problems(rng), SIZES, strict=True):
        for _ in range(size):
            village = problem.village or rng.choice(VILLAGES)
            body = body_of(rng, rng.choice(by_kind[problem.kind]), village, [problem.road])
            found.append(Opinion(problem, body[:2000], rng.uniform(0, 30)))
    found.sort(key=lambda o: -o.days_ago)
    return found


def load(db, opinions: list[Opinion], now) -> dict[int, Problem]:
    """The town's stations (one per village) and the month's opinions written into `db`,
    as villagers sent them; opinion id -> its problem."""
    from feedback import receipts

    stations = {}
    for n, village in enumerate(VILLAGES):
        row = {"code": f"jia-{n:02d}", "name": f"{village}议事亭", "town": TOWN}
        stations[village] = db["stations"].insert(dict(row, village=village)).last_pk
    truth = {}
    for opinion in opinions:
        village = opinion.problem.village or _village_in(opinion.body)
        row = {
            "receipt": receipts.new_code(),
            "station_id": stations[village],
            "body": opinion.body,
            "category": opinion.problem.category,
            "created_at": (now - timedelta(days=opinion.days_ago)).isoformat(timespec="seconds"),
        }
        truth[db["opinions"].insert(row).last_pk] = opinion.problem
    return truth


def _village_in(body: str) -> str:
    """The station a place-less opinion came from: the village it names, else the first."""
    return next((v for v in VILLAGES if v in body), VILLAGES[0])
