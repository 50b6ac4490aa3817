"""The town similarity indexes kept by feedback.similarity_index: stored beside the database so
that other workers and `feedback similar` load them, caught up with new opinions, rebuilt when
stale or not a good copy (never unpickled), and warmed as a gunicorn worker starts."""

import pickle
from pathlib import Path
from types import SimpleNamespace

import pytest

from feedback import gunicorn_config, similar_opinions, similarity_index, similarity_store
from feedback.similarity import SimilarityIndex
from feedback.similarity_store import MAGIC

BODIES = [
    (1, "村口路灯坏了三个月"),
    (2, "我们村路口的灯一直不亮"),
    (1, "垃圾没人清运"),
    (3, "乙镇路灯坏了没人修"),
]


def add(db, receipt: str, station: int, body: str) -> None:
    at = "2026-03-01T09:00:00+08:00"
    db["opinions"].insert(
        {
            "receipt": receipt,
            "station_id": station,
            "body": body,
            "category": "other",
            "created_at": at,
        }
    )


@pytest.fixture
def stored(app, db, two_town_stations):
    """Four opinions, no index in this process yet; returns the database path."""
    for n, (station, body) in enumerate(BODIES, start=1):
        add(db, f"SSSSSSS{n + 1}", station, body)
    path = app.config["FEEDBACK_DATABASE"]
    yield path
    similarity_index._entries.clear()


def a_new_process() -> None:
    similarity_index._entries.clear()


def copies(database: str) -> list[Path]:
    return sorted(Path(f"{database}-similar").glob("*.index"))


def similar_ids(db, database: str, opinion_id: int) -> list[int]:
    return [row["id"] for row in similar_opinions.similar(db, database, opinion_id)]


def test_a_town_is_built_once_and_loaded_by_the_next_process(stored, db, monkeypatch):
    assert len(similarity_index.for_town(db, stored, "甲镇")) == 3
    (copy,) = copies(stored)
    assert copy.read_bytes().startswith(MAGIC)
    a_new_process()
    monkeypatch.setattr(SimilarityIndex, "add", lambda *args: pytest.fail("rebuilt"))
    assert len(similarity_index.for_town(db, stored, "甲镇")) == 3


def test_only_new_opinions_are_added_and_other_towns_stay_out(stored, db):
    index = similarity_index.for_town(db, stored, "甲镇")
    add(db, "SSSSSSSX", 2, "大塘村路灯也不亮")
    add(db, "SSSSSSSY", 3, "乙镇垃圾没人管")
    assert similarity_index.for_town(db, stored, "甲镇") is index
    assert len(index) == 4 and 5 in index and 6 not in index


def test_a_stale_copy_is_rebuilt(stored, db):
    """Another database behind the same path (a restored backup): same ids, other opinions.
    The copy is rebuilt from what the database now holds, not just kept at the same size."""
    assert similar_ids(db, stored, 3) == []  # 垃圾没人清运: nothing like it in 甲镇 yet
    a_new_process()
    db["opinions"].update(4, {"receipt": "RESTORED"})  # the newest opinion is another one
    db["opinions"].update(2, {"body": "垃圾堆成山了没人清运"})
    assert len(similarity_index.for_town(db, stored, "甲镇")) == 3
    assert similar_ids(db, stored, 3) == [2]  # the stale copy still held 2 as a lamp
    a_new_process()
    assert similar_ids(db, stored, 3) == [2]  # and the rebuilt copy was stored


@pytest.mark.parametrize(
    "damaged",
    [b"not a pickle", MAGIC + b"\xff\xff\xff\x00{", b""],
    ids=["foreign", "bad-header", "empty"],
)
def test_a_copy_that_cannot_be_read_is_rebuilt(stored, db, damaged):
    similarity_index.for_town(db, stored, "甲镇")
    a_new_process()
    (copy,) = copies(stored)
    copy.write_bytes(damaged)
    db["opinions"].update(2, {"body": "垃圾堆成山了没人清运"})  # so the old copy would show
    assert len(similarity_index.for_town(db, stored, "甲镇")) == 3
    assert similar_ids(db, stored, 3) == [2]
    assert copy.read_bytes().startswith(MAGIC)


class _Planted:
    """What an attacker able to write the cache folder would leave: unpickling it runs code."""

    def __init__(self, marker: Path):
        self.marker = marker

    def __reduce__(self):
        return (exec, (f"open({str(self.marker)!r}, 'w').write('ran')",))


def test_a_planted_pickle_is_never_run(stored, db, tmp_path):
    similarity_index.for_town(db, stored, "甲镇")
    a_new_process()
    marker = tmp_path / "pwned"
    planted = pickle.dumps({"version": "x", "index": _Planted(marker)})
    (copy,) = copies(stored)
    copy.write_bytes(planted)  # in place of the stored copy, and under the old name too
    copy.with_suffix(".pickle").write_bytes(planted)
    pickle.loads(planted)  # the file does what it says when unpickled...
    assert marker.exists()
    marker.unlink()
    db["opinions"].update(2, {"body": "垃圾堆成山了没人清运"})
    assert similar_ids(db, stored, 3) == [2]  # ...but loading the index rebuilds it instead
    assert not marker.exists()
    assert copy.read_bytes().startswith(MAGIC)
    assert not copy.with_suffix(".pickle").exists()  # the old format is cleared away


def test_a_starting_worker_warms_every_town(stored, app, db, monkeypatch):
    """post_worker_init starts the warm-up thread; once it has finished, every town's index
    is in this process's memory and stored, so requests neither build nor load one."""
    threads = []
    real = similarity_index.warm_in_background

    def keep(app_):
        threads.append(real(app_))
        return threads[-1]

    monkeypatch.setattr(similarity_index, "warm_in_background", keep)
    gunicorn_config.post_worker_init(SimpleNamespace(wsgi=app))
    (thread,) = threads
    thread.join(timeout=30)
    assert not thread.is_alive()
    entries = similarity_index._entries
    assert set(entries) == {(stored, "甲镇"), (stored, "乙镇")}
    assert len(entries[(stored, "甲镇")].index) == 3 and len(entries[(stored, "乙镇")].index) == 1
    assert len(copies(stored)) == 2
    monkeypatch.setattr(SimilarityIndex, "add", lambda *args: pytest.fail("built again"))
    monkeypatch.setattr(similarity_store, "load", lambda *args: pytest.fail("loaded again"))
    index = similarity_index.for_town(db, stored, "甲镇", wait=False)
    assert index is entries[(stored, "甲镇")].index
    assert real(SimpleNamespace(config={})) is None  # an app without a database: left alone
