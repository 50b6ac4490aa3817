"""One save of the suggestion page: tier, deadline, department, the lead and co-signing
deputies, a progress note and
the next status (with the final answer when closing), in one transaction.

Taking a suggestion to 交办 took a save (one page load) and then the 交办 button (another),
and every later step a note and a status apart (issue 13): the page now sends them
together, and the rules stay those of feedback.suggestions (update_in, add_note_in,
advance_in), each enforced in its SQL. Either all of it is stored or, when one part is
refused (no answer for 已办结, no department for 交办, someone else moved it first),
none of it, and the page shows what was typed with the reason.
"""

from __future__ import annotations

from datetime import date

from sqlite_utils import Database

from feedback import deputy_suggestions, suggestions
from feedback.access import Access
from feedback.db import write_transaction


def changes_for(suggestion: dict, tier: str, deadline: str, tier_days: dict):
    """The handling fields to store: a new tier with the deadline left as it was moves the
    deadline to that tier's (counted from the day the suggestion was made); a deadline the
    clerk typed is kept as typed. The deputies are chosen from the registry (`signers` of
    save); the free text of older rows (suggestions.deputies) is kept, never rewritten."""
    changes = {"tier": tier}
    if tier != suggestion["tier"] and deadline == suggestion["deadline"]:
        start = date.fromisoformat(suggestion["created_at"][:10])
        changes["deadline"] = suggestions.deadline_for(tier, start, tier_days)
    elif deadline:
        changes["deadline"] = deadline
    return changes


def save(
    db: Database,
    access: Access,
    suggestion: dict,
    changes: dict,
    department: str | None,
    note: str = "",
    advance: bool = False,
    answer: str | None = None,
    signers: tuple[str, list[str]] | None = None,
) -> str | None:
    """Store the page's fields; with `advance`, move on from the status the page showed
    (`suggestion["status"]`). `signers`: the lead deputy's code ("" for none) and the
    co-signers' (feedback.deputy_suggestions). The status moved to, or None."""
    with write_transaction(db):
        suggestions.update_in(db, access, suggestion["id"], changes, department)
        if signers is not None:
            deputy_suggestions.set_signers_in(db, access, suggestion, *signers)
        if note:
            suggestions.add_note_in(db, access, suggestion["id"], note)
        if advance:
            return suggestions.advance_in(
                db, access, suggestion["id"], suggestion["status"], answer
            )
    return None
