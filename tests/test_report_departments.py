"""The bulletin's tables by department and by town, and its quarters and half-years: figures
checked against a constructed first quarter of 2026 where every number is known in advance,
built through the real acts of online handling (feedback.handling, feedback.handling_town)
with the clock moved from one act to the next; the files read back; a town's report never
showing another town's office; the CLI's and the staff page's period errors.

The world: 甲镇 (stations 1, 2) and 乙镇 (station 3); offices 甲镇环保办 and 甲镇水利站 (甲镇's
own, the second never used), 乙镇农办 (乙镇's), 县交通运输局 and 县教育局 (county offices, the
second never used). Suggestions, all of 2026:

- S1 甲镇 (opinion 1): 5 Jan handed to 环保办 (lead) and 交通局 (co), due to sign 6 Jan 09:00;
  环保办 signs at once, 交通局 on 7 Jan (late); urged 15 Jan; extension asked 20 Jan, granted
  21 Jan (deadline 31 Jan -> 10 Feb); answered class A, closed 3 Feb (on time); rated 满意 5 Feb.
- S2 甲镇 (opinion 2): 2 Feb handed to 交通局 (lead) and 环保办 (co); 交通局 returns it the same
  day (the co-handler goes with it); 3 Feb handed to 环保办 alone, signed 4 Feb 10:00 (late);
  urged twice 9 Feb; class B, closed 11 Feb (deadline 8 Feb: late); rated 不满意 12 Feb.
- S3 甲镇 (opinion 3): 16 Feb to 环保办 (lead, signs on time) and 交通局 (co, returns it); an
  extension asked 20 Feb is refused 21 Feb; class C, closed 3 Mar (deadline 25 Feb: late);
  rated 基本满意 4 Mar. Open and overdue at February's cut-off.
- S4 乙镇 (opinions 4, 5): 10 Feb to 农办 (lead) and 交通局 (co), both sign on time; class A,
  closed 21 Feb (on time); rated 满意 twice.
- S5 甲镇 (opinion 6): the old way, no online handing: the clerk names 环保办 and moves it to
  已交办 on 5 Feb; still open, due 31 Mar: overdue at the quarter's cut-off.
- Opinion 7 (甲镇, 20 Feb) and 8 (乙镇, 5 Mar) stay pending.

Reports are made on 15 April 2026: February and the first quarter are past periods.
"""

from __future__ import annotations

import csv
import io
from datetime import datetime

import openpyxl
import pytest

from feedback import clock, departments, handling, handling_town, reports, schema, users
from feedback import suggestions as suggestion_rules
from feedback.access import Access
from feedback.db import connect, migrate
from feedback.periods import parse
from tests.conftest import TWO_TOWNS, sign_in

REPORTED = datetime(2026, 4, 15, 12, 0, tzinfo=clock.CHINA)
JIA = Access("clerk", "甲镇", "jia")
YI = Access("clerk", "乙镇", "yi")
FIELDS = {"title": "路灯不亮", "body": "路灯不亮", "category": "other", "tier": "一般"}


class Clock:
    """clock.now() as the test sets it."""

    def __init__(self, monkeypatch):
        self.moment = REPORTED
        monkeypatch.setattr(clock, "now", lambda: self.moment)

    def at(self, when: str) -> None:
        """'02-16 09:00' in 2026, China time."""
        self.moment = datetime.strptime(f"2026-{when}", "%Y-%m-%d %H:%M").replace(
            tzinfo=clock.CHINA
        )


