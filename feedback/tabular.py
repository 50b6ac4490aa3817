"""Reading spreadsheets as Chinese offices save them: CSV in UTF-8, UTF-8 with BOM, or GBK.

Shared by every import so each one reports bad rows the same way: by line number, all of
them at once, before anything is stored.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator, Mapping
from dataclasses import dataclass


class TableError(ValueError):
    """The file as a whole cannot be read (encoding, header)."""


@dataclass(frozen=True)
class Row:
    line: int
    values: dict[str, str]


def decode(data: bytes) -> str:
    """Decode CSV bytes: UTF-8 (with or without BOM), else GB18030, the superset of GBK."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("gb18030")
    except UnicodeDecodeError as error:
        raise TableError(
            f"cannot read the file as UTF-8 or GBK (bad byte at offset {error.start}); "
            "save it from Excel as 'CSV UTF-8' or 'CSV'"
        ) from None


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
    reader = csv.reader(io.StringIO(text, newline=""))
    header = next(reader)
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
    for cells in reader:
        if not any(cell.strip() for cell in cells):
            continue
        values = {n: c for n, c in zip(names, cells, strict=False) if n}
        if len(cells) > len(names):
            values["__extra__"] = ",".join(cells[len(names) :])
        yield Row(reader.line_num, values)


def _canonical(header: str, columns: tuple[str, ...], aliases: Mapping[str, str]) -> str | None:
    name = header.strip().lower()
    if name in columns:
        return name
    return aliases.get(header.strip())
