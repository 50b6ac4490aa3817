"""The schema, owned here alone, as numbered migrations (sqlite-utils Migrations).

`feedback init` applies whatever is pending, so an older database moves forward without
losing data. Never edit an applied migration: add the next number here. The bodies of
0001-0013 (the whole domain of PRODUCT.md, then the columns and indexes later features
needed) live in feedback.migrations_early and are registered first, in their order.
"""

from __future__ import annotations

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

from feedback.migrations_early import EARLY, run_script

migrations = Migrations("feedback")
for _name, _body in EARLY:
    migrations(name=_name)(_body)


@migrations(name="0014_rating_reasons")
def rating_reasons(db: Database) -> None:
    """Why a villager is not satisfied (不满意), in their words, optional: a clerk reading 80
    不满意 a month needs to know which answers to go back to (issue 13)."""
    run_script(db, "ALTER TABLE opinions ADD COLUMN rating_reason TEXT;")


@migrations(name="0015_recurrences")
def recurrences(db: Database) -> None:
    """A suggestion opened because a closed problem came back names the one it follows, so
    both pages can point to each other (the lamps broke again)."""
    run_script(
        db, "ALTER TABLE suggestions ADD COLUMN follows_id INTEGER REFERENCES suggestions (id);"
    )