@pytest.fixture
def quarter(app, db, monkeypatch):
    """The first quarter above; returns the offices by short name."""
    time = Clock(monkeypatch)
    db["stations"].insert_all(TWO_TOWNS)
    offices = {
        "hb": departments.add(db, "甲镇环保办", "boss", "甲镇"),
        "sl": departments.add(db, "甲镇水利站", "boss", "甲镇"),
        "nb": departments.add(db, "乙镇农办", "boss", "乙镇"),
        "jt": departments.add(db, "县交通运输局", "boss"),
        "jy": departments.add(db, "县教育局", "boss"),
    }
    account = {}
    for name in ("hb", "nb", "jt"):
        users.add(
            db, name, "correct horse", "department", None, department=office(db, offices[name])
        )
        account[name] = Access.of(next(db.query("select * from users where username = ?", [name])))
    days = app.config["FEEDBACK_TIER_DAYS"]

    def opinion(n: int, station: int, when: str) -> None:
        time.at(when)
        db["opinions"].insert(
            {
                "id": n,
                "receipt": f"QQQQQQQ{'ABCDEFGHJ'[n]}",
                "station_id": station,
                "body": f"第{n}条意见:路灯坏了",
                "category": "other",
                "created_at": clock.stamp(),
            }
        )
        db.conn.commit()

    def suggestion(access: Access, ids: list[int], when: str) -> int:
        time.at(when)
        return suggestion_rules.create(db, access, ids, FIELDS, days)

    def act(when: str, do, *args) -> None:
        time.at(when)
        do(db, *args, handling.latest_event(db, args[1]))

    def rate(opinion_id: int, rating: str, when: str) -> None:
        from feedback import opinions

        time.at(when)
        opinions.rate(db, db["opinions"].get(opinion_id), rating)

    hb, nb, jt = account["hb"], account["nb"], account["jt"]
    # S1
    opinion(1, 1, "01-05 08:00")
    s1 = suggestion(JIA, [1], "01-05 08:30")
    act("01-05 09:00", hand, JIA, s1, offices["hb"], [offices["jt"]], "2026-01-31")
    act("01-05 15:00", handling.sign_for, hb, s1)
    act("01-07 10:00", handling.sign_for, jt, s1)
    act("01-15 10:00", urge, JIA, s1)
    act("01-20 10:00", ask, hb, s1, "2026-02-10")
    act("01-21 10:00", grant, JIA, s1, True)
    act("02-02 10:00", answer, hb, s1, "A")
    act("02-03 10:00", accept, JIA, s1)
    rate(1, "满意", "02-05 10:00")
    # S2
    opinion(2, 1, "02-02 08:00")
    s2 = suggestion(JIA, [2], "02-02 08:30")
    act("02-02 09:00", hand, JIA, s2, offices["jt"], [offices["hb"]], "2026-02-08")
    act("02-02 14:00", give_back, jt, s2)
    act("02-03 09:00", hand, JIA, s2, offices["hb"], [], "2026-02-08")
    act("02-04 10:00", handling.sign_for, hb, s2)
    act("02-09 10:00", urge, JIA, s2)
    act("02-09 11:00", urge, JIA, s2)
    act("02-10 10:00", answer, hb, s2, "B")
    act("02-11 10:00", accept, JIA, s2)
    rate(2, "不满意", "02-12 10:00")
    # S3
    opinion(3, 2, "02-16 08:00")
    s3 = suggestion(JIA, [3], "02-16 08:30")
    act("02-16 09:00", hand, JIA, s3, offices["hb"], [offices["jt"]], "2026-02-25")
    act("02-16 10:00", handling.sign_for, hb, s3)
    act("02-16 11:00", give_back, jt, s3)
    act("02-20 10:00", ask, hb, s3, "2026-03-20")
    act("02-21 10:00", grant, JIA, s3, False)
    act("03-02 10:00", answer, hb, s3, "C")
    act("03-03 10:00", accept, JIA, s3)
    rate(3, "基本满意", "03-04 10:00")
    # S4
    opinion(4, 3, "02-10 08:00")
    opinion(5, 3, "02-10 08:00")
    s4 = suggestion(YI, [4, 5], "02-10 08:30")
    act("02-10 09:00", hand, YI, s4, offices["nb"], [offices["jt"]], "2026-03-10")
    act("02-10 11:00", handling.sign_for, nb, s4)
    act("02-11 08:00", handling.sign_for, jt, s4)
    act("02-20 10:00", answer, nb, s4, "A")
    act("02-21 10:00", accept, YI, s4)
    rate(4, "满意", "02-22 10:00")
    rate(5, "满意", "02-23 10:00")
    # S5, the old way
    opinion(6, 1, "01-10 08:00")
    s5 = suggestion(JIA, [6], "01-10 08:30")
    suggestion_rules.update(db, JIA, s5, {"deadline": "2026-03-31"}, "甲镇环保办")
    time.at("02-05 10:00")
    suggestion_rules.advance(db, JIA, s5, "待交办")
    # pending ones
    opinion(7, 1, "02-20 09:00")
    opinion(8, 3, "03-05 09:00")
    time.moment = REPORTED
    assert [s1, s2, s3, s4, s5] == [1, 2, 3, 4, 5]
    return offices


