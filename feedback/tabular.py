"""Reading spreadsheets as Chinese offices save them: CSV in UTF-8, UTF-8 with BOM or GBK,
and Excel workbooks (.xlsx, first sheet).

Shared by every import so each one reports bad rows the same way: by line number, all of
them at once, before anything is stored.
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any

MAX_FILE_BYTES = 20 * 1024 * 1024
# A workbook unpacks to far more than its size; past this it is a zip bomb, not a sheet.
MAX_XLSX_UNPACKED = 200 * 1024 * 1024
# Rows of data a file may hold (bench/imports.py imports 100,000 in one go). A sheet is read
# no further than this: its declared size and where its cells sit are the file's word only.
MAX_ROWS = 100_000
# Columns of a sheet that are read: a header is a handful of known names; cells further
# right than this are not looked at, however far out the file claims or puts them.
MAX_COLUMNS = 64


class TableError(ValueError):
    """The file as a whole cannot be read (encoding, header, size).

    The message is English for the command line; `zh` says the same to staff pages.
    """

    def __init__(self, message: str, zh: str | None = None):
        super().__init__(message)
        self.zh = zh or message


@dataclass(frozen=True)
class Row:
    line: int
    values: dict[str, Any]  # str from CSV; str, number or datetime from a workbook


def read_table(
    filename: str,
    data: bytes,
    columns: tuple[str, ...],
    required: tuple[str, ...],
    aliases: Mapping[str, str],
) -> list[Row]:
    """The rows of a CSV file or of a workbook's first sheet (told apart by content)."""
    if len(data) > MAX_FILE_BYTES:
        raise TableError(
            f"the file is {len(data) / 1048576:.0f} MB; the limit is "
            f"{MAX_FILE_BYTES // 1048576} MB (split it into several files)",
            f"文件有 {len(data) / 1048576:.0f} MB,最大 {MAX_FILE_BYTES // 1048576} MB,"
            "请分成几个文件",
        )
    if data.startswith(b"PK\x03\x04"):
        return list(read_xlsx(data, columns, required, aliases))
    if filename.lower().endswith((".xlsx", ".xlsm", ".xls")):
        raise TableError(
            "this is not an Excel .xlsx workbook (save it again as .xlsx or CSV)",
            "这不是 Excel .xlsx 文件,请另存为 .xlsx 或 CSV",
        )
    return list(read_csv(data, columns, required, aliases))


def decode(data: bytes) -> str:
    """Decode CSV bytes: UTF-8 (with or without BOM), else GB18030, the superset of GBK.

    A file mixing both (lines pasted from two sources) is refused rather than half garbled.
    """
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        utf8_error = error
    try:
        text = data.decode("gb18030")
    except UnicodeDecodeError as error:
        line = _line_of(data, error.start)
        raise TableError(
            f"line {line}: cannot read the file as UTF-8 or GBK; "
            "save it from Excel as 'CSV UTF-8' or 'CSV'",
            f"第 {line} 行:文件不是 UTF-8 或 GBK 编码,请在 Excel 里另存为“CSV UTF-8”或“CSV”",
        ) from None
    utf8_lines = [
        number
        for number, line in enumerate(data.split(b"\n"), start=1)
        if not line.isascii() and _is_utf8(line)
    ]
    if utf8_lines:
        line, listed = _line_of(data, utf8_error.start), ", ".join(map(str, utf8_lines[:10]))
        raise TableError(
            f"line {line}: the file mixes GBK and UTF-8 (UTF-8 on line(s) {listed}); "
            "save it again from Excel as one CSV",
            f"第 {line} 行:文件里 GBK 和 UTF-8 两种编码混在一起(UTF-8 在第 {listed} 行),"
            "请在 Excel 里重新另存为一个 CSV",
        )
    return text


def _is_utf8(line: bytes) -> bool:
    try:
        line.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _line_of(data: bytes, offset: int) -> int:
    return data.count(b"\n", 0, offset) + 1


def read_csv(
    data: bytes, columns: tuple[str, ...], required: tuple[str, ...], aliases: Mapping[str, str]
) -> Iterator[Row]:
    """Yield the non-blank rows keyed by canonical column names, with their line numbers.

    `aliases` maps other header spellings (e.g. Chinese ones) to canonical names. Unknown or
    missing required columns are a TableError naming them.
    """
    text = decode(data)
    if not text.strip():
        raise TableError("the file is empty", "文件是空的")
    csv.field_size_limit(MAX_FILE_BYTES)
    reader = csv.reader(io.StringIO(text, newline=""))
    line = 1
    try:
        names = _header(next(reader), columns, required, aliases)
        line = reader.line_num + 1
        count = 0
        for cells in reader:
            if any(cell.strip() for cell in cells):
                count += 1
                if count > MAX_ROWS:
                    raise _too_many_rows(line)
                while len(cells) > len(names) and not cells[-1].strip():
                    cells.pop()  # Excel's trailing empty columns
                yield _row(line, names, cells)
            line = reader.line_num + 1  # a quoted cell may span lines: name its first
    except csv.Error as error:
        raise TableError(
            f"line {line}: {error} (an unclosed quote?)", f"第 {line} 行:引号没有配对"
        ) from None


