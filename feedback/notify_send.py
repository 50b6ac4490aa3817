"""Sending the outbox (`feedback notify`, run by a systemd timer every minute).

Nothing is lost or sent twice when this process dies at any moment:
- one run at a time (an fcntl lock beside the database, released by the kernel when the
  process dies), so every row found 'sending' by a run was left by a dead or timed-out one;
- rows are claimed ('sending', committed) before any is sent, and each answer is committed
  as it comes;
- a row left 'sending' is never sent again blindly: the provider is asked whether it has a
  message with the row's tag (feedback.sms_aliyun / sms_tencent `query`); found, it is
  sent; not found after FEEDBACK_SMS_RECONCILE_AFTER seconds, it is sent again; when the
  provider cannot tell, it waits for the next run;
- a refusal worth retrying waits 1, 2, 4, ... minutes (at most an hour) up to
  FEEDBACK_SMS_MAX_ATTEMPTS; every request and answer is kept in sms_attempts.
"""

from __future__ import annotations

import fcntl
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Protocol

from sqlite_utils import Database

from feedback import clock, notify, sms
from feedback.db import write_transaction


class Provider(Protocol):
    name: str

    def send(self, phone: str, event: str, param: str, tag: str) -> sms.Outcome: ...

    def query(self, phone: str, tag: str, since: int) -> sms.Outcome | None: ...

    def replies(self) -> list[sms.Reply]: ...


@dataclass(frozen=True)
class Policy:
    base_url: str
    batch: int = 100
    max_attempts: int = 6
    reconcile_after: int = 300  # seconds a claim waits before the provider is asked
    expire_hours: int = 72  # older news is not worth a text any more


@dataclass
class Report:
    configured: bool = True
    busy: bool = False  # another `feedback notify` holds the lock
    sent: int = 0
    retry: int = 0
    failed: int = 0
    unknown: int = 0
    reconciled: int = 0  # found at the provider after an interrupted send
    requeued: int = 0  # not found there: sent again
    expired: int = 0
    opted_out: int = 0
    halted: str = ""  # the provider refused our configuration: the code
    notes: list[str] = field(default_factory=list)
    waiting: int = 0


def provider_for(settings: sms.Settings | None) -> Provider | None:
    from feedback.sms_aliyun import Aliyun
    from feedback.sms_tencent import Tencent

    if settings is None:
        return None
    return {"tencent": Tencent, "aliyun": Aliyun}[settings.provider](settings)


