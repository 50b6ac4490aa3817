"""The monthly report: figures checked against a constructed month where every number is
known in advance, the files the CLI writes (opened with openpyxl and the csv module), and
the staff page and dashboard with their town rule.

The month is February 2026 in 甲镇, reported on 20 March 2026 (the clock is fixed), so
February is a past month (cut-off 1 March 00:00) and March the running one.
"""

from __future__ import annotations

import csv
import io
from datetime import date, datetime

import openpyxl
import pytest

from feedback import clock, reports, users
from feedback.render import charts, ledger
from tests.conftest import TWO_TOWNS, sign_in

NOW = datetime(2026, 3, 20, 12, 0, tzinfo=clock.CHINA)
PHONE = "13812345678"


def t(day: str, hour: str = "09:00:00") -> str:
    return f"2026-{day}T{hour}+08:00"


# id, station, channel, category, created, status, answered_at, rating, rated_at, body
OPINIONS = [
    (
        1,
        1,
        "form",
        "cityscape",
        t("02-01", "00:00:00"),
        "merged",
        t("02-08", "17:00:00"),
        "基本满意",
        t("02-09"),
    ),
    (2, 1, "form", "cityscape", t("02-10"), "merged", t("02-08", "17:00:00"), "满意", t("03-02")),
    (3, 2, "paper", "pollution", t("02-15"), "merged", None, None, None),
    (4, 2, "market", "rural", t("02-20"), "answered", t("02-21", "10:00:00"), "满意", t("02-22")),
    (5, 1, "visit", "other", t("02-28", "23:59:59"), "rejected", t("03-01"), None, None),
    (6, 1, "form", "cityscape", t("02-25"), "new", None, None, None),
    (7, 1, "form", "other", t("02-12"), "spam", None, None, None),
    (8, 1, "phone", "pollution", t("02-05"), "new", None, None, None),
    (9, 2, "form", "rural", t("02-06"), "new", None, None, None),
    (
        10,
        1,
        "form",
        "cityscape",
        t("01-31", "23:59:59"),
        "merged",
        t("02-25", "10:00:00"),
        "不满意",
        t("02-03"),
    ),
    (11, 1, "form", "cityscape", t("03-01", "00:00:00"), "new", None, None, None),
    (
        12,
        3,
        "form",
        "cityscape",
        t("02-10"),
        "answered",
        t("02-10", "12:00:00"),
        "满意",
        t("02-11"),
    ),
]
BODIES = {8: "=1+2", 9: "@SUM(A1)", 12: "乙镇独有的桥面开裂"}

# id, town, number, title, tier, status, department, created, assigned, deadline, closed
SUGGESTIONS = [
    (
        1,
        "甲镇",
        "甲镇-2026-0002",
        "村口路灯不亮",
        "一般",
        "已办结",
        1,
        t("01-20", "10:00:00"),
        t("01-21"),
        "2026-02-19",
        t("02-25", "10:00:00"),
    ),
    (
        2,
        "甲镇",
        "甲镇-2026-0004",
        "六龙村路灯",
        "微事",
        "已办结",
        1,
        t("02-02"),
        t("02-03"),
        "2026-02-09",
        t("02-08", "17:00:00"),
    ),
    (
        3,
        "甲镇",
        "甲镇-2026-0005",
        "大塘村水渠",
        "一般",
        "办理中",
        2,
        t("02-16", "10:00:00"),
        t("02-17"),
        "2026-02-28",
        None,
    ),
    (
        4,
        "甲镇",
        "甲镇-2026-0006",
        "-重大事项",
        "重大",
        "待交办",
        None,
        t("02-26"),
        None,
        "2026-05-27",
        None,
    ),
    (
        5,
        "甲镇",
        "甲镇-2026-0001",
        "垃圾清运",
        "微事",
        "已办结",
        1,
        t("01-05"),
        t("01-05"),
        "2026-01-12",
        t("03-05"),
    ),
    (
        6,
        "甲镇",
        "甲镇-2026-0003",
        "一月就办完的事",
        "一般",
        "已办结",
        1,
        t("01-03"),
        t("01-04"),
        "2026-02-02",
        t("01-20"),
    ),
    (
        7,
        "乙镇",
        "乙镇-2026-0001",
        "乙镇独有的桥面开裂",
        "一般",
        "办理中",
        2,
        t("02-10"),
        t("02-11"),
        "2026-02-20",
        None,
    ),
]
LINKS = {1: 2, 2: 2, 3: 3, 10: 1}  # opinion -> suggestion


