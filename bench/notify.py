"""Text messages sent per second by `feedback notify` (feedback.notify_send.run: claim,
signed request, one committed answer and audit row per message) against the fake provider
of the tests, beside two floors measured in the same run: the same signed requests sent
straight to the fake without any outbox (the provider client alone), and bare unsigned
HTTP POSTs of the same size (the round trip alone).

    .venv/bin/python bench/notify.py [--messages 1000] [--rounds 2]
"""

from __future__ import annotations

import argparse
import contextlib
import sys
import tempfile
import time
import urllib.error
import urllib.request
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from feedback import clock, notify_send, receipts, sms, suggestions  # noqa: E402
from feedback.access import Access  # noqa: E402
from feedback.db import connect, migrate  # noqa: E402
from tests.fake_sms import FakeSms  # noqa: E402

BASE_URL = "https://feedback.example.gov.cn"


def filled_outbox(folder: Path, count: int):
    """A migrated database with `count` merged opinions waiting to be texted."""
    db = connect(folder / "feedback.db")
    migrate(db)
    db["stations"].insert({"code": "ll-01", "name": "六龙村议事亭", "town": "甲镇"})
    made = clock.stamp(clock.now() - timedelta(minutes=5))
    db["opinions"].insert_all(
        {
            "receipt": receipts.new_code(),
            "station_id": 1,
            "body": f"第{n}条:路灯坏了",
            "category": "other",
            "phone": f"138{n:08d}",
            "consent": 1,
            "sms": 1,
            "created_at": made,
        }
        for n in range(count)
    )
    db.conn.commit()
    ids = [row[0] for row in db.execute("select id from opinions")]
    fields = {"title": "路灯不亮", "body": "路灯", "category": "other", "tier": "一般"}
    suggestions.create(db, Access("admin"), ids, fields, {"一般": 30})
    return db


def ours(kind: str, count: int) -> float:
    with FakeSms(kind) as fake, tempfile.TemporaryDirectory() as folder:
        db = filled_outbox(Path(folder), count)
        provider = notify_send.provider_for(sms.settings_from(fake.env()))
        policy = notify_send.Policy(BASE_URL, batch=count)
        started = time.perf_counter()
        report = notify_send.run(db, provider, policy, Path(folder) / "lock")
        elapsed = time.perf_counter() - started
        assert report.sent == count == len(fake.messages), report
        db.close()
    return count / elapsed


def floor_client(kind: str, count: int) -> float:
    with FakeSms(kind) as fake:
        provider = notify_send.provider_for(sms.settings_from(fake.env()))
        started = time.perf_counter()
        for n in range(count):
            outcome = provider.send(f"138{n:08d}", "merged", "ABCDEFGH", f"mst{n:020d}")
            assert outcome.kind == sms.OK, outcome
        elapsed = time.perf_counter() - started
    return count / elapsed


def floor_http(kind: str, count: int) -> float:
    with FakeSms(kind) as fake:
        body = b"x" * 400
        started = time.perf_counter()
        for _ in range(count):
            request = urllib.request.Request(fake.url, data=body, method="POST")
            with contextlib.suppress(urllib.error.HTTPError):  # refused: the trip is the figure
                urllib.request.urlopen(request, timeout=5).read()
        elapsed = time.perf_counter() - started
    return count / elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    print(f"{args.messages} messages a run, best of {args.rounds} alternating rounds")
    print(f"{'provider':9} {'ours (outbox)':>14} {'floor: client':>14} {'floor: HTTP':>12}"
          f" {'ours/client':>12} {'ours/HTTP':>10}")  # fmt: skip
    for kind in ("tencent", "aliyun"):
        best = {"ours": 0.0, "client": 0.0, "http": 0.0}
        for _ in range(args.rounds):
            best["ours"] = max(best["ours"], ours(kind, args.messages))
            best["client"] = max(best["client"], floor_client(kind, args.messages))
            best["http"] = max(best["http"], floor_http(kind, args.messages))
        print(
            f"{kind:9} {best['ours']:>10.0f} m/s {best['client']:>10.0f} m/s "
            f"{best['http']:>8.0f} m/s {best['ours'] / best['client']:>11.0%} "
            f"{best['ours'] / best['http']:>9.0%}"
        )


if __name__ == "__main__":
    main()
