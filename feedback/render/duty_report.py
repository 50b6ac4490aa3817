"""A deputy's 述职 summary of a year (HTML and PDF) and the county's 年度履职积分登记表
(Excel), drawn from feedback.deputy_record's figures: pure functions of data.

The PDF embeds the posters' CJK font (fonts-noto-cjk, Simplified Chinese face) cut down to
the characters used, as the posters and cards do (feedback.render.fonts)."""

from __future__ import annotations

import io
from collections.abc import Iterable
from functools import lru_cache

from fpdf import FPDF
from jinja2 import Environment, FileSystemLoader, select_autoescape
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font

from feedback import clock, paths
from feedback.labels import DUTY_ACTIVITIES, RATINGS, RESULT_CLASSES
from feedback.render.fonts import PosterFonts
from feedback.render.ledger import put

POINTS_NOTE = (
    "积分:每次履职活动按类型计分({activities}),每收集一条群众意见 {opinion} 分,"
    "每领衔一件建议 {lead} 分,每附议一件 {cosign} 分。扫代表码提交的意见单列,不计分。"
)


def points_note(table: dict) -> str:
    activities = "、".join(
        f"{label} {table['activity'].get(kind, 0)} 分" for kind, label in DUTY_ACTIVITIES.items()
    )
    return POINTS_NOTE.format(activities=activities, **table)


def summary_lines(record: dict) -> list[tuple[str, str]]:
    """The 述职 summary as (heading, text) lines, shared by the HTML and the PDF."""
    kinds = "、".join(
        f"{label} {record['activities'][kind]} 次"
        for kind, label in DUTY_ACTIVITIES.items()
        if record["activities"][kind]
    )
    results = "、".join(f"{r} 类 {record['results'][r]} 件" for r in RESULT_CLASSES)
    verdicts = "、".join(f"{r} {record['verdicts'][r]}" for r in RATINGS)
    villagers = "、".join(f"{r} {record['villagers'][r]}" for r in RATINGS)
    return [
        (
            "履职活动",
            f"共 {record['activity_count']} 次({kinds or '无'}),接待走访群众 "
            f"{record['people']} 人。",
        ),
        (
            "收集意见",
            f"收集群众意见 {record['collected']} 条;群众扫代表码提交 {record['through_card']} 条。",
        ),
        (
            "代表建议",
            f"领衔 {record['led']} 件,附议 {record['cosigned']} 件;已办结 "
            f"{record['closed']} 件,办理结果 {results}。",
        ),
        (
            "满意度",
            f"代表意见:{verdicts}(满意率 {record['verdict_rate']});领衔建议背后群众评价:"
            f"{villagers}(满意率 {record['villager_rate']})。",
        ),
        ("年度积分", f"{record['points']} 分。{points_note(record['points_table'])}"),
    ]


def title(record: dict) -> str:
    return f"{record['name']}代表 {record['year']} 年度履职情况"


@lru_cache(maxsize=1)
def _environment() -> Environment:
    return Environment(
        loader=FileSystemLoader(str(paths.templates_dir())),
        autoescape=select_autoescape(["html"]),
    )


def html(record: dict) -> str:
    """One self-contained page (inline CSS, nothing from another host) that prints on A4."""
    return (
        _environment()
        .get_template("reports/duty_report.html")
        .render(
            record=record,
            title=title(record),
            lines=summary_lines(record),
            kinds=DUTY_ACTIVITIES,
            result_classes=RESULT_CLASSES,
            generated=clock.display(clock.stamp()),
        )
    )


def pdf(record: dict, fonts: PosterFonts) -> bytes:
    """The 述职 summary on A4, its text in the embedded CJK font."""
    lines = summary_lines(record)
    rows = [
        f"{'领衔' if s['role'] == 'lead' else '附议'} {s['number']} {s['title']} · {s['status']}"
        + (f" · {s['result_class']} 类" if s["result_class"] else "")
        + (f" · 代表意见 {s['verdict']}" if s["verdict"] else "")
        for s in record["suggestions"]
    ]
    heading = title(record)
    meta = f"{record['town']} · {record['level']}人大代表 · 编码 {record['code']}"
    text = heading + meta + "".join(a + b for a, b in lines) + "".join(rows) + "建议清单"
    cut = fonts.subset_for(text + "0123456789")
    document = FPDF(unit="mm", format="A4")
    document.set_creator("码上提")
    document.set_margins(20, 20, 20)
    for style, bold in (("", False), ("B", True)):
        document.add_font("cjk", style, str(cut.path(bold)), collection_font_number=cut.index)
    document.add_page()
    document.set_font("cjk", "B", 18)
    document.multi_cell(0, 10, heading, new_x="LMARGIN", new_y="NEXT")
    document.set_font("cjk", "", 11)
    document.multi_cell(0, 7, meta, new_x="LMARGIN", new_y="NEXT")
    for name, body in lines:
        document.ln(3)
        document.set_font("cjk", "B", 13)
        document.multi_cell(0, 8, name, new_x="LMARGIN", new_y="NEXT")
        document.set_font("cjk", "", 11)
        document.multi_cell(0, 7, body, new_x="LMARGIN", new_y="NEXT")
    if rows:
        document.ln(3)
        document.set_font("cjk", "B", 13)
        document.multi_cell(0, 8, "建议清单", new_x="LMARGIN", new_y="NEXT")
        document.set_font("cjk", "", 10)
        for row in rows:
            document.multi_cell(0, 6, row, new_x="LMARGIN", new_y="NEXT")
    return bytes(document.output())


REGISTER_HEADERS = (
    ["镇街", "代表", "编码", "层级", "在任"]
    + [f"{label}(次)" for label in DUTY_ACTIVITIES.values()]
    + ["活动合计(次)", "接待走访群众(人)", "收集意见(条)", "扫代表码(条)"]
    + ["领衔建议(件)", "附议建议(件)", "已办结(件)"]
    + [f"{r} 类(件)" for r in RESULT_CLASSES]
    + [f"代表意见{r}" for r in RATINGS]
    + ["代表满意率", "群众满意率", "积分"]
)


def register_row(r: dict) -> list:
    return [
        r["town"],
        r["name"],
        r["code"],
        r["level"],
        "是" if r["active"] else "离任",
        *[r["activities"][kind] for kind in DUTY_ACTIVITIES],
        r["activity_count"],
        r["people"],
        r["collected"],
        r["through_card"],
        r["led"],
        r["cosigned"],
        r["closed"],
        *[r["results"][c] for c in RESULT_CLASSES],
        *[r["verdicts"][v] for v in RATINGS],
        r["verdict_rate"].text,
        r["villager_rate"].text,
        r["points"],
    ]


def register_xlsx(rows: Iterable[dict], year: int, area: str, table: dict) -> bytes:
    """The 年度履职积分登记表: a row per deputy, their figures and points, and the rule."""
    book = Workbook()
    sheet = book.active
    sheet.title = "履职积分登记表"
    sheet.append([f"{area} {year} 年度人大代表履职积分登记表"])
    sheet["A1"].font = Font(bold=True, size=14)
    sheet.append(REGISTER_HEADERS)
    for cell in sheet[2]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(wrap_text=True, vertical="center")
    for number, row in enumerate(rows, 3):
        for column, value in enumerate(register_row(row), 1):
            put(sheet, number, column, value)  # a name beginning with = stays text
    sheet.cell(sheet.max_row + 2, 1, points_note(table))
    sheet.freeze_panes = "C3"
    for index in range(1, len(REGISTER_HEADERS) + 1):
        sheet.column_dimensions[sheet.cell(2, index).column_letter].width = 12
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
