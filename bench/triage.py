"""The clerk's side at scale: inbox, filters, Chinese search and `feedback similar` at 100,000
and 1,000,000 opinions, each beside a bare Flask + SQLite floor measured in the same run.

A county of 20 towns (sizes skewed like real ones: the largest has ~19 % of all opinions),
each with 6-14 villages and a station or two per village, is generated straight into the
real schema (`feedback.db.migrate`, as `feedback init` makes it) with executemany: secondary
indexes and the full-text triggers are dropped for the load and rebuilt after, exactly as the
migrations define them. Texts come from the labelled set in tests/data (villagers' own
wording) with their places swapped for the county's, plus openers and closers; dates span
two years, older opinions are mostly merged or answered, recent ones mostly new.

Server time is the Flask test client's, per request, for a clerk of the largest town:
median and p95 over N requests of

- the inbox's first page (new opinions, newest first, counts per status), and of 全部;
- a filtered page (station + category + status + date range), a category alone, a year;
- searches of three or more characters (FTS5 trigram) and of two (trigram prefixes and
  text endings, see feedback.inbox), one with no hit;
- a deep page (page 200 of everything);
- `similar()` for an opinion with the town's index warm (what `feedback similar` and the
  opinion page call), and again once every opinion of the town has its vector (the path by
  meaning, feedback.similar_opinions; vectors made up, not embedded), and the opinion page;

and the floor: a bare Flask GET returning 50 rows of a trivial query on the same database.
Also the similarity indexes, each in a fresh process so that RSS growth is the index's own:
the largest town built from scratch, every town built and loaded from the stored copies,
`feedback similar` end to end, and the opinion page requested the moment a worker starts
warming. The database has no ANALYZE statistics, like one made by `feedback init`.

Run from the repository root: `.venv/bin/python bench/triage.py [--sizes 100000,1000000]`
(or BENCH_TRIAGE_SIZES). The databases live in a temporary folder, deleted afterwards.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import random
import re
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import zlib
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from flask import Flask, jsonify  # noqa: E402

LABELLED = ROOT / "tests" / "data" / "similar_opinions.json"
TOWNS = (
    "龙潭镇",
    "石桥镇",
    "大塘镇",
    "新华街道",
    "红星乡",
    "六龙镇",
    "金桂镇",
    "那坡乡",
    "平安镇",
    "兴隆镇",
    "丰收乡",
    "青山镇",
    "白沙镇",
    "长乐街道",
    "高峰镇",
    "柳江镇",
    "安宁乡",
    "东湖镇",
    "西岭镇",
    "南岗镇",
)
SYLLABLES = "龙塘桥星华福平安兴隆新和丰石山水田坪岭湾坡溪河林花金银玉凤鹤松竹梅兰"
KINDS = ("议事亭", "联络站", "公告栏", "微信群")
OPENERS = ("", "", "", "反映一下，", "我是本村村民，", "领导好，", "想问一下，", "再次反映：")
CLOSERS = (
    "",
    "",
    "",
    "，希望尽快解决",
    "，好几个月了",
    "，老人小孩都怕",
    "，没人管",
    "，请领导重视",
    "。谢谢！",
    "，大家意见很大",
    "，反映过几次了",
)
CATEGORY_OF = {
    "lamp": "cityscape",
    "garbage": "cityscape",
    "bridge": "emergency",
    "smoke": "pollution",
    "dog": "emergency",
    "water": "food-drug",
    "noise": "pollution",
    "pothole": "rural",
    "river": "pollution",
    "stall": "cityscape",
    "medical": "other",
    "wages": "labour",
    "parking": "cityscape",
    "schoolbus": "emergency",
    "irrigation": "rural",
    "house": "emergency",
    "signal": "rural",
    "dance": "pollution",
    "toilet": "cityscape",
    "bus": "rural",
    "flood": "emergency",
    "welfare": "other",
}
START = datetime(2024, 12, 1, 8, 0)
SPAN_DAYS = 720
PAGE_SIZE = 50
GROUPS_AT_MOST = 20000  # pending opinions of a town beyond which groups are not timed


# --- The county -------------------------------------------------------------------------------
def county(rng: random.Random) -> list[dict]:
    """Stations of 20 towns; villages are named from syllables, one or two stations each."""
    stations, used = [], set()
    for t, town in enumerate(TOWNS):
        for _ in range(rng.randint(6, 14)):
            village = _fresh_name(rng, used) + rng.choice(("村", "村", "村", "屯", "社区"))
            for kind in rng.sample(KINDS, rng.choice((1, 1, 2))):
                code = f"t{t:02d}-{len(stations):04d}"
                stations.append(
                    {
                        "id": len(stations) + 1,
                        "code": code,
                        "town": town,
                        "village": village,
                        "kind": kind,
                        "name": village + kind,
                    }
                )
    return stations


def _fresh_name(rng: random.Random, used: set[str]) -> str:
    while True:
        name = rng.choice(SYLLABLES) + rng.choice(SYLLABLES)
        if name not in used and name[0] != name[1]:
            used.add(name)
            return name


def _name(rng: random.Random) -> str:
    return rng.choice(SYLLABLES) + rng.choice(SYLLABLES)


def town_weights() -> list[float]:
    """Skewed like a real county: the largest town ~19 % of opinions, the smallest ~2 %."""
    return [1 / (rank + 2) for rank in range(len(TOWNS))]


# --- Texts --------------------------------------------------------------------------------------
AREA = ("村", "屯", "社区")
SUFFIXES = ("社区", "小区", "村", "屯", "路", "桥")
GENERIC = ("村里", "我们村", "村口", "这边")


def templates() -> list[tuple[str, str]]:
    """(kind, body) from the labelled villagers' texts, places turned into slots.

    A village, hamlet or community becomes {v} (or {c} when written without its suffix, as
    in 大塘那座桥); a road, bridge or estate keeps its suffix and its name becomes {n}.
    """
    found = []
    for opinion in json.loads(LABELLED.read_text(encoding="utf-8")):
        body, place = opinion["body"], opinion["place"]
        suffix = next((s for s in SUFFIXES if place.endswith(s)), "")
        core = place[: -len(suffix)] if suffix else place
        if suffix in AREA:
            body = body.replace(place, "{v}").replace(core, "{c}")
        elif core:
            body = body.replace(core, "{n}")
        found.append((opinion["topic"].split("-")[0], body))
    return found


def body_of(rng: random.Random, template: str, village: str, names: list[str]) -> str:
    """One villager's text: a template with this station's places, an opener and a closer."""
    generic = rng.random() < 0.2
    core = village.removesuffix("社区").rstrip("村屯")
    text = (
        template.replace("{v}", rng.choice(GENERIC) if generic else village)
        .replace("{c}", "村里" if generic else core)
        .replace("{n}", rng.choice(names))
    )
    return rng.choice(OPENERS) + text + rng.choice(CLOSERS)


# --- Opinions -----------------------------------------------------------------------------------
RECEIPT_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"


def receipt(n: int) -> str:
    """A unique 8-character receipt per n: a bijective scramble of n, in base 31."""
    value = (n * 2_654_435_761 + 12_345) % 31**8
    chars = []
    for _ in range(8):
        value, digit = divmod(value, 31)
        chars.append(RECEIPT_ALPHABET[digit])
    return "".join(chars)


def _status(rng: random.Random, age_days: float) -> str:
    """Young opinions are mostly new; old ones mostly merged or answered."""
    if rng.random() < 0.01:
        return "spam"
    if rng.random() < max(0.04, 1 - age_days / 45):
        return "new"
    return rng.choices(("merged", "answered", "rejected"), (55, 35, 10))[0]


def opinions(n: int, stations: list[dict], seed: int = 11) -> Iterator[tuple]:
    """Rows for the opinions table, oldest first (ids grow with time, as in real use)."""
    rng = random.Random(seed)
    texts = templates()
    by_town: dict[str, list[dict]] = {}
    for station in stations:
        by_town.setdefault(station["town"], []).append(station)
    towns = [by_town[town] for town in TOWNS]
    names = {town: [_name(rng) for _ in range(12)] for town in TOWNS}  # roads, estates, bridges
    weights = town_weights()
    step = SPAN_DAYS * 86400 / n
    categories = list(set(CATEGORY_OF.values()))
    for i in range(1, n + 1):
        station = rng.choice(rng.choices(towns, weights)[0])
        kind, template = rng.choice(texts)
        at = START + timedelta(seconds=i * step + rng.random() * step)
        category = CATEGORY_OF.get(kind, "other") if rng.random() < 0.85 else rng.choice(categories)
        phone = f"13{rng.randint(0, 999999999):09d}" if rng.random() < 0.3 else None
        body = body_of(rng, template, station["village"], names[station["town"]])
        status = _status(rng, SPAN_DAYS * (n - i) / n)
        yield (
            i,
            receipt(i),
            station["id"],
            body,
            category,
            phone,
            1 if phone else 0,
            status,
            at.isoformat(timespec="seconds") + "+08:00",
        )


# --- Loading ------------------------------------------------------------------------------------
def generate(path: Path, n: int) -> tuple[list[dict], float]:
    """A migrated database with n opinions; seconds taken."""
    from feedback.db import connect, migrate

    started = time.perf_counter()
    db = connect(path)
    migrate(db)
    stations = county(random.Random(5))
    db["stations"].insert_all(
        [{k: s[k] for k in ("id", "code", "name", "town", "village", "kind")} for s in stations]
    )
    conn = db.conn
    conn.execute("pragma synchronous=off")
    conn.execute("pragma cache_size=-400000")
    dropped = conn.execute(
        "select type, name, sql from sqlite_master where tbl_name = 'opinions' "
        "and type in ('index', 'trigger') and sql is not null"
    ).fetchall()
    with conn:
        for kind, name, _sql in dropped:
            conn.execute(f'drop {kind} "{name}"')
        rows = opinions(n, stations)
        while chunk := [row for _, row in zip(range(50_000), rows, strict=False)]:
            conn.executemany(
                "insert into opinions (id, receipt, station_id, body, category, phone, consent,"
                " status, created_at) values (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                chunk,
            )
        _photos(conn, n)
        for _kind, _name, sql in dropped:
            conn.execute(sql)
        conn.execute("insert into opinions_fts (opinions_fts) values ('rebuild')")
        conn.execute("delete from opinion_counts")  # what the dropped triggers would have kept
        conn.execute(
            "insert into opinion_counts select station_id, status, category, count(*) "
            "from opinions group by 1, 2, 3"
        )
    conn.execute("pragma wal_checkpoint(truncate)")
    conn.execute("pragma synchronous=full")
    db.close()
    return stations, time.perf_counter() - started


def _photos(conn: sqlite3.Connection, n: int) -> None:
    """One opinion in twenty carries one to three photos (rows only: no files needed)."""
    rng = random.Random(3)
    rows = []
    for opinion_id in range(1, n + 1, 20):
        for k in range(rng.randint(1, 3)):
            rows.append(
                (
                    opinion_id,
                    f"{opinion_id % 256:02x}/{opinion_id}-{k}.jpg",
                    1600,
                    1200,
                    180_000,
                    "2026-01-01T00:00:00+08:00",
                )
            )
    conn.executemany(
        "insert into photos (opinion_id, filename, width, height, bytes, "
        "created_at) values (?, ?, ?, ?, ?, ?)",
        rows,
    )


# --- Measuring --------------------------------------------------------------------------------
def rss_mb() -> float:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def floor_app(path: Path) -> Flask:
    """The least an inbox can do: a bare Flask GET returning 50 rows of a trivial query."""
    app = Flask("floor")
    conn = sqlite3.connect(path, check_same_thread=False)

    @app.get("/floor")
    def newest():
        rows = conn.execute(
            "select id, body, status, created_at from opinions order by id desc limit 50"
        ).fetchall()
        return jsonify(rows)

    return app


def our_app(path: Path, town: str):
    """The real app on the generated database and a test client signed in as a clerk."""
    from feedback import create_app, users
    from feedback.db import connect

    os.environ["FEEDBACK_INSTANCE"] = str(path.parent / "instance")
    app = create_app({"FEEDBACK_DATABASE": str(path), "SECRET_KEY": "bench"})
    db = connect(path)
    users.add(db, "bench-clerk", "bench-password-123", "clerk", town)
    db.close()
    client = app.test_client()
    page = client.get("/admin/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page)
    form = {"username": "bench-clerk", "password": "bench-password-123", "csrf_token": token[1]}
    response = client.post("/admin/login", data=form)
    assert response.status_code in (302, 303), response.status_code
    return app, client


def urls(stations: list[dict], town: str, ids: list[int]) -> dict[str, list[str]]:
    """What a clerk of `town` asks for, several variants of each so no one query is flattered."""
    own = [s for s in stations if s["town"] == town]
    end = (START + timedelta(days=SPAN_DAYS)).date()
    filtered = []
    for n, (status, days) in enumerate([("new", 90), ("answered", 180), ("merged", 365)] * 4):
        station, category = own[n % len(own)], sorted(set(CATEGORY_OF.values()))[n % 7]
        since = end - timedelta(days=days)
        filtered.append(
            f"/admin/opinions?status={status}&station={station['id']}"
            f"&category={category}&from={since}&to={end}"
        )
    villages = [s["village"] for s in own[:3]]
    fts = ["路灯坏", "垃圾没人", "自来水", "油烟扰民", "危房改造", *villages]
    two = ["路灯", "污染", "油烟", "低保", "校车", "停车"]
    return {
        "inbox, first page": ["/admin/opinions"],
        "every status, first page": ["/admin/opinions?status=all"],
        "filtered page": filtered,
        "category only": [f"/admin/opinions?category={c}" for c in ("cityscape", "pollution")],
        "one year of dates": [f"/admin/opinions?status=all&from={end - timedelta(days=365)}"],
        "search 3+ chars (FTS)": [f"/admin/opinions?status=all&q={q}" for q in fts],
        "search 2 chars": [f"/admin/opinions?status=all&q={q}" for q in two],
        "search 2 chars, no hit": ["/admin/opinions?status=all&q=地震"],
        "deep page (200 of all)": ["/admin/opinions?status=all&page=200"],
        "opinion page": [f"/admin/opinions/{i}" for i in ids[:20]],
    }


def measure_pages(client, floor, town_urls: dict[str, list[str]], repeat: int) -> dict:
    """ours and floor milliseconds per figure, one floor request after each of ours."""
    figures = {}
    for name, variants in town_urls.items():
        ours, base = [], []
        for n in range(repeat + 1):
            url = variants[n % len(variants)]
            started = time.perf_counter()
            response = client.get(url)
            ours.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200, (url, response.status_code)
            started = time.perf_counter()
            assert floor.get("/floor").status_code == 200
            base.append((time.perf_counter() - started) * 1000)
        figures[name] = (ours[1:], base[1:])  # the first of each is a warm-up
    return figures


def measure_similar(app, path: Path, ids: list[int], floor) -> tuple[list, list]:
    """similar_opinions.similar (what `feedback similar` and the opinion page call), index warm."""
    from feedback import similar_opinions
    from feedback.context import get_db

    ours, base = [], []
    with app.app_context():
        db = get_db()
        similar_opinions.similar(db, str(path), ids[0], 5)
        for opinion_id in ids:
            started = time.perf_counter()
            similar_opinions.similar(db, str(path), opinion_id, 5)
            ours.append((time.perf_counter() - started) * 1000)
            started = time.perf_counter()
            floor.get("/floor")
            base.append((time.perf_counter() - started) * 1000)
    return ours, base


# --- The similarity index: built, stored, loaded ------------------------------------------------
def index_child(path: Path, town: str) -> dict:
    """In a fresh process: one town's index (or every town's, town "*"), timed, RSS growth.

    A fresh process so that the RSS growth is the index's own, not memory the generator freed.
    """
    from feedback import similarity_index
    from feedback.db import connect

    db = connect(path)
    gc.collect()
    before, started = rss_mb(), time.perf_counter()
    if town == "*":
        docs = similarity_index.warm(str(path))
    else:
        docs = len(similarity_index.for_town(db, str(path), town))
    seconds = time.perf_counter() - started
    gc.collect()
    return {"seconds": seconds, "rss_mb": rss_mb() - before, "docs": docs}


def in_child(path: Path, town: str) -> dict:
    command = [sys.executable, __file__, "--index-child", str(path), town]
    child = subprocess.run(command, capture_output=True, text=True, cwd=ROOT, check=True)
    return json.loads(child.stdout.splitlines()[-1])


def stored_dir(path: Path) -> Path:
    return Path(f"{path}-similar")


def measure_indexes(path: Path, town: str, sample: list[int]) -> dict:
    """Cold builds (nothing stored), loads from the stored copies, and `feedback similar`."""
    figures = {"largest cold": in_child(path, town)}
    figures["stored_mb"] = sum(f.stat().st_size for f in stored_dir(path).glob("*.index")) / 2**20
    shutil.rmtree(stored_dir(path))
    figures["all cold"] = in_child(path, "*")
    figures["all stored_mb"] = (
        sum(f.stat().st_size for f in stored_dir(path).glob("*.index")) / 2**20
    )
    figures["all loaded"] = in_child(path, "*")
    env = {
        **os.environ,
        "FEEDBACK_INSTANCE": str(path.parent / "instance"),
        "FEEDBACK_DATABASE": str(path),
    }
    feedback, cli = str(Path(sys.executable).with_name("feedback")), []
    for opinion_id in sample[:5]:
        started = time.perf_counter()
        command = [feedback, "similar", str(opinion_id), "--json"]
        subprocess.run(command, env=env, check=True, capture_output=True)
        cli.append(time.perf_counter() - started)
    figures["cli_s"] = statistics.median(cli)
    return figures


def measure_worker_start(client, path: Path, opinion_id: int) -> dict:
    """The opinion page requested the moment a worker starts warming, with and without stored
    copies: how long a clerk waits for the similarity index (the request waits for its town)."""
    from feedback import similarity_index

    waits = {}
    for case in ("stored copies", "nothing stored"):
        similarity_index._entries.clear()  # a new worker: nothing in memory
        if case == "nothing stored":
            shutil.rmtree(stored_dir(path))
        thread = threading.Thread(target=similarity_index.warm, args=(str(path),), daemon=True)
        thread.start()
        started = time.perf_counter()
        assert client.get(f"/admin/opinions/{opinion_id}").status_code == 200
        waits[case] = (time.perf_counter() - started) * 1000
        thread.join()
    return waits


def measure_groups(client, path: Path, town: str) -> dict:
    """The groups page, up to GROUPS_AT_MOST pending opinions (grouping is about linear in
    them since it tries each opinion's nearest neighbours; bench/similarity_speed.py)."""
    conn = sqlite3.connect(path)
    pending = conn.execute(
        "select count(*) from opinions o join stations s on s.id = o.station_id "
        "where s.town = ? and o.status = 'new'",
        [town],
    ).fetchone()[0]
    conn.close()
    if pending > GROUPS_AT_MOST:
        return {"pending": pending, "ms": None}
    client.get("/admin/groups")
    started = time.perf_counter()
    assert client.get("/admin/groups").status_code == 200
    return {"pending": pending, "ms": (time.perf_counter() - started) * 1000}


# --- One size, and the report -------------------------------------------------------------------
def store_vectors(path: Path, town: str) -> None:
    """Every opinion of the town with a vector, as the background embedder would have stored
    them, so that similar() takes its path by meaning (feedback.similar_opinions._ranked).
    Made up, not embedded (187,000 texts would take an hour): a direction per kind of text
    (its first characters), a common one and noise, so cosines sit near e5's (~0.8-0.97)."""
    import numpy as np

    from feedback import vectors

    conn = sqlite3.connect(path)
    rows = conn.execute(
        "select o.id, o.body from opinions o join stations s on s.id = o.station_id "
        "where s.town = ? and o.status != 'spam' order by o.id",
        [town],
    ).fetchall()
    rng = np.random.default_rng(3)
    common, kinds = rng.standard_normal(vectors.DIM), rng.standard_normal((256, vectors.DIM))
    kind = np.array([zlib.crc32(body[:4].encode()) % 256 for _id, body in rows])
    matrix = 2.2 * common + kinds[kind] + 0.35 * rng.standard_normal((len(rows), vectors.DIM))
    stored = vectors.quantise(matrix / np.linalg.norm(matrix, axis=1, keepdims=True))
    with conn:
        conn.executemany(
            "insert into opinion_vectors (opinion_id, model, vector) values (?, ?, ?)",
            ((i, vectors.MODEL, stored[n].tobytes()) for n, (i, _body) in enumerate(rows)),
        )
    conn.close()


def one_size(n: int, repeat: int) -> dict:
    """Generate n opinions, measure everything, return the figures (run in a child process)."""
    with tempfile.TemporaryDirectory(prefix="bench-triage-") as tmp:
        path = Path(tmp) / "feedback.db"
        stations, load_seconds = generate(path, n)
        town = TOWNS[0]
        conn = sqlite3.connect(path)
        ids = [
            row[0]
            for row in conn.execute(
                "select o.id from opinions o join stations s on s.id = o.station_id "
                "where s.town = ? and o.status != 'spam'",
                [town],
            )
        ]
        conn.close()
        sample = random.Random(2).sample(ids, 100)
        indexes = measure_indexes(path, town, sample)
        app, client = our_app(path, town)
        floor = floor_app(path).test_client()
        figures = measure_pages(client, floor, urls(stations, town, sample), repeat)
        figures["similar() (index warm)"] = measure_similar(app, path, sample, floor)
        store_vectors(path, town)
        figures["similar() with vectors"] = measure_similar(app, path, sample, floor)
        groups = measure_groups(client, path, town)
        starts = measure_worker_start(client, path, sample[0])
        size_mb = path.stat().st_size / 2**20
    return {
        "n": n,
        "town_opinions": len(ids),
        "load_seconds": load_seconds,
        "db_mb": size_mb,
        "indexes": indexes,
        "starts": starts,
        "groups": groups,
        "figures": figures,
    }


GOALS = {
    "inbox, first page": 50,
    "every status, first page": 50,
    "filtered page": 50,
    "category only": 50,
    "one year of dates": 50,
    "deep page (200 of all)": 50,
    "search 3+ chars (FTS)": 200,
    "search 2 chars": 200,
    "search 2 chars, no hit": 200,
    "similar() (index warm)": 50,
    "similar() with vectors": 50,
}


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20)[-1] if len(values) > 1 else values[0]