@pytest.fixture
def fixed_now(monkeypatch):
    monkeypatch.setattr(clock, "now", lambda: NOW)
    return NOW


@pytest.fixture
def month(db, fixed_now):
    db["stations"].insert_all(TWO_TOWNS)
    db["departments"].insert_all([{"id": 1, "name": "镇城建办"}, {"id": 2, "name": "镇水利站"}])
    db["opinions"].insert_all(
        {
            "id": i,
            "receipt": f"AAAA{i:04d}".replace("0", "B").replace("1", "C"),
            "station_id": st,
            "channel": ch,
            "category": cat,
            "created_at": created,
            "status": status,
            "answered_at": answered,
            "rating": rating,
            "rated_at": rated,
            "body": BODIES.get(i, f"第{i}条意见:村里的路灯坏了"),
            "answer": "已处理" if answered else None,
            "phone": PHONE if i == 8 else None,
            "name": "张三" if i == 8 else None,
            "consent": 1 if i == 8 else 0,
        }
        for i, st, ch, cat, created, status, answered, rating, rated in OPINIONS
    )
    db["suggestions"].insert_all(
        {
            "id": i,
            "town": town,
            "year": 2026,
            "seq": int(number[-4:]),
            "number": number,
            "title": title,
            "body": title,
            "category": "cityscape",
            "tier": tier,
            "status": status,
            "department_id": dep,
            "created_at": created,
            "assigned_at": assigned,
            "deadline": deadline,
            "closed_at": closed,
            "answer": "已修好" if closed else None,
            "deputies": "王代表",
        }
        for (
            i,
            town,
            number,
            title,
            tier,
            status,
            dep,
            created,
            assigned,
            deadline,
            closed,
        ) in SUGGESTIONS
    )
    db["suggestion_opinions"].insert_all(
        {"opinion_id": o, "suggestion_id": s, "added_at": t("02-16")} for o, s in LINKS.items()
    )
    return db


def counts(rows: list[dict], key: str = "label") -> dict:
    return {row[key]: row["count"] for row in rows}


def test_february_in_jiazhen_every_figure(month):
    r = reports.build(month, "2026-02", "甲镇")
    o, s, sat = r["opinions"], r["suggestions"], r["satisfaction"]
    assert r["period"].cutoff == "2026-03-01T00:00:00+08:00" and not r["period"].current
    assert (o["received"], o["spam"], o["form"], o["offline"]) == (8, 1, 4, 4)
    assert counts(o["by_category"]) == {
        "污染防治": 2,
        "市容市貌": 3,
        "食药安全": 0,
        "乡村振兴": 2,
        "公共应急": 0,
        "职工维权": 0,
        "其他": 1,
    }
    assert counts(o["by_channel"]) == {
        "二维码表单": 4,
        "纸质意见表": 1,
        "赶圩日摊位": 1,
        "代表走访": 1,
        "电话": 1,
        "其他": 0,
    }
    assert counts(o["by_station"], "name") == {"六龙村议事亭": 5, "大塘村联络站": 3}
    assert counts(o["by_status"]) == {"待处理": 3, "并入建议": 3, "直接答复": 1, "未予受理": 1}
    assert (o["merged_opinions"], o["merged_into"], o["pending_now"]) == (3, 2, 4)

    assert s["created"] == 3
    assert counts(s["by_tier"]) == {"微事": 1, "一般": 1, "重大": 1}
    assert counts(s["by_status"]) == {"待交办": 1, "已交办": 0, "办理中": 1, "已办结": 1}
    assert counts(s["by_department"]) == {"镇城建办": 1, "镇水利站": 1, "未定": 1}
    assert (s["completion"].numerator, s["completion"].denominator) == (1, 3)
    assert s["completion"].text == "33.3%"
    assert s["closed"] == 2 and s["on_time"].text == "50.0%"  # 0004 on time, 0002 late
    assert s["avg_days"] == 21.2  # (36 + 6⅓) / 2
    assert s["open_at_cutoff"] == 3  # 0005, 0006 and 0001 (closed only on 5 March)

    assert (sat["rated"], sat["rate"].text) == (3, "66.7%")  # 满意, 基本满意, 不满意 in February
    assert counts(sat["by_rating"]) == {"满意": 1, "基本满意": 1, "不满意": 1}

    # Overdue at the cut-off, across month ends: 0001 (due 12 Jan, closed 5 Mar) and 0005
    # (due 28 Feb, judged on 1 Mar).
    assert [(row["number"], row["days"]) for row in r["overdue"]] == [
        ("甲镇-2026-0001", 48),
        ("甲镇-2026-0005", 1),
    ]

    trend = {m["month"]: m for m in r["trend"]}
    assert list(trend)[0] == "2025-03" and list(trend)[-1] == "2026-02" and len(trend) == 12
    assert trend["2026-02"] == {
        "month": "2026-02",
        "received": 8,
        "answered": 4,
        "suggestions_created": 3,
        "suggestions_closed": 2,
    }
    assert trend["2026-01"] == {
        "month": "2026-01",
        "received": 1,
        "answered": 0,
        "suggestions_created": 3,
        "suggestions_closed": 1,
    }
    assert sum(m["received"] for m in r["trend"]) == 9


