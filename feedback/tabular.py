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


class TableError(ValueError):
    """The file as a whole cannot be read (encoding, header)."""


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
            f"{MAX_FILE_BYTES // 1048576} MB (split it into several files)"
        )
    if data.startswith(b"PK\x03\x04"):
        return list(read_xlsx(data, columns, required, aliases))
    if filename.lower().endswith((".xlsx", ".xlsm", ".xls")):
        raise TableError("this is not an Excel .xlsx workbook (save it again as .xlsx or CSV)")
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
        raise TableError(
            f"line {_line_of(data, error.start)}: cannot read the file as UTF-8 or GBK; "
            "save it from Excel as 'CSV UTF-8' or 'CSV'"
        ) from None
    utf8_lines = [
        number for number, line in enumerate(data.split(b"\n"), start=1)
        if not line.isascii() and _is_utf8(line)
    ]  # fmt: skip
    if utf8_lines:
        raise TableError(
            f"line {_line_of(data, utf8_error.start)}: the file mixes GBK and UTF-8 "
            f"(UTF-8 on line(s) {', '.join(map(str, utf8_lines[:10]))}); "
            "save it again from Excel as one CSV"
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
        raise TableError("the file is empty")
    csv.field_size_limit(MAX_FILE_BYTES)
    reader = csv.reader(io.StringIO(text, newline=""))
    line = 1
    try:
        names = _header(next(reader), columns, required, aliases)
        line = reader.line_num + 1
        for cells in reader:
            if any(cell.strip() for cell in cells):
                while len(cells) > len(names) and not cells[-1].strip():
                    cells.pop()  # Excel's trailing empty columns
                yield _row(line, names, cells)
            line = reader.line_num + 1  # a quoted cell may span lines: name its first
    except csv.Error as error:
        raise TableError(f"line {line}: {error} (an unclosed quote?)") from None


def read_xlsx(
    data: bytes, columns: tuple[str, ...], required: tuple[str, ...], aliases: Mapping[str, str]
) -> Iterator[Row]:
    """Rows of the first sheet; line numbers are Excel's row numbers."""
    from openpyxl import load_workbook

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = archive.namelist()
            unpacked = sum(info.file_size for info in archive.infolist())
    except zipfile.BadZipFile:
        raise TableError("this is not an Excel .xlsx workbook (the zip is damaged)") from None
    if "xl/workbook.xml" not in names:
        raise TableError("this is a zip file but not an Excel .xlsx workbook")
    if unpacked > MAX_XLSX_UNPACKED:
        raise TableError("the workbook unpacks to over 200 MB; refusing it (a zip bomb?)")
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as error:  # openpyxl raises many kinds for a broken workbook
        raise TableError(f"cannot open the workbook: {error}") from None
    try:
        sheet = workbook.worksheets[0]
        rows = sheet.iter_rows(values_only=True)
        header = next(rows, None)
        if header is None:
            raise TableError("the first sheet is empty")
        names = _header([_text(v) for v in header], columns, required, aliases)
        for number, values in enumerate(rows, start=2):
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
    header: list[str], columns: tuple[str, ...], required: tuple[str, ...],
    aliases: Mapping[str, str],
) -> list[str | None]:  # fmt: skip
    while header and not header[-1].strip():
        header = header[:-1]
    names = [_canonical(h, columns, aliases) for h in header]
    unknown = [h for h, n in zip(header, names, strict=True) if n is None and h.strip()]
    if unknown:
        raise TableError(
            f"line 1: unknown column(s) {', '.join(unknown)}; expected {','.join(columns)}"
        )
    missing = [c for c in required if c not in names]
    if missing:
        raise TableError(f"line 1: missing column(s) {', '.join(missing)}")
    duplicated = {n for n in names if n and names.count(n) > 1}
    if duplicated:
        raise TableError(f"line 1: column(s) given twice: {', '.join(sorted(duplicated))}")
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