def report(result: dict) -> None:
    n = result["n"]
    print(
        f"\n{n:,} opinions ({result['db_mb']:.0f} MB database, generated and indexed in "
        f"{result['load_seconds']:.0f} s); clerk of {TOWNS[0]}, {result['town_opinions']:,} "
        f"opinions"
    )
    print(f"  {'':26}{'ours p50':>9}{'p95':>8}{'floor p50':>11}{'ratio':>8}{'goal':>8}")
    for name, (ours, base) in result["figures"].items():
        goal = GOALS.get(name)
        median, floor = statistics.median(ours), statistics.median(base)
        mark = "" if goal is None else ("  ok" if median < goal else "  MISSED")
        print(
            f"  {name:26}{median:>9.1f}{p95(ours):>8.1f}{floor:>11.2f}{median / floor:>7.0f}x"
            f"{'' if goal is None else f'<{goal}':>8}{mark}"
        )
    report_indexes(result["indexes"], result["starts"])
    groups = result["groups"]
    if groups["ms"] is None:
        print(
            f"  groups page: not measured, {groups['pending']:,} pending opinions (more than "
            f"{GROUPS_AT_MOST:,})"
        )
    else:
        print(f"  groups page ({groups['pending']:,} pending opinions): {groups['ms']:.0f} ms")


