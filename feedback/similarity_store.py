"""The stored form of a SimilarityIndex: data a reader checks, never runs.

MAGIC, a JSON header (the caller's `meta`, the tables of strings, each array's type code and
length, a hash of the arrays), then the arrays' bytes. Unlike a pickle, a file planted in the
store cannot run code: `load` refuses it, and a hand-made one that passes every check is
still only an index. Kept apart from feedback.similarity so that the engine reads as scoring
and the format can be checked on its own; feedback.similarity_index decides where copies
live and when they are stale.

The index's arrays are written and taken over as they are (no copy per opinion), which is
why this module reads and sets the index's private fields: it is the index's own storage,
moved out of the class for length, not a second owner of its state.
"""

from __future__ import annotations

import hashlib
import json
import struct
import sys
from array import array
from collections.abc import Iterable, Mapping
from itertools import pairwise

from feedback.similarity import SimilarityIndex

MAGIC = b"FBSIMIX\n"  # what a stored index starts with
STORE_FORMAT = 2  # 2: whole-text bigram counts (text_frequency)
_STORED_ARRAYS = {
    "concept": "B",
    "df": "i",
    "postings": "i",
    "posting_ends": "q",
    "place_postings": "i",
    "place_ends": "q",
    "ids": "q",
    "start": "q",
    "feats": "i",
    "counts": "H",
    "place_of": "i",
    "village_of": "i",
    "gram_df": "i",
}


class StoreError(ValueError):
    """A stored index that is not one `dump` wrote: it is rebuilt."""


def _flatten(arrays: Iterable[array]) -> tuple[array, array]:
    """Many posting lists as one array and the end offset of each (after a leading 0)."""
    flat, ends = array("i"), array("q", [0])
    for posting in arrays:
        flat.extend(posting)
        ends.append(len(flat))
    return flat, ends


def dump(index: SimilarityIndex, meta: Mapping[str, object] | None = None) -> bytes:
    """The index and `meta` as MAGIC, the header's length, the JSON header and the arrays."""
    postings, posting_ends = _flatten(index._postings)
    places = list(index._place_postings)
    place_postings, place_ends = _flatten(index._place_postings.values())
    arrays = {
        "concept": array("B", index._concept),
        "df": index._df,
        "postings": postings,
        "posting_ends": posting_ends,
        "place_postings": place_postings,
        "place_ends": place_ends,
        "ids": index._ids,
        "start": index._start,
        "feats": index._feats,
        "counts": index._counts,
        "place_of": index._place_of,
        "village_of": index._village_of,
        "gram_df": array("i", index._grams.values()),
    }
    header = {
        "format": STORE_FORMAT,
        "byteorder": sys.byteorder,
        "meta": dict(meta or {}),
        "max_postings": index.max_postings,
        "rescore": index.rescore,
        "features": list(index._feature_ids),
        "places": places,
        "place_sets": [sorted(places) for places in index._place_sets],
        "villages": index._villages,
        "known_places": index._known_places,
        "grams": list(index._grams),
        "live": len(index._slot),
        "arrays": [[name, a.typecode, len(a)] for name, a in arrays.items()],
    }
    payload = b"".join(a.tobytes() for a in arrays.values())
    header["sha256"] = hashlib.sha256(payload).hexdigest()
    head = json.dumps(header, ensure_ascii=False).encode()
    return b"".join([MAGIC, struct.pack("<I", len(head)), head, payload])


def load(data: bytes) -> tuple[SimilarityIndex, dict]:
    """An index and its `meta` from what `dump` wrote; StoreError for anything else
    (another program's file, a truncated copy, another format or byte order)."""
    view = memoryview(data)
    header, offset = _header(view)
    try:
        if hashlib.sha256(view[offset:]).hexdigest() != header["sha256"]:
            raise StoreError("damaged (the arrays do not match their hash)")
        arrays = _arrays(view, offset, header["arrays"])
        index = SimilarityIndex(int(header["max_postings"]), int(header["rescore"]))
        _fill(index, header, arrays)
        meta = dict(header["meta"])
    except StoreError:
        raise
    except (AttributeError, KeyError, TypeError, ValueError, IndexError, OverflowError) as e:
        raise StoreError(f"inconsistent: {e!r}") from None
    return index, meta


def _header(view: memoryview) -> tuple[dict, int]:
    """The JSON header and where the arrays start, once MAGIC, format and byte order match."""
    if bytes(view[: len(MAGIC)]) != MAGIC or len(view) < len(MAGIC) + 4:
        raise StoreError("not a stored similarity index")
    (size,) = struct.unpack("<I", view[len(MAGIC) : len(MAGIC) + 4])
    offset = len(MAGIC) + 4 + size
    try:
        header = json.loads(bytes(view[len(MAGIC) + 4 : offset]))
    except ValueError:
        raise StoreError("unreadable header") from None
    if not isinstance(header, dict) or header.get("format") != STORE_FORMAT:
        raise StoreError("another format")
    if header.get("byteorder") != sys.byteorder:
        raise StoreError("another byte order")
    return header, offset


