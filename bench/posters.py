"""Posters per second and peak memory for a batch, beside a bare floor.

Each measurement runs in a child process of its own (`bench/posters.py --child KIND --count N
--out DIR`), so the peak resident memory it reports (getrusage(RUSAGE_SELF).ru_maxrss) is that
batch's alone. Measured:

- ours: what `feedback posters` does for N stations: read the active stations from a migrated
  feedback database (stations.list_stations), then feedback.posters.write_batch with the
  combined PDF: per station CODE.pdf (vector, fonts embedded as subsets), CODE.png (A4 at
  300 dpi) and CODE-share.png (1080x1080), plus one N-page `all-posters.pdf`. Run for 200
  stations and for 50, to show whether peak memory grows with the batch.
- the floor: the least a poster needs, per station: a bare Flask app (test client) reading the
  station's row with a raw sqlite3 query, then `qrcode.make(url)` saved as a PNG.

The clock covers the batch only: imports, the database and its rows are set up first. Peak
memory is reported with the resident size just before the batch, so the batch's own growth
shows. The machine's load average is printed with every run: figures taken while other work
runs are slower. Everything is written under a temporary directory, removed afterwards.
Run from the repository root: `.venv/bin/python bench/posters.py` (or `bench/run.py`).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BASE_URL = "https://feedback.example.gov.cn"
TOWNS = ("甲镇", "乙镇", "青山镇", "龙泉街道")
VILLAGES = ("六龙村", "大塘村", "石桥村", "新华社区", "柳树湾村", "上坪村", "黄泥坳村")
KINDS = ("议事亭", "联络站", "公告栏", "其他")


def stations(count: int) -> list[dict]:
    """Plausible, varied stations: names and addresses of the usual lengths."""
    rows = []
    for i in range(count):
        village = VILLAGES[i % len(VILLAGES)]
        kind = KINDS[i % len(KINDS)]
        rows.append(
            {
                "code": f"st-{i:04d}",
                "name": f"{village}第{i % 12 + 1}组{'人大代表' if kind == '联络站' else ''}{kind}",
                "town": TOWNS[i % len(TOWNS)],
                "village": village,
                "kind": kind,
                "address": f"{village}村委会旁{i % 9 + 1}号" if i % 3 else "",
            }
        )
    return rows


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kB on Linux


def child_ours(count: int, out: Path) -> dict:
    sys.path.insert(0, str(ROOT))
    from feedback import config
    from feedback import stations as station_rows
    from feedback.db import connect, migrate
    from feedback.render import posters
    from feedback.render.fonts import PosterFonts

    db = connect(out / "feedback.db")
    migrate(db)
    db["stations"].insert_all(stations(count))
    db.conn.commit()
    fonts = PosterFonts.from_config(config.DEFAULTS)
    title = config.DEFAULTS["FEEDBACK_POSTER_TITLE"]
    combined = out / "all-posters.pdf"
    before = peak_rss_mb()
    started = time.perf_counter()
    chosen = station_rows.list_stations(db, active_only=True)
    written = posters.write_batch(chosen, BASE_URL, out / "posters", fonts, title, "A4", combined)
    seconds = time.perf_counter() - started
    assert len(written) == count
    per_station = sum(
        f.pdf.stat().st_size + f.png.stat().st_size + f.share.stat().st_size for f in written
    )
    return {
        "count": count,
        "seconds": seconds,
        "rss_before_mb": before,
        "peak_rss_mb": peak_rss_mb(),
        "combined_bytes": combined.stat().st_size,
        "files_bytes_per_station": per_station / count,
    }


def child_floor(count: int, out: Path) -> dict:
    import sqlite3

    import qrcode
    from flask import Flask, jsonify

    path = out / "floor.db"
    conn = sqlite3.connect(path)
    conn.execute(
        "create table stations (id integer primary key, code text not null unique,"
        " name text not null, town text not null, village text, kind text, address text)"
    )
    conn.executemany(
        "insert into stations (code, name, town, village, kind, address)"
        " values (:code, :name, :town, :village, :kind, :address)",
        stations(count),
    )
    conn.commit()
    conn.close()

    app = Flask("floor")

    @app.get("/station/<code>")
    def station(code: str):
        db = sqlite3.connect(path)
        try:
            row = db.execute("select code, name, town from stations where code = ?", [code])
            code, name, town = row.fetchone()
        finally:
            db.close()
        return jsonify(code=code, name=name, town=town)

    client = app.test_client()
    codes = [s["code"] for s in stations(count)]
    (out / "floor").mkdir()
    before = peak_rss_mb()
    started = time.perf_counter()
    for code in codes:
        row = client.get(f"/station/{code}").get_json()
        qrcode.make(f"{BASE_URL}/s/{row['code']}").save(out / "floor" / f"{code}.png")
    seconds = time.perf_counter() - started
    per_station = sum(p.stat().st_size for p in (out / "floor").iterdir())
    return {
        "count": count,
        "seconds": seconds,
        "rss_before_mb": before,
        "peak_rss_mb": peak_rss_mb(),
        "combined_bytes": None,
        "files_bytes_per_station": per_station / count,
    }


def measure(kind: str, count: int) -> dict:
    """One measurement in a fresh Python process, in a temporary directory of its own."""
    with tempfile.TemporaryDirectory(prefix=f"bench-posters-{kind}-") as tmp:
        load = os.getloadavg()[0]
        started = time.perf_counter()
        result = subprocess.run(
            [sys.executable, __file__, "--child", kind, "--count", str(count), "--out", tmp],
            capture_output=True,
            text=True,
            cwd=ROOT,
            timeout=900,
        )
        if result.returncode != 0:
            raise RuntimeError(f"{kind} {count}: {result.stderr[-2000:]}")
        figures = json.loads(result.stdout.strip().splitlines()[-1])
    figures.update(
        kind=kind,
        wall=time.perf_counter() - started,
        load_before=load,
        load_after=os.getloadavg()[0],
    )
    figures["rate"] = figures["count"] / figures["seconds"]
    return figures


NAMES = {"ours": "ours: write_batch", "floor": "floor: Flask+sqlite3+qrcode"}


def row(run: dict) -> str:
    combined = f"{run['combined_bytes'] / 1e6:.2f} MB" if run["combined_bytes"] else "-"
    return (
        f"{NAMES[run['kind']]:30}{run['count']:>9}{run['seconds']:>9.1f}{run['rate']:>11.2f}"
        f"{1000 / run['rate']:>11.1f}{run['rss_before_mb']:>9.0f} MB"
        f"{run['peak_rss_mb']:>7.0f} MB{combined:>14}"
        f"{run['load_before']:>5.1f}-{run['load_after']:.1f}"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=200, help="stations in the main batch")
    parser.add_argument("--small", type=int, default=50, help="stations in the smaller batch")
    parser.add_argument("--child", choices=["ours", "floor"], help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        child = child_ours if args.child == "ours" else child_floor
        print(json.dumps(child(args.count, args.out)))
        return 0

    print(
        f"Posters: a batch of {args.count} (and {args.small}) stations through write_batch, "
        f"each measurement in its own process; {os.cpu_count()} CPUs\n",
        flush=True,
    )
    runs = []
    for kind, count in (("floor", args.count), ("ours", args.small), ("ours", args.count)):
        runs.append(measure(kind, count))
        run = runs[-1]
        print(f"  done: {kind} x{count} in {run['wall']:.0f} s", file=sys.stderr, flush=True)
    floor, small, big = runs

    print(
        f"{'':30}{'stations':>9}{'seconds':>9}{'posters/s':>11}{'ms/poster':>11}"
        f"{'RSS before':>12}{'peak RSS':>10}{'combined PDF':>14}{'load':>11}"
    )
    for run in (big, small, floor):
        print(row(run))
    print()
    ratio, times = big["rate"] / floor["rate"], floor["rate"] / big["rate"]
    print(
        f"ratio ours/floor (posters/s, {big['count']} stations): {ratio:.2%} "
        f"(the floor is {times:.0f}x faster)"
    )
    grew = big["peak_rss_mb"] - small["peak_rss_mb"]
    print(
        f"peak RSS, {small['count']} vs {big['count']} stations: "
        f"{small['peak_rss_mb']:.0f} MB vs {big['peak_rss_mb']:.0f} MB ({grew:+.0f} MB)"
    )
    page = big["combined_bytes"] / big["count"] / 1e3
    print(
        f"combined PDF, {small['count']} vs {big['count']} pages: "
        f"{small['combined_bytes'] / 1e3:.0f} kB vs {big['combined_bytes'] / 1e3:.0f} kB "
        f"({page:.1f} kB a page)"
    )
    print(
        f"files per station: ours {big['files_bytes_per_station'] / 1e3:.0f} kB "
        f"(PDF + 300-dpi PNG + share PNG), floor {floor['files_bytes_per_station'] / 1e3:.1f} kB"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
