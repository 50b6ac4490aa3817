"""Opinion vectors (feedback.vectors): embedded by the real model after an opinion is stored,
never in the villager's request; kept in SQLite; searched from per-town files every worker
memory-maps, caught up with new vectors, rebuilt when not a good copy (never unpickled)."""

from __future__ import annotations

import pickle
import time
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

from feedback import embedder, gunicorn_config, similarity_index, town_vectors, vectors
from tests.helpers_intake import post_opinion

AT = "2026-03-01T09:00:00+08:00"
JIA = [
    (1, "垃圾没人清运"),
    (2, "垃圾堆成山了没人管"),
    (1, "村口路灯坏了三个月"),
]
YI = [(3, "乙镇垃圾没人清运，臭死了")]


def wait_until(condition, timeout: float) -> bool:
    """Poll condition until it holds or timeout seconds pass."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def add(db, station: int, body: str, status: str = "new") -> int:
    n = db.execute("select count(*) from opinions").fetchone()[0] + 1
    return (
        db["opinions"]
        .insert(
            {
                "receipt": f"VVVVVV{n:02d}",
                "station_id": station,
                "body": body,
                "category": "other",
                "status": status,
                "created_at": AT,
            }
        )
        .last_pk
    )


def stored_vectors(db) -> dict[int, bytes]:
    return {row[0]: row[1] for row in db.execute("select opinion_id, vector from opinion_vectors")}


@pytest.fixture
def database(app, two_town_stations):
    yield app.config["FEEDBACK_DATABASE"]
    town_vectors._entries.clear()


@pytest.fixture
def opinions(db, database) -> list[int]:
    """Three opinions in 甲镇 (ids 1-3), one in 乙镇 (id 4); none has a vector yet."""
    return [add(db, station, body) for station, body in JIA + YI]


def test_backfill_stores_every_opinion_once_and_leaves_spam_out(db, opinions):
    spam = add(db, 1, "加微信领红包，加微信领红包", status="spam")
    answered = add(db, 2, "路面坑洼下雨积水", status="answered")
    assert vectors.pending(db) == 5
    done = []
    assert vectors.backfill(db, batch=2, progress=done.append) == 5
    assert done == [2, 2, 1]  # three batches, each in its own transaction
    rows = stored_vectors(db)
    assert set(rows) == {*opinions, answered} and spam not in rows
    assert {len(blob) for blob in rows.values()} == {vectors.DIM}
    models = {row[0] for row in db.execute("select distinct model from opinion_vectors")}
    assert models == {vectors.MODEL}
    # What is stored is the text's embedding, to within the int8 rounding.
    real = vectors.embed(["垃圾堆成山了没人管"])[0]
    kept = vectors.dequantise(np.frombuffer(rows[2], dtype=np.int8))
    assert float(kept @ real) > 0.99
    # Idempotent: nothing more to do, nothing rewritten.
    assert vectors.backfill(db) == 0 and vectors.pending(db) == 0
    assert stored_vectors(db) == rows


def test_a_villagers_submission_stores_no_vector_while_they_wait(client, db, database, monkeypatch):
    def tripwire(texts):
        pytest.fail("the villager's request embedded a text")

    monkeypatch.setattr(vectors, "embed", tripwire)
    response = post_opinion(client, "ll-01")
    assert response.status_code == 303
    (opinion_id,) = [row[0] for row in db.execute("select id from opinions")]
    assert stored_vectors(db) == {}
    monkeypatch.undo()
    assert vectors.backfill(db) == 1  # the worker's embedder does it afterwards
    assert set(stored_vectors(db)) == {opinion_id}


def test_feedback_embed_embeds_and_says_how_many(runner, db, opinions):
    result = runner.invoke(args=["embed", "--limit", "3"])
    assert result.exit_code == 0, result.output
    assert "Embedded 3 opinions (1 still without a vector)" in result.output
    assert set(stored_vectors(db)) == set(opinions[:3])  # the oldest first
    result = runner.invoke(args=["embed"])
    assert result.exit_code == 0, result.output
    assert "Embedded 1 opinions (0 still without a vector)" in result.output
    assert "Embedded 0 opinions" in runner.invoke(args=["embed"]).output


def test_nearest_finds_the_paraphrase_among_the_towns_opinions_only(db, database, opinions):
    vectors.backfill(db)
    town = town_vectors.for_town(db, database, "甲镇")
    assert list(town.ids) == [1, 2, 3] and 4 not in town
    ranked = town.nearest(town.vector(1), k=3)
    assert [opinion for opinion, _ in ranked] == [1, 2, 3]  # itself, the paraphrase, the lamp
    (_, itself), (_, paraphrase), (_, unrelated) = ranked
    assert itself == pytest.approx(1.0, abs=0.01) and paraphrase > unrelated
    # A new text, embedded on the spot, finds the same paraphrase first.
    query = vectors.embed(["我们这里的垃圾一直没人来拉走"])[0]
    assert town.nearest(query, k=1)[0][0] in {1, 2}
    # among: only those opinions, and ids of other towns or without vectors are left out.
    assert [opinion for opinion, _ in town.nearest(town.vector(1), 5, among=[3, 2, 4, 99])] == [
        2,
        3,
    ]
    assert town_vectors.for_town(db, database, "乙镇").nearest(town.vector(1), 5)[0][0] == 4


def test_an_opinions_neighbours_are_computed_once_for_both_questions_of_a_page(
    db, database, opinions, monkeypatch
):
    """The opinion page asks for similar opinions (many neighbours), then the category hint
    (fewer): one dot product over the town answers both, and a catch-up asks afresh."""
    vectors.backfill(db)
    town = town_vectors.for_town(db, database, "甲镇")
    expected = town.nearest(town.vector(1), 3)
    calls = []
    real = town_vectors.TownVectors.nearest
    monkeypatch.setattr(
        town_vectors.TownVectors,
        "nearest",
        lambda self, *a, **k: calls.append(a) or real(self, *a, **k),
    )
    assert town.nearest_to(1, 3) == expected
    assert town.nearest_to(1, 2) == expected[:2]
    assert len(calls) == 1
    add(db, 1, "垃圾桶满了也没人倒")
    vectors.backfill(db)
    newer = town_vectors.for_town(db, database, "甲镇")
    assert len(newer.nearest_to(1, 4)) == 4 and len(calls) == 2


def test_the_town_file_is_memory_mapped_and_caught_up_not_rebuilt(
    db, database, opinions, monkeypatch
):
    vectors.backfill(db)
    town_vectors.for_town(db, database, "甲镇")
    path = town_vectors.stored_path(database, "甲镇")
    assert path.read_bytes().startswith(town_vectors.MAGIC)
    town_vectors._entries.clear()  # a new worker: it maps the file instead of reading SQLite again
    monkeypatch.setattr(town_vectors, "_build", lambda *args: pytest.fail("rebuilt from SQLite"))
    town = town_vectors.for_town(db, database, "甲镇")
    assert isinstance(town.stored, np.memmap) and len(town.stored) == 3
    assert Path(town.stored.filename) == path.resolve()

    new = add(db, 2, "大塘村垃圾也没人清运")
    assert new not in town_vectors.for_town(db, database, "甲镇")  # no vector yet: simply absent
    vectors.backfill(db)
    town = town_vectors.for_town(db, database, "甲镇")
    assert new in town and len(town.newer) == 1  # read from SQLite into memory
    assert town.nearest(town.vector(new), 2)[1][0] in {1, 2}

    monkeypatch.setattr(town_vectors, "STORE_EVERY", 1)
    before = path.stat().st_ino
    town = town_vectors.for_town(db, database, "甲镇")  # appended to the file, renamed over it
    assert path.stat().st_ino != before
    assert isinstance(town.stored, np.memmap) and list(town.ids) == [1, 2, 3, new]
    town_vectors._entries.clear()
    assert list(town_vectors.for_town(db, database, "甲镇").stored.shape) == [4, vectors.DIM]


def _pickle_that_runs(marker: Path) -> bytes:
    class Payload:
        def __reduce__(self):
            return (Path.write_text, (marker, "ran"))

    return pickle.dumps(Payload())


@pytest.mark.parametrize("damage", ["truncated", "garbage", "other town", "pickle"])
def test_a_file_that_is_not_a_good_copy_is_rebuilt_and_never_unpickled(
    db, database, opinions, tmp_path, damage
):
    vectors.backfill(db)
    town_vectors.for_town(db, database, "甲镇")
    town_vectors.for_town(db, database, "乙镇")
    path = town_vectors.stored_path(database, "甲镇")
    marker = tmp_path / "pickle-ran"
    good = path.read_bytes()
    planted = {
        "truncated": good[:-100],
        "garbage": b"\x00" * 5000,
        "other town": town_vectors.stored_path(database, "乙镇").read_bytes(),
        "pickle": _pickle_that_runs(marker),
    }[damage]
    path.write_bytes(planted)
    town_vectors._entries.clear()
    town = town_vectors.for_town(db, database, "甲镇")
    assert list(town.ids) == [1, 2, 3]
    assert town.nearest(town.vector(1), 2)[1][0] == 2
    assert not marker.exists()
    assert path.read_bytes() == good  # rebuilt over


def test_a_restored_backup_behind_the_same_path_is_not_trusted(db, database, opinions):
    vectors.backfill(db)
    town_vectors.for_town(db, database, "甲镇")
    db["opinions"].update(3, {"receipt": "RESTORED"})  # the town's newest is another opinion
    town_vectors._entries.clear()
    db.execute("update opinion_vectors set vector = ? where opinion_id = 3", [bytes(384)])
    db.conn.commit()
    town = town_vectors.for_town(db, database, "甲镇")
    assert not town.vector(3).any()  # read again from SQLite, not taken from the old file


def test_a_starting_worker_embeds_pending_opinions_in_the_background(
    app, db, database, opinions, monkeypatch
):
    """post_worker_init starts the embedder; it warms the towns' vectors, then embeds what is
    pending, and the next opinion once it is stored."""
    started = []
    real = embedder.embed_in_background

    def keep(app_, every=0.1):
        started.append(real(app_, every=every))
        return started[-1]

    monkeypatch.setattr(embedder, "embed_in_background", keep)
    monkeypatch.setattr(similarity_index, "warm_in_background", lambda app_: None)
    gunicorn_config.post_worker_init(SimpleNamespace(wsgi=app))
    (running,) = started
    try:
        assert wait_until(lambda: len(stored_vectors(db)) == 4, timeout=60)
        later = add(db, 1, "自来水停了两天")
        assert wait_until(lambda: later in stored_vectors(db), timeout=60)
        assert running.embedded == 5
        assert (database, "甲镇") in town_vectors._entries  # warmed in this worker
    finally:
        running.stop()
    assert not running.thread.is_alive()
    assert real(SimpleNamespace(config={})) is None  # an app without a database: left alone


def test_only_one_holder_of_the_lock_embeds(db, database, opinions):
    with embedder.embedding_lock(database) as held:
        assert held
        running = embedder.Embedder(database, every=0.05).start()
        try:
            assert wait_until(lambda: running.skipped >= 3, timeout=30)
            assert stored_vectors(db) == {} and running.rounds == 0
            with embedder.embedding_lock(database, wait=False) as second:
                assert not second  # nor can a second `feedback embed` take it
        except BaseException:
            running.stop()
            raise
    try:
        assert wait_until(lambda: len(stored_vectors(db)) == 4, timeout=60)
    finally:
        running.stop()
    assert running.embedded == 4


def test_nearest_over_many_rows_is_the_plain_dot_product_top_k():
    """Rows in several chunks, in the mapped part and the newer part, ranked exactly as a
    float dot product over all of them ranks them; `among` restricts to those ids."""
    rng = np.random.default_rng(7)
    rows = vectors.quantise(rng.normal(0, 0.05, (3 * town_vectors.CHUNK + 5, vectors.DIM)))
    ids = np.arange(10, 10 + 2 * len(rows), 2, dtype=np.int64)
    split = 2 * town_vectors.CHUNK + 1
    town = town_vectors.TownVectors(ids, rows[:split], rows[split:])
    query = vectors.dequantise(rows[123])
    exact = vectors.dequantise(rows) @ query
    best = np.argsort(-exact, kind="stable")[:7]
    ranked = town.nearest(query, 7)
    assert [i for i, _ in ranked] == [int(ids[b]) for b in best]
    assert [s for _, s in ranked] == pytest.approx([float(exact[b]) for b in best], abs=1e-4)
    among = [int(ids[5]), int(ids[-1]), int(ids[split]), 11]  # 11: no such row
    assert {i for i, _ in town.nearest(query, 10, among=among)} == set(among) - {11}
