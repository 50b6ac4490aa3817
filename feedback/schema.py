"""The schema, owned here alone, as numbered migrations (sqlite-utils Migrations).

`feedback init` applies whatever is pending, so an older database moves forward without
losing data. Never edit an applied migration: add the next number. The bodies of
0001-0013 (the whole domain of PRODUCT.md, then the columns and indexes later features
needed) live in feedback.migrations_early, those of 0014 on (departments, deputies, the
loop back to villagers) in feedback.migrations_later; both are registered here, in order.
"""

from __future__ import annotations

from sqlite_utils.migrations import Migrations

from feedback.migrations_early import EARLY
from feedback.migrations_later import LATER

migrations = Migrations("feedback")
for _name, _body in EARLY:
    migrations(name=_name)(_body)
for _name, _body, _transactional in LATER:
    migrations(name=_name, transactional=_transactional)(_body)
