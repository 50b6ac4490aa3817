"""The audit log: every change to the records goes through `record`."""

from __future__ import annotations

import json
from typing import Any

from sqlite_utils import Database

from feedback import clock, labels
from feedback.db import write_transaction


def record(
    db: Database,
    actor: str,
    action: str,
    object_type: str,
    object_id: str | int | None = None,
    **detail: Any,
) -> None:
    """Log who did what to which record; call inside the transaction that made the change.
    The moment is China time like every other stamp (the column's default would be UTC)."""
    db["audit_log"].insert(
        {
            "at": clock.stamp(),
            "actor": actor,
            "action": action,
            "object_type": object_type,
            "object_id": None if object_id is None else str(object_id),
            "detail": json.dumps(detail, ensure_ascii=False, default=str),
        }
    )


def phone_revealed(db: Database, actor: str, opinion: dict | None) -> None:
    """A whole phone number shown on purpose (the opinion page, a desk, a deputy's phone,
    the return-visit list) is logged in its own transaction; nothing to log without one."""
    if opinion and opinion.get("phone"):
        with write_transaction(db):
            record(db, actor, "opinion.reveal_phone", "opinion", opinion["id"])


def history(db: Database, object_type: str, object_id: int) -> list[dict]:
    """Everything logged about one record, oldest first, with its details decoded."""
    rows = list(
        db.query(
            "select * from audit_log where object_type = ? and object_id = ? order by id",
            [object_type, str(object_id)],
        )
    )
    return _decoded(rows)


# An opinion put behind a suggestion or taken out is logged on the opinion, naming the
# suggestion in its detail; migration 0011 indexes exactly this expression.
_LINKED = (
    "coalesce(json_extract(detail, '$.after.suggestion'), "
    "json_extract(detail, '$.before.suggestion'))"
)
LINK_ACTIONS = "action in ('opinion.merge', 'opinion.unmerge')"


def suggestion_history(db: Database, suggestion_id: int) -> list[dict]:
    """A suggestion's own entries and every opinion added to it or taken out of it, oldest
    first: what stands behind it is part of its story."""
    rows = list(
        db.query(
            "select *, 0 as linked from audit_log "
            "where object_type = 'suggestion' and object_id = ? "
            f"union all select *, 1 from audit_log where {LINK_ACTIONS} and {_LINKED} = ? "
            "order by id",
            [str(suggestion_id), suggestion_id],
        )
    )
    return _decoded(rows)


def _decoded(rows: list[dict]) -> list[dict]:
    for row in rows:
        row["detail"] = json.loads(row["detail"] or "{}")
    return rows


def describe(entry: dict) -> str:
    """One entry as staff read it in a page's 记录: the action and each change in Chinese,
    moments in China time. An opinion's merge seen from its suggestion names the opinion."""
    action = labels.AUDIT_ACTIONS.get(entry["action"], entry["action"])
    if entry.get("linked"):
        verb = "并入本建议" if entry["action"] == "opinion.merge" else "移出本建议"
        action = f"{action}(意见 #{entry['object_id']} {verb})"
    detail = entry["detail"]
    before, after = detail.get("before") or {}, detail.get("after") or {}
    changes = [
        f"{_field(key)}:{_value(key, before.get(key))} → {_value(key, value)}"
        if key in before
        else f"{_field(key)}:{_value(key, value)}"
        for key, value in after.items()
    ]
    changes += [
        f"{_field(key)}:{_value(key, value)}"
        for key, value in detail.items()
        if key not in ("before", "after")
    ]
    return " · ".join([action, *changes])


def _field(key: str) -> str:
    return labels.AUDIT_FIELDS.get(key, key)


def _value(key: str, value: Any) -> str:
    if value is None or value == "":
        return "空"
    if key == "status":
        value = labels.OPINION_STATUSES.get(value, value)
    if key == "opinions" and isinstance(value, list):
        return "、".join(f"#{v}" for v in value)
    if key == "suggestion":
        return f"#{value}"
    return str(clock.display_value(value))
