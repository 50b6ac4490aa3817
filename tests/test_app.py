"""The app itself: factory, health, station pages, Chinese errors, operations."""

from pathlib import Path

import pytest

from feedback import create_app
from feedback.db import connect, migrate


def test_healthz_writes_the_database(client, db):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json["status"] == "ok"
    assert db.execute("select count(*) from heartbeat").fetchone()[0] == 1


def test_healthz_fails_without_a_database(instance):
    app = create_app({"TESTING": True, "SECRET_KEY": "x"})  # never initialised
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.json["status"] == "error"


def test_station_page_shows_the_station(client, db):
    db["stations"].insert({"code": "ll-01", "name": "六龙村议事亭", "town": "甲镇"})
    response = client.get("/s/ll-01")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "六龙村议事亭" in page
    assert 'lang="zh-CN"' in page


def test_station_codes_are_case_insensitive(client, db):
    db["stations"].insert({"code": "ll-01", "name": "六龙村议事亭", "town": "甲镇"})
    assert client.get("/s/LL-01").status_code == 200


def test_unknown_station_is_a_chinese_404(client):
    response = client.get("/s/no-such-station")
    assert response.status_code == 404
    assert "没有找到这个页面" in response.get_data(as_text=True)


def test_disabled_station_is_a_404(client, db):
    db["stations"].insert({"code": "old-01", "name": "旧公告栏", "town": "甲镇", "active": 0})
    assert client.get("/s/old-01").status_code == 404


def test_station_names_are_escaped(client, db):
    db["stations"].insert({"code": "xss-01", "name": "<script>alert(1)</script>", "town": "甲镇"})
    page = client.get("/s/xss-01").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;" in page


def test_database_is_in_wal_mode(app):
    db = connect(app.config["FEEDBACK_DATABASE"])
    assert db.execute("pragma journal_mode").fetchone()[0] == "wal"


def test_environment_overrides_instance_config(instance, monkeypatch):
    instance.mkdir(parents=True)
    (instance / "config.py").write_text("FEEDBACK_BASE_URL = 'https://from-file.example'\n")
    assert create_app().config["FEEDBACK_BASE_URL"] == "https://feedback.example.gov.cn"
    monkeypatch.delenv("FEEDBACK_BASE_URL")
    assert create_app().config["FEEDBACK_BASE_URL"] == "https://from-file.example"


def test_init_sweeps_photo_files_left_by_a_crash(app, runner, db):
    import os
    import time

    folder = Path(app.instance_path) / "photos" / "ab"
    folder.mkdir(parents=True)
    old, recent, kept = folder / "old.jpg", folder / "recent.jpg", folder / "kept.jpg"
    for path in (old, recent, kept):
        path.write_bytes(b"jpeg")
    for path in (old, kept):
        os.utime(path, (time.time() - 7200, time.time() - 7200))
    db["stations"].insert({"id": 1, "code": "ll-01", "name": "站", "town": "甲镇"})
    at = "2026-11-23T10:00:00+08:00"
    db["opinions"].insert(
        {
            "receipt": "ABCDEFGH",
            "station_id": 1,
            "body": "路灯坏了很久",
            "category": "other",
            "created_at": at,
        }
    )
    db["photos"].insert(
        {
            "opinion_id": 1,
            "filename": "ab/kept.jpg",
            "width": 1,
            "height": 1,
            "bytes": 4,
            "created_at": at,
        }
    )
    result = runner.invoke(args=["init"])
    assert "Removed 1 photo file" in result.output
    assert not old.exists() and recent.exists() and kept.exists()


@pytest.mark.parametrize(("hops", "second_status"), [(0, 429), (1, 201)])
def test_rate_limits_see_the_villager_address_behind_a_proxy(instance, hops, second_status):
    settings = {"SECRET_KEY": "x", "WTF_CSRF_ENABLED": False, "FEEDBACK_PROXY_HOPS": hops}
    app = create_app({**settings, "FEEDBACK_LIMIT_NO_COOKIE": 1})
    db = connect(app.config["FEEDBACK_DATABASE"])
    migrate(db)
    db["stations"].insert({"code": "ll-01", "name": "六龙村议事亭", "town": "甲镇"})
    db.conn.commit()
    statuses = [
        app.test_client()
        .post(
            "/s/ll-01",
            data={"body": f"第{n}位村民反映路灯不亮"},
            headers={"Accept": "application/json", "X-Forwarded-For": f"10.0.0.{n}"},
        )
        .status_code
        for n in (1, 2)
    ]
    assert statuses == [201, second_status]
