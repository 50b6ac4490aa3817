"""Similarity speed: `similar()` at 100,000 opinions, and the groups page
(similar_opinions.pending_groups, /admin/groups) at 2,000 and 10,000 pending opinions of one
town, beside the old all-pairs grouping at 2,000 and a bare floor measured in the same run.

The pending opinions are near-duplicates as a busy town sends them: 21 kinds of problem at
12 villages (or a road), with and without the village named, plus fillers ("好几个月了"), so
every kind has hundreds of look-alike opinions sharing all their features: what made the
all-pairs grouping quadratic (at 10,000 about 45 % are exact twins of an earlier one).
The floor is the least any grouping must do: read the town's pending rows (the query
pending_groups runs) and walk each opinion's features once.

With --diverse the pending opinions are diverse instead, as a town whose villagers each write
their own words: the labelled villagers' texts of tests/data with this town's places, openers
and closers (bench/triage.py's templates and body_of), at 14 villages, so few are exact twins
(at 13,000, 9,097 distinct texts) and most pairs the grouping tries need scoring. Their
made-up vectors get a direction per text's first four characters (256 directions).

Run from the repository root: `.venv/bin/python bench/similarity_speed.py [--sizes 2000,10000]`
(add --old-at 0 to skip the all-pairs figure), or `... --diverse` (at 10,000 and 13,000 by
default). The database lives in a temporary folder.
"""

from __future__ import annotations

import argparse
import math
import os
import random
import re
import statistics
import sys
import tempfile
import time
import zlib
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from feedback.similarity import GROUP_THRESHOLD, SimilarityIndex  # noqa: E402

TOWN = "龙潭镇"
PROBLEMS = [
    "{p}的路灯坏了好久",
    "{p}垃圾没人清运",
    "{p}晚上施工太吵睡不着",
    "{p}的桥面开裂了",
    "{p}油烟扰民",
    "{p}自来水发黄",
    "{p}路面坑坑洼洼",
    "{p}野狗咬人",
    "{p}河里死鱼发臭",
    "{p}占道经营摆摊",
    "{p}停车难",
    "医保报销太麻烦",
    "老板拖欠工资",
    "{p}没有校车",
    "{p}水渠堵了田里没水",
    "{p}有危房快塌了",
    "{p}手机没信号",
    "{p}低保评得不公平",
    "{p}广场舞太吵",
    "{p}公厕太脏",
    "{p}一下雨就淹",
]
FILLERS = ["", ",希望尽快解决", ",好几个月了", ",老人小孩都怕", ",没人管", ",请领导重视"]
SYLLABLES = "龙塘桥星华福平安兴隆新和丰石山水田坪岭湾坡溪河林花金银玉"


def diverse(n: int, seed: int = 5) -> list[tuple[int, str, str]]:
    """(id, body, village) rows: the labelled villagers' texts at 14 villages (--diverse)."""
    import triage

    rng = random.Random(seed)
    villages = [f"{a}{b}村" for a in "龙塘桥星华福平安兴隆新和" for b in "丰石山"][:14]
    templates = triage.templates()
    rows = []
    for i in range(1, n + 1):
        village = rng.choice(villages)
        _kind, template = rng.choice(templates)
        rows.append(
            (i, triage.body_of(rng, template, village, ["东风", "幸福", "长安", "红旗"]), village)
        )
    return rows


def generated(n: int, seed: int = 4, villages: int = 400) -> list[tuple[int, str, str]]:
    """(id, body, village) rows: the problems above at random villages and roads."""
    rng = random.Random(seed)
    names = sorted({rng.choice(SYLLABLES) + rng.choice(SYLLABLES) + "村" for _ in range(villages)})
    rows = []
    for i in range(1, n + 1):
        village = rng.choice(names)
        place = rng.choice([village, "", rng.choice(SYLLABLES) + rng.choice("龙华") + "路"])
        body = rng.choice(PROBLEMS).format(p=place) + rng.choice(FILLERS)
        rows.append((i, body, village))
    return rows


# --- similar() at 100,000 (was tests/test_similar.py::test_query_speed_at_100k) -----------------
def similar_speed(n: int) -> None:
    rows = generated(n)
    started = time.perf_counter()
    index = SimilarityIndex.from_rows(rows)
    built = time.perf_counter() - started
    rng = random.Random(7)
    timings = []
    for opinion_id in rng.sample(range(1, len(rows) + 1), 100):
        started = time.perf_counter()
        index.similar(opinion_id, limit=10)
        timings.append(time.perf_counter() - started)
    print(
        f"similar() at {len(index):,} opinions: index built in {built:.1f} s, median query "
        f"{statistics.median(timings) * 1000:.1f} ms, slowest {max(timings) * 1000:.1f} ms"
    )


