"""Migrations added for the clerk's workbench (issue 13) move older data forward."""

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