def office(db, department_id: int) -> str:
    return departments.get(db, department_id)["name"]


def hand(db, access, suggestion_id, lead, co, deadline, seen):
    handling_town.hand_over(db, access, suggestion_id, lead, co, deadline, seen)


def urge(db, access, suggestion_id, seen):
    handling_town.urge(db, access, suggestion_id, "请抓紧", seen)


def ask(db, access, suggestion_id, until, seen):
    handling.ask_extension(db, access, suggestion_id, until, "需要采购材料", seen)


def grant(db, access, suggestion_id, yes, seen):
    handling_town.decide_extension(db, access, suggestion_id, yes, "" if yes else "不能再拖", seen)


def answer(db, access, suggestion_id, result_class, seen):
    handling.submit_answer(db, access, suggestion_id, result_class, "已经办理完毕", seen)


def accept(db, access, suggestion_id, seen):
    handling_town.review(db, access, suggestion_id, True, "", seen)


def give_back(db, access, suggestion_id, seen):
    handling.give_back(db, access, suggestion_id, "不属于本单位职责", seen)


def table(report: dict) -> dict[str, dict]:
    """The department rows by office name, rates as their text."""
    return {
        row["name"]: {
            key: (value.text if isinstance(value, reports.Rate) else value)
            for key, value in row.items()
        }
        for row in report["departments"]["rows"]
    }


def figures(row: dict) -> tuple:
    return (
        row["received"],
        row["as_lead"],
        row["as_co"],
        row["signed"],
        row["signed_on_time"],
        row["sign_rate"],
        row["returned"],
        row["closed"],
        row["closed_on_time"],
        row["on_time"],
        row["extensions_asked"],
        row["extensions_granted"],
        row["urges"],
        (row["class_a"], row["class_b"], row["class_c"]),
        row["rated"],
        row["satisfaction"],
    )


ZERO = (0, 0, 0, 0, 0, "—", 0, 0, 0, "—", 0, 0, 0, (0, 0, 0), 0, "—")


def build(db, kind: str, value: str, town: str | None = None) -> dict:
    return reports.build(db, parse(kind, value, REPORTED), town, now=REPORTED)


# --- The figures --------------------------------------------------------------------------
def test_february_by_department_in_the_county(db, quarter):
    r = build(db, "month", "2026-02")
    rows = table(r)
    assert list(rows) == ["县交通运输局", "乙镇农办", "甲镇环保办"]  # county offices first
    # received (lead/co, one of the lead three the old way), signed 1 of 2 on time, closed
    # S1 on time and S2 late, S3's extension asked (not granted), S2 urged twice, A and B,
    # ratings of S1 (满意) and S2 (不满意) given in February.
    assert figures(rows["甲镇环保办"]) == (
        4, 3, 1, 2, 1, "50.0%", 0, 2, 1, "50.0%", 1, 0, 2, (1, 1, 0), 2, "50.0%"
    )  # fmt: skip
    # S2 as lead, S3 and S4 as co; S4 signed on time; S2 and S3 returned; nothing closed.
    assert figures(rows["县交通运输局"]) == (
        3, 1, 2, 1, 1, "100.0%", 2, 0, 0, "—", 0, 0, 0, (0, 0, 0), 0, "—"
    )  # fmt: skip
    assert figures(rows["乙镇农办"]) == (
        1, 1, 0, 1, 1, "100.0%", 0, 1, 1, "100.0%", 0, 0, 0, (1, 0, 0), 2, "100.0%"
    )  # fmt: skip
    assert rows["县交通运输局"]["unit"] == "县直" and rows["甲镇环保办"]["unit"] == "甲镇"
    assert r["departments"]["idle"] == 2  # 甲镇水利站 and 县教育局: in use, nothing this month


