"""The similarity of two opinions by meaning, words and place, as one score a clerk can rank by.

Three signals, combined by the recipe chosen on development data in bench/similarity.py
(bench/tune_similarity.py; never tuned on the held-out or test sets it is reported on):

- the cosine of the two texts' sentence embeddings (feedback.vectors: multilingual-e5-small
  of the text with its place names cut out), which finds 垃圾没人清运 / 环卫车好久没来 that share
  no word; rescaled so that what unrelated opinions typically reach (FLOOR) scores nothing;
- the cosine of plain character bigrams (TF-IDF, the town's document frequencies), which is
  what long messages about one place share most reliably, and catches names, numbers and
  typos the embedding blurs;
- a place factor: the same place raises the score, two different places named lower it a lot
  (the same complaint in another village is another problem). Place names are matched softly
  (their cores share a character bigram: 长房云时代小区 / 房云时代小区, which the extractor cuts
  differently), and the factor fades out on long texts, where the extractor finds noise and
  the bigrams already carry the place.

Short texts lean on the embedding, long ones on the bigrams. Pure functions of the texts and
the vectors handed in: no database, no Flask.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import lru_cache

from feedback.places import AREA_SUFFIX, LINE_SUFFIX, extract_places, normalise

FLOOR = 0.87  # an e5 cosine at or below this scores nothing
W_SHORT, W_LONG = 0.5, 0.2  # weight of the embedding for short and for long texts
SHORT, LONG = 30, 100  # characters (of the shorter text): short up to SHORT, long from LONG
FADE = (30, 80)  # the place factor applies fully up to 30 characters, not at all from 80
CANDIDATES = 100  # per query, the nearest by embedding that are scored (plus lexical ones)
MIN_CORE = 2  # place names match softly only when both cores have at least this many chars
PLACE_SHARED, PLACE_CONFLICT = 1.2, 0.25  # both name places: one shared / none shared
SAME_VILLAGE, VILLAGE_CONFLICT = 1.1, 0.45  # judged by the stations' villages instead

_SUFFIXES = sorted(AREA_SUFFIX.split("|") + LINE_SUFFIX.split("|"), key=len, reverse=True)


@dataclass(frozen=True)
class Doc:
    """What the score needs of one opinion."""

    id: int
    length: int  # characters, spaces and punctuation left out
    places: frozenset[str]
    village: str  # the station's village, normalised
    grams: Counter[str]  # character bigrams of the whole text, places included


@lru_cache(maxsize=4096)  # an opinion's text never changes; pages ask for the same ones
def doc(opinion_id: int, body: str, village: str = "") -> Doc:
    text = normalise(body)
    places, _spans = extract_places(text)
    flat = text.replace(" ", "")
    grams = Counter(flat[i : i + 2] for i in range(len(flat) - 1))
    return Doc(opinion_id, len(flat), frozenset(places), normalise(village or ""), grams)


def place_core(place: str) -> str:
    """A place name without its suffix (六龙村 -> 六龙)."""
    for suffix in _SUFFIXES:
        if place.endswith(suffix) and len(place) > len(suffix):
            return place[: -len(suffix)]
    return place


def bigrams(text: str) -> set[str]:
    return {text[i : i + 2] for i in range(len(text) - 1)}


def same_place(a: str, b: str) -> bool:
    """Equal names, or cores of at least MIN_CORE characters sharing a bigram."""
    if a == b:
        return True
    ca, cb = place_core(a), place_core(b)
    return len(ca) >= MIN_CORE and len(cb) >= MIN_CORE and bool(bigrams(ca) & bigrams(cb))


def share_a_place(a: Iterable[str], b: Iterable[str]) -> bool:
    b = list(b)
    return any(same_place(x, y) for x in a for y in b)


def place_factor(a: Doc, b: Doc) -> float:
    """Explicit names beat the stations' villages; see the module docstring."""
    if a.places and b.places:
        return PLACE_SHARED if share_a_place(a.places, b.places) else PLACE_CONFLICT
    eff_a = a.places or ({a.village} if a.village else set())
    eff_b = b.places or ({b.village} if b.village else set())
    if (a.village and a.village == b.village) or share_a_place(eff_a, eff_b):
        return SAME_VILLAGE
    if eff_a and eff_b:
        return VILLAGE_CONFLICT
    return 1.0


def conflict(a: Doc, b: Doc) -> bool:
    """Both name places and none of them match: never one problem, however alike."""
    return bool(a.places and b.places and not share_a_place(a.places, b.places))


Idf = Callable[[str], float]


def idf_from(size: int, df: Callable[[str], int]) -> Idf:
    """The bigram weight ln((N + 1) / (df + 1) + 1) over a town of `size` opinions."""
    return lambda gram: math.log((size + 1) / (df(gram) + 1) + 1)


def bigram_cosine(a: Doc, b: Doc, idf: Idf) -> float:
    def weights(d: Doc) -> dict[str, float]:
        return {g: (1 + math.log(c)) * idf(g) for g, c in d.grams.items()}

    wa, wb = weights(a), weights(b)
    norm = math.sqrt(sum(w * w for w in wa.values())) * math.sqrt(sum(w * w for w in wb.values()))
    if not norm:
        return 0.0
    return sum(w * wb[g] for g, w in wa.items() if g in wb) / norm


def _ramp(value: float, start: float, end: float) -> float:
    return min(1.0, max(0.0, (value - start) / (end - start)))


def score(cosine: float | None, a: Doc, b: Doc, idf: Idf) -> float:
    """The recipe: (w * e5 + (1 - w) * bigrams) * place factor, w and the place factor by
    length. `cosine` None (no vector yet) leaves the embedding's part at nothing."""
    shorter = min(a.length, b.length)
    t = _ramp(shorter, SHORT, LONG)
    w = W_SHORT + (W_LONG - W_SHORT) * t
    e5 = 0.0 if cosine is None else _ramp(cosine, FLOOR, 1.0)
    base = w * e5 + (1 - w) * bigram_cosine(a, b, idf)
    fade = _ramp(shorter, *FADE)
    factor = 1 + (place_factor(a, b) - 1) * (1 - fade)
    return min(1.0, base * factor)