def test_the_county_adds_the_other_town(month):
    r = reports.build(month, "2026-02")
    assert r["area"] == "全县" and r["opinions"]["received"] == 9
    assert r["satisfaction"]["rate"].text == "75.0%"
    assert [row["number"] for row in r["overdue"]] == [
        "甲镇-2026-0001",
        "乙镇-2026-0001",
        "甲镇-2026-0005",
    ]
    assert reports.build(month, "2026-02", "乙镇")["opinions"]["received"] == 1


def test_the_running_month_is_cut_at_now(month):
    r = reports.build(month, "2026-03", "甲镇")
    assert r["period"].current and r["period"].as_of == "2026-03-20T12:00:00+08:00"
    assert r["opinions"]["received"] == 1
    s = r["suggestions"]
    assert s["created"] == 0 and s["completion"].text == "—"  # nothing new: no rate, not 0%
    assert s["closed"] == 1 and s["on_time"].text == "0.0%"  # 0001 closed 5 Mar, due 12 Jan
    assert s["open_at_cutoff"] == 2
    assert [(row["number"], row["days"]) for row in r["overdue"]] == [("甲镇-2026-0005", 20)]
    assert r["satisfaction"]["rate"].text == "100.0%" and r["satisfaction"]["rated"] == 1


def test_an_opinion_of_this_very_second_counts(month):
    month["opinions"].insert(
        {
            "receipt": "NNNNNNNN",
            "station_id": 1,
            "body": "刚刚提交的意见",
            "category": "other",
            "created_at": clock.stamp(NOW),
        }
    )
    assert reports.build(month, "2026-03", "甲镇")["opinions"]["received"] == 2


def test_deadline_day_boundaries(db, fixed_now, two_town_stations):
    """Closing on the deadline day is on time; an item due on the month's last day is
    overdue at the month's end, one due on the 1st of the next month is not yet."""

    def suggestion(n: int, deadline: str, closed: str | None) -> dict:
        return {
            "id": n,
            "town": "甲镇",
            "year": 2026,
            "seq": n,
            "number": f"甲镇-2026-{n:04d}",
            "title": "边界",
            "body": "边界",
            "category": "other",
            "created_at": t("02-01"),
            "deadline": deadline,
            "closed_at": closed,
            "status": "已办结" if closed else "办理中",
        }

    db["suggestions"].insert_all(
        [
            suggestion(1, "2026-02-10", t("02-10", "23:30:00")),  # closed on its deadline day
            suggestion(2, "2026-02-10", t("02-11", "00:10:00")),  # ten minutes late
            suggestion(3, "2026-02-28", None),
            suggestion(4, "2026-03-01", None),
        ]
    )
    r = reports.build(db, "2026-02", "甲镇")
    assert r["suggestions"]["on_time"].text == "50.0%"
    assert [(row["number"], row["days"]) for row in r["overdue"]] == [("甲镇-2026-0003", 1)]


def test_no_ratings_and_nothing_closed(month):
    r = reports.build(month, "2026-01", "乙镇")
    assert r["opinions"]["received"] == 0 and r["satisfaction"]["rate"].text == "—"
    january = reports.build(month, "2026-02", "乙镇")
    assert january["suggestions"]["completion"].text == "0.0%"
    assert (
        january["suggestions"]["completion"].numerator,
        january["suggestions"]["completion"].denominator,
    ) == (0, 1)
    assert january["suggestions"]["avg_days"] is None and january["suggestions"]["closed"] == 0


