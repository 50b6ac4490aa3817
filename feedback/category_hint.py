"""A category suggested for an opinion, from the categories clerks and villagers gave the
opinions most like it in meaning. Many villagers leave the category at 其他, which weakens the
bulletin's figures by category; the clerk sees the suggestion and accepts it with one click.

The vote: the K nearest opinions of the town by embedding (feedback.town_vectors) that carry
a category other than the catch-all, each weighted by its cosine. K is fixed, not tuned; the
accuracy is measured in bench/similarity.py on the held-out villager set."""

from __future__ import annotations

from collections import defaultdict

from sqlite_utils import Database

from feedback import town_vectors

K = 10
CATCH_ALL = "other"


def vote(neighbours: list[tuple[int, float]], categories: dict[int, str]) -> str | None:
    """The category with the largest summed cosine among the neighbours that have one."""
    weights: dict[str, float] = defaultdict(float)
    for opinion_id, cosine in neighbours:
        category = categories.get(opinion_id)
        if category and category != CATCH_ALL:
            weights[category] += cosine
    return max(sorted(weights), key=weights.__getitem__) if weights else None


def suggest(db: Database, database_path: str, town: str, opinion_id: int) -> str | None:
    """The suggested category, or None (no vector yet, or no categorised neighbour)."""
    vectors = town_vectors.for_town(db, database_path, town, wait=False)
    if vectors is None or opinion_id not in vectors:
        return None
    near = [(i, c) for i, c in vectors.nearest_to(opinion_id, 4 * K) if i != opinion_id]
    marks = ",".join("?" * len(near))
    categories = (
        dict(
            db.execute(
                f"select id, category from opinions where id in ({marks}) and category != ?",
                [*(i for i, _c in near), CATCH_ALL],
            )
        )
        if near
        else {}
    )
    return vote([(i, c) for i, c in near if i in categories][:K], categories)
