"""The public board (GET /board/<town>) and 我也遇到 at 1,000,000 opinions, each beside the
bare floor (bench/floor_app.py's GET /board/<town>) measured in the same run.

The county is bench/triage.py's (`triage.generate`: 20 towns, the largest with ~19 % of the
opinions, two years of dates). On top of it, each town's merged opinions are gathered into
suggestions of 3-40 (a staff title copied from the first opinion, as older drafts did;
one in three has a public title, the rest show the neutral default), older suggestions
closed with an answer, newer ones handed over or in hand, five departments a town, and
supporters (我也遇到) on one suggestion in five, 40 % of them with a phone. The database is
built once and cached as bench/out/board-N.db (delete it to rebuild).

Server time per request through the Flask test client, median and p95 over N requests, for
the largest town: the first page, page 2, a middle and the last page, 正在办 and 已办结, and a
POST of 我也遇到 (CSRF, flood limits, the write), each followed by one request to the floor.
Also checked on every page measured: no opinion's text appears on the board.

Run from the repository root: `.venv/bin/python bench/board.py [--size 1000000] [--repeat 200]`
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

import floor_app  # noqa: E402
import triage  # noqa: E402

OUT = ROOT / "bench" / "out"
ANSWER = "经现场核实,已安排维修,预计本月底完成。感谢群众监督。"


def build(n: int) -> Path:
    """bench/out/board-N.db: triage's county with suggestions and supporters (cached)."""
    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / f"board-{n}.db"
    if path.exists():
        from feedback.db import connect, migrate

        db = connect(path)
        migrate(db)  # a cached copy from before later migrations moves forward
        db.close()
        return path
    partial = OUT / f"board-{n}.partial.db"
    for leftover in OUT.glob(f"board-{n}.partial.db*"):
        leftover.unlink()
    started = time.perf_counter()
    triage.generate(partial, n)
    conn = sqlite3.connect(partial)
    with conn:
        made = add_suggestions(conn, random.Random(7))
    conn.execute("pragma wal_checkpoint(truncate)")
    conn.close()
    partial.rename(path)
    print(f"built {path.name}: {made:,} suggestions in {time.perf_counter() - started:.0f} s")
    return path


def add_suggestions(conn: sqlite3.Connection, rng: random.Random) -> int:
    """Each town's merged opinions in suggestions of 3-40, oldest first."""
    conn.execute("pragma synchronous=off")
    merged = conn.execute(
        "select o.id, s.town, o.body, o.category, o.created_at from opinions o "
        "join stations s on s.id = o.station_id where o.status = 'merged' order by o.id"
    ).fetchall()
    by_town: dict[str, list[tuple]] = {}
    for row in merged:
        by_town.setdefault(row[1], []).append(row)
    newest = max(row[4] for row in merged)
    suggestion_id, dept_id = 0, 0
    for town, rows in by_town.items():
        departments = []
        for k in range(5):
            dept_id += 1
            conn.execute(
                "insert into departments (id, name, town) values (?, ?, ?)",
                [dept_id, f"{town}办公室{k + 1}", town],
            )
            departments.append(dept_id)
        seq, i = 0, 0
        while i < len(rows):
            size = rng.randint(3, 40)
            batch, i = rows[i : i + size], i + size
            seq += 1
            suggestion_id += 1
            insert_suggestion(conn, rng, suggestion_id, town, seq, batch, departments, newest)
    return suggestion_id


def insert_suggestion(conn, rng, sid, town, seq, batch, departments, newest) -> None:
    first = batch[0]
    created = batch[-1][4]
    year = created[:4]
    age = (_day(newest) - _day(created)) if created else 0
    status = "已办结" if age > 60 else rng.choice(("待交办", "已交办", "办理中"))
    closed = status == "已办结"
    department = None if status == "待交办" else rng.choice(departments)
    conn.execute(
        "insert into suggestions (id, town, year, seq, number, title, body, category, tier, "
        "status, department_id, deadline, assigned_at, closed_at, answer, created_at, "
        "public_title) values (?, ?, ?, ?, ?, ?, ?, ?, '一般', ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            sid,
            town,
            int(year),
            seq,
            f"{town}-{year}-{seq:05d}",
            first[2][:20],  # copied from an opinion, as older drafts did: never on the board
            "\n".join(row[2] for row in batch),
            first[3],
            status,
            department,
            created[:10],
            created if department else None,
            created if closed else None,
            ANSWER if closed else None,
            created,
            f"关于{town}第{seq}件事的办理" if rng.random() < 0.33 else None,
        ],
    )
    conn.executemany(
        "insert into suggestion_opinions (opinion_id, suggestion_id, added_at) values (?, ?, ?)",
        [(row[0], sid, created) for row in batch],
    )
    if rng.random() < 0.2:
        conn.executemany(
            "insert into supporters (suggestion_id, phone, consent, device, created_at) "
            "values (?, ?, ?, ?, ?)",
            [
                (
                    sid,
                    f"13{sid:05d}{k:04d}" if rng.random() < 0.4 else None,
                    1,
                    f"d{sid}-{k}",
                    created,
                )
                for k in range(rng.randint(1, 30))
            ],
        )


def _phone(rng: random.Random, sid: int, k: int) -> str | None:
    return f"13{sid:05d}{k:04d}" if rng.random() < 0.4 else None


