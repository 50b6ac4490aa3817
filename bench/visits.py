"""The return-visit list (GET /admin/visits/, feedback.return_visits) at 1,000,000 opinions,
beside the bare floor (bench/floor_app.py's GET /board/<town>, a page of 20 rows as bare HTML)
measured in the same run.

The county is bench/board.py's (triage's 20 towns with suggestions, older ones closed with an
answer; built once and cached as bench/out/board-N.db). On a copy of it, brought to the
current schema: every opinion behind a closed suggestion takes that closing as its answer
time, and ratings are cleared from two in three of them, so the largest town has tens of
thousands of villagers due for a call (a phone left with consent, answered over a week ago,
not rated): far more than any town would let pile up, which is what the list must survive.

Server time per request through the Flask test client, for a clerk of the largest town:
median and p95 (wall and CPU ms) over N requests of the list's first page, a middle page and
the last, and of recording one outcome (POST: the due condition, the insert, the rating, the
audit entry), each followed by one request to the floor.

Run from the repository root: `.venv/bin/python bench/visits.py [--size 1000000] [--repeat 100]`
"""

from __future__ import annotations

import argparse
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

OUT = ROOT / "bench" / "out"


def prepared(n: int) -> Path:
    """A copy of the board's county at the current schema, with villagers due for a call."""
    source = board.build(n)
    path = OUT / f"visits-{n}.db"
    shutil.copyfile(source, path)
    from feedback.db import connect, migrate

    db = connect(path)
    migrate(db)
    with db.conn:
        db.execute(
            "update opinions set answered_at = (select s.closed_at from suggestion_opinions so "
            "join suggestions s on s.id = so.suggestion_id where so.opinion_id = opinions.id) "
            "where id in (select so.opinion_id from suggestion_opinions so join suggestions s "
            "on s.id = so.suggestion_id where s.status = '已办结')"
        )
        db.execute("update opinions set rating = null, rated_at = null where id % 3 != 0")
    db.execute("analyze")
    db.conn.close()
    return path


def clerk_client(path: Path, town: str):
    from feedback import create_app, users
    from feedback.db import connect

    app = create_app({"FEEDBACK_DATABASE": str(path), "SECRET_KEY": "bench"})
    db = connect(path)
    if not db.execute("select 1 from users where username = 'bench-clerk'").fetchone():
        users.add(db, "bench-clerk", "correct horse", "clerk", town)
    db.conn.close()
    client = app.test_client()
    page = client.get("/admin/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page)[1]
    signed = client.post(
        "/admin/login",
        data={"csrf_token": token, "username": "bench-clerk", "password": "correct horse"},
    )
    assert signed.status_code == 303, signed.status_code
    return client


def measure(path: Path, repeat: int) -> tuple[dict, dict]:
    conn = sqlite3.connect(path)
    (town,) = conn.execute(
        "select s.town from opinions o join stations s on s.id = o.station_id "
        "group by 1 order by count(*) desc limit 1"
    ).fetchone()
    conn.close()
    ours = clerk_client(path, town)
    floor = floor_app.create_app(str(path)).test_client()
    first = ours.get("/admin/visits/").get_data(as_text=True)
    due = int(re.search(r"回访名单 · (\d+) 位村民", first)[1])
    last = -(-due // 50)
    figures = {}
    for name, url in (
        ("first page", "/admin/visits/"),
        ("a middle page", f"/admin/visits/?page={last // 2}"),
        ("last page", f"/admin/visits/?page={last}"),
    ):
        figures[name] = pair(ours, floor, town, repeat, lambda u=url: ours.get(u))
    figures["record a call (POST)"] = pair(ours, floor, town, repeat, lambda: record(ours))
    return {"town": town, "due": due, "pages": last}, figures


def record(client):
    """One 基本满意 for the first villager on the list (who then leaves it)."""
    page = client.get("/admin/visits/").get_data(as_text=True)
    opinion = re.search(r'id="record-(\d+)"', page)[1]
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page)[1]
    response = client.post(
        f"/admin/visits/{opinion}",
        data={"csrf_token": token, f"v{opinion}-outcome": "基本满意"},
    )
    assert response.status_code == 303, response.status_code
    return response


def timed(request) -> tuple[tuple[float, float], object]:
    """(wall ms, CPU ms) of one request (CPU time is the steadier on a shared machine)."""
    wall, cpu = time.perf_counter(), time.process_time()
    response = request()
    spent = ((time.perf_counter() - wall) * 1000, (time.process_time() - cpu) * 1000)
    return spent, response


def pair(ours, floor, town: str, repeat: int, request) -> tuple[list, list]:
    mine, bare = [], []
    for _ in range(repeat + 1):
        spent, response = timed(request)
        assert response.status_code in (200, 303), response.status_code
        mine.append(spent)
        spent, _response = timed(lambda: floor.get(f"/board/{town}"))
        bare.append(spent)
    return mine[1:], bare[1:]


def report(n: int, facts: dict, figures: dict, repeat: int) -> None:
    print(
        f"\n{n:,} opinions · largest town {facts['town']}: {facts['due']:,} villagers due "
        f"({facts['pages']:,} pages of 50) · {repeat} requests each"
    )
    print(
        f"{'request':<24}{'ours wall p50/p95':>20}{'CPU p50':>9}{'floor wall p50':>16}{'ratio':>7}"
    )
    for name, (mine, bare) in figures.items():
        wall = sorted(m[0] for m in mine)
        cpu = statistics.median(m[1] for m in mine)
        floor = statistics.median(b[0] for b in bare)
        p50, p95 = statistics.median(wall), board.p95(wall)
        print(f"{name:<24}{p50:>11.1f} / {p95:>6.1f}{cpu:>9.1f}{floor:>16.2f}{p50 / floor:>6.1f}x")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=100)
    args = parser.parse_args()
    path = prepared(args.size)
    facts, figures = measure(path, args.repeat)
    report(args.size, facts, figures, args.repeat)


if __name__ == "__main__":
    main()