def test_an_empty_month_shows_dashes_not_zero_percent(db, fixed_now, app):
    with app.app_context():
        r = reports.build(db, "2025-06")
        html = _bulletin(r)
    assert all(
        v == "—"
        for v in (
            r["suggestions"]["completion"].text,
            r["suggestions"]["on_time"].text,
            r["satisfaction"]["rate"].text,
        )
    )
    article = html.split("<article")[1]
    assert 'id="k-satisfaction">—<' in article and 'id="k-days">—<' in article
    assert "0.0%" not in article and "本月没有收到意见" in article


def _bulletin(report: dict) -> str:
    from feedback.render import bulletin

    return bulletin.html(report)


@pytest.mark.parametrize("bad", ["2026-13", "2026-00", "26-02", "2026/02", "abc", "", "1999-12"])
def test_bad_months_are_refused(bad):
    with pytest.raises(reports.MonthError) as error:
        reports.period(bad, NOW)
    assert "YYYY-MM" in str(error.value) and "格式不对" in error.value.zh


def test_a_future_month_is_refused():
    with pytest.raises(reports.MonthError, match="not started"):
        reports.period("2026-04", NOW)


def test_charts_escape_labels_and_scale_bars():
    svg = charts.bars([("<script>", 4), ("市容市貌", 2)], "按类别")
    assert "<script>" not in svg and "&lt;script&gt;" in svg
    assert 'data-value="4"' in svg and 'width="442.0"' in svg and 'width="221.0"' in svg
    assert charts.nice_step(0) == 1 and charts.nice_step(37) == 10


# --- files from the CLI ---------------------------------------------------------------


def run_report(runner, out, *extra: str):
    return runner.invoke(args=["report", "--month", "2026-02", "--out", str(out), *extra])


def test_cli_xlsx_ledger(month, runner, tmp_path):
    out = tmp_path / "台账.xlsx"
    result = run_report(runner, out, "--town", "甲镇", "--format", "xlsx")
    assert result.exit_code == 0, result.output
    assert "8 opinions" in result.output and "2 overdue" in result.output
    book = openpyxl.load_workbook(out)
    assert book.sheetnames == ["建议台账", "群众意见", "承办单位", "报表数据"]  # a town's

    ledger_sheet = book["建议台账"]
    assert ledger_sheet.freeze_panes == "A2" and ledger_sheet["A1"].font.b
    header = [c.value for c in ledger_sheet[1]]
    rows = {
        row[0]: dict(zip(header, row, strict=True))
        for row in ledger_sheet.iter_rows(min_row=2, values_only=True)
    }
    # Alive in February: everything but 0003 (closed in January) and 乙镇's.
    assert sorted(rows) == [
        "甲镇-2026-0001",
        "甲镇-2026-0002",
        "甲镇-2026-0004",
        "甲镇-2026-0005",
        "甲镇-2026-0006",
    ]
    late = rows["甲镇-2026-0005"]
    assert late["办理期限"] == datetime(2026, 2, 28) and late["截止时点超期"] == "是"
    assert late["创建时间"] == datetime(2026, 2, 16, 10, 0) and late["主办单位"] == "镇水利站"
    assert rows["甲镇-2026-0001"]["截止时点超期"] == "是"  # closed only after the cut-off
    done = rows["甲镇-2026-0004"]
    assert done["办结时间"] == datetime(2026, 2, 8, 17, 0) and done["截止时点超期"] == "否"
    assert done["群众评价"] == "满意 1 · 基本满意 1" and done["意见数"] == 2
    deadline_cell = ledger_sheet.cell(row=2, column=header.index("办理期限") + 1)
    assert deadline_cell.is_date and deadline_cell.number_format == "yyyy-mm-dd"
    assert ledger_sheet.column_dimensions["B"].width >= 2 * len("一月就办完的事")
    dash = next(r for r in ledger_sheet.iter_rows(min_row=2) if r[1].value == "-重大事项")
    assert dash[1].data_type == "s"

    opinions_sheet = book["群众意见"]
    assert opinions_sheet.freeze_panes == "A2"
    cells = {row[0].value: row for row in opinions_sheet.iter_rows(min_row=2)}
    assert sorted(cells) == [1, 2, 3, 4, 5, 6, 8, 9]  # no spam, no January, no 乙镇
    formula, at_sign = cells[8][7], cells[9][7]
    assert (formula.value, formula.data_type) == ("=1+2", "s")
    assert (at_sign.value, at_sign.data_type) == ("@SUM(A1)", "s")
    assert cells[8][10].value == "138****5678" and cells[8][4].value == "电话"
    assert isinstance(cells[1][5].value, datetime) and cells[1][5].value == datetime(2026, 2, 1)
    everything = [c.value for sheet in book for row in sheet.iter_rows() for c in row]
    assert PHONE not in everything and "张三" not in everything
    assert not any("乙镇独有" in str(v) for v in everything)

    figures = {(a, b): c for a, b, c in book["报表数据"].iter_rows(min_row=2, values_only=True)}
    assert figures[("群众意见", "收到意见")] == 8 and figures[("满意度", "满意率")] == "66.7%"


