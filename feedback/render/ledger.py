"""The report as files: the Excel ledger (台账) and CSV, for offices that keep their books in
spreadsheets.

Two rules hold for every cell this module writes:

- Text never becomes a formula (CSV injection). Villagers' text may begin with =, +, - or @.
  In a workbook such text is written as a string cell (openpyxl data_type 's', an inline
  string) with Excel's quotePrefix style, so Excel shows it literally, even after editing;
  the value itself is unchanged. A CSV has no cell types, so there such text gets a leading
  apostrophe, as OWASP recommends: Excel shows the text and computes nothing.
- Phone numbers are masked (138****5678) and names are left out: a ledger travels by e-mail
  and USB stick, and whoever needs to call back reveals the number on the staff page, where
  that is logged.

CSV is UTF-8 with a byte-order mark, which is what makes Excel open Chinese text without
mojibake. The rows of the figures (the CSV of the report, the 报表数据 sheet) are
feedback.render.ledger_figures'.
"""

from __future__ import annotations

import csv
import io
from datetime import date, datetime

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet
from sqlite_utils import Database

from feedback import clock, deputy_suggestions, receipts, report_tables
from feedback.access import Access
from feedback.labels import CHANNELS, RESULT_CLASSES
from feedback.periods import Period
from feedback.privacy import mask_phone
from feedback.render.ledger_figures import figures

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
DATE_FORMAT = "yyyy-mm-dd"
DATETIME_FORMAT = "yyyy-mm-dd hh:mm"
OPINION_STATUS = {
    "new": "待处理",
    "merged": "已并入建议",
    "answered": "已答复",
    "rejected": "未予受理",
}
WIDEST = 60
RATING_ORDER = ("满意", "基本满意", "不满意", "未评")


def csv_safe(value: object) -> object:
    """Text that a spreadsheet would take for a formula gets a leading apostrophe."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def _csv(header: list[str], rows: list[list]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows([csv_safe(value) for value in row] for row in rows)
    return out.getvalue().encode("utf-8-sig")


def report_csv(report: dict) -> bytes:
    return _csv(["栏目", "项目", "数值"], [list(row) for row in figures(report)])


OPINION_HEADER = [
    "编号",
    "查询码",
    "站点",
    "镇街",
    "渠道",
    "提出时间",
    "类别",
    "内容",
    "状态",
    "所在建议",
    "电话(已遮挡)",
    "评价",
]
SUGGESTION_HEADER = [
    "编号",
    "标题",
    "类别",
    "分级",
    "主办单位",
    "协办单位",
    "责任代表",
    "创建时间",
    "交办时间",
    "签收时间",
    "办理期限",
    "办结时间",
    "状态",
    "办理结果",
    "截止时点超期",
    "最终答复",
    "群众评价",
    "意见数",
]


def _moment(value: str | None) -> datetime | None:
    """A stored stamp as the naive China-time datetime Excel understands."""
    if not value:
        return None
    return clock.parse(value).replace(tzinfo=None)


def _categories(report: dict) -> dict[str, str]:
    return {row["code"]: row["label"] for row in report["opinions"]["by_category"]}


def opinion_rows(db: Database, report: dict) -> list[list]:
    """The period's opinions (the same ones the report counts), oldest first."""
    p: Period = report["period"]
    where, params = Access.of_town(report["town"]).where("s")
    labels = _categories(report)
    rows = db.execute(
        f"select o.id, o.receipt, s.name, s.town, o.channel, o.created_at, o.category, o.body, "
        f"o.status, g.number, o.phone, o.rating from opinions o join stations s "
        f"on s.id = o.station_id left join suggestion_opinions so on so.opinion_id = o.id "
        f"left join suggestions g on g.id = so.suggestion_id where {where} "
        f"and o.created_at >= ? and o.created_at < ? and o.status != 'spam' "
        f"order by o.created_at, o.id",
        [*params, p.start.isoformat(), p.cutoff],
    )
    return [
        [
            oid,
            receipts.display(receipt),
            station,
            town,
            CHANNELS.get(channel, channel),
            _moment(created),
            labels.get(category, category),
            body,
            OPINION_STATUS.get(status, status),
            number or "",
            mask_phone(phone),
            rating or "",
        ]
        for (
            oid,
            receipt,
            station,
            town,
            channel,
            created,
            category,
            body,
            status,
            number,
            phone,
            rating,
        ) in rows
    ]


def opinions_csv(db: Database, report: dict) -> bytes:
    rows = [
        [c.strftime("%Y-%m-%d %H:%M") if isinstance(c, datetime) else c for c in row]
        for row in opinion_rows(db, report)
    ]
    return _csv(OPINION_HEADER, rows)