def report_indexes(figures: dict, starts: dict) -> None:
    largest, cold, loaded = figures["largest cold"], figures["all cold"], figures["all loaded"]
    print(
        f"  similarity index, {TOWNS[0]} ({largest['docs']:,} opinions): built in "
        f"{largest['seconds']:.1f} s, RSS +{largest['rss_mb']:.0f} MB, stored "
        f"{figures['stored_mb']:.0f} MB"
    )
    print(
        f"  all {len(TOWNS)} towns ({cold['docs']:,} opinions): built in "
        f"{cold['seconds']:.1f} s, RSS +{cold['rss_mb']:.0f} MB, stored "
        f"{figures['all stored_mb']:.0f} MB; loaded from the stored copies in "
        f"{loaded['seconds']:.2f} s, RSS +{loaded['rss_mb']:.0f} MB"
    )
    print(
        f"  `feedback similar ID --json` end to end (new process, stored copy): "
        f"{figures['cli_s']:.2f} s median of 5"
    )
    print(
        f"  opinion page the moment a worker starts warming: {starts['stored copies']:.0f} ms "
        f"with stored copies, {starts['nothing stored']:.0f} ms with nothing stored"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default=os.environ.get("BENCH_TRIAGE_SIZES", "100000,1000000"))
    parser.add_argument("--repeat", type=int, default=40, help="requests per figure")
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--index-child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.index_child:
        print(json.dumps(index_child(Path(args.index_child[0]), args.index_child[1])))
        return
    if args.one:
        print(json.dumps(one_size(args.one, args.repeat)))
        return
    print("server time in ms per request (Flask test client), floor = bare Flask + sqlite3 GET")
    for n in [int(size) for size in args.sizes.split(",")]:
        command = [sys.executable, __file__, "--one", str(n), "--repeat", str(args.repeat)]
        child = subprocess.run(command, capture_output=True, text=True, cwd=ROOT)
        if child.returncode:
            sys.stderr.write(child.stderr)
            raise SystemExit(child.returncode)
        report(json.loads(child.stdout.splitlines()[-1]))


if __name__ == "__main__":
    main()
