"""Charts for the bulletin as inline SVG strings: bars by category, station or channel, and a
12-month trend line.

Inline SVG prints sharp on A4, needs no JavaScript and no chart library from another host
(CDNs are slow or blocked in mainland China), and works the same in the staff page and the
standalone HTML file the CLI writes. Every label passes through markupsafe's escape.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from markupsafe import Markup, escape

FONT = "font-family=\"'Noto Sans CJK SC','Microsoft YaHei',sans-serif\""
BAR_COLOUR = "#c8102e"
SERIES_COLOURS = ("#c8102e", "#1f6fb2", "#2e7d32", "#8a5a00")
LABEL_CHARS = 10


def _text_width(text: str) -> int:
    """Width in half-em units: a Chinese character is as wide as two Latin ones."""
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in text)


def _short(label: str) -> str:
    if _text_width(label) <= LABEL_CHARS * 2:
        return label
    out = ""
    for ch in label:
        if _text_width(out + ch) > LABEL_CHARS * 2 - 2:
            break
        out += ch
    return out + "…"


def nice_step(top: int, ticks: int = 4) -> int:
    """A round gridline step (1, 2, 5, 10, 20, 50, ...) giving about `ticks` lines up to top."""
    if top <= ticks:
        return 1
    raw = top / ticks
    power = 10 ** math.floor(math.log10(raw))
    for factor in (1, 2, 5, 10):
        if factor * power >= raw:
            return int(factor * power)
    return int(10 * power)  # pragma: no cover


def bars(items: Sequence[tuple[str, int]], title: str, width: int = 640) -> Markup:
    """Horizontal bars, one per (label, count), in the order given."""
    row, value_w, top = 26, 48, 30
    label_w = 150 if width >= 600 else 110
    area = width - label_w - value_w
    largest = max((count for _label, count in items), default=0) or 1
    height = top + row * max(len(items), 1) + 8
    parts = [
        f'<svg class="chart bars" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} '
        f'{height}" width="100%" role="img" aria-label="{escape(title)}" {FONT}>',
        f"<title>{escape(title)}</title>",
        f'<text x="0" y="18" font-size="15" font-weight="bold">{escape(title)}</text>',
    ]
    if not items:
        parts.append(f'<text x="0" y="{top + 16}" font-size="13" fill="#666">无数据</text>')
    for i, (label, count) in enumerate(items):
        y = top + i * row
        length = round(area * count / largest, 1)
        parts += [
            f'<text x="{label_w - 8}" y="{y + 17}" font-size="13" text-anchor="end">'
            f"<title>{escape(label)}</title>{escape(_short(label))}</text>",
            f'<rect class="bar" x="{label_w}" y="{y + 4}" width="{length}" height="{row - 8}" '
            f'fill="{BAR_COLOUR}" data-value="{int(count)}"><title>{escape(label)}:'
            f"{int(count)}</title></rect>",
            f'<text x="{label_w + length + 6}" y="{y + 17}" font-size="13">{int(count)}</text>',
        ]
    parts.append("</svg>")
    return Markup("".join(parts))


def trend(
    months: Sequence[str],
    series: Sequence[tuple[str, Sequence[int]]],
    title: str,
    width: int = 640,
    height: int = 260,
) -> Markup:
    """Lines over the months ("2026-03"), one per (name, values), with a legend."""
    left, right, top, bottom = 44, 12, 52, 36
    plot_w, plot_h = width - left - right, height - top - bottom
    largest = max((v for _name, values in series for v in values), default=0)
    step = nice_step(largest)
    ceiling = max(step, math.ceil(largest / step) * step)
    n = max(len(months), 1)

    def x(i: int) -> float:
        return round(left + (plot_w * (i + 0.5) / n), 1)

    def y(v: int) -> float:
        return round(top + plot_h - plot_h * v / ceiling, 1)

    parts = [
        f'<svg class="chart trend" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} '
        f'{height}" width="100%" role="img" aria-label="{escape(title)}" {FONT}>',
        f"<title>{escape(title)}</title>",
        f'<text x="0" y="18" font-size="15" font-weight="bold">{escape(title)}</text>',
    ]
    for k, (name, _values) in enumerate(series):
        colour = SERIES_COLOURS[k % len(SERIES_COLOURS)]
        lx = left + k * 130
        parts.append(f'<rect x="{lx}" y="29" width="14" height="4" fill="{colour}"/>')
        parts.append(f'<text x="{lx + 20}" y="36" font-size="13">{escape(name)}</text>')
    for v in range(0, ceiling + 1, step):
        parts.append(
            f'<line x1="{left}" x2="{width - right}" y1="{y(v)}" y2="{y(v)}" '
            f'stroke="#ddd"/><text x="{left - 6}" y="{y(v) + 4}" font-size="11" '
            f'text-anchor="end">{v}</text>'
        )
    for i, month in enumerate(months):
        year, mon = month.split("-")
        label = f"{int(mon)}月" if i and mon != "01" else f"{year[2:]}年{int(mon)}月"
        parts.append(
            f'<text x="{x(i)}" y="{height - bottom + 16}" font-size="11" '
            f'text-anchor="middle">{escape(label)}</text>'
        )
    for k, (name, values) in enumerate(series):
        colour = SERIES_COLOURS[k % len(SERIES_COLOURS)]
        points = " ".join(f"{x(i)},{y(v)}" for i, v in enumerate(values))
        parts.append(
            f'<polyline class="line" fill="none" stroke="{colour}" stroke-width="2.5" '
            f'points="{points}"><title>{escape(name)}</title></polyline>'
        )
        for i, v in enumerate(values):
            parts.append(
                f'<circle class="point" cx="{x(i)}" cy="{y(v)}" r="3" fill="{colour}">'
                f"<title>{escape(months[i])} {escape(name)}:{int(v)}</title></circle>"
            )
    parts.append("</svg>")
    return Markup("".join(parts))


def for_report(report: dict) -> dict[str, Markup]:
    """The bulletin's charts, by name, drawn from a report of feedback.reports.build."""
    o = report["opinions"]
    months = [m["month"] for m in report["trend"]]
    return {
        "category": bars([(r["label"], r["count"]) for r in o["by_category"]], "按类别", 440),
        "channel": bars([(r["label"], r["count"]) for r in o["by_channel"]], "按渠道", 440),
        "station": bars(
            [
                (r["name"] if report["town"] else f"{r['town']}·{r['name']}", r["count"])
                for r in o["by_station"][:15]
            ],
            "按站点(前 15 个)",
        ),
        "trend": trend(
            months,
            [
                ("收到意见", [m["received"] for m in report["trend"]]),
                ("答复意见", [m["answered"] for m in report["trend"]]),
            ],
            "近 12 个月收到与答复的意见",
        ),
    }
