"""Station commands: add, import (UTF-8, BOM, GBK, bad files), list, disable."""

import json

import pytest

from tests.conftest import feedback_cli

HEADER = "code,name,town,village,kind,address\n"
ROWS = "ll-01,六龙村议事亭,甲镇,六龙村,议事亭,村委会旁\ndt-02,大塘村联络站,甲镇,大塘村,联络站,\n"


def codes(db):
    return [row["code"] for row in db["stations"].rows_where(order_by="code")]


def test_add_and_list(runner, db):
    result = runner.invoke(
        args=[
            "station",
            "add",
            "LL-01",
            "六龙村议事亭",
            "--town",
            "甲镇",
            "--village",
            "六龙村",
            "--kind",
            "议事亭",
            "--address",
            "村委会旁",
        ]
    )
    assert result.exit_code == 0, result.output
    assert "https://feedback.example.gov.cn/s/ll-01" in result.output
    listed = runner.invoke(args=["station", "list", "--json"])
    (station,) = json.loads(listed.output)
    assert station["code"] == "ll-01"
    assert station["name"] == "六龙村议事亭"
    assert station["kind"] == "议事亭"
    assert station["active"] is True
    assert station["url"] == "https://feedback.example.gov.cn/s/ll-01"
    assert "六龙村议事亭" in runner.invoke(args=["station", "list"]).output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["x", "名称", "--town", "甲镇"], "code must be 2-32 characters"),
        (["a b", "名称", "--town", "甲镇"], "code must be 2-32 characters"),
        (["a" * 33, "名称", "--town", "甲镇"], "code must be 2-32 characters"),
        (["ok-1", "名称", "--town", "甲镇", "--kind", "庙"], "kind must be one of"),
        (["ok-1", "  ", "--town", "甲镇"], "name is required"),
        (["ok-1", "名称", "--town", " "], "town is required"),
        (["ok-1", "名" * 41, "--town", "甲镇"], "name is over 40 characters"),
    ],
)
def test_add_rejects_bad_values(runner, db, args, message):
    result = runner.invoke(args=["station", "add", *args])
    assert result.exit_code != 0
    assert message in result.output
    assert codes(db) == []


def test_add_refuses_a_taken_code(runner, db):
    runner.invoke(args=["station", "add", "ll-01", "六龙村议事亭", "--town", "甲镇"])
    result = runner.invoke(args=["station", "add", "LL-01", "别的站", "--town", "乙镇"])
    assert result.exit_code != 0
    assert "already taken" in result.output
    assert db["stations"].count == 1


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk"], ids=["utf8", "utf8-bom", "gbk"])
def test_import_as_excel_saves_it(runner, db, tmp_path, encoding):
    path = tmp_path / "stations.csv"
    path.write_bytes((HEADER + ROWS).replace("\n", "\r\n").encode(encoding))
    result = runner.invoke(args=["station", "import", str(path)])
    assert result.exit_code == 0, result.output
    assert "Imported 2 stations" in result.output
    assert codes(db) == ["dt-02", "ll-01"]
    assert db["stations"].get(1)["name"] == "六龙村议事亭"
    assert db["stations"].get(1)["village"] == "六龙村"


def test_import_chinese_headers(runner, db, tmp_path):
    path = tmp_path / "站点.csv"
    path.write_bytes(("编码,名称,镇街,村,类型,地址\n" + ROWS).encode("gbk"))
    assert runner.invoke(args=["station", "import", str(path)]).exit_code == 0
    assert codes(db) == ["dt-02", "ll-01"]