def _too_many_rows(line: int) -> TableError:
    return TableError(
        f"line {line}: a file holds at most {MAX_ROWS:,} rows; split it into several files "
        "(or delete whatever is below the table: in Excel, Ctrl+End shows where the sheet ends)",
        f"第 {line} 行:一个文件最多 {MAX_ROWS} 行,请分成几个文件"
        "(或删掉表格下面的内容:在 Excel 里按 Ctrl+End 可以看到表格到哪里结束)",
    )


def read_xlsx(
    data: bytes, columns: tuple[str, ...], required: tuple[str, ...], aliases: Mapping[str, str]
) -> Iterator[Row]:
    """Rows of the first sheet; line numbers are Excel's row numbers.

    A sheet's <dimension> may claim A1:XFD1048576 and a single cell may sit there; openpyxl
    pads every row to the claimed width and yields every row up to the claimed (or the last)
    one, 17 billion cells for a 5 KB file. So the claim is dropped, at most MAX_COLUMNS
    columns are read, and reading stops at the first row past MAX_ROWS rows of data.
    """
    from openpyxl import load_workbook

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = archive.namelist()
            unpacked = sum(info.file_size for info in archive.infolist())
    except zipfile.BadZipFile:
        raise TableError(
            "this is not an Excel .xlsx workbook (the zip is damaged)",
            "这不是 Excel .xlsx 文件(文件已损坏)",
        ) from None
    if "xl/workbook.xml" not in names:
        raise TableError(
            "this is a zip file but not an Excel .xlsx workbook",
            "这是压缩文件,不是 Excel .xlsx 文件",
        )
    if unpacked > MAX_XLSX_UNPACKED:
        raise TableError(
            "the workbook unpacks to over 200 MB; refusing it (a zip bomb?)",
            "这个 Excel 文件解压后超过 200 MB,无法读取",
        )
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as error:  # openpyxl raises many kinds for a broken workbook
        raise TableError(
            f"cannot open the workbook: {error}", "打不开这个 Excel 文件,请在 Excel 里重新保存"
        ) from None
    try:
        sheet = workbook.worksheets[0]
        sheet.reset_dimensions()  # the declared size is not what is there
        rows = sheet.iter_rows(max_col=MAX_COLUMNS, values_only=True)
        header = next(rows, None)
        if header is None:
            raise TableError("the first sheet is empty", "第一个工作表是空的")
        names = _header([_text(v) for v in header], columns, required, aliases)
        for number, values in enumerate(rows, start=2):
            if number > MAX_ROWS + 1:
                # Rows between the last real one and a cell far below come as blank rows:
                # whatever is down there, the file is too long to read on.
                raise _too_many_rows(number)
            if all(v is None or v == "" for v in values):
                continue
            cells = [_text(v) if not isinstance(v, (datetime, date, time)) else v for v in values]
            if not any(str(cell).strip() for cell in cells if cell is not None):
                continue
            while cells and (cells[-1] is None or cells[-1] == ""):
                cells.pop()  # Excel's trailing empty cells are not extra columns
            yield _row(number, names, cells)
    finally:
        workbook.close()


def _text(value: Any) -> str:
    """A workbook cell as text: 13812345678.0 -> '13812345678', None -> ''."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _header(
    header: list[str],
    columns: tuple[str, ...],
    required: tuple[str, ...],
    aliases: Mapping[str, str],
) -> list[str | None]:
    while header and not header[-1].strip():
        header = header[:-1]
    names = [_canonical(h, columns, aliases) for h in header]
    unknown = [h for h, n in zip(header, names, strict=True) if n is None and h.strip()]
    if unknown:
        raise TableError(
            f"line 1: unknown column(s) {', '.join(unknown)}; expected {','.join(columns)}",
            f"第 1 行:不认识的列 {'、'.join(unknown)};表头应是 {','.join(columns)}",
        )
    missing = [c for c in required if c not in names]
    if missing:
        raise TableError(
            f"line 1: missing column(s) {', '.join(missing)}",
            f"第 1 行:缺少列 {'、'.join(missing)}",
        )
    duplicated = {n for n in names if n and names.count(n) > 1}
    if duplicated:
        raise TableError(
            f"line 1: column(s) given twice: {', '.join(sorted(duplicated))}",
            f"第 1 行:这些列出现了两次:{'、'.join(sorted(duplicated))}",
        )
    return names


def _row(line: int, names: list[str | None], cells: list[Any]) -> Row:
    values = {n: c for n, c in zip(names, cells, strict=False) if n}
    if len(cells) > len(names):
        values["__extra__"] = ",".join(str(c) for c in cells[len(names) :])
    return Row(line, values)


def _canonical(header: str, columns: tuple[str, ...], aliases: Mapping[str, str]) -> str | None:
    name = header.strip().lower()
    if name in columns:
        return name
    return aliases.get(header.strip())