def test_the_first_quarter_by_department(db, quarter):
    r = build(db, "quarter", "2026-Q1")
    assert r["title"] == "全县 2026年第一季度群众意见建议办理情况分析"
    rows = table(r)
    assert figures(rows["甲镇环保办"]) == (
        5, 4, 1, 3, 2, "66.7%", 0, 3, 1, "33.3%", 2, 1, 3, (1, 1, 1), 3, "66.7%"
    )  # fmt: skip
    assert figures(rows["县交通运输局"]) == (
        4, 1, 3, 2, 1, "50.0%", 2, 0, 0, "—", 0, 0, 0, (0, 0, 0), 0, "—"
    )  # fmt: skip
    assert figures(rows["乙镇农办"]) == figures(table(build(db, "month", "2026-02"))["乙镇农办"])


def test_a_towns_report_lists_its_offices_and_the_county_offices_it_used(db, quarter):
    jia = table(build(db, "month", "2026-02", "甲镇"))
    # Its own offices, the unused one too, then the county office that handled its items,
    # counted on 甲镇's items only (S4's co-handling and signing are 乙镇's).
    assert list(jia) == ["甲镇水利站", "甲镇环保办", "县交通运输局"]
    assert figures(jia["甲镇水利站"]) == ZERO
    assert figures(jia["县交通运输局"]) == (
        2, 1, 1, 0, 0, "—", 2, 0, 0, "—", 0, 0, 0, (0, 0, 0), 0, "—"
    )  # fmt: skip
    assert figures(jia["甲镇环保办"]) == figures(table(build(db, "month", "2026-02"))["甲镇环保办"])
    yi = table(build(db, "month", "2026-02", "乙镇"))
    assert list(yi) == ["乙镇农办", "县交通运输局"]
    assert figures(yi["县交通运输局"]) == (
        1, 0, 1, 1, 1, "100.0%", 0, 0, 0, "—", 0, 0, 0, (0, 0, 0), 0, "—"
    )  # fmt: skip
    january = table(build(db, "month", "2026-01", "乙镇"))
    assert list(january) == ["乙镇农办"] and figures(january["乙镇农办"]) == ZERO


def test_towns_side_by_side(db, quarter):
    r = build(db, "month", "2026-02")
    towns = {
        row["town"]: (
            row["received"],
            row["merged"],
            row["suggestions"],
            row["completion"].text,
            row["closed"],
            row["on_time"].text,
            row["rated"],
            row["satisfaction"].text,
            row["overdue"],
        )
        for row in r["towns"]
    }
    assert towns == {
        "乙镇": (2, 2, 1, "100.0%", 1, "100.0%", 2, "100.0%", 0),
        "甲镇": (3, 2, 2, "50.0%", 2, "50.0%", 2, "50.0%", 1),  # S3 overdue on 1 March
    }
    # The towns add up to the county's own figures.
    assert sum(t[0] for t in towns.values()) == r["opinions"]["received"] == 5
    assert sum(t[1] for t in towns.values()) == r["opinions"]["merged_opinions"] == 4
    assert r["suggestions"]["completion"].text == "66.7%" and len(r["overdue"]) == 1
    assert r["satisfaction"]["rate"].text == "75.0%"
    q1 = {row["town"]: row for row in build(db, "quarter", "2026-Q1")["towns"]}
    jia = q1["甲镇"]
    assert (jia["received"], jia["merged"], jia["suggestions"]) == (5, 4, 4)
    assert (jia["completion"].text, jia["on_time"].text, jia["satisfaction"].text) == (
        "75.0%",
        "33.3%",
        "66.7%",
    )
    assert jia["overdue"] == 1  # S5, due 31 March, judged on 1 April
    assert (q1["乙镇"]["received"], q1["乙镇"]["overdue"]) == (3, 0)
    assert build(db, "month", "2026-02", "甲镇")["towns"] is None  # a town's report has none


