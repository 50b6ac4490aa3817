"""Every number of the bulletin as (section, item, value) rows, for the ledger's CSV of
figures and its workbook's 报表数据 sheet (feedback.render.ledger).

Kept apart from the files themselves because it is the bulletin flattened, not a file format:
when the bulletin gains a figure (feedback.reports, feedback.report_tables,
feedback.deputy_record) a row is added here, so nothing in the printed report is missing
from the spreadsheets.
"""

from __future__ import annotations

from feedback import clock, report_tables
from feedback.periods import Period


def figures(report: dict) -> list[tuple[str, str, int | float | str]]:
    """Every number of the bulletin as (section, item, value) rows: the CSV and the
    workbook's figures sheet, so nothing in the printed report is missing from them."""
    o, s, sat = report["opinions"], report["suggestions"], report["satisfaction"]
    p: Period = report["period"]
    rows: list[tuple[str, str, int | float | str]] = [
        ("报表", "地区", report["area"]),
        ("报表", "统计期", p.label),
        ("报表", "起止日期", f"{p.start.isoformat()} 至 {p.last_day.isoformat()}"),
        ("报表", "统计截至", clock.display(p.as_of)),
        ("报表", "生成时间", clock.display(report["generated_at"])),
        ("群众意见", "收到意见", o["received"]),
        ("群众意见", "自动拦截的垃圾提交(未计入)", o["spam"]),
        ("群众意见", "二维码表单", o["form"]),
        ("群众意见", "线下录入", o["offline"]),
        ("群众意见", "并入建议的意见", o["merged_opinions"]),
        ("群众意见", "并入建议件数", o["merged_into"]),
        ("群众意见", "当前待处理(所有月份)", o["pending_now"]),
    ]
    rows += [("处理情况", row["label"], row["count"]) for row in o["by_status"]]
    rows += [("按类别", row["label"], row["count"]) for row in o["by_category"]]
    rows += [("按渠道", row["label"], row["count"]) for row in o["by_channel"]]
    rows += [("按站点", f"{row['town']} · {row['name']}", row["count"]) for row in o["by_station"]]
    rows.append(("按站点", "本期无意见的站点数", o["idle_stations"]))
    rows += [
        ("代表建议", "新建建议", s["created"]),
        ("代表建议", "办结率", s["completion"].text),
        ("代表建议", "办结率·截止时点已办结", s["completion"].numerator),
        ("代表建议", "本期办结建议", s["closed"]),
        ("代表建议", "按期办结率", s["on_time"].text),
        ("代表建议", "按期办结件数", s["on_time"].numerator),
        ("代表建议", "平均办理天数", "—" if s["avg_days"] is None else s["avg_days"]),
        ("代表建议", "截止时点在办建议", s["open_at_cutoff"]),
        ("代表建议", "超期建议", len(report["overdue"])),
    ]
    rows += [("建议分级", row["label"], row["count"]) for row in s["by_tier"]]
    rows += [("建议状态", row["label"], row["count"]) for row in s["by_status"]]
    rows += [("承办单位", row["label"], row["count"]) for row in s["by_department"]]
    rows += [("满意度", "满意率", sat["rate"].text), ("满意度", "参评数", sat["rated"])]
    rows += [("满意度", row["label"], row["count"]) for row in sat["by_rating"]]
    rows += [("满意度", "村民自评", sat["by_villagers"]), ("满意度", "回访代记", sat["by_visits"])]
    rows += [
        (
            "超期建议",
            row["number"],
            f"{row['title']};承办单位 {row['department']};期限 {row['deadline']};"
            f"超期 {row['days']} 天",
        )
        for row in report["overdue"]
    ]
    for town in report["towns"] or []:
        rows += [
            ("各镇街对比", f"{town['town']} · {heading}", report_tables.cell(town, key))
            for heading, key in report_tables.TOWN_COLUMNS
        ]
    for office in report["departments"]["rows"]:
        name = f"{office['name']}({office['unit']})"
        rows += [
            ("承办单位", f"{name} · {heading}", report_tables.cell(office, key))
            for heading, key in report_tables.COLUMNS
        ]
    if report["town"] is None:
        rows.append(("承办单位", "在用但本期没有数据的单位数", report["departments"]["idle"]))
    names = {
        "received": "收到意见",
        "answered": "答复意见",
        "suggestions_created": "新建建议",
        "suggestions_closed": "办结建议",
    }
    for month in report["trend"]:
        rows += [
            ("12 个月趋势", f"{month['month']} {label}", month[key]) for key, label in names.items()
        ]
    return rows + deputy_figures(report)


def deputy_figures(report: dict) -> list[tuple[str, str, int | float | str]]:
    """The bulletin's deputies part (feedback.deputy_record.bulletin) as figure rows."""
    dep = report.get("deputies")
    if not dep:
        return []
    rows: list[tuple[str, str, int | float | str]] = [
        ("人大代表", "代表满意率", dep["rate"].text),
        ("人大代表", "代表意见征询表份数", dep["judged"]),
    ]
    rows += [("人大代表", f"代表意见 {row['label']}", row["count"]) for row in dep["verdicts"]]
    for row in dep["rows"]:
        rows += [
            ("人大代表", f"{row['label']} {label}", row[key])
            for key, label in (
                ("activities", "履职活动"),
                ("people", "接待走访群众"),
                ("collected", "收集意见"),
                ("led", "领衔建议"),
            )
        ]
    return rows
