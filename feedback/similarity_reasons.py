"""Why two opinions look alike, in words a clerk can check against the two texts.

Shown beside each similar opinion on the opinion page: the shared concepts (with the words
each text used), the shared bigrams those concepts do not cover, and the places. Apart from
feedback.similarity because it explains a score without computing one, and reads the texts
afresh rather than the index.
"""

from __future__ import annotations

from dataclasses import dataclass

from feedback.places import extract_places, normalise
from feedback.similarity_lexicon import feature_counts, surfaces


@dataclass(frozen=True)
class Reasons:
    """Why two opinions look alike, in words a clerk can check against the texts."""

    words: list[str]  # "路灯 ≈ 灯" for two words of one concept, "路灯" for the same word
    shared_places: list[str]
    other_places: tuple[list[str], list[str]]  # places named by only one of the two

    def text(self) -> str:
        parts = []
        if self.words:
            parts.append("说法相近:" + "、".join(self.words))
        if self.shared_places:
            parts.append("同一地点:" + "、".join(self.shared_places))
        elif self.other_places[0] and self.other_places[1]:
            a, b = ("、".join(p) for p in self.other_places)
            parts.append(f"地点不同:{a} / {b}")
        return ";".join(parts)


MAX_REASON_WORDS = 4


def reasons(body_a: str, village_a: str, body_b: str, village_b: str) -> Reasons:
    """Shared concepts (with the words each text used), then shared bigrams the concepts do
    not cover, and the places each names (the station's village when a text names none)."""
    text_a, text_b = normalise(body_a), normalise(body_b)
    places_a, spans_a = extract_places(text_a)
    places_b, spans_b = extract_places(text_b)
    said_a, said_b = surfaces(text_a, spans_a), surfaces(text_b, spans_b)
    words, used = [], set()
    for concept in sorted(set(said_a) & set(said_b), key=lambda c: (c == "SLOW", c)):
        # one word can say several concepts (不亮: LAMP and BROKEN): name each word once
        free_a, free_b = said_a[concept] - used, said_b[concept] - used
        if not free_a or not free_b:
            continue
        common = free_a & free_b
        a = max(common or free_a, key=lambda w: (len(w), w))
        b = a if common else max(free_b, key=lambda w: (len(w), w))
        used |= {a, b}
        words.append(a if a == b else f"{a} ≈ {b}")
    covered = "".join(w for group in (*said_a.values(), *said_b.values()) for w in group)
    bigrams_b = set(feature_counts(text_b, spans_b))
    for feature in feature_counts(text_a, spans_a):
        if len(words) >= MAX_REASON_WORDS:
            break
        if len(feature) == 2 and feature in bigrams_b and feature not in covered:
            words.append(feature)
    places_a = places_a or ({normalise(village_a)} if village_a else set())
    places_b = places_b or ({normalise(village_b)} if village_b else set())
    return Reasons(
        words[:MAX_REASON_WORDS],
        sorted(places_a & places_b),
        (sorted(places_a - places_b), sorted(places_b - places_a)),
    )