@contextmanager
def _one_run(lock: Path) -> Iterator[bool]:
    lock.parent.mkdir(parents=True, exist_ok=True)
    with open(lock, "a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def waiting(db: Database) -> int:
    return db.execute("select count(*) from sms_outbox where status = 'pending'").fetchone()[0]


def run(db: Database, provider: Provider | None, policy: Policy, lock: Path) -> Report:
    """One pass over the outbox: settle interrupted sends, then send what is due."""
    if provider is None:
        return Report(configured=False, waiting=waiting(db))
    report = Report()
    with _one_run(lock) as held:
        if not held:
            report.busy = True
            return report
        _take_replies(db, provider, report)
        _reconcile(db, provider, policy, report)
        _sweep(db, policy, report)  # after both: a message put back may be stale or unwanted
        if not report.halted:
            claimed = _claim(db, provider, policy)
            for index, row in enumerate(claimed):
                if not _send(db, provider, policy, row, report):
                    _release(db, [later["id"] for later in claimed[index + 1 :]])
                    break
    report.waiting = waiting(db)
    return report


def _sweep(db: Database, policy: Policy, report: Report) -> None:
    """Old news is not sent; messages to numbers opted out since are cancelled."""
    too_old = clock.stamp(clock.now() - timedelta(hours=policy.expire_hours))
    with write_transaction(db):
        report.expired = db.execute(
            "update sms_outbox set status = 'expired', error = ? "
            "where status = 'pending' and created_at < ?",
            [f"超过 {policy.expire_hours} 小时未能发出,不再发送", too_old],
        ).rowcount
        db.execute(
            "update sms_outbox set status = 'cancelled', error = '已退订' where status = "
            "'pending' and exists (select 1 from sms_optouts x where x.phone = "
            "sms_outbox.phone and x.at >= coalesce((select o.created_at from opinions o "
            "where o.id = sms_outbox.opinion_id), (select p.created_at from supporters p "
            "where p.id = sms_outbox.supporter_id)))"
        )


def _take_replies(db: Database, provider: Provider, report: Report) -> None:
    try:
        replies = provider.replies()
    except LookupError as error:
        report.notes.append(f"could not pull replies: {error}")
        return
    for reply in replies:
        phone = notify.normalise_phone(reply.phone)
        if phone and notify.is_stop(reply.text):
            with write_transaction(db):
                notify.opt_out(db, phone, "reply", "villager")
            report.opted_out += 1


def _record(db: Database, row_id: int, provider: str, action: str, outcome: sms.Outcome) -> None:
    db.execute(
        "insert into sms_attempts (outbox_id, at, provider, action, outcome, response) "
        "values (?, ?, ?, ?, ?, ?)",
        [row_id, clock.stamp(), provider, action, f"{outcome.kind} {outcome.code}".strip()]
        + [outcome.response],
    )


def _reconcile(db: Database, provider: Provider, policy: Policy, report: Report) -> None:
    """Rows left 'sending' by a run that died (or got no answer): ask the provider."""
    settled = clock.stamp(clock.now() - timedelta(seconds=policy.reconcile_after))
    rows = list(
        db.query(
            "select * from sms_outbox where status = 'sending' and claimed_at <= ? order by id",
            [settled],
        )
    )
    for row in rows:
        since = int(clock.parse(row["claimed_at"]).timestamp()) - 60
        try:
            found = provider.query(row["phone"], row["tag"], since) if row["phone"] else None
        except LookupError as error:
            with write_transaction(db):
                _record(
                    db,
                    row["id"],
                    provider.name,
                    "query",
                    sms.Outcome("unknown", response=str(error)),
                )
            report.notes.append(f"message {row['id']}: the provider could not tell; next run")
            continue
        with write_transaction(db):
            if found is not None:
                _record(db, row["id"], provider.name, "query", found)
                db.execute(
                    "update sms_outbox set status = 'sent', sent_at = ?, error = null, "
                    "provider_id = coalesce(?, provider_id) where id = ? and status = 'sending'",
                    [clock.stamp(), found.provider_id, row["id"]],
                )
                report.reconciled += 1
            else:
                _record(db, row["id"], provider.name, "query", sms.Outcome("not-found"))
                db.execute(
                    "update sms_outbox set status = 'pending', next_at = ?, "
                    "error = '服务商没有收到,重新发送' where id = ? and status = 'sending'",
                    [clock.stamp(), row["id"]],
                )
                report.requeued += 1


def _claim(db: Database, provider: Provider, policy: Policy) -> list[dict]:
    """Mark the due messages 'sending' and commit, before the first is sent. The template's
    one parameter is the receipt, or for a supporter the suggestion's id."""
    merged, answered, supported = (
        notify.TEXTS[event].format(link=policy.base_url + notify.LINKS[event])
        for event in ("merged", "answered", "supported_answered")
    )
    now = clock.stamp()
    with write_transaction(db):
        cursor = db.execute(
            "update sms_outbox set status = 'sending', claimed_at = ?, attempts = attempts + 1, "
            "provider = ?, body = replace(case event when 'merged' then ? when 'answered' "
            "then ? else ? end, '{param}', coalesce(receipt, suggestion_id)) "
            "where id in (select id from sms_outbox "
            "where status = 'pending' and next_at <= ? and phone is not null "
            "order by next_at, id limit ?) returning id, phone, event, "
            "coalesce(receipt, cast(suggestion_id as text)) as param, tag, attempts",
            [now, provider.name, merged, answered, supported, now, policy.batch],
        )
        columns = [c[0] for c in cursor.description]
        rows = [dict(zip(columns, values, strict=True)) for values in cursor.fetchall()]
    return sorted(rows, key=lambda row: row["id"])


def backoff(attempts: int) -> timedelta:
    return timedelta(seconds=min(3600, 60 * 2 ** max(0, attempts - 1)))


def _send(db: Database, provider: Provider, policy: Policy, row: dict, report: Report) -> bool:
    """Send one claimed message and commit what the provider said; False stops the run."""
    outcome = provider.send(row["phone"], row["event"], row["param"], row["tag"])
    with write_transaction(db):
        _record(db, row["id"], provider.name, "send", outcome)
        if outcome.kind == sms.OK:
            db.execute(
                "update sms_outbox set status = 'sent', sent_at = ?, provider_id = ?, "
                "error = null where id = ?",
                [clock.stamp(), outcome.provider_id, row["id"]],
            )
            report.sent += 1
        elif outcome.kind == sms.HALT:  # our keys or templates: not the message's fault
            db.execute(
                "update sms_outbox set status = 'pending', attempts = attempts - 1, error = ? "
                "where id = ?",
                [f"服务商拒绝了配置:{outcome.code}", row["id"]],
            )
            report.halted = outcome.code
            return False
        elif outcome.kind == sms.UNKNOWN:
            db.execute(
                "update sms_outbox set error = ? where id = ?",
                [f"没有收到服务商的答复({outcome.code}),稍后向服务商核实", row["id"]],
            )
            report.unknown += 1
        elif outcome.kind == sms.TRANSIENT and row["attempts"] < policy.max_attempts:
            db.execute(
                "update sms_outbox set status = 'pending', next_at = ?, error = ? where id = ?",
                [clock.stamp(clock.now() + backoff(row["attempts"])), outcome.code, row["id"]],
            )
            report.retry += 1
        else:
            db.execute(
                "update sms_outbox set status = 'failed', error = ? where id = ?",
                [outcome.code or outcome.kind, row["id"]],
            )
            if outcome.code == "FailedOperation.PhoneNumberInBlacklist":
                notify.opt_out(db, row["phone"], "provider", provider.name)
            report.failed += 1
    return True


def _release(db: Database, ids: list[int]) -> None:
    """The rest of a halted batch, never sent, goes back untouched for the run after the fix."""
    with write_transaction(db):
        for row_id in ids:
            db.execute(
                "update sms_outbox set status = 'pending', attempts = attempts - 1 "
                "where id = ? and status = 'sending'",
                [row_id],
            )
