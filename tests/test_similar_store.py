"""The town similarity indexes kept by feedback.town_index: stored beside the database so that
other workers and `feedback similar` load them, caught up with new opinions, rebuilt when stale,
and warmed as a gunicorn worker starts."""

from pathlib import Path
from types import SimpleNamespace

import pytest

from feedback import gunicorn_config, town_index
from feedback.similar import SimilarityIndex

BODIES = [(1, "村口路灯坏了三个月"), (2, "我们村路口的灯一直不亮"), (1, "垃圾没人清运"),
          (3, "乙镇路灯坏了没人修")]  # fmt: skip


def add(db, receipt: str, station: int, body: str) -> None:
    at = "2026-03-01T09:00:00+08:00"
    db["opinions"].insert({"receipt": receipt, "station_id": station, "body": body,
                           "category": "other", "created_at": at})  # fmt: skip


@pytest.fixture
def stored(app, db, two_town_stations):
    """Four opinions, no index in this process yet; returns the database path."""
    for n, (station, body) in enumerate(BODIES, start=1):
        add(db, f"SSSSSSS{n + 1}", station, body)
    path = app.config["FEEDBACK_DATABASE"]
    yield path
    town_index._entries.clear()


def a_new_process() -> None:
    town_index._entries.clear()


def test_a_town_is_built_once_and_loaded_by_the_next_process(stored, db, monkeypatch):
    assert len(town_index.for_town(db, stored, "甲镇")) == 3
    assert list(Path(f"{stored}-similar").glob("*.pickle"))
    a_new_process()
    monkeypatch.setattr(SimilarityIndex, "add", lambda *args: pytest.fail("rebuilt"))
    assert len(town_index.for_town(db, stored, "甲镇")) == 3


def test_only_new_opinions_are_added_and_other_towns_stay_out(stored, db):
    index = town_index.for_town(db, stored, "甲镇")
    add(db, "SSSSSSSX", 2, "大塘村路灯也不亮")
    add(db, "SSSSSSSY", 3, "乙镇垃圾没人管")
    assert town_index.for_town(db, stored, "甲镇") is index
    assert len(index) == 4 and 5 in index and 6 not in index


def test_a_stale_copy_is_rebuilt(stored, db):
    town_index.for_town(db, stored, "甲镇")
    a_new_process()
    db["opinions"].update(4, {"receipt": "RESTORED"})  # another database behind the same path
    assert len(town_index.for_town(db, stored, "甲镇")) == 3
    a_new_process()
    for copy in Path(f"{stored}-similar").glob("*.pickle"):
        copy.write_bytes(b"not a pickle")
    assert len(town_index.for_town(db, stored, "甲镇")) == 3


def test_a_starting_worker_warms_every_town(stored, app):
    worker = SimpleNamespace(wsgi=app)
    gunicorn_config.post_worker_init(worker)
    town_index.warm_in_background(app).join()
    assert town_index.warm(stored) == 4  # 3 in 甲镇, 1 in 乙镇, now all in memory
    assert town_index.warm_in_background(SimpleNamespace(config={})) is None
