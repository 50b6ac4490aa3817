"""Poster layouts as plain data, in millimetres, shared by the PNG and the PDF renderer.

A layout is pure: the same station gives the same items, with no file or request
involved, so both renderers (and the tests) see one design.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import qrcode
from qrcode.constants import ERROR_CORRECT_Q

from feedback.render.fonts import PosterFonts

PT_TO_MM = 25.4 / 72
ASCENT = 0.88  # Noto Sans CJK: the baseline sits 0.88 em below the top of the line.

RED = (200, 16, 46)
INK = (34, 34, 34)
GREY = (100, 100, 100)
WHITE = (255, 255, 255)
PALE_RED = (253, 236, 236)

PAGE_SIZES = {"A4": (210.0, 297.0), "A3": (297.0, 420.0)}
STEPS = ("微信扫一扫", "写下您的意见建议", "保存查询码")


@dataclass(frozen=True)
class Text:
    """One line of text centred on x, its line box starting at y (mm); size in points."""

    x: float
    y: float
    size: float
    text: str
    bold: bool = False
    color: tuple[int, int, int] = INK

    @property
    def baseline(self) -> float:
        return self.y + ASCENT * self.size * PT_TO_MM


@dataclass(frozen=True)
class Box:
    x: float
    y: float
    w: float
    h: float
    color: tuple[int, int, int]
    radius: float = 0.0


@dataclass(frozen=True)
class QRCode:
    """A QR symbol of `size` mm (quiet zone not included) at x, y."""

    x: float
    y: float
    size: float
    modules: tuple[tuple[bool, ...], ...]


@dataclass
class Layout:
    width: float
    height: float
    items: list[Text | Box | QRCode] = field(default_factory=list)

    def texts(self) -> list[str]:
        return [item.text for item in self.items if isinstance(item, Text)]


def qr_modules(data: str) -> tuple[tuple[bool, ...], ...]:
    """The QR matrix for `data`, quartile error correction (posters get dirty and are
    photographed at an angle), no quiet zone: the layout leaves white space around it."""
    qr = qrcode.QRCode(error_correction=ERROR_CORRECT_Q, border=0)
    qr.add_data(data)
    qr.make(fit=True)
    return tuple(tuple(row) for row in qr.get_matrix())


def fit_text(
    fonts: PosterFonts, text: str, max_width_mm: float, size: float, min_size: float, bold: bool
) -> tuple[float, list[str]]:
    """Shrink text to fit one line down to min_size, then break it into lines at min_size."""
    width = max_width_mm / PT_TO_MM
    while size > min_size and fonts.text_width(text, size, bold) > width:
        size -= 1
    lines, line = [], ""
    for ch in text:
        if line and fonts.text_width(line + ch, size, bold) > width:
            lines.append(line)
            line = ""
        line += ch
    lines.append(line)
    return size, lines


def place_line(station: dict) -> str:
    return " · ".join(
        part for part in (station["town"], station["village"], station["kind"]) if part
    )


def poster(station: dict, url: str, fonts: PosterFonts, title: str, size: str = "A4") -> Layout:
    """The printed poster: title band, station, QR code, link, three steps, a closing line."""
    page_w, page_h = PAGE_SIZES[size]
    s = page_w / PAGE_SIZES["A4"][0]  # A3 is A4 scaled up
    cx, room = page_w / 2, 186 * s
    items: list[Text | Box | QRCode] = [Box(0, 0, page_w, 50 * s, RED)]
    items += _lines(fonts, title, cx, 10 * s, room, 46 * s, 20 * s, 1, bold=True, color=WHITE)
    subtitle = f"{station['town']}人大 · 扫码给人大代表提意见建议"
    items += _lines(fonts, subtitle, cx, 33 * s, room, 17 * s, 9 * s, 1, color=WHITE)
    name = _lines(fonts, station["name"], cx, 57 * s, room, 32 * s, 22 * s, 2, bold=True)
    items += name
    y = name[-1].y + name[-1].size * PT_TO_MM * 1.3
    items += _lines(fonts, place_line(station), cx, y, room, 15 * s, 8 * s, 1, color=GREY)
    if station.get("address"):
        items += _lines(
            fonts, station["address"], cx, y + 8 * s, room, 11 * s, 8 * s, 2, color=GREY
        )

    qr_size = 128 * s
    qr_top = 99 * s
    items.append(QRCode(cx - qr_size / 2, qr_top, qr_size, qr_modules(url)))
    items += _lines(fonts, url, cx, qr_top + qr_size + 6 * s, room, 14 * s, 6 * s, 2)

    items.extend(_steps(page_w, 252 * s, s))
    items.append(Text(cx, 282 * s, 14 * s, "事事有回应 · 件件有落实", bold=True, color=RED))
    return Layout(page_w, page_h, items)


def _lines(
    fonts: PosterFonts,
    text: str,
    cx: float,
    top: float,
    width: float,
    size: float,
    min_size: float,
    max_lines: int,
    bold: bool = False,
    color: tuple[int, int, int] = INK,
) -> list[Text]:
    """Centred text shrunk to fit, then wrapped, at most max_lines (the last one cut with …)."""
    size, lines = fit_text(fonts, text, width, size, min_size, bold)
    if len(lines) > max_lines:
        lines = lines[:max_lines]
        lines[-1] = lines[-1][:-1] + "…"
    step = size * PT_TO_MM * 1.25
    return [Text(cx, top + i * step, size, line, bold, color) for i, line in enumerate(lines)]


def _steps(page_w: float, top: float, s: float) -> list[Text | Box]:
    """Three numbered boxes: 微信扫一扫 → 写下您的意见建议 → 保存查询码."""
    box_w, box_h, gap = 56 * s, 24 * s, 8 * s
    left = (page_w - 3 * box_w - 2 * gap) / 2
    items: list[Text | Box] = []
    for i, step in enumerate(STEPS):
        x = left + i * (box_w + gap)
        items.append(Box(x, top, box_w, box_h, PALE_RED, radius=3 * s))
        items.append(
            Text(x + box_w / 2, top + 2.5 * s, 16 * s, f"第{'一二三'[i]}步", bold=True, color=RED)
        )
        items.append(Text(x + box_w / 2, top + 12.5 * s, 14 * s, step))
        if i < 2:
            items.append(Text(x + box_w + gap / 2, top + 7 * s, 18 * s, "→", bold=True, color=RED))
    return items


def share_image(station: dict, url: str, fonts: PosterFonts, title: str) -> Layout:
    """A square card for village WeChat groups; WeChat reads the QR code on a long press."""
    side = 100.0
    cx, room = side / 2, 92.0
    name = _lines(fonts, station["name"], cx, 20, room, 20, 10, 2, bold=True)
    place_top = name[-1].y + name[-1].size * PT_TO_MM * 1.3
    items: list[Text | Box | QRCode] = [
        Box(0, 0, side, 18, RED),
        *_lines(fonts, title, cx, 3.5, room, 24, 10, 1, bold=True, color=WHITE),
        *name,
        *_lines(fonts, place_line(station), cx, place_top, room, 10, 6, 1, color=GREY),
        QRCode(cx - 23, 40, 46, qr_modules(url)),
        Text(cx, 89, 12, "长按识别二维码 · 给人大代表提意见建议", color=RED, bold=True),
    ]
    return Layout(side, side, items)
