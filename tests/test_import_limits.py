"""Spreadsheets that lie about their size: a few KB of workbook that claims (or reaches) the
sheet's last cell, XFD1048576, must not keep `feedback opinion import` or the upload page
busy; a long file is refused with a clear message, and a long preview lists only some rows."""

from __future__ import annotations

import contextlib
import io
import re
import signal
import time
import zipfile

import pytest
from openpyxl import Workbook

from feedback import tabular, users
from feedback.web import imports as import_pages
from tests.conftest import csrf_of, sign_in

ROWS = [["body", "name"], ["村口路灯坏了三个月", "张三"], ["垃圾没人清运,堆成山了", ""]]
SECONDS = 10  # the old code spent most of an hour on each of these files


def workbook(rows: list[list[str]], dimension: str | None = None, far: str | None = None) -> bytes:
    """An .xlsx of `rows` whose sheet XML is then patched: `dimension` replaces the declared
    size (None drops the element, as some exporters write none), `far` adds one cell there."""
    book = Workbook()
    for row in rows:
        book.active.append(row)
    saved = io.BytesIO()
    book.save(saved)
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(saved.getvalue())) as source,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as patched,
    ):
        for info in source.infolist():
            data = source.read(info.filename)
            if info.filename == "xl/worksheets/sheet1.xml":
                xml = data.decode()
                declared = f'<dimension ref="{dimension}"/>' if dimension else ""
                xml, replaced = re.subn(r"<dimension [^>]*/>", declared, xml)
                assert replaced == 1
                if far:
                    row = re.sub(r"[A-Z]+", "", far)
                    cell = f'<row r="{row}"><c r="{far}" t="inlineStr"><is><t>x</t></is></c></row>'
                    xml = xml.replace("</sheetData>", cell + "</sheetData>")
                data = xml.encode()
            patched.writestr(info, data)
    return out.getvalue()


@contextlib.contextmanager
def deadline(seconds: float):
    """Fail (rather than hang the run) if the block takes longer than `seconds`."""

    def too_slow(signum, frame):
        raise TimeoutError(f"still busy after {seconds} s")

    previous = signal.signal(signal.SIGALRM, too_slow)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


@pytest.fixture
def station(runner) -> str:
    result = runner.invoke(args=["station", "add", "ll-01", "六龙村议事亭", "--town", "甲镇"])
    assert result.exit_code == 0, result.output
    return "ll-01"


def run_import(runner, path):
    return runner.invoke(args=["opinion", "import", str(path), "--station", "ll-01"])


def test_a_workbook_claiming_the_whole_sheet_imports_its_real_rows(runner, db, station, tmp_path):
    path = tmp_path / "claims.xlsx"
    path.write_bytes(workbook(ROWS, dimension="A1:XFD1048576"))
    assert path.stat().st_size < 10_000
    with deadline(SECONDS):
        result = run_import(runner, path)
    assert result.exit_code == 0, result.output
    assert "Imported 2 opinions for ll-01" in result.stdout
    assert [row["body"] for row in db["opinions"].rows] == [ROWS[1][0], ROWS[2][0]]
    assert [row["name"] for row in db["opinions"].rows] == ["张三", None]


@pytest.mark.parametrize(
    "dimension", ["A1:XFD1048576", None, "A1:B3"], ids=["claimed", "undeclared", "understated"]
)
def test_a_cell_at_the_last_row_and_column_is_refused_quickly(
    runner, db, station, tmp_path, dimension
):
    """One cell at XFD1048576: a million rows of 16,384 columns to the old reader. Whatever
    the declared size, the file is refused, in English, naming the limit, and nothing stored
    (an understated size used to drop the far cell silently: it is content all the same)."""
    path = tmp_path / "far.xlsx"
    path.write_bytes(workbook(ROWS, dimension=dimension, far="XFD1048576"))
    started = time.perf_counter()
    with deadline(SECONDS):
        result = run_import(runner, path)
    assert time.perf_counter() - started < 5
    assert result.exit_code != 0
    assert "a file holds at most 100,000 rows" in result.output
    assert "nothing was imported" in result.output
    assert db["opinions"].count == 0


