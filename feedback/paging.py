"""Lists shown a page at a time (the inbox, the suggestions, a department's closed items)."""

from __future__ import annotations


def page_count(total: int, size: int) -> int:
    """How many pages `total` rows make at `size` a page; at least one, so an empty list still
    has its page 1 to say so."""
    return max(1, -(-total // size))
