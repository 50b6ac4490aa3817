"""The record of work (feedback.deputy_record) against a constructed year where every number
is known: activities by kind, people met, opinions collected, suggestions led and
co-signed, their results and satisfaction, the points (default and configured); the
register in Excel and the 述职 PDF from the CLI and the web; the bulletin's deputies table;
and bad input (a wrong year, an unknown deputy, another town) refused with nothing written."""

from __future__ import annotations

import io
import re
import subprocess

import pytest
from openpyxl import load_workbook

from feedback import deputies, deputy_record, periods, reports, users
from feedback.render.duty_report import REGISTER_HEADERS
from tests.conftest import sign_in

STATIONS = (
    {"id": 1, "code": "ll-01", "name": "六龙村议事亭", "town": "甲镇", "village": "六龙村"},
    {"id": 2, "code": "dt-01", "name": "大塘村联络站", "town": "甲镇", "village": "大塘村"},
    {"id": 3, "code": "yz-01", "name": "乙镇公告栏", "town": "乙镇", "village": ""},
)
# (deputy id, kind, held_on, people)
ACTIVITIES = (
    (1, "reception", "2026-03-02", 10),
    (1, "reception", "2026-03-09", 5),
    (1, "visit", "2026-03-10", 2),
    (1, "visit", "2026-04-11", 3),
    (1, "visit", "2026-05-12", 4),
    (1, "market", "2026-03-15", 30),
    (1, "forum", "2025-12-31", 99),  # last year: never counted
    (2, "forum", "2026-03-20", 8),
)
# (id, station, deputy, channel, status, created_at, rating)
OPINIONS = (
    (1, 1, 1, "visit", "merged", "2026-03-03", "满意"),
    (2, 1, 1, "visit", "merged", "2026-03-04", "不满意"),
    (3, 1, 1, "market", "merged", "2026-03-15", None),
    (4, 1, 1, "phone", "new", "2026-06-01", None),
    (5, 1, 1, "visit", "new", "2025-11-01", None),  # last year
    (6, 1, 1, "visit", "spam", "2026-03-05", None),  # spam: never counted
    (7, 1, 1, "form", "new", "2026-03-06", None),  # through the 代表码: apart, no points
    (8, 1, 1, "form", "new", "2026-07-06", None),
    (9, 2, None, "form", "merged", "2026-03-07", None),
    (10, 2, None, "form", "merged", "2025-05-07", None),
)
# (id, number, status, result, created_at, closed_at, [(deputy, role)], opinions, verdict)
SUGGESTIONS = (
    (1, "甲镇-2026-0001", "已办结", "A", "2026-03-05", "2026-03-20", [(1, "lead"), (2, "cosign")],
     [1, 2], "满意"),
    (2, "甲镇-2026-0002", "已办结", "C", "2026-03-16", "2026-03-28", [(1, "lead")], [3],
     "不满意"),
    (3, "甲镇-2026-0003", "办理中", None, "2026-03-08", None, [(2, "lead"), (1, "cosign")],
     [9], None),
    (4, "甲镇-2025-0009", "已办结", "A", "2025-05-08", "2025-06-01", [(1, "lead")], [10],
     "满意"),
)  # fmt: skip


def _stamp(day: str) -> str:
    return f"{day}T09:00:00+08:00"


@pytest.fixture
def year(db):
    db["stations"].insert_all(STATIONS)
    db.conn.commit()
    for code, name, town, station in (
        ("wang", "王丽", "甲镇", "ll-01"),
        ("li", "李四", "甲镇", "dt-01"),
        ("yi", "乙代表", "乙镇", "yz-01"),
        ("old", "老代表", "甲镇", "ll-01"),
    ):
        deputies.add(db, {"code": code, "name": name, "town": town, "stations": station})
    deputies.retire(db, "old")
    for deputy_id, kind, held_on, people in ACTIVITIES:
        db["deputy_activities"].insert(
            {
                "deputy_id": deputy_id,
                "kind": kind,
                "held_on": held_on,
                "place": "六龙村",
                "people": people,
                "created_by": "wl",
                "created_at": _stamp(held_on),
            }
        )
    for opinion_id, station, deputy, channel, status, day, rating in OPINIONS:
        db["opinions"].insert(
            {
                "id": opinion_id,
                "receipt": f"RCPT{opinion_id:04d}",
                "station_id": station,
                "body": f"意见第 {opinion_id} 条的内容",
                "category": "other",
                "channel": channel,
                "status": status,
                "deputy_id": deputy,
                "created_at": _stamp(day),
                "rating": rating,
                "rated_at": _stamp("2026-03-25") if rating else None,
            }
        )
    for sid, number, status, result, made, closed, signers, linked, verdict in SUGGESTIONS:
        db["suggestions"].insert(
            {
                "id": sid,
                "town": "甲镇",
                "year": int(made[:4]),
                "seq": sid,
                "number": number,
                "title": f"关于六龙村的问题 {sid}",
                "body": "内容",
                "category": "other",
                "tier": "一般",
                "status": status,
                "result_class": result,
                "created_at": _stamp(made),
                "closed_at": _stamp(closed) if closed else None,
                "answer": "已答复" if closed else None,
            }
        )
        for deputy_id, role in signers:
            db["suggestion_deputies"].insert(
                {
                    "suggestion_id": sid,
                    "deputy_id": deputy_id,
                    "role": role,
                    "added_by": "jia",
                    "added_at": _stamp(made),
                }
            )
        for opinion_id in linked:
            db["suggestion_opinions"].insert(
                {"suggestion_id": sid, "opinion_id": opinion_id, "added_at": _stamp(made)}
            )
        if verdict:
            db["deputy_verdicts"].insert(
                {
                    "suggestion_id": sid,
                    "deputy_id": signers[0][0],
                    "closed_at": _stamp(closed),
                    "verdict": verdict,
                    "comment": "" if verdict == "满意" else "路还是没修好",
                    "at": _stamp(closed),
                }
            )
    return db


