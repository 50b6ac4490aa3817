"""Importing opinions gathered offline: `feedback opinion import` end to end at 10,000 and
100,000 rows, beside a floor measured in the same run (the csv module plus one sqlite3
executemany into a one-table WAL database, synchronous=FULL, one transaction).

Also, after the largest import: a status-page lookup (median of 200 receipts through the
Flask test client) and the first `feedback similar` on that town, which builds the town's
similarity index from every opinion.

Run from the repository root: `.venv/bin/python bench/imports.py [--sizes 10000,100000]`.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import resource
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FEEDBACK = str(Path(sys.executable).with_name("feedback"))
VILLAGES = ["六龙村", "大塘村", "石门村", "新华社区", "幸福小区", "解放路", "河西屯", "桥头组"]
PROBLEMS = ["路灯坏了", "垃圾没人清运", "半夜施工太吵", "桥面开裂", "自来水发黄", "路面坑洼",
            "野狗伤人", "河里有死鱼", "油烟扰民", "占道经营", "停车难", "拖欠工资"]  # fmt: skip
DETAILS = ["好几个月了", "老人小孩都怕", "希望尽快解决", "反映过几次没人管", "晚上看不见路",
           "下雨天更严重", "大家意见很大", ""]  # fmt: skip
CATEGORIES = ["市容市貌", "污染防治", "乡村振兴", "公共应急", "其他", ""]


def make_csv(path: Path, rows: int, seed: int = 7) -> None:
    rng = random.Random(seed)
    with path.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["内容", "类别", "时间", "姓名", "电话"])
        for n in range(rows):
            body = f"{rng.choice(VILLAGES)}{rng.choice(PROBLEMS)},{rng.choice(DETAILS)}(第{n}条)"
            when = "" if n % 3 else f"2026/{rng.randint(1, 9)}/{rng.randint(1, 28)} 9:{n % 60:02d}"
            name, phone = ("王大爷", f"138{n % 100000000:08d}") if n % 5 == 0 else ("", "")
            writer.writerow([body, rng.choice(CATEGORIES), when, name, phone])


def run(args: list[str], env: dict) -> subprocess.CompletedProcess:
    return subprocess.run([FEEDBACK, *args], env=env, capture_output=True, text=True, check=True)


def ours(rows: int, folder: Path) -> dict:
    instance = folder / f"instance-{rows}"
    env = {**os.environ, "FEEDBACK_INSTANCE": str(instance),
           "FEEDBACK_BASE_URL": "https://feedback.example.gov.cn"}  # fmt: skip
    run(["init"], env)
    run(["station", "add", "ll-01", "六龙村议事亭", "--town", "甲镇", "--village", "六龙村"], env)
    source = folder / f"opinions-{rows}.csv"
    make_csv(source, rows)
    started = time.perf_counter()
    result = run(["opinion", "import", str(source), "--station", "ll-01", "--json"], env)
    seconds = time.perf_counter() - started
    receipts = [row["receipt"] for row in json.loads(result.stdout)]
    assert len(receipts) == rows == len(set(receipts))
    peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return {"rows": rows, "seconds": seconds, "env": env, "receipts": receipts,
            "source": source, "peak_mb": peak_mb}  # fmt: skip


def floor(rows: int, folder: Path) -> float:
    source = folder / f"opinions-{rows}.csv"
    database = folder / f"floor-{rows}.db"
    started = time.perf_counter()
    conn = sqlite3.connect(database)
    conn.execute("pragma journal_mode=wal")
    conn.execute("pragma synchronous=full")
    conn.execute("create table opinions (id integer primary key, body text, category text, "
                 "created_at text, name text, phone text)")  # fmt: skip
    with source.open(encoding="utf-8-sig", newline="") as data, conn:
        reader = csv.reader(data)
        next(reader)
        conn.executemany("insert into opinions (body, category, created_at, name, phone) "
                         "values (?, ?, ?, ?, ?)", reader)  # fmt: skip
    conn.close()
    return time.perf_counter() - started


def after_import(result: dict) -> dict:
    """Status lookups and the first similar query on the imported town."""
    os.environ.update(result["env"])
    sys.path.insert(0, str(ROOT))
    from feedback import create_app

    client = create_app().test_client()
    sample = random.Random(1).sample(result["receipts"], 200)
    times = []
    for receipt in sample:
        started = time.perf_counter()
        assert client.get(f"/t/{receipt}").status_code == 200
        times.append(time.perf_counter() - started)
    started = time.perf_counter()
    run(["similar", "1", "--json"], result["env"])
    similar_seconds = time.perf_counter() - started
    bad = result["source"].with_name("bad.csv")
    bad.write_bytes(result["source"].read_bytes() + "短,,,,\n".encode())
    started = time.perf_counter()
    refused = subprocess.run([FEEDBACK, "opinion", "import", str(bad), "--station", "ll-01"],
                             env=result["env"], capture_output=True, text=True)  # fmt: skip
    reject_seconds = time.perf_counter() - started
    assert refused.returncode != 0 and "nothing was imported" in refused.stderr
    return {"lookup_ms": statistics.median(times) * 1000, "similar_s": similar_seconds,
            "reject_s": reject_seconds}  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000")
    sizes = [int(s) for s in parser.parse_args().sizes.split(",")]
    with tempfile.TemporaryDirectory(prefix="bench-imports-") as tmp:
        folder = Path(tmp)
        print(f"{'':28}{'rows':>9}{'seconds':>10}{'rows/s':>10}{'peak RSS':>11}")
        last = None
        for rows in sizes:
            result = ours(rows, folder)
            floor_seconds = floor(rows, folder)
            print(f"{'ours: feedback opinion import':28}{rows:>9}{result['seconds']:>10.1f}"
                  f"{rows / result['seconds']:>10.0f}{result['peak_mb']:>8.0f} MB")  # fmt: skip
            print(f"{'floor: csv + executemany':28}{rows:>9}{floor_seconds:>10.2f}"
                  f"{rows / floor_seconds:>10.0f}")  # fmt: skip
            print(f"{'ratio ours/floor':28}{'':>9}{'':>10}"
                  f"{floor_seconds / result['seconds']:>10.1%}")  # fmt: skip
            last = result
        figures = after_import(last)
        print(f"\nafter importing {last['rows']} opinions into one station:")
        print(f"  status page /t/<receipt>: median {figures['lookup_ms']:.1f} ms (200 receipts)")
        print(f"  first `feedback similar` (builds the town's index): {figures['similar_s']:.1f} s")
        print(f"  a {last['rows'] + 1}-row file with one bad last row: refused, nothing stored, "
              f"in {figures['reject_s']:.1f} s")  # fmt: skip


if __name__ == "__main__":
    main()
