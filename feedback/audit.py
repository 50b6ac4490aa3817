"""The audit log: every change to the records goes through `record`."""

from __future__ import annotations

import json
from typing import Any

from sqlite_utils import Database


def record(
    db: Database,
    actor: str,
    action: str,
    object_type: str,
    object_id: str | int | None = None,
    **detail: Any,
) -> None:
    """Log who did what to which record; call inside the transaction that made the change."""
    db["audit_log"].insert(
        {
            "actor": actor,
            "action": action,
            "object_type": object_type,
            "object_id": None if object_id is None else str(object_id),
            "detail": json.dumps(detail, ensure_ascii=False, default=str),
        }
    )


def history(db: Database, object_type: str, object_id: int) -> list[dict]:
    """Everything logged about one record, oldest first, with its details decoded."""
    rows = list(
        db.query(
            "select * from audit_log where object_type = ? and object_id = ? order by id",
            [object_type, str(object_id)],
        )
    )
    for row in rows:
        row["detail"] = json.loads(row["detail"] or "{}")
    return rows
