"""The deputy's phone inbox at 100,000 and 1,000,000 opinions, beside a bare Flask + SQLite
floor measured in the same run.

The county of bench/triage.py (20 towns, skewed sizes, the real schema, no ANALYZE
statistics, as `feedback init` makes it) with one deputy of its largest town posted to two
of its stations, and one in 200 of that town's other opinions addressed to the deputy.
Server time is the Flask test client's, per request, for the deputy signed in: median and
p95 of N requests of their inbox's first page (/admin/deputy/: the opinions addressed to
them and those of their stations, new first, 50 a page), a deep page (page 20) and an
opinion's page; the floor is triage's bare Flask GET of 50 rows of a trivial query.

Run from the repository root: `.venv/bin/python bench/deputy_inbox.py [--sizes 100000,1000000]`
(or BENCH_DEPUTY_SIZES). The databases live in a temporary folder, deleted afterwards.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path[:0] = [str(ROOT), str(BENCH)]

import triage  # noqa: E402


def post_deputy(path: Path) -> dict:
    """The deputy, their two stations and what is addressed to them, written straight in."""
    from feedback import deputies, users
    from feedback.db import connect

    db = connect(path)
    town = triage.TOWNS[0]
    codes = [r[0] for r in db.execute("select code from stations where town = ? limit 2", [town])]
    deputy = deputies.add(
        db, {"code": "bench-dep", "name": "王丽", "town": town, "stations": codes}
    )
    station_ids = [s["id"] for s in deputy["stations"]]
    marks = ",".join("?" * len(station_ids))
    with db.conn:
        db.execute(
            "update opinions set deputy_id = ? where id % 200 = 0 and station_id in "
            f"(select id from stations where town = ?) and station_id not in ({marks})",
            [deputy["id"], town, *station_ids],
        )
    users.add(db, "bench-deputy", "bench-password-123", "deputy", None, deputy="bench-dep")
    where = f"station_id in ({marks}) or deputy_id = ?"
    seen = db.execute(f"select count(*) from opinions where {where}", [*station_ids, deputy["id"]])
    town_size = db.execute(
        "select count(*) from opinions o join stations s on s.id = o.station_id where s.town = ?",
        [town],
    ).fetchone()[0]
    one = db.execute(f"select min(id) from opinions where {where}", [*station_ids, deputy["id"]])
    figures = {"readable": seen.fetchone()[0], "town": town_size, "opinion": one.fetchone()[0]}
    db.close()
    return figures


def signed_in(path: Path):
    from feedback import create_app

    os.environ["FEEDBACK_INSTANCE"] = str(path.parent / "instance")
    app = create_app({"FEEDBACK_DATABASE": str(path), "SECRET_KEY": "bench"})
    client = app.test_client()
    page = client.get("/admin/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page)[1]
    form = {"username": "bench-deputy", "password": "bench-password-123", "csrf_token": token}
    assert client.post("/admin/login", data=form).status_code == 303
    return client


def timed(client, url: str, repeat: int) -> list[float]:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        response = client.get(url)
        times.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, (url, response.status_code)
    return times


def one_size(n: int, repeat: int) -> dict:
    with tempfile.TemporaryDirectory(prefix="bench-deputy-") as tmp:
        path = Path(tmp) / "feedback.db"
        _stations, load_seconds = triage.generate(path, n)
        posted = post_deputy(path)
        client = signed_in(path)
        floor = triage.floor_app(path).test_client()
        urls = {
            "inbox, first page": "/admin/deputy/",
            "inbox, page 20": "/admin/deputy/?page=20",
            "an opinion's page": f"/admin/deputy/opinions/{posted['opinion']}",
        }
        figures = {}
        for name, url in urls.items():
            timed(client, url, 3)  # warm the page cache as a live server would be
            figures[name] = (timed(client, url, repeat), timed(floor, "/floor", repeat))
        page = client.get("/admin/deputy/").get_data(as_text=True)
        assert page.count('class="opinion"') == 50
    return {"n": n, "load_seconds": load_seconds, "posted": posted, "figures": figures}


def report(result: dict) -> None:
    posted = result["posted"]
    print(
        f"\n{result['n']:,} opinions (generated in {result['load_seconds']:.0f} s); a deputy of "
        f"{triage.TOWNS[0]} ({posted['town']:,} opinions) reads {posted['readable']:,}"
    )
    print(f"  {'':22}{'ours p50':>9}{'p95':>8}{'floor p50':>11}{'ratio':>8}")
    for name, (ours, base) in result["figures"].items():
        median, floor = statistics.median(ours), statistics.median(base)
        print(
            f"  {name:22}{median:>9.1f}{triage.p95(ours):>8.1f}{floor:>11.2f}"
            f"{median / floor:>7.0f}x"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default=os.environ.get("BENCH_DEPUTY_SIZES", "100000,1000000"))
    parser.add_argument("--repeat", type=int, default=40, help="requests per figure")
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
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