def _arrays(view: memoryview, offset: int, listed: list) -> dict[str, array]:
    """The arrays the header lists, each of the expected type, filling the rest exactly."""
    arrays = {}
    for name, typecode, length in listed:
        if name not in _STORED_ARRAYS or typecode != _STORED_ARRAYS[name] or length < 0:
            raise StoreError(f"unexpected array {name!r}")
        end = offset + length * array(typecode).itemsize
        if end > len(view):
            raise StoreError("truncated")
        arrays[name] = array(typecode)
        arrays[name].frombytes(view[offset:end])
        offset = end
    if offset != len(view) or set(arrays) != set(_STORED_ARRAYS):
        raise StoreError("lengths do not add up")
    return arrays


def _fill(index: SimilarityIndex, header: dict, a: dict[str, array]) -> None:
    """Hand the arrays to the index once `_check` finds them consistent with the header."""
    features = [str(f) for f in header["features"]]
    place_sets = [frozenset(map(str, places)) for places in header["place_sets"]]
    villages = [str(v) for v in header["villages"]]
    places = [str(p) for p in header["places"]]
    _check(header, a, len(features), place_sets, villages, len(places))
    index._grams = dict(zip(map(str, header["grams"]), a["gram_df"], strict=True))
    index._feature_ids = {f: i for i, f in enumerate(features)}
    if len(index._feature_ids) != len(features):
        raise StoreError("a feature twice")
    index._concept = bytearray(a["concept"])
    index._df = a["df"]
    postings, ends = a["postings"], a["posting_ends"]
    index._postings = [postings[x:y] for x, y in pairwise(ends)]
    place_postings, ends = a["place_postings"], a["place_ends"]
    index._place_postings = {
        place: place_postings[x:y] for place, (x, y) in zip(places, pairwise(ends), strict=True)
    }
    index._ids, index._start, index._feats = a["ids"], a["start"], a["feats"]
    index._counts, index._place_of = a["counts"], a["place_of"]
    index._village_of = a["village_of"]
    index._slot = {opinion: slot for slot, opinion in enumerate(index._ids) if opinion >= 0}
    if len(index._slot) != header["live"]:
        raise StoreError("an opinion twice")
    index._place_sets, index._villages = place_sets, villages
    index._shared = {value: i for i, value in enumerate(place_sets)}
    index._shared.update({value: i for i, value in enumerate(villages)})
    index._shared.update({frozenset(): 0, "": 0})
    index._known_places = {str(k): str(v) for k, v in header["known_places"].items()}
    index._known_names = set(index._known_places.values())


def _check(
    header: dict,
    a: dict[str, array],
    n_features: int,
    place_sets: list[frozenset[str]],
    villages: list[str],
    n_places: int,
) -> None:
    """Lengths, offsets and the smaller tables' references, so that a damaged file fails here
    rather than in a clerk's request. The long per-feature arrays are covered by the hash
    instead: scanning them would triple the load time."""
    n_slots = len(a["ids"])
    if not (
        len(a["concept"]) == len(a["df"]) == n_features == len(a["posting_ends"]) - 1
        and len(a["start"]) == n_slots + 1
        and len(a["place_of"]) == len(a["village_of"]) == n_slots
        and len(a["feats"]) == len(a["counts"]) == a["start"][-1]
        and a["start"][0] == a["posting_ends"][0] == a["place_ends"][0] == 0
        and len(a["place_ends"]) == n_places + 1
        and a["posting_ends"][-1] == len(a["postings"])
        and a["place_ends"][-1] == len(a["place_postings"])
        and len(a["gram_df"]) == len(header["grams"])
        and place_sets[:1] == [frozenset()]
        and villages[:1] == [""]
    ):
        raise StoreError("lengths do not match")
    for name, bound in (
        ("concept", 2),
        ("df", n_slots + 1),
        ("place_postings", n_slots),
        ("place_of", len(place_sets)),
        ("village_of", len(villages)),
    ):
        values = a[name]
        if values and (min(values) < 0 or max(values) >= bound):
            raise StoreError(f"{name} out of range")
    for ends in (a["start"], a["posting_ends"], a["place_ends"]):
        if any(x > y for x, y in pairwise(ends)):  # with the ends checked: all in range
            raise StoreError("offsets go backwards")
