"""The opinions of a town like one opinion (the opinion page, `feedback similar`), and the
groups of its pending ones (the groups page, `feedback groups`): the per-town lexical index
(feedback.similarity_index), vectors (feedback.town_vectors) and the clerks' judgements
(feedback.judgements) read from the database and handed to the pure scoring of
feedback.semantic and feedback.semantic_groups."""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
from sqlite_utils import Database

from feedback import judgements, semantic, semantic_groups, similarity_groups, town_vectors
from feedback.places import normalise
from feedback.similarity import SimilarityIndex
from feedback.similarity_index import for_town
from feedback.similarity_reasons import reasons
from feedback.vectors import DIM


def town_of(db: Database, opinion_id: int) -> str | None:
    row = db.execute(
        "select s.town from opinions o join stations s on s.id = o.station_id where o.id = ?",
        [opinion_id],
    ).fetchone()
    return row[0] if row else None


def similar(
    db: Database, database_path: str, opinion_id: int, limit: int = 5, wait: bool = True
) -> list[dict] | None:
    """The opinions of the same town most like this one, best first, with their rows; with
    wait=False, None while the town's index is still being built by the warm-up."""
    town = town_of(db, opinion_id)
    if town is None:
        raise KeyError(opinion_id)
    index = for_town(db, database_path, town, wait)
    if index is None:
        return None
    if opinion_id not in index:
        return []
    ranked = _ranked(db, database_path, town, index, opinion_id, limit, wait)
    ids = [opinion for opinion, _score in ranked]
    marks = ",".join("?" * (len(ids) + 1))
    sql = (
        "select o.*, s.name as station_name, s.village as village from opinions o "
        f"join stations s on s.id = o.station_id where o.id in ({marks})"
    )
    rows = {row["id"]: row for row in db.query(sql, [opinion_id, *ids])}
    asked = rows[opinion_id]
    return [
        dict(
            rows[i],
            score=round(score, 3),
            reasons=reasons(
                asked["body"], asked["village"], rows[i]["body"], rows[i]["village"]
            ).text(),
        )
        for i, score in ranked
        if i in rows
    ]


LEXICAL_CANDIDATES = 20  # the lexical engine's best, scored beside the nearest by meaning


def _ranked(
    db: Database,
    database_path: str,
    town: str,
    index: SimilarityIndex,
    opinion_id: int,
    limit: int,
    wait: bool,
) -> list[tuple[int, float]]:
    """By meaning, words and place (feedback.semantic) once the opinion has its vector; by
    the lexical engine alone until the background embedder has reached it. Candidates: the
    town's nearest by embedding, and the lexical engine's best (which covers opinions whose
    vectors are not there yet, so only while there are such opinions)."""
    vectors = town_vectors.for_town(db, database_path, town, wait)
    if vectors is None or opinion_id not in vectors:
        return index.similar(opinion_id, limit=limit)
    query = vectors.vector(opinion_id)
    cosines: dict[int, float | None] = dict(vectors.nearest_to(opinion_id, semantic.CANDIDATES + 1))
    embedded = int(vectors.ids[-1]) if len(vectors.ids) else 0
    if index.newest() > embedded:  # the embedder has not reached the newest yet
        for other, _score in index.similar(opinion_id, limit=LEXICAL_CANDIDATES):
            if other not in cosines:
                vector = vectors.vector(other)
                cosines[other] = None if vector is None else float(vector @ query)
    cosines.pop(opinion_id, None)
    marks = ",".join("?" * (len(cosines) + 1))
    known = index.known_places()
    # By id only: with the town in the WHERE clause SQLite walks the town's opinions instead.
    texts = {
        row[0]: semantic.doc(row[0], row[1], row[2], known)
        for row in db.execute(
            "select o.id, o.body, s.village, s.town from opinions o join stations s "
            f"on s.id = o.station_id where o.id in ({marks})",
            [opinion_id, *cosines],
        )
        if row[3] == town
    }
    asked = texts[opinion_id]
    idf = semantic.idf_from(len(index), index.text_frequency)
    others = [other for other in cosines if other in texts]
    learned = _learned(db, database_path, town, vectors, opinion_id, others)
    found = semantic.scores(
        asked, [texts[o] for o in others], [cosines[o] for o in others], idf, learned
    )
    scored = [(other, round(score, 4)) for other, score in zip(others, found.tolist(), strict=True)]
    ranked = sorted((item for item in scored if item[1] > 0), key=lambda i: (-i[1], i[0]))
    return ranked[:limit]