def by_code(rows):
    return {row["code"]: row for row in rows}


def test_every_number_of_the_year_is_known(year):
    rows = by_code(deputy_record.register(year, 2026))
    assert list(rows) == ["yi", "li", "wang", "old"]  # by town, in office first, by name
    wang = rows["wang"]
    assert wang["activities"] == {
        "reception": 2,
        "visit": 3,
        "inspection": 0,
        "forum": 0,
        "market": 1,
    }
    assert (wang["activity_count"], wang["people"]) == (6, 54)
    assert (wang["collected"], wang["through_card"]) == (4, 2)
    assert (wang["led"], wang["cosigned"], wang["closed"]) == (2, 1, 2)
    assert wang["results"] == {"A": 1, "B": 0, "C": 1}
    assert wang["verdicts"] == {"满意": 1, "基本满意": 0, "不满意": 1}
    assert wang["verdict_rate"].text == "50.0%"
    assert wang["villagers"] == {"满意": 1, "基本满意": 0, "不满意": 1}
    # reception 2x2 + visit 3x2 + market 1x2 + 4 opinions x1 + 2 led x5 + 1 co-signed x2
    assert wang["points"] == 4 + 6 + 2 + 4 + 10 + 2 == 28
    li = rows["li"]
    assert (li["activity_count"], li["people"], li["led"], li["cosigned"]) == (1, 8, 1, 1)
    assert li["points"] == 2 + 5 + 2
    assert li["verdict_rate"].text == "—"  # nothing of theirs judged yet
    assert rows["old"]["points"] == 0 and rows["old"]["active"] == 0  # retired, still listed
    last = by_code(deputy_record.register(year, 2025))["wang"]
    assert (last["activity_count"], last["people"], last["collected"], last["led"]) == (1, 99, 1, 1)


def test_the_county_sets_its_own_points(year):
    configured = {"activity": {"visit": 5}, "lead": 10}
    wang = by_code(deputy_record.register(year, 2026, "甲镇", configured))["wang"]
    assert wang["points"] == 4 + 15 + 2 + 4 + 20 + 2
    assert set(by_code(deputy_record.register(year, 2026, "乙镇"))) == {"yi"}


def test_the_bulletin_has_the_deputies_table_and_their_satisfaction(year):
    town = reports.build(year, "2026-03", "甲镇")["deputies"]
    rows = {row["label"]: row for row in town["rows"]}
    assert set(rows) == {"王丽", "李四"}  # the retired deputy did nothing in March
    assert (rows["王丽"]["activities"], rows["王丽"]["people"]) == (4, 47)
    assert (rows["王丽"]["collected"], rows["王丽"]["led"]) == (3, 2)
    assert (town["judged"], town["rate"].text) == (2, "50.0%")
    county = reports.build(year, "2026-03")["deputies"]
    assert [(r["label"], r["deputies"], r["activities"]) for r in county["rows"]] == [
        ("乙镇", 1, 0),
        ("甲镇", 2, 5),
    ]
    from feedback.render import bulletin, ledger

    report = reports.build(year, "2026-03", "甲镇")
    page = bulletin.html(report)
    assert 'id="deputy-table"' in page and "代表满意率 50.0%" in page
    figures = ledger.report_csv(report).decode("utf-8-sig")
    assert "人大代表,代表满意率,50.0%" in figures and "人大代表,王丽 收集意见,3" in figures
    assert "本期领衔代表填写代表意见征询表 2 份" in page
    quarter = bulletin.html(reports.build(year, periods.parse("quarter", "2026-Q1"), "甲镇"))
    assert "本期领衔代表填写代表意见征询表 2 份" in quarter and "代表满意率 50.0%" in quarter
    assert re.search(r"<dt>\d+\. 代表满意率</dt><dd>本期领衔代表填写的代表意见征询表", quarter)