def suggestion_rows(db: Database, report: dict) -> list[list]:
    """Every suggestion alive during the period: created before the cut-off and not closed
    before the period began, so long-running items stay on the ledger period after period.
    The lead (主办) is the suggestion's department; co-handlers and the lead's signing for it
    are those of the offices it is handed to now (feedback.handling)."""
    p: Period = report["period"]
    where, params = Access.of_town(report["town"]).where("g")
    overdue = {row["id"] for row in report["overdue"]}
    labels = _categories(report)
    ratings: dict[int, dict[str, int]] = {}
    for suggestion_id, rating, count in db.execute(
        f"select so.suggestion_id, coalesce(o.rating, '未评'), count(*) from suggestion_opinions "
        f"so join opinions o on o.id = so.opinion_id join suggestions g on g.id = "
        f"so.suggestion_id where {where} and g.created_at < ? and "
        f"(g.closed_at is null or g.closed_at >= ?) group by 1, 2",
        [*params, p.cutoff, p.start.isoformat()],
    ):
        ratings.setdefault(suggestion_id, {})[rating] = count
    rows = db.query(
        f"select g.*, d.name as department, (select group_concat(c.name, '、') from "
        f"(select cd.name from suggestion_departments co join departments cd "
        f"on cd.id = co.department_id where co.suggestion_id = g.id and co.role = 'co' "
        f"order by cd.name) c) as co_handlers, (select sd.signed_at from "
        f"suggestion_departments sd where sd.suggestion_id = g.id and sd.role = 'lead') "
        f"as signed_at from suggestions g left join departments d "
        f"on d.id = g.department_id where {where} and g.created_at < ? and "
        f"(g.closed_at is null or g.closed_at >= ?) order by g.created_at, g.id",
        [*params, p.cutoff, p.start.isoformat()],
    )
    result = []
    for g in rows:
        counts = ratings.get(g["id"], {})
        summary = " · ".join(
            f"{label} {counts[label]}" for label in RATING_ORDER if counts.get(label)
        )
        result.append(
            [
                g["number"],
                g["title"],
                labels.get(g["category"], g["category"]),
                g["tier"],
                g["department"] or "未定",
                g["co_handlers"] or "",
                _signers(db, g),
                _moment(g["created_at"]),
                _moment(g["assigned_at"]),
                _moment(g["signed_at"]),
                date.fromisoformat(g["deadline"]) if g["deadline"] else None,
                _moment(g["closed_at"]),
                g["status"],
                result_class(g["result_class"]),
                "是" if g["id"] in overdue else "否",
                g["answer"] or "",
                summary,
                sum(counts.values()),
            ]
        )
    return result


def _signers(db: Database, suggestion: dict) -> str:
    """领衔 and 附议 deputies from the registry; older rows' free text as it was typed."""
    chosen = deputy_suggestions.names(deputy_suggestions.signers(db, suggestion["id"]))
    return chosen or suggestion["deputies"]


def result_class(code: str | None) -> str:
    """ "A 已解决或采纳": the class and what it means, so a filter on the letter still works."""
    return f"{code} {RESULT_CLASSES[code]}" if code in RESULT_CLASSES else ""


DEPARTMENT_HEADER = ["承办单位", "所属", *(heading for heading, _key in report_tables.COLUMNS)]
TOWN_HEADER = ["镇街", *(heading for heading, _key in report_tables.TOWN_COLUMNS)]


def department_rows(report: dict) -> list[list]:
    """The table by department, a row per office; rates as their text ("—" for 0/0)."""
    return [
        [row["name"], row["unit"], *(report_tables.cell(row, k) for _h, k in report_tables.COLUMNS)]
        for row in report["departments"]["rows"]
    ]


def town_rows(report: dict) -> list[list]:
    return [
        [row["town"], *(report_tables.cell(row, k) for _h, k in report_tables.TOWN_COLUMNS)]
        for row in report["towns"] or []
    ]


def _width(value: object) -> int:
    if isinstance(value, datetime):
        return 16
    if isinstance(value, date):
        return 10
    text = str(value if value is not None else "")
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in text)


def put(sheet: Worksheet, row: int, column: int, value: object) -> None:
    """Write one cell: text stays text, dates are real dates with a date format."""
    cell = sheet.cell(row=row, column=column)
    if isinstance(value, str):
        cell.value = ILLEGAL_CHARACTERS_RE.sub("", value)
        cell.data_type = "s"  # never 'f', whatever the text begins with
        if value.startswith(FORMULA_START):
            cell.quotePrefix = True
        return
    cell.value = value
    if isinstance(value, datetime):
        cell.number_format = DATETIME_FORMAT
    elif isinstance(value, date):
        cell.number_format = DATE_FORMAT


def _sheet(
    book: Workbook, title: str, header: list[str], rows: list[list], wrap: tuple[int, ...] = ()
) -> Worksheet:
    """A sheet with a bold frozen header and columns wide enough for Chinese text."""
    sheet = book.create_sheet(title)
    widths = [_width(h) for h in header]
    for column, heading in enumerate(header, 1):
        put(sheet, 1, column, heading)
        sheet.cell(row=1, column=column).font = Font(bold=True)
    for r, row in enumerate(rows, 2):
        for column, value in enumerate(row, 1):
            put(sheet, r, column, value)
            widths[column - 1] = max(widths[column - 1], _width(value))
            if column in wrap:
                sheet.cell(row=r, column=column).alignment = Alignment(
                    wrap_text=True, vertical="top"
                )
    for column, width in enumerate(widths, 1):
        sheet.column_dimensions[get_column_letter(column)].width = min(width + 2, WIDEST)
    sheet.freeze_panes = "A2"
    return sheet


def workbook(db: Database, report: dict) -> bytes:
    """The ledger: 建议台账, 群众意见, 承办单位 (the table by department), 各镇街对比 (the
    county's only) and 报表数据 (every figure of the bulletin)."""
    book = Workbook()
    book.remove(book.active)
    answer = SUGGESTION_HEADER.index("最终答复") + 1
    _sheet(book, "建议台账", SUGGESTION_HEADER, suggestion_rows(db, report), wrap=(2, answer))
    _sheet(book, "群众意见", OPINION_HEADER, opinion_rows(db, report), wrap=(8,))
    _sheet(book, "承办单位", DEPARTMENT_HEADER, department_rows(report))
    if report["towns"] is not None:
        _sheet(book, "各镇街对比", TOWN_HEADER, town_rows(report))
    _sheet(book, "报表数据", ["栏目", "项目", "数值"], [list(r) for r in figures(report)])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