def _learned(
    db: Database,
    database_path: str,
    town: str,
    vectors: town_vectors.TownVectors,
    opinion_id: int,
    others: list[int],
) -> list[float] | None:
    """What the town's clerks' merges and splits say of the opinion with each of `others`
    (feedback.clerk_memory); None when they have merged nothing yet."""
    memory = judgements.memory_of(db, database_path, town, vectors)
    if not memory:
        return None
    ids = [opinion_id, *others]
    matrix = np.stack(
        [vectors.vector(i) if i in vectors else np.zeros(DIM, np.float32) for i in ids]
    )
    like = memory.likeness(matrix)
    return [memory.adjustment(like[0], b) for b in like[1:]]


@dataclass(frozen=True)
class Group:
    """Pending opinions that likely describe one problem, and how alike they are."""

    members: list[dict]
    score: float  # mean similarity of the members' pairs (of a sample of them)


COHESION_SAMPLE = 20


def pending_groups(db: Database, database_path: str, town: str) -> list[Group]:
    """The town's pending opinions grouped by likely problem, best first: the largest group
    first (one click merges the most opinions), then the most alike. The staff groups page
    and `feedback groups` both show exactly this.

    By meaning, words and place (feedback.semantic_groups) once every pending opinion has
    its vector; while the background embedder has not reached some (seconds after they
    arrive), all are grouped by the lexical engine, so that the wait never splits a group."""
    index = for_town(db, database_path, town)
    pending = {
        row["id"]: row
        for row in db.query(
            "select o.*, s.name as station_name, s.village as village from opinions o "
            "join stations s on s.id = o.station_id where s.town = ? and o.status = 'new'",
            [town],
        )
    }
    vectors = town_vectors.for_town(db, database_path, town)
    ids, matrix = vectors.rows(pending) if vectors is not None else ([], None)
    if ids and len(ids) == len(pending):
        docs = _docs(ids, pending, index.known_places())
        idf = semantic.idf_from(len(index), index.text_frequency)
        memory = judgements.memory_of(db, database_path, town, vectors)
        found = semantic_groups.group(ids, docs, matrix, idf, memory)
    else:  # some not embedded yet: all by words, so that no group is split by the wait
        found = [(g, cohesion(index, g)) for g in similarity_groups.group(index, list(pending))]
    groups = [Group([pending[i] for i in members], score) for members, score in found]
    return sorted(groups, key=lambda g: (-len(g.members), -g.score, g.members[0]["id"]))


def _docs(
    ids: list[int], rows: dict[int, dict], known: frozenset[tuple[str, str]]
) -> list[semantic.Doc]:
    """semantic.doc of each opinion, its text read once: copied complaints and one-line ones
    repeat (at other villages too), and finding places in a text is the costly part. Docs
    of one text share their bigram counts, which lets semantic_groups spot them."""
    made: dict[str, semantic.Doc] = {}
    docs = []
    for i in ids:
        body, village = rows[i]["body"], rows[i]["village"]
        same = made.get(body)
        if same is None:
            same = made[body] = semantic.doc(i, body, village, known)
        elif same.id != i:
            same = replace(same, id=i, village=normalise(village or ""))
        docs.append(same)
    return docs


def cohesion(index: SimilarityIndex, ids: list[int]) -> float:
    """Mean lexical score over the pairs of a group (its first members, so a group of
    hundreds of copies costs no more than one of twenty)."""
    sample = ids[:COHESION_SAMPLE]
    scores = [index.score(a, b) for n, a in enumerate(sample) for b in sample[n + 1 :]]
    return round(sum(scores) / len(scores), 4) if scores else 0.0