def _day(stamp: str) -> int:
    return int(time.mktime(time.strptime(stamp[:10], "%Y-%m-%d")) // 86400)


def our_client(path: Path):
    from feedback import create_app

    os.environ["FEEDBACK_INSTANCE"] = str(OUT / "board-instance")
    app = create_app({"FEEDBACK_DATABASE": str(path), "SECRET_KEY": "bench"})
    app.config["FEEDBACK_LIMIT_PER_DEVICE"] = 10**9  # the bench is one browser
    app.config["FEEDBACK_LIMIT_PER_ADDRESS"] = 10**9
    return app.test_client()


def timed(client, method: str, url: str, **kwargs) -> tuple[tuple[float, float], object]:
    """(wall ms, CPU ms) of one request: on a shared, loaded machine the CPU time of this
    process is the steadier of the two."""
    wall, cpu = time.perf_counter(), time.process_time()
    response = client.open(url, method=method, **kwargs)
    spent = ((time.perf_counter() - wall) * 1000, (time.process_time() - cpu) * 1000)
    return spent, response


def measure(path: Path, repeat: int) -> tuple[dict, dict]:
    conn = sqlite3.connect(path)
    town, count = conn.execute(
        "select town, count(*) from suggestions group by 1 order by 2 desc limit 1"
    ).fetchone()
    bodies = [
        row[0]
        for row in conn.execute(
            "select o.body from opinions o join suggestion_opinions so on so.opinion_id = o.id "
            "join suggestions s on s.id = so.suggestion_id where s.town = ? "
            "order by s.id desc limit 400",
            [town],
        )
    ]
    conn.close()
    ours, floor = our_client(path), floor_app.create_app(str(path)).test_client()
    last = -(-count // 20)
    base = f"/board/{town}"
    urls = {
        "first page": [base],
        "page 2": [f"{base}?page=2"],
        "a middle page": [f"{base}?page={last // 2}"],
        "last page": [f"{base}?page={last}"],
        "open (正在办)": [f"{base}?show=open"],
        "closed (已办结)": [f"{base}?show=closed", f"{base}?show=closed&page=3"],
    }
    figures, sizes = {}, {}
    for name, variants in urls.items():
        mine, bare = [], []
        for k in range(repeat + 1):
            ms, response = timed(ours, "GET", variants[k % len(variants)])
            assert response.status_code == 200, response.status_code
            html = response.get_data(as_text=True)
            if k < 3:
                leaked = [b for b in bodies if b[:12] in html]
                assert not leaked, ("opinion text on the board", leaked[:1])
            mine.append(ms)
            sizes[name] = len(response.get_data())
            page = re.search(r"page=(\d+)", variants[k % len(variants)])
            ms, response = timed(floor, "GET", f"{base}?page={page[1] if page else 1}")
            assert response.status_code == 200
            bare.append(ms)
        figures[name] = (mine[1:], bare[1:])
    figures["support (POST)"] = measure_support(ours, floor, base, repeat)
    return {"town": town, "suggestions": count, "pages": last}, (figures, sizes)


def measure_support(ours, floor, base: str, repeat: int) -> tuple[list, list]:
    """A tap on the first open card, each from a fresh browser (a new device cookie)."""
    mine, bare = [], []
    page = ours.get(f"{base}?show=open").get_data(as_text=True)
    action = re.search(r'action="([^"]+/support[^"]*)"', page)[1]
    csrf = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page)[1]
    for k in range(repeat + 1):
        ours.set_cookie("fb_device", f"bench-device-{k:08d}-xxxxxxxx")
        data = {"csrf_token": csrf, "submission_token": f"bench-token-{k:08d}"}
        ms, response = timed(ours, "POST", action, data=data)
        assert response.status_code == 303, response.status_code
        mine.append(ms)
        ms, _ = timed(floor, "GET", base)
        bare.append(ms)
    return mine[1:], bare[1:]


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20)[-1]


def report(n: int, facts: dict, figures: dict, sizes: dict, repeat: int) -> None:
    print(
        f"\n{n:,} opinions; the board of {facts['town']}: {facts['suggestions']:,} suggestions, "
        f"{facts['pages']:,} pages of 20; {repeat} requests each (Flask test client, server time)"
    )
    heads = ("wall p50", "wall p95", "CPU p50", "floor wall", "floor CPU", "CPU ratio", "bytes")
    print(f"{'':20} " + " ".join(f"{h:>10}" for h in heads))
    for name, (mine, bare) in figures.items():
        wall, cpu = [m[0] for m in mine], [m[1] for m in mine]
        floor_wall, floor_cpu = [b[0] for b in bare], [b[1] for b in bare]
        ratio = statistics.median(cpu) / statistics.median(floor_cpu)
        print(
            f"{name:20} {statistics.median(wall):10.2f} {p95(wall):10.2f} "
            f"{statistics.median(cpu):10.2f} {statistics.median(floor_wall):10.2f} "
            f"{statistics.median(floor_cpu):10.2f} {ratio:9.1f}x {sizes.get(name, 0):10,}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=int(os.environ.get("BENCH_BOARD_SIZE", 10**6)))
    parser.add_argument("--repeat", type=int, default=200)
    args = parser.parse_args()
    path = build(args.size)
    facts, (figures, sizes) = measure(path, args.repeat)
    report(args.size, facts, figures, sizes, args.repeat)
    shutil.rmtree(OUT / "board-instance", ignore_errors=True)


if __name__ == "__main__":
    main()
