"""`feedback opinion import`: opinions gathered offline (paper forms, market-day stalls) entered
from CSV (UTF-8, UTF-8 with BOM, GBK) or .xlsx, all or nothing, with receipts in file order."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
import zipfile
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from openpyxl import Workbook

from feedback import clock
from feedback.db import connect
from tests.conftest import feedback_cli
from tests.helpers_intake import RECEIPT

STATION = "ll-01"
HEADER = ["body", "category", "created_at", "name", "phone"]
CHINESE_HEADER = ["内容", "类别", "时间", "姓名", "电话"]
LISTED = re.compile(rf"^line (\d+): #(\d+) ({RECEIPT})$", re.MULTILINE)
ROWS = [
    ["村口路灯坏了三个月,晚上看不见路", "市容市貌", "2026-03-01 09:30", "张三", "13812345678"],
    ["垃圾没人清运,堆成山了", "pollution", "", "", ""],
    ["桥面开裂,担心出事", "", "2026/3/2 14:05", "李四", ""],
]


# --- building sample files ---------------------------------------------------------------------


def csv_bytes(rows: list[list[str]], encoding: str = "utf-8") -> bytes:
    """Rows as Excel saves a CSV: quoted where needed, CRLF line endings."""
    buffer = io.StringIO(newline="")
    csv.writer(buffer, lineterminator="\r\n").writerows(rows)
    return buffer.getvalue().encode(encoding)


def write_csv(
    folder: Path, rows: list[list[str]], name: str = "意见.csv", encoding: str = "utf-8"
) -> Path:
    path = folder / name
    path.write_bytes(csv_bytes(rows, encoding))
    return path


def write_xlsx(folder: Path, rows: list[list[object]], name: str = "意见.xlsx", **more) -> Path:
    """A workbook whose first sheet holds `rows` (from Excel row 1); `more` adds later sheets."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "意见"
    for number, row in enumerate(rows, start=1):
        for column, value in enumerate(row, start=1):
            if value is not None:
                sheet.cell(row=number, column=column, value=value)
    for title, other_rows in more.items():
        other = workbook.create_sheet(title)
        for row in other_rows:
            other.append(row)
    path = folder / name
    workbook.save(path)
    return path


def zip_file(folder: Path, name: str, entries: dict[str, bytes]) -> Path:
    path = folder / name
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for entry, data in entries.items():
            archive.writestr(entry, data)
    return path


# --- running the command and reading what it did -----------------------------------------------


@pytest.fixture
def station(runner) -> str:
    result = runner.invoke(args=["station", "add", STATION, "六龙村议事亭", "--town", "甲镇"])
    assert result.exit_code == 0, result.output
    return STATION


def run_import(runner, path: Path, *options: str, code: str = STATION):
    return runner.invoke(args=["opinion", "import", str(path), "--station", code, *options])


def opinions(db) -> list[dict]:
    return list(db.query("select * from opinions order by id"))


def imports(db) -> list[dict]:
    return list(db.query("select * from opinion_imports order by id"))


def bodies(db) -> list[str]:
    return [row["body"] for row in opinions(db)]


def display(receipt: str) -> str:
    return f"{receipt[:4]}-{receipt[4:]}"


def listed(output: str) -> list[tuple[int, int, str]]:
    return [(int(line), int(id_), receipt) for line, id_, receipt in LISTED.findall(output)]


def assert_listed_in_file_order(result, db, lines: list[int]) -> None:
    """The output names each row's line, id and receipt, exactly as stored, in file order."""
    assert result.exit_code == 0, result.output
    rows = opinions(db)
    assert listed(result.stdout) == [
        (line, row["id"], display(row["receipt"])) for line, row in zip(lines, rows, strict=True)
    ]
    assert f"Imported {len(lines)} opinions for {STATION}" in result.stdout


def assert_nothing_stored(db) -> None:
    assert opinions(db) == []
    assert imports(db) == []


def assert_refused(result, path: Path, *messages: str) -> None:
    assert result.exit_code != 0
    assert isinstance(result.exception, SystemExit), result.exception  # a message, no traceback
    assert f"{path}:" in result.output
    for message in messages:
        assert message in result.output


# --- encodings and headers ---------------------------------------------------------------------


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk"], ids=["utf8", "utf8-bom", "gbk"])
def test_csv_as_excel_saves_it(runner, db, tmp_path, station, encoding):
    path = write_csv(tmp_path, [HEADER, *ROWS], encoding=encoding)
    assert b"\r\n" in path.read_bytes()
    result = run_import(runner, path)
    assert_listed_in_file_order(result, db, [2, 3, 4])
    rows = opinions(db)
    assert [row["body"] for row in rows] == [row[0] for row in ROWS]
    assert [row["category"] for row in rows] == ["cityscape", "pollution", "other"]
    assert [row["name"] for row in rows] == ["张三", None, "李四"]
    assert [row["phone"] for row in rows] == ["13812345678", None, None]
    assert rows[0]["created_at"] == "2026-03-01T09:30:00+08:00"
    assert rows[2]["created_at"] == "2026-03-02T14:05:00+08:00"
    assert all(row["station_id"] == 1 and row["status"] == "new" for row in rows)


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk"], ids=["utf8", "utf8-bom", "gbk"])
def test_json_is_a_list_of_id_and_receipt_in_file_order(runner, db, tmp_path, station, encoding):
    path = write_csv(tmp_path, [HEADER, *ROWS], encoding=encoding)
    result = run_import(runner, path, "--json")
    assert result.exit_code == 0, result.output
    printed = json.loads(result.stdout)  # stdout is nothing but the JSON
    rows = opinions(db)
    assert printed == [{"id": row["id"], "receipt": display(row["receipt"])} for row in rows]
    assert [row["body"] for row in rows] == [row[0] for row in ROWS]
    assert "Importing" in result.stderr  # the progress bar
    assert "Importing" not in result.stdout


