"""The deputy's phone inbox (/admin/deputy/) and the county's yearly record of work
(/admin/record/, its Excel register, a deputy's 述职 page and PDF) at 1,000,000 opinions,
each beside the bare floor (bench/floor_app.py's GET /deputy/<id> and GET /record/<year>)
measured in the same run.

The county is bench/triage.py's (20 towns, two years of opinions) with bench/board.py's
suggestions. On top of it: a deputy per station, posted to it (one in five also to a second
station of their town); 8 % of opinions sent to a deputy's card (代表码) and 4 % typed in by
a deputy on a visit; 40 duty activities a deputy over the two years; every suggestion led
by a deputy of its town with 0-2 co-signers, and a verdict on 70 % of the closed ones. The
database is built once and cached as bench/out/deputies-N.db (delete it to rebuild).

Server time per request through the Flask test client (wall and this process's CPU),
median and p95 over N requests: the inbox of the busiest deputy (page 1 and 2), of the
quietest (whose stations have the fewest opinions: the newest-first scan finds few rows),
their suggestions; the county's and the largest town's register page for the last year, the
Excel register of the county, a deputy's 述职 page; each followed by one request to the floor.

Run from the repository root: `.venv/bin/python bench/deputies.py [--size 1000000] [--repeat 50]`
"""

from __future__ import annotations

import argparse
import os
import random
import re
import shutil
import sqlite3
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import board  # noqa: E402
import floor_app  # noqa: E402
import triage  # noqa: E402

OUT = ROOT / "bench" / "out"
KINDS = ("reception", "visit", "inspection", "forum", "market")
PASSWORD = "bench password"


def build(n: int) -> Path:
    """bench/out/deputies-N.db: triage's county, board's suggestions, deputies' work."""
    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / f"deputies-{n}.db"
    if path.exists():
        return path
    partial = OUT / f"deputies-{n}.partial.db"
    for leftover in OUT.glob(f"deputies-{n}.partial.db*"):
        leftover.unlink()
    started = time.perf_counter()
    triage.generate(partial, n)
    conn = sqlite3.connect(partial)
    rng = random.Random(15)
    conn.execute("pragma synchronous=off")
    with conn:
        board.add_suggestions(conn, rng)
        count = add_deputies(conn, rng)
    conn.execute("pragma wal_checkpoint(truncate)")
    conn.close()
    partial.rename(path)
    print(f"built {path.name}: {count:,} deputies in {time.perf_counter() - started:.0f} s")
    return path


def add_deputies(conn: sqlite3.Connection, rng: random.Random) -> int:
    stations = conn.execute("select id, town from stations order by id").fetchall()
    by_town: dict[str, list[int]] = {}
    for station_id, town in stations:
        by_town.setdefault(town, []).append(station_id)
    now = "2026-01-01T00:00:00+08:00"
    conn.executemany(
        "insert or ignore into towns (name, created_at) values (?, ?)",
        [(t, now) for t in by_town],
    )
    for station_id, town in stations:
        conn.execute(
            "insert into deputies (id, code, name, town, level, created_at) "
            "values (?, ?, ?, ?, ?, ?)",
            [station_id, f"d-{station_id}", f"代表{station_id}", town, "乡镇", now],
        )
        posted = [station_id]
        if rng.random() < 0.2 and len(by_town[town]) > 1:
            posted.append(rng.choice([s for s in by_town[town] if s != station_id]))
        conn.executemany(
            "insert into deputy_stations (deputy_id, station_id, position) values (?, ?, ?)",
            [(station_id, s, k) for k, s in enumerate(posted)],
        )
    # The deputy of an opinion's station: 8 % sent to their card, 4 % typed in on a visit.
    conn.execute(
        "update opinions set deputy_id = station_id, channel = case when id % 25 < 2 "
        "then 'form' else 'visit' end where id % 25 < 3"
    )
    first = conn.execute("select max(substr(created_at, 1, 4)) from opinions").fetchone()[0]
    years = [str(int(first) - 1), first]
    activities = []
    for deputy_id, _town in stations:
        for _ in range(40):
            day = f"{rng.choice(years[-2:])}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
            activities.append(
                (deputy_id, rng.choice(KINDS), day, "村部", rng.randint(1, 50), "d", now)
            )
    conn.executemany(
        "insert into deputy_activities (deputy_id, kind, held_on, place, people, created_by, "
        "created_at) values (?, ?, ?, ?, ?, ?, ?)",
        activities,
    )
    signers, verdicts = [], []
    for sid, town, status, closed in conn.execute(
        "select id, town, status, closed_at from suggestions"
    ).fetchall():
        chosen = rng.sample(by_town[town], min(len(by_town[town]), rng.randint(1, 3)))
        roles = ["lead"] + ["cosign"] * (len(chosen) - 1)
        signers += [(sid, d, role, "b", now) for d, role in zip(chosen, roles, strict=True)]
        if status == "已办结" and rng.random() < 0.7:
            verdict = rng.choice(("满意", "满意", "基本满意", "不满意"))
            verdicts.append((sid, chosen[0], closed, verdict, "", closed))
    conn.executemany(
        "insert into suggestion_deputies (suggestion_id, deputy_id, role, added_by, added_at) "
        "values (?, ?, ?, ?, ?)",
        signers,
    )
    conn.executemany(
        "insert into deputy_verdicts (suggestion_id, deputy_id, closed_at, verdict, comment, at)"
        " values (?, ?, ?, ?, ?, ?)",
        verdicts,
    )
    return len(stations)


