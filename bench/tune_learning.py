"""Choose feedback.clerk_memory's constants (LIKE, BOOST, SPLIT) on development sets only
(dev, devlook, realdev): the similarity and groups of the opinions not yet handled, after the
clerk's merges and splits on the handled half (bench/similarity.py, learning).

Selection rule, fixed before the grid ran: the largest mean gain over the three sets of
(share of mates in the top k + groups' B-cubed F1), among settings that lower neither figure
on any set by more than 0.005. Run: `.venv/bin/python bench/tune_learning.py`.
"""

from __future__ import annotations

import itertools
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import similarity as bench  # noqa: E402

from feedback import clerk_memory  # noqa: E402

GRID = {"LIKE": [0.88, 0.9, 0.92, 0.94], "BOOST": [0.2, 0.4, 0.7, 1.0], "SPLIT": [0.5, 1.0]}


def figures(items, k, memory) -> tuple[float, float]:
    rest = [i for i in items if not bench.handled_half(i)]
    scores, groups = bench.product(rest, memory)
    return bench.evaluate(rest, scores, k)["share"], bench.bcubed(rest, groups)


def main() -> None:
    sets = bench.load_sets(["dev", "devlook", "realdev"])
    before = {name: figures(items, k, None) for name, (items, k) in sets.items()}
    print("before:", {n: tuple(round(x, 3) for x in f) for n, f in before.items()})
    results = []
    for values in itertools.product(*GRID.values()):
        for name, value in zip(GRID, values, strict=True):
            setattr(clerk_memory, name, value)
        gains, worst = [], 0.0
        for name, (items, k) in sets.items():
            handled = [i for i in items if bench.handled_half(i)]
            memory, _splits = bench.clerk_memory(handled)
            after = figures(items, k, memory)
            delta = [a - b for a, b in zip(after, before[name], strict=True)]
            gains.append(sum(delta))
            worst = min(worst, *delta)
        mean = sum(gains) / len(gains)
        results.append((worst >= -0.005, mean, values, [round(g, 3) for g in gains]))
        print(dict(zip(GRID, values, strict=True)), f"mean gain {mean:.4f}", results[-1][3])
    best = max(results)
    print("chosen:", dict(zip(GRID, best[2], strict=True)), f"mean gain {best[1]:.4f}")


if __name__ == "__main__":
    main()