def test_chinese_headers(runner, db, tmp_path, station):
    path = write_csv(tmp_path, [CHINESE_HEADER, *ROWS], encoding="gbk")
    result = run_import(runner, path)
    assert_listed_in_file_order(result, db, [2, 3, 4])
    rows = opinions(db)
    assert [row["category"] for row in rows] == ["cityscape", "pollution", "other"]
    assert rows[0]["name"] == "张三"
    assert rows[0]["phone"] == "13812345678"
    assert rows[0]["created_at"] == "2026-03-01T09:30:00+08:00"


def test_only_a_body_column(runner, db, tmp_path, station):
    path = write_csv(tmp_path, [["body"], ["路灯坏了很久了"], ["垃圾没人清运啊"]])
    result = run_import(runner, path)
    assert_listed_in_file_order(result, db, [2, 3])
    rows = opinions(db)
    assert bodies(db) == ["路灯坏了很久了", "垃圾没人清运啊"]
    assert {row["category"] for row in rows} == {"other"}
    assert {row["name"] for row in rows} == {None}
    assert {row["consent"] for row in rows} == {0}


def test_columns_in_another_order_and_capitalised(runner, db, tmp_path, station):
    path = write_csv(
        tmp_path,
        [
            ["Phone", "Name", "Body", "Created_at", "Category"],
            ["13912345678", "王五", "路灯坏了很久了", "2026-03-01", "cityscape"],
        ],
    )
    result = run_import(runner, path)
    assert_listed_in_file_order(result, db, [2])
    (row,) = opinions(db)
    assert (row["body"], row["name"], row["phone"], row["category"], row["created_at"]) == (
        "路灯坏了很久了",
        "王五",
        "13912345678",
        "cityscape",
        "2026-03-01T00:00:00+08:00",
    )


def test_blank_lines_are_skipped_and_lines_still_counted(runner, db, tmp_path, station):
    path = tmp_path / "blank.csv"
    path.write_bytes("body\r\n路灯坏了很久了\r\n\r\n,\r\n垃圾没人清运啊\r\n".encode())
    result = run_import(runner, path)
    assert_listed_in_file_order(result, db, [2, 5])


def test_body_length_bounds_as_on_the_form(runner, db, tmp_path, station):
    path = write_csv(tmp_path, [["body"], ["路灯坏了" + "!"], ["长" * 2000], ["  路灯坏了吗  "]])
    result = run_import(runner, path)
    assert_listed_in_file_order(result, db, [2, 3, 4])
    assert bodies(db) == ["路灯坏了!", "长" * 2000, "路灯坏了吗"]


# --- Excel workbooks ---------------------------------------------------------------------------