def test_formula_text_stays_literal_in_the_raw_workbook(month, app):
    """Control for the check above: the sheet XML holds the text as an inline string, and
    without the guard openpyxl would indeed have written a formula."""
    sheet = openpyxl.Workbook().active
    sheet["A1"] = "=1+2"
    assert sheet["A1"].data_type == "f"
    with app.app_context():
        data = ledger.workbook(month, reports.build(month, "2026-02", "甲镇"))
    import zipfile

    xml = zipfile.ZipFile(io.BytesIO(data)).read("xl/worksheets/sheet2.xml").decode()
    assert "<f>" not in xml and "<t>=1+2</t>" in xml and "<t>@SUM(A1)</t>" in xml


def test_cli_csv_has_every_figure(month, runner, tmp_path):
    out = tmp_path / "report.csv"
    result = run_report(runner, out, "--town", "甲镇")  # format from the extension
    assert result.exit_code == 0, result.output
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert rows[0] == ["栏目", "项目", "数值"]
    values = {(a, b): c for a, b, c in rows[1:]}
    assert values[("群众意见", "收到意见")] == "8" and values[("群众意见", "线下录入")] == "4"
    assert values[("代表建议", "办结率")] == "33.3%"
    assert values[("代表建议", "按期办结率")] == "50.0%"
    assert values[("代表建议", "平均办理天数")] == "21.2"
    assert values[("满意度", "参评数")] == "3" and values[("按渠道", "赶圩日摊位")] == "1"
    assert values[("超期建议", "甲镇-2026-0005")].endswith("超期 1 天")
    assert values[("12 个月趋势", "2026-02 答复意见")] == "4"


def test_cli_html_is_one_printable_file(month, runner, tmp_path):
    out = tmp_path / "bulletin.html"
    assert run_report(runner, out, "--town", "甲镇", "--format", "html").exit_code == 0
    html = out.read_text(encoding="utf-8")
    assert html.startswith("<!doctype html>") and "@page{size:A4" in html
    assert "甲镇 2026 年 2 月群众意见建议办理情况通报" in html
    assert html.count('class="bar"') >= 7 and 'class="line"' in html
    assert "乙镇独有" not in html and "<script" not in html and "href=" not in html
    assert "办结率" in html and "分母为 0" in html  # the footnotes


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--month", "2026-13"], "bad month"),
        (["--month", "2026-02", "--town", "丙镇"], "unknown town"),
        (["--month", "2027-01"], "has not started"),
    ],
)
def test_cli_errors_name_the_bad_input(month, runner, tmp_path, args, message):
    result = runner.invoke(
        args=["report", *args, "--format", "csv", "--out", str(tmp_path / "r.csv")]
    )
    assert result.exit_code == 2 and message in result.output
    assert not (tmp_path / "r.csv").exists()


def test_cli_unwritable_out_keeps_the_old_file(month, runner, tmp_path, monkeypatch):
    missing = run_report(runner, tmp_path / "no" / "such" / "r.csv")
    assert missing.exit_code == 1 and "does not exist" in missing.output
    folder = run_report(runner, tmp_path, "--format", "csv")
    assert folder.exit_code == 1 and "it is a folder" in folder.output
    (tmp_path / "r.csv").write_text("old")

    def refuse(*_args):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr("feedback.cli.reports.os.replace", refuse)
    result = run_report(runner, tmp_path / "r.csv")
    assert result.exit_code == 1 and "cannot write" in result.output
    assert "Permission denied" in result.output
    assert (tmp_path / "r.csv").read_text() == "old"
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")) == []


# --- staff pages ----------------------------------------------------------------------


@pytest.fixture
def staff(month):
    users.add(month, "jia", "correct horse", "clerk", "甲镇")
    users.add(month, "yi", "correct horse", "clerk", "乙镇")
    users.add(month, "boss", "correct horse", "admin", None)


def page_of(client, url: str) -> tuple[int, str]:
    response = client.get(url)
    return response.status_code, response.get_data(as_text=True)


