"""`feedback notify` killed with SIGKILL in the middle of a batch (a real subprocess), one
message accepted by the provider but not yet answered: the next run loses nothing and sends
nothing twice, because it asks the provider about what was in flight."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest

from feedback import clock, receipts, suggestions
from feedback.access import Access
from feedback.db import connect
from tests.conftest import TWO_TOWNS, feedback_cli
from tests.fake_sms import FakeSms

MESSAGES = 12


@pytest.mark.parametrize("kind", ["tencent", "aliyun"])
def test_a_killed_notify_loses_nothing_and_sends_nothing_twice(kind, instance, monkeypatch):
    with FakeSms(kind) as fake:
        for key, value in {**fake.env(), "FEEDBACK_SMS_RECONCILE_AFTER": "0"}.items():
            monkeypatch.setenv(key, value)
        assert feedback_cli("init").returncode == 0
        db = connect(instance / "feedback.db")
        db["stations"].insert_all(TWO_TOWNS)
        made = clock.stamp(clock.now() - timedelta(minutes=5))
        for n in range(1, MESSAGES + 1):
            db["opinions"].insert(
                {"receipt": receipts.new_code(),
                 "station_id": 1, "body": f"第{n}条:路灯坏了", "category": "other",
                 "phone": f"1380000{n:04d}", "consent": 1, "sms": 1, "created_at": made}
            )  # fmt: skip
        db.conn.commit()
        ids = [row[0] for row in db.execute("select id from opinions order by id")]
        fields = {"title": "路灯不亮", "body": "路灯", "category": "other", "tier": "一般"}
        suggestions.create(db, Access("clerk", "甲镇", "jia"), ids, fields, {"一般": 30})

        fake.delay = 0.4  # each message is accepted, then answered slowly
        script = Path(sys.executable).with_name("feedback")
        process = subprocess.Popen(
            [str(script), "notify"], stdout=subprocess.PIPE, stderr=subprocess.PIPE
        )
        deadline = time.monotonic() + 60
        while len(fake.messages) < 4 and time.monotonic() < deadline:
            time.sleep(0.02)
        os.kill(process.pid, signal.SIGKILL)  # mid-batch, one message in flight
        process.wait(timeout=10)
        assert process.returncode == -signal.SIGKILL
        states = dict(db.execute("select status, count(*) from sms_outbox group by status"))
        assert states.get("sent", 0) == 3 and states["sending"] == MESSAGES - 3
        assert len(fake.messages) == 4  # the fourth reached the provider, unacknowledged

        fake.delay = 0
        again = feedback_cli("notify")
        assert again.returncode == 0, again.stderr
        assert "1 found at the provider" in again.stdout
        assert f"{MESSAGES - 4} sent again" in again.stdout

    rows = list(db.query("select * from sms_outbox"))
    assert [row["status"] for row in rows] == ["sent"] * MESSAGES  # nothing lost
    assert sorted(fake.tags()) == sorted(row["tag"] for row in rows)  # each exactly once
    assert len(fake.messages) == MESSAGES
