"""Run the benchmarks: every module in bench/ that runs as a script, one after the other.

A benchmark module is a bench/*.py file with an `if __name__ == "__main__":` block (helpers
such as bench/floor_app.py have none). Each runs in a Python process of its own, from the
repository root, with its output passed straight through; see bench/RESULTS.md for figures.

    .venv/bin/python bench/run.py              # all of them (`make bench`)
    .venv/bin/python bench/run.py posters      # only bench/posters.py
    .venv/bin/python bench/run.py --list       # what would run
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent


def benchmarks() -> dict[str, Path]:
    """name -> path of every benchmark module, in name order."""
    found = {}
    for path in sorted(BENCH.glob("*.py")):
        if path.name == Path(__file__).name or path.name.startswith("tune_"):
            continue  # tune_*.py choose constants on development data; they are not figures
        if 'if __name__ == "__main__":' in path.read_text(encoding="utf-8"):
            found[path.stem] = path
    return found


def main(argv: list[str] | None = None) -> int:
    available = benchmarks()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", help=f"run only these ({', '.join(available)})")
    parser.add_argument("--list", action="store_true", help="list the benchmarks and stop")
    args = parser.parse_args(argv)
    if args.list:
        print("\n".join(available))
        return 0
    unknown = [name for name in args.names if name not in available]
    if unknown:
        parser.error(f"no benchmark {', '.join(unknown)}; there are {', '.join(available)}")
    chosen = args.names or list(available)

    print(f"Benchmarks: {', '.join(chosen)}  ({os.cpu_count()} CPUs, {sys.executable})")
    failed = []
    for name in chosen:
        print(f"\n=== {name} ({available[name].relative_to(ROOT)}) ===", flush=True)
        started = time.monotonic()
        code = subprocess.call([sys.executable, str(available[name])], cwd=ROOT)
        print(
            f"=== {name}: {'ok' if code == 0 else f'FAILED ({code})'} "
            f"in {time.monotonic() - started:.0f} s ===",
            flush=True,
        )
        if code != 0:
            failed.append(name)
    if failed:
        print(f"\nfailed: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
