"""Receipt codes (查询码): short, unambiguous, case-insensitive, unguessable, unique.

Eight characters from 31 symbols without 0/O, 1/I/L: about 8.5e11 codes (39.6 bits), so
guessing one of ten thousand live codes takes ~85 million tries at the status page.
Shown as ABCD-EFGH; typed any way (lower case, spaces, with or without the dash).
"""

from __future__ import annotations

import re
import secrets

ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
LENGTH = 8
_VALID = re.compile(f"^[{ALPHABET}]{{{LENGTH}}}$")


def new_code() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))


def normalise(text: str) -> str | None:
    """The stored form of a typed code, or None if it cannot be one."""
    code = re.sub(r"[\s\-_.·—]", "", text or "").upper()
    return code if _VALID.match(code) else None


def display(code: str) -> str:
    return f"{code[:4]}-{code[4:]}"
