"""Importing opinions gathered offline: `feedback opinion import` end to end at 10,000 and
100,000 rows, beside a floor measured in the same run: sqlite-utils' `insert_all` of the same
rows (read with the csv module) into a bare one-table WAL database, synchronous=FULL.

Both indexes a clerk relies on are kept up to date, and the run checks it:

- the search index (FTS5 trigram) inside the import's own transaction, by the triggers on
  the opinions table: a trigram search afterwards finds every imported row;
- the town's similarity index on its next use (the next opinion page or `feedback
  similar`): the run warms it before each import, as a running worker holds it, and times
  the catch-up with the imported rows afterwards.

Each size goes to its own station of one town, so the second import lands in a town whose
index already holds the first. Also, after the largest import: a status-page lookup (median
of 200 receipts through the Flask test client), `feedback similar` in a new process (it loads
the stored index) and a file with one bad last row, refused.

Run from the repository root: `.venv/bin/python bench/imports.py [--sizes 10000,100000]`.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from sqlite_utils import Database

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
FEEDBACK = str(Path(sys.executable).with_name("feedback"))
TOWN = "甲镇"
VILLAGES = ["六龙村", "大塘村", "石门村", "新华社区", "幸福小区", "解放路", "河西屯", "桥头组"]
PROBLEMS = [
    "路灯坏了",
    "垃圾没人清运",
    "半夜施工太吵",
    "桥面开裂",
    "自来水发黄",
    "路面坑洼",
    "野狗伤人",
    "河里有死鱼",
    "油烟扰民",
    "占道经营",
    "停车难",
    "拖欠工资",
]
DETAILS = [
    "好几个月了",
    "老人小孩都怕",
    "希望尽快解决",
    "反映过几次没人管",
    "晚上看不见路",
    "下雨天更严重",
    "大家意见很大",
    "",
]
CATEGORIES = ["市容市貌", "污染防治", "乡村振兴", "公共应急", "其他", ""]
HEADER = ["内容", "类别", "时间", "姓名", "电话"]
COLUMNS = ["body", "category", "created_at", "name", "phone"]


def make_csv(path: Path, rows: int, seed: int) -> None:
    rng = random.Random(seed)
    with path.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(HEADER)
        for n in range(rows):
            body = f"{rng.choice(VILLAGES)}{rng.choice(PROBLEMS)},{rng.choice(DETAILS)}(第{n}条)"
            when = "" if n % 3 else f"2026/{rng.randint(1, 9)}/{rng.randint(1, 28)} 9:{n % 60:02d}"
            name, phone = ("王大爷", f"138{n % 100000000:08d}") if n % 5 == 0 else ("", "")
            writer.writerow([body, rng.choice(CATEGORIES), when, name, phone])


def run(args: list[str], env: dict) -> subprocess.CompletedProcess:
    return subprocess.run([FEEDBACK, *args], env=env, capture_output=True, text=True, check=True)


def instance(folder: Path, sizes: list[int]) -> dict:
    """One instance with a station per size, all in one town; returns its environment."""
    env = {
        **os.environ,
        "FEEDBACK_INSTANCE": str(folder / "instance"),
        "FEEDBACK_BASE_URL": "https://feedback.example.gov.cn",
    }
    run(["init"], env)
    for n, village in zip(range(len(sizes)), VILLAGES, strict=False):
        run(
            ["station", "add", f"st-{n}", f"{village}议事亭", "--town", TOWN, "--village", village],
            env,
        )
    return env


def ours(rows: int, station: str, folder: Path, env: dict) -> dict:
    source = folder / f"opinions-{rows}.csv"
    make_csv(source, rows, seed=rows)
    started = time.perf_counter()
    result = run(["opinion", "import", str(source), "--station", station, "--json"], env)
    seconds = time.perf_counter() - started
    receipts = [row["receipt"] for row in json.loads(result.stdout)]
    assert len(receipts) == rows == len(set(receipts))
    peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return {
        "rows": rows,
        "seconds": seconds,
        "receipts": receipts,
        "source": source,
        "station": station,
        "peak_mb": peak_mb,
    }


def floor(rows: int, folder: Path) -> float:
    """sqlite-utils' insert_all of the same rows, read with the csv module, into a bare table."""
    source = folder / f"opinions-{rows}.csv"
    started = time.perf_counter()
    db = Database(folder / f"floor-{rows}.db")
    db.execute("pragma journal_mode=wal")
    db.execute("pragma synchronous=full")
    with source.open(encoding="utf-8-sig", newline="") as data:
        reader = csv.reader(data)
        next(reader)
        db["opinions"].insert_all(dict(zip(COLUMNS, row, strict=True)) for row in reader)
    db.close()
    return time.perf_counter() - started