def test_handings_survive_returns(db, quarter):
    """The log keeps each handing: S2's first (to 交通局 and 环保办, both taken off by the
    lead's return) and S3's co-handling by 交通局 (returned), beside the rows held now."""
    rows = db.execute(
        "select suggestion_id, department_id, role, handed_at, signed_at is not null "
        "from department_handings where suggestion_id in (2, 3) order by id"
    ).fetchall()
    hb, jt = quarter["hb"], quarter["jt"]
    assert rows == [
        (2, jt, "lead", "2026-02-02T09:00:00+08:00", 0),
        (2, hb, "co", "2026-02-02T09:00:00+08:00", 0),
        (2, hb, "lead", "2026-02-03T09:00:00+08:00", 1),
        (3, hb, "lead", "2026-02-16T09:00:00+08:00", 1),
        (3, jt, "co", "2026-02-16T09:00:00+08:00", 0),
    ]
    held = db.execute("select count(*) from suggestion_departments where suggestion_id in (2, 3)")
    assert held.fetchone()[0] == 2


def test_the_half_year_runs_and_says_so(db, quarter):
    r = build(db, "half", "2026-H1", "甲镇")
    p = r["period"]
    assert r["title"] == "甲镇 2026年上半年群众意见建议办理情况总结"
    assert p.current and p.cutoff == "2026-07-01T00:00:00+08:00" and p.this == "上半年"
    assert [m["month"] for m in r["trend"]][-1] == "2026-04"  # the trend ends with this month
    assert table(r)["甲镇环保办"]["received"] == 5
    assert r["opinions"]["received"] == 5 and r["suggestions"]["created"] == 4


def test_a_stray_link_to_another_towns_office_never_shows_in_the_town(db, quarter):
    """Older data: a 甲镇 suggestion whose office is 乙镇's. The county counts it for 乙镇农办;
    甲镇's report does not list 乙镇农办 at all."""
    db["suggestions"].insert(
        {
            "town": "甲镇",
            "year": 2026,
            "seq": 99,
            "number": "甲镇-2026-0099",
            "title": "旧数据",
            "body": "旧数据",
            "category": "other",
            "status": "已办结",
            "department_id": quarter["nb"],
            "created_at": "2026-02-01T09:00:00+08:00",
            "assigned_at": "2026-02-01T10:00:00+08:00",
            "closed_at": "2026-02-06T10:00:00+08:00",
            "deadline": "2026-02-28",
        }
    )
    assert table(build(db, "month", "2026-02"))["乙镇农办"]["closed"] == 2
    jia = build(db, "month", "2026-02", "甲镇")
    assert "乙镇农办" not in table(jia)
    assert "乙镇农办" not in str(jia["departments"])