def test_the_register_and_the_summary_from_the_cli(year, runner, tmp_path):
    out = tmp_path / "register.xlsx"
    done = runner.invoke(args=["deputy", "record", "--year", "2026", "--out", str(out)])
    assert done.exit_code == 0, done.output
    assert "4 deputies" in done.output
    sheet = load_workbook(out).active
    assert [c.value for c in sheet[2]] == REGISTER_HEADERS
    wang = next(row for row in sheet.iter_rows(min_row=3, values_only=True) if row[2] == "wang")
    assert wang[1] == "王丽" and wang[-1] == 28 and wang[-3] == "50.0%"
    pdf = tmp_path / "wang.pdf"
    done = runner.invoke(args=["deputy", "report", "wang", "--year", "2026", "--out", str(pdf)])
    assert done.exit_code == 0, done.output
    text = subprocess.run(
        ["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert "王丽代表 2026 年度履职情况" in text and "28 分" in text
    assert "领衔 2 件,附议 1 件" in text


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["record", "--year", "20x6"], "bad year '20x6'"),
        (["record", "--year", "2099"], "year 2099 has not started yet"),
        (["record", "--year", "2026", "--town", "丙镇"], "unknown town '丙镇'"),
        (["report", "nobody", "--year", "2026"], "no deputy with code nobody"),
        (["report", "wang", "--year", "1999"], "year 1999 is before 2000"),
    ],
)
def test_bad_input_names_the_problem_and_writes_nothing(year, runner, tmp_path, args, message):
    out = tmp_path / ("x.pdf" if args[0] == "report" else "x.xlsx")
    done = runner.invoke(args=["deputy", *args, "--out", str(out)])
    assert done.exit_code != 0 and message in done.output
    assert not out.exists()


def test_the_web_gives_the_county_to_admins_and_a_town_to_its_clerk(year, client, app):
    users.add(year, "boss", "correct horse", "admin", None)
    users.add(year, "yi-clerk", "correct horse", "clerk", "乙镇")
    sign_in(client, "boss")
    page = client.get("/admin/record/?year=2026").get_data(as_text=True)
    assert "全县 2026 年度人大代表履职积分登记表" in page and "王丽" in page and "乙代表" in page
    download = client.get("/admin/record/register.xlsx?year=2026&town=甲镇")
    assert download.status_code == 200
    sheet = load_workbook(io.BytesIO(download.data)).active
    assert {row[2] for row in sheet.iter_rows(min_row=3, max_row=5, values_only=True)} == {
        "wang",
        "li",
        "old",
    }
    summary = client.get("/admin/record/wang?year=2026").get_data(as_text=True)
    assert "王丽代表 2026 年度履职情况" in summary and "28 分" in summary
    assert client.get("/admin/record/wang/pdf?year=2026").data.startswith(b"%PDF")
    bad = client.get("/admin/record/?year=2099")
    assert bad.status_code == 400 and "2099 年还没有到" in bad.get_data(as_text=True)
    assert 'value="2099"' in bad.get_data(as_text=True)  # the year typed stays in the box
    client = app.test_client()
    sign_in(client, "yi-clerk")
    mine = client.get("/admin/record/?year=2026").get_data(as_text=True)
    assert "乙代表" in mine and "王丽" not in mine
    assert client.get("/admin/record/?year=2026&town=甲镇").status_code == 404
    assert client.get("/admin/record/wang?year=2026").status_code == 404
    assert client.get("/admin/record/wang/pdf?year=2026").status_code == 404


def test_a_deputy_reads_their_own_record_on_the_phone(year, client):
    users.add(year, "wl", "correct horse", "deputy", None, deputy="wang")
    sign_in(client, "wl")
    assert "我的履职记录" in client.get("/admin/deputy/").get_data(as_text=True)
    mine = client.get("/admin/deputy/record?year=2026").get_data(as_text=True)
    assert "王丽代表 2026 年度履职情况" in mine and "28 分" in mine
    wrong = client.get("/admin/deputy/record?year=2099")
    assert wrong.status_code == 400 and "2099 年还没有到" in wrong.get_data(as_text=True)
    assert client.get("/admin/record/?year=2026").status_code == 404  # the county's is not theirs