def app_for(env: dict):
    os.environ.update(env)
    from feedback import create_app

    return create_app()


def warm_similarity(app) -> None:
    """What a running worker holds before the import: the town's index, up to date."""
    from feedback import similarity_index
    from feedback.context import get_db

    with app.app_context():
        similarity_index.for_town(get_db(), app.config["FEEDBACK_DATABASE"], TOWN)


def indexes_after(app, imported: int) -> dict:
    """The similarity index's catch-up with the import, and a check of the search index."""
    from feedback import similarity_index
    from feedback.context import get_db

    with app.app_context():
        db = get_db()
        started = time.perf_counter()
        index = similarity_index.for_town(db, app.config["FEEDBACK_DATABASE"], TOWN)
        catch_up = time.perf_counter() - started
        stored = db.execute("select count(*) from opinions").fetchone()[0]
        found = db.execute(
            "select count(*) from opinions_fts where opinions_fts match ?", ['"路灯坏"']
        ).fetchone()[0]
        scanned = db.execute("select count(*) from opinions where body like '%路灯坏%'")
    assert found == scanned.fetchone()[0] > 0 and stored == len(index)
    return {"catch_up_s": catch_up, "added": imported, "held": len(index), "found": found}


def after_import(app, result: dict, env: dict) -> dict:
    """Status lookups, `feedback similar` in a new process, and a refused file."""
    client = app.test_client()
    sample = random.Random(1).sample(result["receipts"], 200)
    times = []
    for receipt in sample:
        started = time.perf_counter()
        assert client.get(f"/t/{receipt}").status_code == 200
        times.append(time.perf_counter() - started)
    started = time.perf_counter()
    run(["similar", "1", "--json"], env)
    similar_seconds = time.perf_counter() - started
    bad = result["source"].with_name("bad.csv")
    bad.write_bytes(result["source"].read_bytes() + "短,,,,\n".encode())
    started = time.perf_counter()
    command = [FEEDBACK, "opinion", "import", str(bad), "--station", result["station"]]
    refused = subprocess.run(command, env=env, capture_output=True, text=True)
    reject_seconds = time.perf_counter() - started
    assert refused.returncode != 0 and "nothing was imported" in refused.stderr
    return {
        "lookup_ms": statistics.median(times) * 1000,
        "similar_s": similar_seconds,
        "reject_s": reject_seconds,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000")
    sizes = [int(s) for s in parser.parse_args().sizes.split(",")]
    with tempfile.TemporaryDirectory(prefix="bench-imports-") as tmp:
        folder = Path(tmp)
        env = instance(folder, sizes)
        app = app_for(env)
        print(f"{'':38}{'rows':>9}{'seconds':>10}{'rows/s':>10}{'peak RSS':>11}")
        for n, rows in enumerate(sizes):
            warm_similarity(app)
            result = ours(rows, f"st-{n}", folder, env)
            floor_seconds = floor(rows, folder)
            print(
                f"{'ours: feedback opinion import':38}{rows:>9}{result['seconds']:>10.1f}"
                f"{rows / result['seconds']:>10.0f}{result['peak_mb']:>8.0f} MB"
            )
            print(
                f"{'floor: csv + sqlite-utils insert_all':38}{rows:>9}{floor_seconds:>10.2f}"
                f"{rows / floor_seconds:>10.0f}"
            )
            ratio = floor_seconds / result["seconds"]
            print(f"{'ratio ours/floor':38}{'':>9}{'':>10}{ratio:>10.1%}")
            figures = indexes_after(app, rows)
            print(
                f"  search index: updated inside the import by the triggers; a trigram search "
                f"for 路灯坏 finds all {figures['found']:,} opinions that say it"
            )
            print(
                f"  similarity index of {TOWN}: +{figures['added']:,} opinions on its next use "
                f"in {figures['catch_up_s']:.1f} s (now {figures['held']:,})"
            )
        extra = after_import(app, result, env)
        print(f"\nafter importing {sum(sizes):,} opinions into {TOWN}:")
        print(f"  status page /t/<receipt>: median {extra['lookup_ms']:.1f} ms (200 receipts)")
        print(
            f"  `feedback similar 1 --json` in a new process (loads the stored index): "
            f"{extra['similar_s']:.1f} s"
        )
        print(
            f"  a {result['rows'] + 1}-row file with one bad last row: refused, nothing "
            f"stored, in {extra['reject_s']:.1f} s"
        )


if __name__ == "__main__":
    main()