# --- Files --------------------------------------------------------------------------------
def test_the_county_workbook_and_csv(db, quarter, runner, tmp_path):
    out = tmp_path / "q1.xlsx"
    result = runner.invoke(args=["report", "--quarter", "2026-Q1", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "全县 2026-Q1" in result.output
    book = openpyxl.load_workbook(out)
    assert book.sheetnames == ["建议台账", "群众意见", "承办单位", "各镇街对比", "报表数据"]
    sheet = book["承办单位"]
    header = [c.value for c in sheet[1]]
    rows = {
        r[0]: dict(zip(header, r, strict=True))
        for r in sheet.iter_rows(min_row=2, values_only=True)
    }
    assert list(rows) == ["县交通运输局", "乙镇农办", "甲镇环保办"]
    hb = rows["甲镇环保办"]
    assert hb == {
        "承办单位": "甲镇环保办",
        "所属": "甲镇",
        "收到交办": 5,
        "其中主办": 4,
        "其中协办": 1,
        "签收": 3,
        "按时签收": 2,
        "签收及时率": "66.7%",
        "退回": 0,
        "办结": 3,
        "按期办结": 1,
        "按期办结率": "33.3%",
        "申请延期": 2,
        "同意延期": 1,
        "督办": 3,
        "A类": 1,
        "B类": 1,
        "C类": 1,
        "参评": 3,
        "满意率": "66.7%",
    }
    assert rows["县交通运输局"]["按期办结率"] == "—" and rows["县交通运输局"]["所属"] == "县直"
    towns = book["各镇街对比"]
    by_town = {r[0]: r for r in towns.iter_rows(min_row=2, values_only=True)}
    assert [c.value for c in towns[1]] == [
        "镇街",
        "收到意见",
        "并入建议的意见",
        "新建建议",
        "办结率",
        "办结建议",
        "按期办结率",
        "参评",
        "满意率",
        "超期建议",
    ]
    assert by_town["甲镇"] == ("甲镇", 5, 4, 4, "75.0%", 3, "33.3%", 3, "66.7%", 1)

    ledger = book["建议台账"]
    header = [c.value for c in ledger[1]]
    items = {
        r[0]: dict(zip(header, r, strict=True))
        for r in ledger.iter_rows(min_row=2, values_only=True)
    }
    s1 = items["甲镇-2026-0001"]
    assert (s1["主办单位"], s1["协办单位"], s1["签收时间"], s1["办理结果"]) == (
        "甲镇环保办",
        "县交通运输局",
        datetime(2026, 1, 5, 15, 0),
        "A 已解决或采纳",
    )
    s2, s3 = items["甲镇-2026-0002"], items["甲镇-2026-0003"]
    assert (s2["协办单位"], s2["签收时间"], s2["办理结果"]) == (
        None,
        datetime(2026, 2, 4, 10, 0),
        "B 正在解决或列入计划",
    )  # the co-handler went with the lead's return; the second handing was to 环保办 alone
    assert (s3["协办单位"], s3["办理结果"]) == (None, "C 因条件限制暂不能解决")
    s4 = items["乙镇-2026-0001"]
    assert (s4["主办单位"], s4["协办单位"]) == ("乙镇农办", "县交通运输局")
    old_way = items["甲镇-2026-0004"]
    assert (old_way["主办单位"], old_way["签收时间"], old_way["办理结果"]) == (
        "甲镇环保办",
        None,
        None,
    )

    csv_out = tmp_path / "q1.csv"
    assert (
        runner.invoke(args=["report", "--quarter", "2026-Q1", "--out", str(csv_out)]).exit_code == 0
    )
    values = {(a, b): c for a, b, c in csv.reader(io.StringIO(csv_out.read_text("utf-8-sig")))}
    assert values[("报表", "统计期")] == "2026年第一季度"
    assert values[("报表", "起止日期")] == "2026-01-01 至 2026-03-31"
    assert values[("承办单位", "甲镇环保办(甲镇) · 签收及时率")] == "66.7%"
    assert values[("承办单位", "县交通运输局(县直) · 退回")] == "2"
    assert values[("承办单位", "县交通运输局(县直) · 满意率")] == "—"
    assert values[("承办单位", "在用但本期没有数据的单位数")] == "2"
    assert values[("各镇街对比", "乙镇 · 收到意见")] == "3"
    assert values[("各镇街对比", "甲镇 · 超期建议")] == "1"
    assert values[("12 个月趋势", "2026-03 收到意见")] == "1"  # the trend ends with March
    assert ("12 个月趋势", "2026-04 收到意见") not in values


def test_a_towns_files_show_none_of_another_towns_offices(db, quarter, runner, tmp_path):
    for fmt in ("xlsx", "csv", "html"):
        out = tmp_path / f"jia.{fmt}"
        result = runner.invoke(
            args=["report", "--month", "2026-02", "--town", "甲镇", "--out", str(out)]
        )
        assert result.exit_code == 0, result.output
        if fmt == "xlsx":
            book = openpyxl.load_workbook(out)
            assert "各镇街对比" not in book.sheetnames
            text = " ".join(str(c.value) for s in book for row in s.iter_rows() for c in row)
        else:
            text = out.read_text("utf-8-sig")
        assert "乙镇农办" not in text and "甲镇水利站" in text and "县交通运输局" in text, fmt
        assert "县教育局" not in text, fmt  # a county office that did nothing for 甲镇


def test_the_bulletin_html_has_both_tables(db, quarter, app):
    from feedback.render import bulletin

    with app.app_context():
        county = bulletin.html(build(db, "quarter", "2026-Q1"))
        jia = bulletin.html(build(db, "half", "2026-H1", "甲镇"))
    assert "全县 2026年第一季度群众意见建议办理情况分析" in county
    assert 'id="by-town"' in county and 'id="by-office"' in county
    assert "另有 2 个在用的承办单位本期没有办理记录" in county
    office = county.split('data-office="甲镇环保办"')[1].split("</tr>")[0]
    assert "<b>66.7%</b>" in office and "2/3" in office and "1/1/1" in office
    assert "签收及时率" in county.split('id="notes"')[1]  # defined in the footnotes
    assert "甲镇 2026年上半年群众意见建议办理情况总结" in jia and "上半年收到群众意见" in jia
    assert 'id="by-town"' not in jia and "乙镇农办" not in jia


# --- The period on the command line and the staff page -------------------------------------
@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--quarter", "2026-Q5"], "Invalid value for '--quarter': bad quarter '2026-Q5'"),
        (["--half", "2026-H3"], "Invalid value for '--half': bad half-year '2026-H3'"),
        (["--quarter", "2026-q3"], "quarter 2026-Q3 has not started"),
        (["--month", "2026-02", "--quarter", "2026-Q1"], "give only one of --month, --quarter"),
        (["--month", "2026-02", "--half", "2026-H1"], "(got --month and --half)"),
        ([], "give the period: one of --month, --quarter, --half"),
    ],
)
def test_cli_period_errors_name_the_option(db, quarter, runner, tmp_path, args, message):
    out = tmp_path / "r.csv"
    result = runner.invoke(args=["report", *args, "--out", str(out)])
    assert result.exit_code == 2 and message in result.output, result.output
    assert not out.exists()


