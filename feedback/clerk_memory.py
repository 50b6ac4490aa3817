"""What the clerks' merges and splits teach the similarity, carried over to opinions they have
not judged.

Every suggestion a clerk made from several opinions says that they describe one problem;
every opinion taken back out of a suggestion says that it does not describe the problem of
those left in. The memory keeps both as vectors: per suggestion the centroid of its
opinions' embeddings, per opinion taken out its own embedding and the suggestion it left.
Two new opinions that both look like the opinions of one suggestion (embedding cosine to its
centroid above LIKE) then score higher together (BOOST): what clerks keep merging ranks and
groups together, in the villagers' new words too. One that looks like an opinion taken out of
a suggestion and another that looks like that suggestion score lower (SPLIT): what clerks
split stops ranking together. The place factor still applies afterwards, so a problem merged
at one village does not pull in the same complaint at another.

Constants chosen on development data (bench/similarity.py, learning rows); pure functions of
the vectors handed in: the database side is feedback.judgements.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from feedback.vectors import DIM

LIKE = 0.9  # an embedding cosine to a suggestion's centroid from which an opinion is like it
BOOST = 0.2  # added to the score of two opinions fully like one suggestion's opinions
SPLIT = 0.5  # taken off two opinions like an opinion taken out and the suggestion it left
TOP = 3  # suggestions (and opinions taken out) remembered per opinion: the most like it


@dataclass(frozen=True)
class Likeness:
    """How much one opinion looks like what clerks judged: suggestion -> weight, and opinion
    taken out -> weight (0 < weight <= 1)."""

    groups: Mapping[int, float]
    removed: Mapping[int, float]


@dataclass(frozen=True)
class Memory:
    centroids: np.ndarray  # (G, 384) unit vectors: the opinions of each suggestion, averaged
    removed: np.ndarray  # (R, 384) the opinions taken out of a suggestion
    left: np.ndarray  # (R,) the row of `centroids` each left; -1 if that suggestion is gone

    @classmethod
    def build(
        cls,
        merged: Sequence[np.ndarray],
        removed: Sequence[tuple[np.ndarray, int]] = (),
    ) -> Memory:
        """`merged`: per suggestion the vectors (k, 384) of its opinions (suggestions of one
        opinion teach nothing and are left out); `removed`: (vector, index into `merged`)."""
        kept = [n for n, vectors in enumerate(merged) if len(vectors) >= 2]
        row_of = {n: row for row, n in enumerate(kept)}
        centroids = np.array([merged[n].mean(axis=0) for n in kept], dtype=np.float32)
        centroids = _unit(centroids.reshape(len(kept), DIM))
        vectors = np.array([v for v, _n in removed], dtype=np.float32).reshape(len(removed), DIM)
        left = np.array([row_of.get(n, -1) for _v, n in removed], dtype=np.int64)
        return cls(centroids, vectors, left)

    def __bool__(self) -> bool:
        return bool(len(self.centroids))

    def likeness(self, vectors: np.ndarray) -> list[Likeness]:
        """For each opinion (unit vectors, (n, 384)), what it looks like."""
        return [
            Likeness(groups, removed)
            for groups, removed in zip(
                _top(vectors, self.centroids), _top(vectors, self.removed), strict=True
            )
        ]

    def adjustment(self, a: Likeness, b: Likeness) -> float:
        """What the clerks' judgements add to (or take off) the score of two opinions."""
        together = max((w * b.groups[g] for g, w in a.groups.items() if g in b.groups), default=0)
        apart = max(
            max(
                (w * b.groups.get(int(self.left[r]), 0.0) for r, w in a.removed.items()),
                default=0.0,
            ),
            max(
                (w * a.groups.get(int(self.left[r]), 0.0) for r, w in b.removed.items()),
                default=0.0,
            ),
        )
        return BOOST * together - SPLIT * apart


def _unit(matrix: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    return matrix / np.where(norms > 0, norms, 1)


def _top(vectors: np.ndarray, judged: np.ndarray) -> list[dict[int, float]]:
    """Per vector, its TOP most alike rows of `judged` with a cosine over LIKE, weighted
    from 0 at LIKE to 1 at 1.0."""
    if not len(judged) or not len(vectors):
        return [{} for _ in range(len(vectors))]
    cosines = vectors @ judged.T
    k = min(TOP, cosines.shape[1])
    top = np.argpartition(cosines, -k, axis=1)[:, -k:]
    found = []
    for row, columns in zip(cosines, top, strict=True):
        found.append(
            {int(c): float((row[c] - LIKE) / (1 - LIKE)) for c in columns.tolist() if row[c] > LIKE}
        )
    return found
