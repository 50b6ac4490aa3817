"""Migrations move older data forward: those added for the clerk's workbench (issue 13) and
the text-message outbox rebuilt for supporters (issue 16)."""

import sqlite3

import pytest

from feedback import schema
from feedback.db import connect, migrate


def test_0010_rewrites_utc_defaults_as_china_time(tmp_path):
    db = connect(tmp_path / "old.db")
    schema.migrations.apply(db, stop_before="0010_china_stamps")
    db.execute(
        "insert into audit_log (at, actor, action, object_type) "
        "values ('2026-03-01T17:30:00', 'cli', 'station.add', 'station')"
    )
    db.execute(
        "insert into audit_log (at, actor, action, object_type) "
        "values ('2026-03-02T09:00:00+08:00', 'cli', 'station.add', 'station')"
    )
    db.execute(
        "insert into stations (code, name, town, created_at) "
        "values ('old-1', '旧站', '甲镇', '2026-03-01T16:00:00')"
    )
    migrate(db)
    stamps = [row[0] for row in db.execute("select at from audit_log order by id")]
    assert stamps == ["2026-03-02T01:30:00+08:00", "2026-03-02T09:00:00+08:00"]
    assert db["stations"].get(1)["created_at"] == "2026-03-02T00:00:00+08:00"


def test_0030_rebuilds_the_outbox_keeping_its_messages_and_their_attempts(tmp_path):
    db = connect(tmp_path / "old.db")
    schema.migrations.apply(db, stop_before="0030_supporter_texts")
    db.execute("insert into stations (code, name, town) values ('ll-01', '六龙村', '甲镇')")
    db.execute(
        "insert into opinions (receipt, station_id, body, category, phone, consent, sms, "
        "created_at) values ('KKKKKKK2', 1, '路灯', 'other', '13812345678', 1, 1, "
        "'2026-11-01T10:00:00+08:00')"
    )
    db.execute(
        "insert into sms_outbox (opinion_id, event, phone, receipt, status, next_at, tag, "
        "created_at) values (1, 'answered', '13812345678', 'KKKKKKK2', 'sent', "
        "'2026-11-01T10:00:00+08:00', 'mst1', '2026-11-01T10:00:00+08:00')"
    )
    db.execute(
        "insert into sms_attempts (outbox_id, at, provider, action, outcome) "
        "values (1, '2026-11-01T10:00:01+08:00', 'tencent', 'send', 'ok Ok')"
    )
    db.conn.commit()
    migrate(db)
    assert db.execute("select opinion_id, supporter_id, tag from sms_outbox").fetchall() == [
        (1, None, "mst1")
    ]
    assert db.execute("select outbox_id from sms_attempts").fetchall() == [(1,)]
    assert db.execute("pragma foreign_keys").fetchone()[0] == 1
    assert not db.execute("pragma foreign_key_check").fetchall()
    with pytest.raises(sqlite3.IntegrityError):  # a message is about one opinion or one supporter
        db.execute(
            "insert into sms_outbox (event, suggestion_id, phone, next_at, tag, created_at) "
            "values ('supported_answered', null, '13812345678', '', 'mst2', '')"
        )