def test_import_with_bad_rows_imports_nothing_and_names_each_line(runner, db, tmp_path):
    runner.invoke(args=["station", "add", "taken-1", "已有站点", "--town", "甲镇"])
    path = tmp_path / "bad.csv"
    path.write_text(
        HEADER
        + "good-1,好站点,甲镇,,,\n"  # line 2: fine
        + "BAD CODE,坏编码,甲镇,,,\n"  # line 3
        + "\n"  # line 4: blank lines are skipped
        + "no-town,缺镇,,,,\n"  # line 5
        + "good-1,重复,甲镇,,,\n"  # line 6
        + "kind-1,类型错,甲镇,,庙宇,\n"  # line 7
        + "taken-1,已被占用,甲镇,,,\n",  # line 8
        encoding="utf-8",
    )
    result = runner.invoke(args=["station", "import", str(path)])
    assert result.exit_code != 0
    out = result.output
    assert "line 3: code must be" in out
    assert "line 5: town is required" in out
    assert "line 6: code good-1 repeats line 2" in out
    assert "line 7: kind must be one of" in out
    assert "line 8: code taken-1 is already taken" in out
    assert ": line 2:" not in out
    assert "nothing was imported" in out
    assert codes(db) == ["taken-1"]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "the file is empty"),
        (HEADER.encode(), "no stations"),
        (b"code,name,town,colour\nll-01,x,y,red\n", "unknown column(s) colour"),
        (b"code,name\nll-01,x\n", "missing column(s) town"),
        (b"code,name,town\n\xff\xfe\x00\x00bad,x,y\n", "cannot read the file as UTF-8 or GBK"),
        (b"code,name,town\nll-01,a,b,extra\n", "more cells than columns"),
    ],
)
def test_import_rejects_unreadable_files(runner, db, tmp_path, content, message):
    path = tmp_path / "x.csv"
    path.write_bytes(content)
    result = runner.invoke(args=["station", "import", str(path)])
    assert result.exit_code != 0
    assert message in result.output
    assert codes(db) == []


def test_disable_and_enable(runner, db, client):
    runner.invoke(args=["station", "add", "ll-01", "六龙村议事亭", "--town", "甲镇"])
    assert runner.invoke(args=["station", "disable", "ll-01"]).exit_code == 0
    assert client.get("/s/ll-01").status_code == 404
    listed = json.loads(runner.invoke(args=["station", "list", "--json"]).output)
    assert listed[0]["active"] is False
    assert "[disabled]" in runner.invoke(args=["station", "list"]).output
    assert runner.invoke(args=["station", "enable", "ll-01"]).exit_code == 0
    assert client.get("/s/ll-01").status_code == 200
    result = runner.invoke(args=["station", "disable", "nope-1"])
    assert result.exit_code != 0
    assert "no station with code nope-1" in result.output


def test_changes_are_audited(runner, db):
    runner.invoke(args=["station", "add", "ll-01", "六龙村议事亭", "--town", "甲镇"])
    runner.invoke(args=["station", "disable", "ll-01"])
    actions = [row["action"] for row in db["audit_log"].rows_where(order_by="id")]
    assert actions == ["station.add", "station.disable"]


def test_console_script_init_is_idempotent_and_seeding_twice_adds_nothing(instance):
    first = feedback_cli("init")
    assert first.returncode == 0, first.stderr
    assert "SECRET_KEY" in first.stdout
    secret = (instance / "config.py").read_text()
    second = feedback_cli("init")
    assert second.returncode == 0
    assert "up to date" in second.stdout
    assert (instance / "config.py").read_text() == secret

    assert "Added 3 demo stations" in feedback_cli("demo").stdout
    assert "no demo stations added" in feedback_cli("demo").stdout
    listed = json.loads(feedback_cli("station", "list", "--json").stdout)
    assert len(listed) == 3
    assert len({s["code"] for s in listed}) == 3


def test_init_migrates_an_older_database_without_losing_data(instance):
    from feedback.db import connect

    assert feedback_cli("init").returncode == 0
    db = connect(instance / "feedback.db")
    db["stations"].insert({"code": "keep-1", "name": "保留", "town": "甲镇"})
    db.execute("delete from _sqlite_migrations")  # as if every migration were new
    db.conn.commit()
    db.close()
    result = feedback_cli("init")
    # Re-running the initial migration over existing tables must fail loudly, not wipe them.
    assert result.returncode != 0
    db = connect(instance / "feedback.db")
    assert [r["code"] for r in db["stations"].rows] == ["keep-1"]


def test_make_seed_twice_keeps_three_demo_stations(instance, tmp_path):
    """`make run` seeds before serving; a second run must not duplicate anything."""
    import subprocess

    from tests.conftest import ROOT

    out = tmp_path / "posters"
    for _ in range(2):
        result = subprocess.run(
            ["make", "-s", "seed", f"QRCODES={out}"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=600,
        )
        assert result.returncode == 0, result.stdout + result.stderr
    listed = json.loads(feedback_cli("station", "list", "--json").stdout)
    assert sorted(s["code"] for s in listed) == [
        "datang-lianluozhan",
        "jiazhen-gonggaolan",
        "liulong-ting",
    ]
    assert sorted(p.name for p in out.glob("*.pdf")) == [
        "all-posters.pdf",
        "datang-lianluozhan.pdf",
        "jiazhen-gonggaolan.pdf",
        "liulong-ting.pdf",
    ]