def test_xlsx_as_excel_saves_it(runner, db, tmp_path, station):
    path = write_xlsx(
        tmp_path,
        [
            CHINESE_HEADER,
            ["村口路灯坏了三个月", "市容市貌", datetime(2026, 3, 1, 9, 30), "张三", 13812345678],
            ["垃圾没人清运啊", "pollution", "2026/3/1 9:30", None, 13912345678.0],
            ["桥面开裂,担心出事", None, datetime(2026, 2, 28), "李四", "+86 137 1234 5678"],
        ],
        其他=[["colour"], ["this sheet is not read"]],
    )
    result = run_import(runner, path)
    assert_listed_in_file_order(result, db, [2, 3, 4])
    rows = opinions(db)
    assert [row["body"] for row in rows] == [
        "村口路灯坏了三个月",
        "垃圾没人清运啊",
        "桥面开裂,担心出事",
    ]
    assert [row["phone"] for row in rows] == ["13812345678", "13912345678", "13712345678"]
    assert [row["created_at"] for row in rows] == [
        "2026-03-01T09:30:00+08:00",
        "2026-03-01T09:30:00+08:00",
        "2026-02-28T00:00:00+08:00",
    ]
    assert [row["category"] for row in rows] == ["cityscape", "pollution", "other"]
    assert [row["consent"] for row in rows] == [1, 1, 1]
    (record,) = imports(db)
    assert record["filename"] == "意见.xlsx"
    assert record["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()


def test_xlsx_json(runner, db, tmp_path, station):
    path = write_xlsx(tmp_path, [["body"], ["路灯坏了很久了"], ["垃圾没人清运啊"]])
    result = run_import(runner, path, "--json")
    assert result.exit_code == 0, result.output
    rows = opinions(db)
    assert json.loads(result.stdout) == [
        {"id": row["id"], "receipt": display(row["receipt"])} for row in rows
    ]
    assert bodies(db) == ["路灯坏了很久了", "垃圾没人清运啊"]


def test_xlsx_errors_name_excel_row_numbers(runner, db, tmp_path, station):
    future = (clock.now() + timedelta(days=3)).replace(tzinfo=None)
    path = write_xlsx(
        tmp_path,
        [
            ["body", "created_at", "phone"],
            ["路灯坏了很久了", datetime(2026, 3, 1), 13812345678],
            [None, None, None],  # row 3 left empty
            ["短", None, None],  # row 4
            ["垃圾没人清运啊", future, None],  # row 5
            ["桥面开裂,担心出事", None, 123],  # row 6
            ["路灯坏了很久了", "2026-02-30", None],
        ],  # row 7
    )
    result = run_import(runner, path)
    assert_refused(result, path, "4 bad row(s); nothing was imported")
    out = result.output
    assert "line 4: body has 1 characters; at least 5" in out
    assert "line 5: the date" in out and "is in the future" in out
    assert "line 6: phone 123 is not a mainland mobile number" in out
    assert "line 7: '2026-02-30' is not a real date" in out
    assert "line 2:" not in out
    assert "line 3:" not in out
    assert_nothing_stored(db)


def test_xlsx_uses_the_first_sheet_even_if_another_is_active(runner, db, tmp_path, station):
    workbook = Workbook()
    first = workbook.active
    first.append(["内容"])
    first.append(["第一个工作表的意见"])
    second = workbook.create_sheet("第二页")
    second.append(["内容"])
    second.append(["第二个工作表的意见"])
    workbook.active = 1
    path = tmp_path / "two.xlsx"
    workbook.save(path)
    result = run_import(runner, path)
    assert_listed_in_file_order(result, db, [2])
    assert bodies(db) == ["第一个工作表的意见"]


# --- dates -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("written", "stored"),
    [
        ("2026-03-01 09:30", "2026-03-01T09:30:00+08:00"),
        ("2026/3/1 9:30", "2026-03-01T09:30:00+08:00"),
        ("2026-03-01", "2026-03-01T00:00:00+08:00"),
        ("2026/3/1", "2026-03-01T00:00:00+08:00"),
        ("2026年3月1日", "2026-03-01T00:00:00+08:00"),
        ("2026年3月1日 9:30", "2026-03-01T09:30:00+08:00"),
        ("2026-03-01 09:30:15", "2026-03-01T09:30:15+08:00"),
        ("2026-03-01T01:30:00+00:00", "2026-03-01T09:30:00+08:00"),
    ],
)
def test_dates_as_people_write_them(runner, db, tmp_path, station, written, stored):
    path = write_csv(tmp_path, [["body", "created_at"], ["路灯坏了很久了", written]])
    result = run_import(runner, path)
    assert_listed_in_file_order(result, db, [2])
    assert opinions(db)[0]["created_at"] == stored


@pytest.mark.parametrize("written", ["2026年3月1日 9时30分", "2026年3月1日9时30分"])
def test_dates_in_chinese_hours_and_minutes(runner, db, tmp_path, station, written):
    path = write_csv(tmp_path, [["body", "created_at"], ["路灯坏了很久了", written]])
    result = run_import(runner, path)
    assert result.exit_code == 0, result.output
    assert opinions(db)[0]["created_at"] == "2026-03-01T09:30:00+08:00"


def test_an_empty_date_means_now_in_china_time(runner, db, tmp_path, station):
    path = write_csv(tmp_path, [["body", "created_at"], ["路灯坏了很久了", ""]])
    before = clock.now()
    result = run_import(runner, path)
    after = clock.now()
    assert result.exit_code == 0, result.output
    created = opinions(db)[0]["created_at"]
    assert created.endswith("+08:00")
    assert before <= datetime.fromisoformat(created) <= after


@pytest.mark.parametrize(
    ("written", "message"),
    [
        ("2026-02-30", "line 2: '2026-02-30' is not a real date"),
        ("2026-13-01 09:30", "line 2: '2026-13-01 09:30' is not a real date"),
        ("2026-03-01 25:00", "line 2: '2026-03-01 25:00' is not a real date"),
        ("2099-01-01", "line 2: the date 2099-01-01 00:00 is in the future"),
        ("yesterday", "line 2: cannot read the date 'yesterday'; write it like 2026-03-01 09:30"),
        ("3/1", "line 2: cannot read the date '3/1'"),
    ],
)
def test_bad_dates_are_named(runner, db, tmp_path, station, written, message):
    path = write_csv(tmp_path, [["body", "created_at"], ["路灯坏了很久了", written]])
    result = run_import(runner, path)
    assert_refused(result, path, message, "nothing was imported")
    assert_nothing_stored(db)


def test_a_date_later_today_is_in_the_future(runner, db, tmp_path, station):
    soon = (clock.now() + timedelta(hours=2)).strftime("%Y-%m-%d %H:%M")
    path = write_csv(tmp_path, [["body", "created_at"], ["路灯坏了很久了", soon]])
    result = run_import(runner, path)
    assert_refused(result, path, f"line 2: the date {soon} is in the future")
    assert_nothing_stored(db)


# --- categories and contacts -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("written", "code"),
    [
        ("市容市貌", "cityscape"),
        ("cityscape", "cityscape"),
        ("CITYSCAPE", "cityscape"),
        (" 污染防治 ", "pollution"),
        ("", "other"),
        ("其他", "other"),
    ],
)
def test_category_by_label_or_code(runner, db, tmp_path, station, written, code):
    path = write_csv(tmp_path, [["body", "category"], ["路灯坏了很久了", written]])
    result = run_import(runner, path)
    assert_listed_in_file_order(result, db, [2])
    assert opinions(db)[0]["category"] == code