# --- The old grouping, kept here to compare against ---------------------------------------------
def all_pairs_groups(index: SimilarityIndex, ids: list[int], threshold: float) -> list[list[int]]:
    """feedback.similarity's groups() before candidates came from nearest neighbours: exact
    scores of every pair sharing a feature, then the same average linkage over all pairs."""
    members = sorted(i for i in set(ids) if i in index._slot)
    idf2, norms = {}, {}
    pairs = {i: index._pairs(index._slot[i]) for i in members}
    for i in members:
        for fid, _ in pairs[i]:
            if fid not in idf2:
                idf2[fid] = index._idf(fid) ** 2
        norms[i] = math.sqrt(sum(w * w * idf2[f] for f, w in pairs[i]))
    local: dict[int, list[tuple[int, float]]] = defaultdict(list)
    scores: dict[tuple[int, int], float] = {}
    for b in members:
        dots: dict[int, float] = defaultdict(float)
        for fid, weight_b in pairs[b]:
            posting = local[fid]
            contribution = weight_b * idf2[fid]
            for a, wa in posting:
                dots[a] += wa * contribution
            posting.append((b, weight_b))
        slot_b = index._slot[b]
        for a, dot in dots.items():
            if not norms[a] or not norms[b]:
                continue
            slot_a = index._slot[a]
            factor = index.place_factor(
                index._places(slot_a),
                index._village(slot_a),
                index._places(slot_b),
                index._village(slot_b),
            )
            score = min(1.0, dot / (norms[a] * norms[b]) * factor)
            if score > 0:
                scores[(a, b)] = score

    def conflict(a: int, b: int) -> bool:
        pa, pb = index._places(index._slot[a]), index._places(index._slot[b])
        return bool(pa and pb and not pa & pb)

    parent = {i: i for i in dict.fromkeys(ids) if i in index._slot}
    groups = {i: [i] for i in parent}

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for (a, b), score in sorted(scores.items(), key=lambda item: -item[1]):
        if score < threshold:
            break
        ra, rb = find(a), find(b)
        if ra == rb or any(conflict(x, y) for x in groups[ra] for y in groups[rb]):
            continue
        both = [(x, y) if x < y else (y, x) for x in groups[ra] for y in groups[rb]]
        if sum(scores.get(p, 0.0) for p in both) / len(both) >= threshold:
            parent[rb] = ra
            groups[ra].extend(groups.pop(rb))
    found = [sorted(g) for g in groups.values() if len(g) > 1]
    return sorted(found, key=lambda g: (-len(g), g[0]))