def test_rows_past_the_cap_are_refused_in_csv_and_xlsx(runner, db, station, tmp_path, monkeypatch):
    monkeypatch.setattr(tabular, "MAX_ROWS", 3)
    rows = [["body"]] + [[f"第{n}条:村口路灯坏了"] for n in range(1, 5)]
    csv_path = tmp_path / "long.csv"
    csv_path.write_text("\n".join(row[0] for row in rows) + "\n", encoding="utf-8")
    result = run_import(runner, csv_path)
    assert result.exit_code != 0 and "line 5: a file holds at most 3 rows" in result.output
    xlsx_path = tmp_path / "long.xlsx"
    xlsx_path.write_bytes(workbook(rows))
    result = run_import(runner, xlsx_path)
    assert result.exit_code != 0 and "line 5: a file holds at most 3 rows" in result.output
    assert db["opinions"].count == 0
    xlsx_path.write_bytes(workbook(rows[:4]))  # exactly at the cap
    assert run_import(runner, xlsx_path).exit_code == 0
    assert db["opinions"].count == 3


def test_cells_far_right_of_the_header_are_not_read(runner, db, station, tmp_path):
    """A stray cell at column XFD of a real row is past what is read: the row imports."""
    path = tmp_path / "wide.xlsx"
    path.write_bytes(workbook(ROWS, dimension="A1:XFD4", far="XFD4"))
    with deadline(SECONDS):
        result = run_import(runner, path)
    assert result.exit_code == 0, result.output
    assert db["opinions"].count == 2


# --- the upload page ---------------------------------------------------------------------------


@pytest.fixture
def clerk(client, db, two_town_stations):
    users.add(db, "jia", "correct horse", "clerk", "甲镇")
    sign_in(client, "jia")
    return client


def upload(client, content: bytes, filename: str):
    page = client.get("/admin/imports/new").get_data(as_text=True)
    return client.post(
        "/admin/imports/new",
        data={
            "csrf_token": csrf_of(page),
            "station": "1",
            "channel": "paper",
            "collected_by": "",
            "file": (io.BytesIO(content), filename),
        },
        content_type="multipart/form-data",
    )


def test_the_upload_page_refuses_a_far_cell_quickly_in_chinese(clerk, db):
    started = time.perf_counter()
    with deadline(SECONDS):
        response = upload(clerk, workbook(ROWS, "A1:XFD1048576", "XFD1048576"), "意见.xlsx")
    assert time.perf_counter() - started < 5
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "意见.xlsx:第 100002 行:一个文件最多 100000 行,请分成几个文件" in page
    assert "a file holds" not in page
    assert db["opinions"].count == 0


def test_the_upload_page_names_a_bad_header_in_chinese(clerk):
    response = upload(clerk, "内容,备注\n村口路灯坏了三个月,无\n".encode(), "意见.csv")
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "意见.csv:第 1 行:不认识的列 备注" in page
    assert "unknown column" not in page


def test_a_long_preview_lists_some_rows_bad_ones_included(clerk, db, monkeypatch):
    monkeypatch.setattr(import_pages, "PREVIEW_ROWS", 3)
    lines = [f"第{n}条意见:村口路灯坏了" for n in range(1, 11)]
    lines[7] = "短"  # line 9 of the file
    response = upload(clerk, ("内容\n" + "\n".join(lines) + "\n").encode(), "长.csv")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "共 10 行,下面只列出其中 3 行" in page
    table = page.split('id="rows"')[1].split("</table>")[0]
    assert table.count("<tr class=") == 3
    assert "第1条意见" in table and "第2条意见" in table and "第3条意见" not in table
    assert "内容只有 1 个字" in table  # the bad row is listed though it comes last
    assert "有 1 行有问题" in page
    assert db["opinions"].count == 0