def test_unknown_category_lists_the_valid_ones(runner, db, tmp_path, station):
    path = write_csv(tmp_path, [["body", "category"], ["路灯坏了很久了", "路灯"]])
    result = run_import(runner, path)
    assert_refused(result, path, "line 2: unknown category '路灯'; use one of")
    for label, code in [("市容市貌", "cityscape"), ("污染防治", "pollution"), ("其他", "other")]:
        assert f"{label} ({code})" in result.output
    assert_nothing_stored(db)


@pytest.mark.parametrize(
    "written",
    ["13812345678", "138 1234 5678", "+86 13812345678", "138-1234-5678", "１３８１２３４５６７８"],
)
def test_phone_normalised_as_on_the_form(runner, db, tmp_path, station, written):
    path = write_csv(tmp_path, [["body", "name", "phone"], ["路灯坏了很久了", "张三", written]])
    result = run_import(runner, path)
    assert_listed_in_file_order(result, db, [2])
    (row,) = opinions(db)
    assert (row["name"], row["phone"], row["consent"]) == ("张三", "13812345678", 1)


@pytest.mark.parametrize("written", ["123", "12812345678", "138123456789", "电话没留"])
def test_bad_phone_is_named(runner, db, tmp_path, station, written):
    path = write_csv(tmp_path, [["body", "phone"], ["路灯坏了很久了", written]])
    result = run_import(runner, path)
    assert_refused(result, path, "line 2: phone", "is not a mainland mobile number")
    assert_nothing_stored(db)


def test_name_or_phone_alone_records_consent(runner, db, tmp_path, station):
    path = write_csv(
        tmp_path,
        [
            ["body", "name", "phone"],
            ["路灯坏了很久了", "张三", ""],
            ["垃圾没人清运啊", "", "13812345678"],
            ["桥面开裂了啊", "", ""],
        ],
    )
    assert run_import(runner, path).exit_code == 0
    assert [(r["name"], r["phone"], r["consent"]) for r in opinions(db)] == [
        ("张三", None, 1),
        (None, "13812345678", 1),
        (None, None, 0),
    ]


# --- all or nothing ----------------------------------------------------------------------------


def test_a_file_with_bad_lines_names_every_one_and_stores_nothing(runner, db, tmp_path, station):
    future = (clock.now() + timedelta(days=1)).strftime("%Y-%m-%d %H:%M")
    path = write_csv(
        tmp_path,
        [
            HEADER,
            ["路灯坏了很久了", "", "", "", ""],  # line 2: fine
            ["短", "", "", "", ""],  # line 3
            ["长" * 2001, "", "", "", ""],  # line 4
            ["垃圾没人清运啊", "路灯", "", "", ""],  # line 5
            ["桥面开裂了啊", "", "2026-02-30", "", ""],  # line 6
            ["噪音扰民睡不着", "", future, "", ""],  # line 7
            ["水管爆了好几天", "", "", "张三", "123"],  # line 8
            ["路灯坏了很久了", "", "", "", "", "多出来的"],  # line 9
            ["", "cityscape", "", "张三", ""],  # line 10
            ["路面坑洼不平啊", "", "", "名" * 21, ""],  # line 11
            ["垃圾没人清运啊", "", "", "", ""],
        ],  # line 12: fine
    )
    result = run_import(runner, path)
    assert_refused(result, path, "9 bad row(s); nothing was imported")
    out = result.output
    assert f"{path}: line 3: body has 1 characters; at least 5" in out
    assert f"{path}: line 4: body has 2001 characters; at most 2000" in out
    assert f"{path}: line 5: unknown category '路灯'" in out
    assert f"{path}: line 6: '2026-02-30' is not a real date" in out
    assert f"{path}: line 7: the date {future} is in the future" in out
    assert f"{path}: line 8: phone 123 is not a mainland mobile number" in out
    assert f"{path}: line 9: more cells than columns" in out
    assert f"{path}: line 10: body is empty" in out
    assert f"{path}: line 11: name has 21 characters; at most 20" in out
    assert "line 2:" not in out
    assert "line 12:" not in out
    assert_nothing_stored(db)
    actions = [row["action"] for row in db["audit_log"].rows]
    assert "opinion.import" not in actions


def test_several_problems_on_one_line_are_all_given(runner, db, tmp_path, station):
    path = write_csv(tmp_path, [["body", "category", "phone"], ["短", "路灯", "123"]])
    result = run_import(runner, path)
    assert_refused(result, path, "1 bad row(s)")
    (line,) = [x for x in result.output.splitlines() if ": line 2:" in x]
    assert "body has 1 characters" in line
    assert "unknown category '路灯'" in line
    assert "phone 123 is not a mainland mobile number" in line
    assert_nothing_stored(db)


def test_json_prints_nothing_on_stdout_when_refused(runner, db, tmp_path, station):
    path = write_csv(tmp_path, [["body"], ["短"]])
    result = run_import(runner, path, "--json")
    assert result.exit_code != 0
    assert result.stdout == ""
    assert "line 2: body has 1 characters" in result.stderr
    assert_nothing_stored(db)