def our_client(path: Path, username: str):
    from feedback import create_app, users
    from feedback.db import connect

    os.environ["FEEDBACK_INSTANCE"] = str(OUT / "deputies-instance")
    app = create_app({"FEEDBACK_DATABASE": str(path), "SECRET_KEY": "bench"})
    db = connect(str(path))
    if db.execute("select 1 from users where username = ?", [username]).fetchone() is None:
        if username == "bench-admin":
            users.add(db, username, PASSWORD, "admin", None)
        else:
            users.add(db, username, PASSWORD, "deputy", None, deputy=username)
    db.close()
    client = app.test_client()
    page = client.get("/admin/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page)[1]
    data = {"username": username, "password": PASSWORD, "csrf_token": token}
    assert client.post("/admin/login", data=data).status_code in (302, 303)
    return client


def measure(path: Path, repeat: int) -> tuple[dict, dict]:
    conn = sqlite3.connect(path)
    per_deputy = conn.execute(
        "select ds.deputy_id, count(o.id) from deputy_stations ds left join opinions o "
        "on o.station_id = ds.station_id group by 1 order by 2"
    ).fetchall()
    year = int(conn.execute("select max(substr(created_at, 1, 4)) from opinions").fetchone()[0])
    town = conn.execute(
        "select town from stations group by 1 order by count(*) desc limit 1"
    ).fetchone()[0]
    conn.close()
    quiet, busy = per_deputy[0], per_deputy[-1]
    floor = floor_app.create_app(str(path)).test_client()
    facts = {"busy": busy, "quiet": quiet, "year": year, "town": town}
    figures = {}
    for code, cases in (
        (f"d-{busy[0]}", {"inbox, busiest deputy": ("/admin/deputy/", busy[0]),
                          "inbox page 2": ("/admin/deputy/?page=2", busy[0]),
                          "their suggestions": ("/admin/deputy/suggestions/", busy[0])}),
        (f"d-{quiet[0]}", {"inbox, quietest deputy": ("/admin/deputy/", quiet[0])}),
    ):  # fmt: skip
        client = our_client(path, code)
        for name, (url, deputy_id) in cases.items():
            figures[name] = pair(client, url, floor, f"/deputy/{deputy_id}", repeat)
    admin = our_client(path, "bench-admin")
    small = max(5, repeat // 5)
    for name, url, times in (
        ("county register page", f"/admin/record/?year={year}", small),
        ("town register page", f"/admin/record/?year={year}&town={town}", repeat),
        ("county register .xlsx", f"/admin/record/register.xlsx?year={year}", small),
        ("a deputy's 述职 page", f"/admin/record/d-{busy[0]}?year={year}", repeat),
    ):
        figures[name] = pair(admin, url, floor, f"/record/{year}", times)
    return facts, figures


def pair(client, url: str, floor, floor_url: str, repeat: int) -> tuple[list, list]:
    mine, bare = [], []
    for _ in range(repeat + 1):
        ms, response = board.timed(client, "GET", url)
        assert response.status_code == 200, (url, response.status_code)
        mine.append(ms)
        ms, response = board.timed(floor, "GET", floor_url)
        assert response.status_code == 200
        bare.append(ms)
    return mine[1:], bare[1:]


def report(n: int, facts: dict, figures: dict, repeat: int) -> None:
    print(
        f"\n{n:,} opinions; busiest deputy's stations {facts['busy'][1]:,} opinions, quietest "
        f"{facts['quiet'][1]:,}; record of {facts['year']}, largest town {facts['town']}; "
        f"{repeat} requests each (fewer for the county's, Flask test client, server time)"
    )
    heads = ("wall p50", "wall p95", "CPU p50", "floor wall", "floor CPU", "CPU ratio")
    print(f"{'':24} " + " ".join(f"{h:>10}" for h in heads))
    for name, (mine, bare) in figures.items():
        wall, cpu = [m[0] for m in mine], [m[1] for m in mine]
        ratio = statistics.median(cpu) / max(statistics.median([b[1] for b in bare]), 0.01)
        print(
            f"{name:24} {statistics.median(wall):10.2f} {board.p95(wall):10.2f} "
            f"{statistics.median(cpu):10.2f} {statistics.median([b[0] for b in bare]):10.2f} "
            f"{statistics.median([b[1] for b in bare]):10.2f} {ratio:9.1f}x"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--size", type=int, default=int(os.environ.get("BENCH_DEPUTIES_SIZE", 10**6))
    )
    parser.add_argument("--repeat", type=int, default=50)
    args = parser.parse_args()
    path = build(args.size)
    facts, figures = measure(path, args.repeat)
    report(args.size, facts, figures, args.repeat)
    shutil.rmtree(OUT / "deputies-instance", ignore_errors=True)


if __name__ == "__main__":
    main()
