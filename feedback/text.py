"""What people type, cleaned the same way on every path: the villager's form, a clerk's page,
a CSV row and the command line. Also the length and pattern rules of the contract."""

from __future__ import annotations

import re
import unicodedata

BODY_MIN, BODY_MAX = 5, 2000
PHONE_PATTERN = r"^1[3-9][0-9]{9}$"  # a mainland mobile number
CODE_PATTERN = r"^[a-z0-9-]{2,32}$"  # station and deputy codes, part of the QR address

# Zero-width characters that make text look longer than it is (ZWJ stays: emoji need it).
_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u2060\ufeff"))


def clean_text(value: str | None) -> str | None:
    """Trim, and drop control characters (NUL, C1...) and zero-width spaces no one types."""
    if not isinstance(value, str):
        return value
    value = value.translate(_INVISIBLE)
    return "".join(ch for ch in value if ch in "\n\t" or unicodedata.category(ch) != "Cc").strip()


def clean_line(value: str | None) -> str | None:
    """Like clean_text, for one-line fields: line breaks become spaces."""
    value = clean_text(value)
    return " ".join(value.split()) if isinstance(value, str) else value


def phone_digits(value: str | None) -> str | None:
    """A phone number as typed (full-width digits, spaces, dashes, +86) to plain digits."""
    if not isinstance(value, str):
        return value
    value = re.sub(r"[\s\-()]", "", unicodedata.normalize("NFKC", value))
    return re.sub(r"^(\+?86)", "", value) if len(value) > 11 else value


def is_code(value: str) -> bool:
    return re.fullmatch(CODE_PATTERN, value) is not None