def test_a_quoted_cell_over_several_lines_is_named_by_its_first_line(runner, db, tmp_path, station):
    path = tmp_path / "multi.csv"
    path.write_bytes('body,name\r\n"短\r\n了",张三\r\n路灯坏了很久了,\r\n'.encode())
    result = run_import(runner, path)
    assert_refused(result, path)
    assert f"{path}: line 2: body has 3 characters; at least 5" in result.output
    assert_nothing_stored(db)


def test_a_quoted_cell_over_several_lines_is_stored_whole(runner, db, tmp_path, station):
    path = write_csv(tmp_path, [["body"], ["路灯坏了\n三个月了"], ["垃圾没人清运啊"]])
    assert run_import(runner, path).exit_code == 0
    assert bodies(db) == ["路灯坏了\n三个月了", "垃圾没人清运啊"]


@pytest.mark.parametrize("kind", ["one huge cell", "an unclosed quote"])
def test_an_oversized_csv_field_gets_a_message_not_a_traceback(runner, db, tmp_path, station, kind):
    path = tmp_path / "huge.csv"
    if kind == "one huge cell":
        path.write_bytes(("body\r\n" + "长" * 200_000 + "\r\n").encode())
    else:
        path.write_bytes(('body\r\n"路灯坏了很久了\r\n' + "垃圾没人清运啊\r\n" * 30_000).encode())
    result = run_import(runner, path)
    assert_refused(result, path, "nothing was imported")
    if kind == "one huge cell":
        assert "line 2: body has 200000 characters; at most 2000" in result.output
    assert_nothing_stored(db)


# --- files that cannot be read -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "the file is empty"),
        (b"\r\n\r\n  \r\n", "the file is empty"),
        (b"body,category\r\n", "the file has a header but no opinions"),
        (b"body\r\n\r\n,\r\n", "the file has a header but no opinions"),
        ("内容,类别\r\n".encode("gbk"), "the file has a header but no opinions"),
        ("name,phone\r\n张三,13812345678\r\n".encode(), "line 1: missing column(s) body"),
        (
            "body,colour\r\n路灯坏了很久了,red\r\n".encode(),
            "line 1: unknown column(s) colour; expected body,category,created_at,name,phone",
        ),
        ("内容,地址\r\n路灯坏了很久了,村口\r\n".encode(), "line 1: unknown column(s) 地址"),
        ("body,内容\r\n路灯坏了,路灯坏了\r\n".encode(), "line 1: column(s) given twice: body"),
        (b"body\r\nabc\xff\xfe\x00\x00def\r\n", "cannot read the file as UTF-8 or GBK"),
        ("body\r\n路灯坏了很久了\r\n".encode("gbk") + b"\x80\r\n", "cannot read the file as UTF-8"),
        (b"body\r\n\xff\r\n", "cannot read the file as UTF-8 or GBK"),
    ],
    ids=[
        "empty",
        "blank-lines",
        "header-only",
        "header-and-blank-rows",
        "gbk-header-only",
        "no-body",
        "unknown-column",
        "unknown-chinese-column",
        "body-twice",
        "ff-fe-00-00",
        "gbk-then-80",
        "ff",
    ],
)
def test_unreadable_csv_files(runner, db, tmp_path, station, content, message):
    path = tmp_path / "bad.csv"
    path.write_bytes(content)
    result = run_import(runner, path)
    assert_refused(result, path, message)
    assert_nothing_stored(db)


def test_bytes_that_gb18030_rejects():
    """The samples above really are neither UTF-8 nor GBK/GB18030."""
    for sample in (b"abc\xff\xfe\x00\x00def", b"\x80", b"\xff"):
        for encoding in ("utf-8", "gb18030"):
            with pytest.raises(UnicodeDecodeError):
                sample.decode(encoding)


def test_an_undecodable_byte_is_named_by_its_line(runner, db, tmp_path, station):
    path = tmp_path / "bad.csv"
    path.write_bytes("body\r\n路灯坏了很久了\r\n".encode("gbk") + b"abc\xffdef\r\n")
    result = run_import(runner, path)
    assert_refused(result, path, "cannot read the file as UTF-8 or GBK", "line 3")
    assert_nothing_stored(db)


def test_a_file_mixing_utf8_and_gbk_lines_is_refused(runner, db, tmp_path, station):
    path = tmp_path / "mixed.csv"
    path.write_bytes("body\r\n路灯坏了很久\r\n".encode() + "垃圾没人清运\r\n".encode("gbk"))
    result = run_import(runner, path)
    assert_refused(result, path, "nothing was imported")
    assert re.search(r"line [23]\b", result.output)
    assert_nothing_stored(db)


def test_trailing_empty_columns_as_excel_writes_them(runner, db, tmp_path, station):
    path = tmp_path / "trailing.csv"
    path.write_bytes(
        "内容,类别,,\r\n路灯坏了很久了,市容市貌,,\r\n垃圾没人清运啊,,,\r\n".encode("gbk")
    )
    result = run_import(runner, path)
    assert_listed_in_file_order(result, db, [2, 3])
    assert bodies(db) == ["路灯坏了很久了", "垃圾没人清运啊"]


