"""Running it for real: backups while the service writes, and the retention purge."""

import sqlite3
import threading
import time
from datetime import timedelta
from pathlib import Path

import pytest

from feedback import clock
from feedback.db import connect
from tests.conftest import feedback_cli


def opinion(n: int, created_at: str | None = None, **extra) -> dict:
    return {
        "receipt": f"R{n:07d}",
        "station_id": 1,
        "body": f"第{n}条意见:村口路灯坏了",
        "category": "other",
        "created_at": created_at or clock.stamp(),
        **extra,
    }


@pytest.fixture
def station(db):
    db["stations"].insert({"id": 1, "code": "ll-01", "name": "六龙村议事亭", "town": "甲镇"})


class Writer(threading.Thread):
    """A stand-in for gunicorn workers: one opinion per transaction, as fast as it can."""

    def __init__(self, path: str, first: int):
        super().__init__(daemon=True)
        self.path, self.next, self.committed, self.stop = path, first, [], threading.Event()

    def run(self) -> None:
        db = connect(self.path)
        while not self.stop.is_set():
            with db.conn:
                db.execute(
                    "insert into opinions (receipt, station_id, body, category, "
                    "created_at) values (:receipt, :station_id, :body, :category, "
                    ":created_at)",
                    opinion(self.next),
                )
            self.committed.append(self.next)
            self.next += 1
        db.close()


def test_backup_while_writing_holds_every_earlier_row(app, db, station, tmp_path):
    db["opinions"].insert_all(opinion(n) for n in range(1, 40_001))
    writer = Writer(app.config["FEEDBACK_DATABASE"], 40_001)
    writer.start()
    deadline = time.monotonic() + 60
    while len(writer.committed) < 50:
        assert writer.is_alive() and time.monotonic() < deadline, "the writer stopped writing"
        time.sleep(0.01)
    before = 40_000 + len(writer.committed)  # every row committed before the backup starts
    target = tmp_path / "copy.db"
    result = feedback_cli("backup", str(target))
    during = len(writer.committed)
    writer.stop.set()
    writer.join(timeout=60)
    assert result.returncode == 0, result.stderr
    assert "integrity check ok" in result.stdout
    assert during > before - 40_000  # the service kept writing meanwhile
    copy = sqlite3.connect(target)
    assert copy.execute("pragma integrity_check").fetchone() == ("ok",)
    assert copy.execute("pragma journal_mode").fetchone() == ("delete",)  # one whole file
    ids = {row[0] for row in copy.execute("select id from opinions")}
    assert set(range(1, before + 1)) <= ids
    assert (
        copy.execute(
            "select count(*) from opinions_fts where opinions_fts match '路灯坏'"
        ).fetchone()[0]
        >= before
    )  # the search index came along too
    copy.close()
    assert not Path(f"{target}-wal").exists() and not target.with_suffix(".db.partial").exists()


def test_backup_copies_photos_once(app, db, station, tmp_path):
    photos = Path(app.instance_path) / "photos"
    for name in ("ab/one.jpg", "cd/two.jpg"):
        (photos / name).parent.mkdir(parents=True, exist_ok=True)
        (photos / name).write_bytes(b"\xff\xd8 photo " + name.encode())
    target = tmp_path / "nightly.db"
    first = feedback_cli("backup", str(target))
    assert first.returncode == 0, first.stderr
    assert "2 new of 2" in first.stdout
    assert (tmp_path / "nightly.db.photos" / "cd" / "two.jpg").read_bytes().endswith(b"two.jpg")
    (photos / "ef").mkdir()
    (photos / "ef" / "three.jpg").write_bytes(b"\xff\xd8 three")
    second = feedback_cli("backup", str(target))
    assert "1 new of 3" in second.stdout


def test_backup_refuses_the_live_database_and_missing_folders(app, db, station, tmp_path):
    db["opinions"].insert(opinion(1))
    live = app.config["FEEDBACK_DATABASE"]
    result = feedback_cli("backup", live)
    assert result.returncode != 0 and "is the live database" in result.stderr
    assert db.execute("select count(*) from opinions").fetchone()[0] == 1
    missing = feedback_cli("backup", str(tmp_path / "nowhere" / "copy.db"))
    assert missing.returncode != 0 and "does not exist" in missing.stderr


@pytest.fixture
def aged(db, station):
    old = clock.stamp(clock.now() - timedelta(days=800))
    recent = clock.stamp(clock.now() - timedelta(days=30))
    db["opinions"].insert_all(
        [
            opinion(
                1,
                old,
                name="张大爷",
                phone="13812345678",
                consent=1,
                status="answered",
                answer="已修好",
                rating="满意",
            ),
            opinion(
                2, old, name=None, phone=None, consent=0, status="new", answer=None, rating=None
            ),
            opinion(
                3,
                recent,
                name="李阿姨",
                phone="13912345678",
                consent=1,
                status="new",
                answer=None,
                rating=None,
            ),
        ]
    )
    return db


def test_purge_removes_old_contacts_and_keeps_the_opinions(runner, aged):
    dry = runner.invoke(args=["purge-contacts", "--older-than", "365", "--dry-run"])
    assert dry.exit_code == 0 and "1 opinion(s)" in dry.output
    assert aged["opinions"].get(1)["phone"] == "13812345678"
    result = runner.invoke(args=["purge-contacts", "--older-than", "365"])
    assert result.exit_code == 0, result.output
    assert "from 1 opinion(s)" in result.output
    old, recent = aged["opinions"].get(1), aged["opinions"].get(3)
    assert (old["name"], old["phone"], old["consent"]) == (None, None, 0)
    assert (old["body"], old["receipt"], old["answer"], old["rating"]) == (
        "第1条意见:村口路灯坏了",
        "R0000001",
        "已修好",
        "满意",
    )
    assert (recent["name"], recent["phone"]) == ("李阿姨", "13912345678")
    (entry,) = aged.query("select * from audit_log where action = 'opinion.purge_contacts'")
    assert '"count": 1' in entry["detail"] and "13812345678" not in entry["detail"]


def test_purge_defaults_to_the_configured_retention(runner, aged):
    result = runner.invoke(args=["purge-contacts"])
    assert result.exit_code == 0 and "from 1 opinion(s)" in result.output  # 800 > 730 days
    assert aged["opinions"].get(3)["phone"] == "13912345678"


@pytest.mark.parametrize("days", ["0", "-3", "abc"])
def test_purge_refuses_a_bad_period(runner, aged, days):
    result = runner.invoke(args=["purge-contacts", "--older-than", days])
    assert result.exit_code != 0 and "--older-than" in result.output
    assert aged["opinions"].get(1)["phone"] == "13812345678"