@pytest.fixture
def staff(db, quarter):
    users.add(db, "jia", "correct horse", "clerk", "甲镇")
    users.add(db, "boss", "correct horse", "admin", None)


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("quarter=2026-Q5", "季度“2026-Q5”的格式不对"),
        ("half=2026-H3", "半年“2026-H3”的格式不对"),
        ("half=2027-H1", "2027年上半年 还没有到"),
        ("month=2026-02&quarter=2026-Q1", "同时有月份和季度,只能选一种统计期"),
    ],
)
def test_staff_page_period_errors_are_chinese(client, staff, query, message):
    sign_in(client, "jia")
    response = client.get(f"/admin/reports/?{query}")
    html = response.get_data(as_text=True)
    assert response.status_code == 400 and message in html and 'id="bulletin"' not in html
    assert client.get(f"/admin/reports/report.csv?{query}").status_code == 400


def test_staff_page_quarter_and_half(client, staff):
    sign_in(client, "boss")
    html = client.get("/admin/reports/?quarter=2026-Q1").get_data(as_text=True)
    assert "全县 2026年第一季度群众意见建议办理情况分析" in html
    assert '<option value="2026-Q1" selected>2026年第一季度</option>' in html
    assert "/admin/reports/report.xlsx?quarter=2026-Q1" in html
    old = client.get("/admin/reports/?quarter=2021-Q2").get_data(as_text=True)
    assert '<option value="2021-Q2" selected>2021年第二季度</option>' in old  # beyond the list
    # The picker sends every field; the button pressed (by) says which counts.
    html = client.get(
        "/admin/reports/?town=甲镇&month=2026-02&quarter=2026-Q1&half=2026-H1&by=half"
    ).get_data(as_text=True)
    assert "甲镇 2026年上半年群众意见建议办理情况总结" in html and 'id="by-town"' not in html
    workbook = client.get("/admin/reports/report.xlsx?quarter=2026-Q1&town=甲镇")
    assert workbook.status_code == 200
    assert "2026-Q1" in workbook.headers["Content-Disposition"]
    sheet = openpyxl.load_workbook(io.BytesIO(workbook.data))["承办单位"]
    assert [r[0].value for r in sheet.iter_rows(min_row=2)] == [
        "甲镇水利站",
        "甲镇环保办",
        "县交通运输局",
    ]


def test_clerk_never_sees_another_towns_office(client, staff):
    sign_in(client, "jia")
    for url in (
        "/admin/reports/?month=2026-02",
        "/admin/reports/?quarter=2026-Q1",
        "/admin/reports/report.csv?half=2026-H1",
    ):
        response = client.get(url)
        body = response.data.decode("utf-8-sig")
        assert response.status_code == 200 and "乙镇农办" not in body, url
        assert "县交通运输局" in body, url
    assert client.get("/admin/reports/?quarter=2026-Q1&town=乙镇").status_code == 404