def test_a_file_over_20_mb_is_refused(runner, db, tmp_path, station):
    path = tmp_path / "big.csv"
    line = "村口路灯坏了三个月,晚上看不见路\r\n".encode()
    with path.open("wb") as out:
        out.write(b"body\r\n")
        out.write(line * (21 * 1024 * 1024 // len(line) + 1))
    assert path.stat().st_size > 21 * 1024 * 1024
    result = run_import(runner, path)
    assert_refused(result, path, "the file is 21 MB; the limit is 20 MB")
    assert_nothing_stored(db)


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        (
            "plain.xlsx",
            "body\r\n路灯坏了很久了\r\n".encode(),
            "this is not an Excel .xlsx workbook",
        ),
        ("old.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 504, "save it again as .xlsx"),
        ("damaged.xlsx", b"PK\x03\x04" + b"not really a zip" * 10, "the zip is damaged"),
    ],
)
def test_files_posing_as_workbooks(runner, db, tmp_path, station, name, content, message):
    path = tmp_path / name
    path.write_bytes(content)
    result = run_import(runner, path)
    assert_refused(result, path, message)
    assert_nothing_stored(db)


def test_a_zip_that_is_not_a_workbook(runner, db, tmp_path, station):
    path = zip_file(tmp_path, "photos.xlsx", {"readme.txt": "路灯坏了很久了".encode()})
    result = run_import(runner, path)
    assert_refused(result, path, "this is a zip file but not an Excel .xlsx workbook")
    assert_nothing_stored(db)


def test_a_broken_workbook(runner, db, tmp_path, station):
    path = zip_file(tmp_path, "broken.xlsx", {"xl/workbook.xml": b"<workbook>not xml"})
    result = run_import(runner, path)
    assert_refused(result, path, "cannot open the workbook")
    assert_nothing_stored(db)


def test_a_zip_bomb_posing_as_a_workbook(runner, db, tmp_path, station):
    path = tmp_path / "bomb.xlsx"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        archive.writestr("xl/workbook.xml", "<workbook/>")
        with archive.open("xl/worksheets/sheet1.xml", "w") as entry:
            chunk = b"\0" * (1 << 20)
            for _ in range(210):
                entry.write(chunk)
    assert path.stat().st_size < 5 * 1024 * 1024
    result = run_import(runner, path)
    assert_refused(result, path, "unpacks to over 200 MB", "zip bomb")
    assert_nothing_stored(db)


def test_an_xlsx_with_a_header_only(runner, db, tmp_path, station):
    path = write_xlsx(tmp_path, [CHINESE_HEADER])
    result = run_import(runner, path)
    assert_refused(result, path, "the file has a header but no opinions")
    assert_nothing_stored(db)


def test_an_xlsx_with_an_unknown_column(runner, db, tmp_path, station):
    path = write_xlsx(tmp_path, [["body", "colour"], ["路灯坏了很久了", "red"]])
    result = run_import(runner, path)
    assert_refused(result, path, "line 1: unknown column(s) colour")
    assert_nothing_stored(db)


def test_an_unknown_station(runner, db, tmp_path, station):
    path = write_csv(tmp_path, [["body"], ["路灯坏了很久了"]])
    result = run_import(runner, path, code="nope-1")
    assert result.exit_code != 0
    assert "no station with code nope-1" in result.output
    assert_nothing_stored(db)


def test_a_missing_file(runner, db, tmp_path, station):
    result = run_import(runner, tmp_path / "nowhere.csv")
    assert result.exit_code != 0
    assert "does not exist" in result.output
    assert_nothing_stored(db)


# --- channel, collector, the import record -----------------------------------------------------


@pytest.mark.parametrize(
    ("option", "channel"),
    [
        ([], "paper"),
        (["--channel", "赶圩日摊位"], "market"),
        (["--channel", "market"], "market"),
        (["--channel", "纸质意见表"], "paper"),
        (["--channel", "代表走访"], "visit"),
        (["--channel", "phone"], "phone"),
        (["--channel", " 其他 "], "other"),
    ],
)
def test_channel_by_code_or_label(runner, db, tmp_path, station, option, channel):
    path = write_csv(tmp_path, [["body"], ["路灯坏了很久了"], ["垃圾没人清运啊"]])
    result = run_import(runner, path, *option)
    assert result.exit_code == 0, result.output
    assert {row["channel"] for row in opinions(db)} == {channel}
    assert imports(db)[0]["channel"] == channel


def test_unknown_channel(runner, db, tmp_path, station):
    path = write_csv(tmp_path, [["body"], ["路灯坏了很久了"]])
    result = run_import(runner, path, "--channel", "boat")
    assert_refused(result, path, "unknown channel 'boat'; use one of", "赶圩日摊位 (market)")
    assert_nothing_stored(db)


@pytest.mark.parametrize("written", ["form", "二维码表单"])
def test_the_qr_form_channel_is_not_an_offline_channel(runner, db, tmp_path, station, written):
    path = write_csv(tmp_path, [["body"], ["路灯坏了很久了"]])
    result = run_import(runner, path, "--channel", written)
    assert_refused(result, path, "channel")
    assert_nothing_stored(db)


def test_collector_and_import_record(runner, db, tmp_path, station):
    path = write_csv(tmp_path, [HEADER, *ROWS], name="三月赶圩日.csv", encoding="gbk")
    result = run_import(runner, path, "--channel", "market", "--collected-by", "李代表")
    assert result.exit_code == 0, result.output
    (record,) = imports(db)
    assert record["filename"] == "三月赶圩日.csv"
    assert record["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
    assert record["rows"] == 3
    assert record["channel"] == "market"
    assert record["collected_by"] == "李代表"
    assert record["station_id"] == 1
    assert f"(import #{record['id']})" in result.stdout
    rows = opinions(db)
    assert {(r["collected_by"], r["channel"], r["import_id"]) for r in rows} == {
        ("李代表", "market", record["id"])
    }
    audit = [r for r in db["audit_log"].rows if r["action"] == "opinion.import"]
    assert len(audit) == 1


def test_form_opinions_keep_no_collector(runner, db, tmp_path, station):
    path = write_csv(tmp_path, [["body"], ["路灯坏了很久了"]])
    assert run_import(runner, path).exit_code == 0
    (row,) = opinions(db)
    assert row["collected_by"] is None
    assert imports(db)[0]["collected_by"] is None


# --- duplicates --------------------------------------------------------------------------------


def test_the_same_file_twice_is_refused(runner, db, tmp_path, station):
    path = write_csv(tmp_path, [HEADER, *ROWS])
    assert run_import(runner, path).exit_code == 0
    before = opinions(db)
    again = run_import(runner, path)
    assert_refused(
        again, path, "this file was already imported for ll-01", "(import #1, 3 opinions)"
    )
    assert "--allow-duplicate" in again.output
    assert opinions(db) == before
    assert len(imports(db)) == 1


def test_the_same_file_under_another_name_is_refused(runner, db, tmp_path, station):
    first = write_csv(tmp_path, [HEADER, *ROWS], name="a.csv")
    second = write_csv(tmp_path, [HEADER, *ROWS], name="b.csv")
    assert run_import(runner, first).exit_code == 0
    result = run_import(runner, second)
    assert_refused(result, second, "already imported", "import #1")
    assert len(opinions(db)) == 3


def test_rows_already_imported_are_named_with_their_receipts(runner, db, tmp_path, station):
    first = write_csv(tmp_path, [HEADER, *ROWS], name="first.csv")
    assert run_import(runner, first).exit_code == 0
    earlier = opinions(db)
    second = write_csv(
        tmp_path,
        [
            HEADER,
            ["新的意见:水管爆了好几天", "", "", "", ""],  # line 2: new
            # line 3: as row 1 of the first file (phone typed differently)
            [
                "村口路灯坏了三个月,晚上看不见路",
                "cityscape",
                "2026/3/1 9:30",
                "张三",
                "138 1234 5678",
            ],
            # line 4: as row 2, but undated and anonymous: may be another villager's words
            ["垃圾没人清运,堆成山了", "", "", "", ""],
            ["桥面开裂,担心出事", "", "2026-03-05 08:00", "李四", ""],
        ],  # line 5: another day
    )
    result = run_import(runner, second)
    assert_refused(result, second, "1 bad row(s); nothing was imported")
    out = result.output
    assert f"line 3: already imported (receipt {display(earlier[0]['receipt'])})" in out
    assert "line 4:" not in out
    assert "--allow-duplicate" in out
    assert "line 2:" not in out
    assert "line 5:" not in out
    assert opinions(db) == earlier
    assert len(imports(db)) == 1


def test_same_text_from_another_person_is_not_a_duplicate(runner, db, tmp_path, station):
    first = write_csv(tmp_path, [["body", "name"], ["路灯坏了很久了", "张三"]], name="a.csv")
    second = write_csv(tmp_path, [["body", "name"], ["路灯坏了很久了", "王五"]], name="b.csv")
    assert run_import(runner, first).exit_code == 0
    result = run_import(runner, second)
    assert result.exit_code == 0, result.output
    assert [row["name"] for row in opinions(db)] == ["张三", "王五"]


def test_allow_duplicate_imports_again(runner, db, tmp_path, station):
    path = write_csv(tmp_path, [HEADER, *ROWS])
    assert run_import(runner, path).exit_code == 0
    result = run_import(runner, path, "--allow-duplicate", "--json")
    assert result.exit_code == 0, result.output
    rows = opinions(db)
    assert len(rows) == 6
    assert json.loads(result.stdout) == [
        {"id": row["id"], "receipt": display(row["receipt"])} for row in rows[3:]
    ]
    assert [row["body"] for row in rows[3:]] == [row[0] for row in ROWS]
    assert len({row["receipt"] for row in rows}) == 6
    assert [record["sha256"] for record in imports(db)] == [
        hashlib.sha256(path.read_bytes()).hexdigest()
    ] * 2


def test_the_same_file_for_another_station_is_imported(runner, db, tmp_path, station):
    runner.invoke(args=["station", "add", "dt-02", "大塘村联络站", "--town", "甲镇"])
    path = write_csv(tmp_path, [HEADER, *ROWS])
    assert run_import(runner, path).exit_code == 0
    result = run_import(runner, path, code="dt-02")
    assert result.exit_code == 0, result.output
    assert [row["station_id"] for row in opinions(db)] == [1, 1, 1, 2, 2, 2]


# --- downstream --------------------------------------------------------------------------------


def test_an_imported_receipt_resolves_on_its_status_page(runner, db, client, tmp_path, station):
    path = write_csv(tmp_path, [HEADER, *ROWS])
    result = run_import(runner, path, "--json")
    assert result.exit_code == 0, result.output
    printed = json.loads(result.stdout)
    for item, row in zip(printed, ROWS, strict=True):
        page = client.get(f"/t/{item['receipt']}")
        assert page.status_code == 200
        text = page.get_data(as_text=True)
        assert item["receipt"] in text
        assert "已收到" in text
        assert row[0] in text
        assert "六龙村议事亭" in text
    first = client.get(f"/t/{printed[0]['receipt']}").get_data(as_text=True)
    assert "2026-03-01 09:30" in first
    assert "市容市貌" in first
    typed = printed[1]["receipt"].replace("-", "").lower()
    assert client.get(f"/t?code={typed}").headers["Location"].endswith(printed[1]["receipt"])
    assert {row["status"] for row in opinions(db)} == {"new"}


# --- CSV injection -----------------------------------------------------------------------------


def test_text_beginning_with_formula_characters_is_stored_as_typed(runner, db, tmp_path, station):
    typed = [
        '=HYPERLINK("http://x")路灯坏了',
        "+86 路灯坏了很久",
        "-路灯坏了很久",
        "@路灯坏了很久",
        "=1+2 垃圾没人清运",
    ]
    path = write_csv(
        tmp_path, [["body", "name"], *[[body, "=cmd|' /C calc'!A0"] for body in typed]]
    )
    result = run_import(runner, path)
    assert_listed_in_file_order(result, db, [2, 3, 4, 5, 6])
    assert bodies(db) == typed
    assert {row["name"] for row in opinions(db)} == {"=cmd|' /C calc'!A0"}


# --- a large file ------------------------------------------------------------------------------


def test_five_thousand_rows_in_one_go(runner, db, tmp_path, station):
    rows = [[f"第{i}号意见:村口路灯坏了很久", "cityscape", "2026-03-01 09:30"] for i in range(5000)]
    path = write_csv(tmp_path, [["body", "category", "created_at"], *rows])
    result = run_import(runner, path, "--json")
    assert result.exit_code == 0, result.output
    printed = json.loads(result.stdout)
    assert len(printed) == 5000
    assert len({item["receipt"] for item in printed}) == 5000
    stored = opinions(db)
    assert [row["id"] for row in stored] == [item["id"] for item in printed]
    assert stored[0]["body"] == "第0号意见:村口路灯坏了很久"
    assert stored[-1]["body"] == "第4999号意见:村口路灯坏了很久"
    assert imports(db)[0]["rows"] == 5000


# --- the real console script -------------------------------------------------------------------


def console_station(instance: Path) -> None:
    assert feedback_cli("init").returncode == 0
    added = feedback_cli("station", "add", STATION, "六龙村议事亭", "--town", "甲镇")
    assert added.returncode == 0, added.stderr


def test_console_script_json_is_pure_stdout(instance, tmp_path):
    console_station(instance)
    path = write_csv(tmp_path, [CHINESE_HEADER, *ROWS], encoding="gbk")
    result = feedback_cli("opinion", "import", str(path), "--station", STATION, "--json")
    assert result.returncode == 0, result.stderr
    printed = json.loads(result.stdout)
    assert "Importing" in result.stderr
    db = connect(instance / "feedback.db")
    try:
        rows = list(db.query("select * from opinions order by id"))
    finally:
        db.close()
    assert printed == [{"id": row["id"], "receipt": display(row["receipt"])} for row in rows]
    assert [row["body"] for row in rows] == [row[0] for row in ROWS]


def test_console_script_lists_receipts_and_refuses_the_file_again(instance, tmp_path):
    console_station(instance)
    path = write_xlsx(tmp_path, [["body"], ["路灯坏了很久了"], ["垃圾没人清运啊"]])
    first = feedback_cli(
        "opinion",
        "import",
        str(path),
        "--station",
        STATION,
        "--channel",
        "赶圩日摊位",
        "--collected-by",
        "李代表",
    )
    assert first.returncode == 0, first.stderr
    assert [line for line, _id, _receipt in listed(first.stdout)] == [2, 3]
    again = feedback_cli("opinion", "import", str(path), "--station", STATION)
    assert again.returncode != 0
    assert "already imported" in again.stderr
    assert "--allow-duplicate" in again.stderr
    assert "Traceback" not in again.stderr
    db = connect(instance / "feedback.db")
    try:
        rows = list(db.query("select channel, collected_by from opinions"))
    finally:
        db.close()
    assert rows == [{"channel": "market", "collected_by": "李代表"}] * 2


def test_console_script_bad_file_exits_non_zero_with_every_line(instance, tmp_path):
    console_station(instance)
    path = write_csv(tmp_path, [["body", "phone"], ["短", ""], ["路灯坏了很久了", "123"]])
    result = feedback_cli("opinion", "import", str(path), "--station", STATION, "--json")
    assert result.returncode == 1
    assert result.stdout == ""
    assert f"{path}: line 2: body has 1 characters" in result.stderr
    assert f"{path}: line 3: phone 123 is not a mainland mobile number" in result.stderr
    assert "nothing was imported" in result.stderr
    db = connect(instance / "feedback.db")
    try:
        assert db["opinions"].count == 0
        assert db["opinion_imports"].count == 0
    finally:
        db.close()