# --- The groups page ------------------------------------------------------------------------------
def town_database(folder: Path, n: int, texts: str = "near"):
    """A real database (the app's migrations) of one town with n pending opinions, near
    duplicates or (texts="diverse") diverse ones; returns the app and a test client signed
    in as the town's clerk."""
    from feedback import create_app, users
    from feedback.db import connect, migrate

    path = folder / f"groups-{texts}-{n}.db"
    os.environ["FEEDBACK_INSTANCE"] = str(folder / f"instance-{texts}-{n}")
    app = create_app({"FEEDBACK_DATABASE": str(path), "SECRET_KEY": "bench"})
    db = connect(path)
    migrate(db)
    rows = diverse(n) if texts == "diverse" else generated(n, villages=12)
    villages = sorted({village for _, _, village in rows})
    db["stations"].insert_all(
        {"id": k, "code": f"lt-{k:02d}", "name": f"{v}议事亭", "town": TOWN, "village": v}
        for k, v in enumerate(villages, start=1)
    )
    station_of = {v: k for k, v in enumerate(villages, start=1)}
    db["opinions"].insert_all(
        {
            "id": i,
            "receipt": f"B{i:07d}",
            "station_id": station_of[village],
            "body": body,
            "category": "other",
            "created_at": f"2026-03-01T09:{i % 60:02d}:00+08:00",
        }
        for i, body, village in rows
    )
    store_vectors(db, rows, texts)
    users.add(db, "bench-clerk", "bench-password-123", "clerk", TOWN)
    db.conn.commit()
    db.close()
    client = app.test_client()
    page = client.get("/admin/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page)[1]
    form = {"username": "bench-clerk", "password": "bench-password-123", "csrf_token": token}
    assert client.post("/admin/login", data=form).status_code in (302, 303)
    return app, client, path


def store_vectors(db, rows: list[tuple[int, str, str]], texts: str = "near") -> None:
    """Every opinion's vector as the background embedder would have stored it, but made up:
    embedding 10,000 texts would take minutes, and the grouping's speed depends on how the
    vectors cluster, not on what they mean. Each kind of problem gets a direction; a vector is
    a common direction (e5's cosines of unrelated Chinese opinions sit around 0.8-0.9), its
    problem's, and noise: cosines ~0.97 within a kind, ~0.8 across. Diverse texts: a kind
    per text's first four characters."""
    import numpy as np

    from feedback import vectors

    rng = np.random.default_rng(11)
    common, kinds = rng.standard_normal(vectors.DIM), rng.standard_normal((256, vectors.DIM))
    kind_of = {p.format(p="")[:4]: n for n, p in enumerate(PROBLEMS)}
    found = []
    for opinion_id, body, _village in rows:
        if texts == "diverse":
            kind = zlib.crc32(body[:4].encode()) % len(kinds)
        else:
            kind = next(n for start, n in kind_of.items() if start in body)
        v = 2.2 * common + kinds[kind] + 0.35 * rng.standard_normal(vectors.DIM)
        found.append((opinion_id, v / np.linalg.norm(v)))
    matrix = vectors.quantise(np.stack([v for _, v in found]))
    db["opinion_vectors"].insert_all(
        {"opinion_id": i, "model": vectors.MODEL, "vector": matrix[n].tobytes()}
        for n, (i, _v) in enumerate(found)
    )


def best_of(repeat: int, run) -> tuple[float, object]:
    best, result = math.inf, None
    for _ in range(repeat):
        started = time.perf_counter()
        result = run()
        best = min(best, time.perf_counter() - started)
    return best, result


def groups_speed(sizes: list[int], old_at: int, repeat: int, texts: str = "near") -> None:
    kind = "diverse" if texts == "diverse" else "near-duplicate"
    print(f"\ngroups of one town's {kind} pending opinions (best of {repeat}; index warm):")
    print(f"{'':44}{'pending':>9}{'seconds':>10}{'x floor':>9}  groups, grouped")
    with tempfile.TemporaryDirectory(prefix="bench-groups-") as tmp:
        for n in sizes:
            groups_at(n, Path(tmp), n <= old_at, repeat, texts)


def groups_at(n: int, folder: Path, old_too: bool, repeat: int, texts: str = "near") -> None:
    from feedback import similar_opinions, similarity_index
    from feedback.db import connect

    _app, client, path = town_database(folder, n, texts)
    db = connect(path)
    index = similarity_index.for_town(db, str(path), TOWN)  # built once, as the warm-up does

    def floor():
        rows = list(
            db.query(
                "select o.*, s.name as station_name from opinions o join stations s "
                "on s.id = o.station_id where s.town = ? and o.status = 'new'",
                [TOWN],
            )
        )
        return sum(len(index._pairs(index._slot[row["id"]])) for row in rows)

    def page():
        assert client.get("/admin/groups").status_code == 200

    floor_s, _ = best_of(repeat, floor)
    ours_s, groups = best_of(repeat, lambda: similar_opinions.pending_groups(db, str(path), TOWN))
    page_s, _ = best_of(repeat, page)
    line = f"{n:>9,}{{:>10.2f}}{{:>9.1f}}"
    grouped = sum(len(g.members) for g in groups)
    print(f"{'floor: read pending rows, walk features':44}" + line.format(floor_s, 1.0))
    print(
        f"{'ours: pending_groups()':44}" + line.format(ours_s, ours_s / floor_s),
        f" {len(groups):,}, {grouped:,}",
    )
    print(f"{'ours: GET /admin/groups':44}" + line.format(page_s, page_s / floor_s))
    if old_too:
        ids = [row["id"] for row in db.query("select id from opinions")]
        old_s, old = best_of(1, lambda: all_pairs_groups(index, ids, GROUP_THRESHOLD))
        print(
            f"{'old: all pairs (same linkage)':44}" + line.format(old_s, old_s / floor_s),
            f" {len(old):,}, {sum(len(g) for g in old):,}",
        )
        print(f"{'':44}old / ours: {old_s / ours_s:.1f}x; {agreement(old, groups)}")
    db.close()
    similarity_index._entries.clear()


def agreement(old: list[list[int]], new: list[list[dict]]) -> str:
    """How alike two groupings are: the share of the old one's together-pairs kept together."""
    group_of = {row["id"]: n for n, group in enumerate(new) for row in group}
    together = total = 0
    for group in old:
        for k, a in enumerate(group):
            for b in group[k + 1 :]:
                total += 1
                together += a in group_of and group_of[a] == group_of.get(b)
    return f"pairs the old grouping put together, kept together: {together / max(total, 1):.3f}"


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--sizes", help="pending opinions of the town (2000,10000; diverse: 10000,13000)"
    )
    parser.add_argument("--old-at", type=int, default=2000, help="time all-pairs up to this")
    parser.add_argument("--similar-at", type=int, default=100_000, help="0 skips it")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument(
        "--diverse", action="store_true", help="diverse texts, not near-duplicates (groups only)"
    )
    arguments = parser.parse_args()
    texts = "diverse" if arguments.diverse else "near"
    sizes = arguments.sizes or ("10000,13000" if arguments.diverse else "2000,10000")
    if arguments.similar_at and not arguments.diverse:
        similar_speed(arguments.similar_at)
    old_at = 0 if arguments.diverse else arguments.old_at
    groups_speed([int(s) for s in sizes.split(",")], old_at, arguments.repeat, texts)