def test_the_dashboard_shows_this_months_offices(client, staff, monkeypatch):
    monkeypatch.setattr(clock, "now", lambda: datetime(2026, 2, 27, 12, 0, tzinfo=clock.CHINA))
    sign_in(client, "jia")
    html = client.get("/admin/").get_data(as_text=True)
    main = html.split("<main>")[1]
    assert 'id="d-offices"' in main and "乙镇农办" not in main
    row = main.split('data-office="甲镇环保办"')[1].split("</tr>")[0]
    assert "<b>4</b>" in row and "3/1" in row and "<b>50.0%</b>" in row  # received, signing
    assert 'data-office="甲镇水利站"' in main and 'data-office="县教育局"' not in main
    sign_in(client, "boss")
    main = client.get("/admin/").get_data(as_text=True).split("<main>")[1]
    assert 'data-office="乙镇农办"' in main and "所属" in main


# --- The migration ----------------------------------------------------------------------------
def test_the_migration_fills_the_log_from_what_there_is(tmp_path, monkeypatch):
    """Before 0019 there is no log: the rows held now and, for each return, the handover before
    it. (A co-handler taken off by a lead's return before then is not known any more.)"""
    db = connect(tmp_path / "old.db")
    schema.migrations.apply(db, stop_before="0019_department_figures")
    db["stations"].insert_all(TWO_TOWNS)
    monkeypatch.setattr(clock, "now", lambda: datetime(2026, 2, 2, 9, 0, tzinfo=clock.CHINA))
    hb = departments.add(db, "甲镇环保办", "boss", "甲镇")
    jt = departments.add(db, "县交通运输局", "boss")
    users.add(db, "jt", "correct horse", "department", None, department="县交通运输局")
    jt_access = Access.of(next(db.query("select * from users where username = 'jt'")))
    for n in (1, 2):
        db["opinions"].insert(
            {
                "id": n,
                "receipt": f"MMMMMMM{n + 1}",
                "station_id": 1,
                "body": "路灯坏了",
                "category": "other",
                "created_at": clock.stamp(),
            }
        )
    db.conn.commit()
    one = suggestion_rules.create(db, JIA, [1], FIELDS, {"一般": 30})
    two = suggestion_rules.create(db, JIA, [2], FIELDS, {"一般": 30})
    hand(db, JIA, one, hb, [jt], "2026-02-20", handling.latest_event(db, one))
    hand(db, JIA, two, hb, [jt], "2026-02-20", handling.latest_event(db, two))
    give_back(db, jt_access, two, handling.latest_event(db, two))  # a co-handler's return
    migrate(db)
    rows = db.execute(
        "select suggestion_id, department_id, role, handed_at, sign_due_at is not null "
        "from department_handings order by suggestion_id, role desc"
    ).fetchall()
    stamp = "2026-02-02T09:00:00+08:00"
    assert rows == [
        (one, hb, "lead", stamp, 1),
        (one, jt, "co", stamp, 1),
        (two, hb, "lead", stamp, 1),
        (two, jt, "co", stamp, 0),  # from the return: when it was due to sign is not kept
    ]


def test_the_desk_shows_the_offices_own_month(client, staff, monkeypatch):
    """A department sees where it stands: its own row of this month, every town it serves
    (交通局 counts 乙镇's S4 too), and nothing of another office."""
    monkeypatch.setattr(clock, "now", lambda: datetime(2026, 2, 27, 12, 0, tzinfo=clock.CHINA))
    sign_in(client, "hb")
    card = client.get("/admin/desk/").get_data(as_text=True).split('id="my-figures"')[1]
    card = card.split("</div>")[0]
    assert "2026 年 2 月本单位办理情况" in card
    assert "收到交办 <b>4</b>(主办 3 / 协办 1)" in card and "签收及时率 <b>50.0%</b>(1/2)" in card
    assert "督办 2" in card and "A 1 · B 1 · C 0" in card and "参评 2" in card
    sign_in(client, "jt")
    card = client.get("/admin/desk/").get_data(as_text=True).split('id="my-figures"')[1]
    assert "收到交办 <b>3</b>(主办 1 / 协办 2)" in card and "退回 2" in card
    assert "按期办结率 <b>—</b>(0/0)" in card