def test_clerk_sees_own_town_only(client, staff):
    sign_in(client, "jia")
    status, html = page_of(client, "/admin/reports/?month=2026-02")
    assert status == 200 and 'id="k-received">8<' in html and "乙镇独有" not in html
    assert '<option value="">全县</option>' not in html
    assert 'href="/admin/suggestions/5"' in html  # overdue items link to their pages
    assert page_of(client, "/admin/reports/?month=2026-02&town=乙镇")[0] == 404
    assert client.get("/admin/reports/report.csv?month=2026-02&town=乙镇").status_code == 404


def test_admin_picks_the_county_or_a_town(client, staff):
    sign_in(client, "boss")
    status, html = page_of(client, "/admin/reports/?month=2026-02")
    assert status == 200 and "全县 2026 年 2 月" in html and 'id="k-received">9<' in html
    status, html = page_of(client, "/admin/reports/?month=2026-02&town=乙镇")
    assert 'id="k-received">1<' in html and "乙镇独有的桥面开裂" in html
    assert page_of(client, "/admin/reports/?month=2026-02&town=丙镇")[0] == 404


def test_month_picker_defaults_to_this_month(client, staff):
    sign_in(client, "jia")
    status, html = page_of(client, "/admin/reports/")
    assert status == 200 and 'value="2026-03"' in html and "甲镇 2026 年 3 月" in html


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("2026-13", "格式不对"),
        ("<b>x</b>", "格式不对"),
        ("2026-05", "还没有到"),
    ],
)
def test_bad_month_is_a_chinese_message(client, staff, typed, message):
    sign_in(client, "jia")
    status, html = page_of(client, f"/admin/reports/?month={typed}")
    assert status == 400 and message in html and "<b>x</b>" not in html
    assert 'id="bulletin"' not in html and 'value="2026-03"' in html
    assert client.get(f"/admin/reports/report.xlsx?month={typed}").status_code == 400


def test_downloads_from_the_staff_page(client, staff):
    sign_in(client, "jia")
    _status, html = page_of(client, "/admin/reports/?month=2026-02")
    assert "/admin/reports/report.xlsx?month=2026-02&amp;town=" in html
    response = client.get("/admin/reports/opinions.csv?month=2026-02")
    assert response.status_code == 200 and "attachment" in response.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))
    assert response.data.startswith(b"\xef\xbb\xbf") and len(rows) == 9
    by_id = {row[0]: row for row in rows[1:]}
    assert by_id["8"][7] == "'=1+2" and by_id["9"][7] == "'@SUM(A1)"
    assert by_id["8"][10] == "138****5678" and PHONE not in response.data.decode("utf-8-sig")
    workbook = client.get("/admin/reports/report.xlsx?month=2026-02")
    assert workbook.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(workbook.data))["群众意见"]
    assert sheet.max_row == 9


def test_home_dashboard_for_the_clerk(client, staff):
    sign_in(client, "jia")
    _status, html = page_of(client, "/admin/")
    assert 'id="d-received">1<' in html and 'id="d-pending">4<' in html
    assert 'id="d-open">2<' in html and 'id="d-overdue" class="err">1<' in html
    assert 'id="d-completion">—<' in html and 'id="d-satisfaction">100.0%<' in html
    assert 'href="/admin/suggestions/3"' in html and "乙镇" not in html.split("<main>")[1]
    sign_in(client, "yi")
    _status, html = page_of(client, "/admin/")
    assert 'id="d-received">0<' in html and 'id="d-overdue" class="err">1<' in html


@pytest.mark.parametrize("town", ["甲镇", "乙镇", None])
@pytest.mark.parametrize("when", ["2026-02", "2026-03"])
def test_the_home_dashboard_reads_the_bulletins_figures(month, town, when):
    """The dashboard leaves parts of the bulletin out; what it shows is the bulletin's."""
    dashboard = reports.dashboard(month, reports.period(when, NOW), town)
    bulletin = reports.build(month, when, town, now=NOW)
    assert set(dashboard) < set(bulletin)
    for part, figures in dashboard.items():
        assert figures == bulletin[part], part


def test_csv_safe_prefixes_every_formula_start():
    for text in ("=1+2", "+1", "-1", "@SUM(A1)", "\tx", "\rx"):
        assert ledger.csv_safe(text) == "'" + text
    assert ledger.csv_safe("路灯") == "路灯" and ledger.csv_safe(-1) == -1


def test_ledger_dates_are_naive_china_time():
    assert ledger._moment("2026-02-01T00:00:00+08:00") == datetime(2026, 2, 1)
    assert reports.period("2026-02", NOW).status_day == date(2026, 3, 1)
