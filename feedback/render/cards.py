"""A deputy's card (代表码) for the family plaque or the station wall: name, level, station
and the QR code of /d/CODE, A5 (the plaque) or A4, drawn by the posters' own renderers
(vector PDF, 300-dpi PNG) from a layout of the posters' own pieces, so a card scans as
well as a poster does.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from feedback.deputies import deputy_url, receiving_station
from feedback.render import poster_layout
from feedback.render.fonts import PosterFonts
from feedback.render.poster_layout import GREY, PT_TO_MM, RED, WHITE, Box, Layout, QRCode, Text
from feedback.render.posters import POSTER_DPI, PdfWriter, render_png

SIZES = {"A5": (148.0, 210.0), "A4": poster_layout.PAGE_SIZES["A4"]}
BAND = "人大代表联系牌"


def station_line(deputy: dict) -> str:
    station = receiving_station(deputy) or (deputy["stations"] or [None])[0]
    return f"所在联络站:{station['name']}" if station else deputy["town"]


def card(deputy: dict, url: str, fonts: PosterFonts, title: str, size: str = "A5") -> Layout:
    """The card: title band, the deputy's name and level, their station, the QR code, the
    link. Laid out on A4 in millimetres and scaled for A5, as A3 posters scale A4's."""
    page_w, page_h = SIZES[size]
    s = page_w / SIZES["A4"][0]
    cx, room = page_w / 2, 186 * s
    lines = poster_layout._lines
    items: list[Text | Box | QRCode] = [Box(0, 0, page_w, 50 * s, RED)]
    items += lines(fonts, title, cx, 10 * s, room, 46 * s, 20 * s, 1, bold=True, color=WHITE)
    items += lines(
        fonts, f"{deputy['town']} · {BAND}", cx, 33 * s, room, 17 * s, 9 * s, 1, color=WHITE
    )
    name = lines(fonts, f"{deputy['name']} 代表", cx, 57 * s, room, 40 * s, 22 * s, 1, bold=True)
    items += name
    y = name[-1].y + name[-1].size * PT_TO_MM * 1.3
    items += lines(fonts, f"{deputy['level']}人大代表", cx, y, room, 18 * s, 9 * s, 1, color=GREY)
    items += lines(fonts, station_line(deputy), cx, y + 10 * s, room, 15 * s, 8 * s, 2, color=GREY)
    qr_size, qr_top = 120 * s, 112 * s
    items.append(QRCode(cx - qr_size / 2, qr_top, qr_size, poster_layout.qr_modules(url)))
    items += lines(fonts, url, cx, qr_top + qr_size + 6 * s, room, 14 * s, 6 * s, 2)
    items += lines(
        fonts,
        "微信扫一扫 · 有事找代表,写下您的意见建议",
        cx,
        258 * s,
        room,
        18 * s,
        9 * s,
        1,
        bold=True,
    )
    items.append(Text(cx, 280 * s, 14 * s, "事事有回应 · 件件有落实", bold=True, color=RED))
    return Layout(page_w, page_h, items)


@dataclass(frozen=True)
class CardFiles:
    code: str
    pdf: Path
    png: Path


def texts(deputy: dict, title: str) -> str:
    """Every character a card prints, to check against the font before printing."""
    return title + deputy["name"] + deputy["level"] + deputy["town"] + station_line(deputy) + BAND


def write_cards(
    chosen: Iterable[dict],
    base_url: str,
    out_dir: Path,
    fonts: PosterFonts,
    title: str,
    size: str = "A5",
    on_done: Callable[[CardFiles], None] | None = None,
) -> list[CardFiles]:
    """CODE.pdf (vector) and CODE.png (300 dpi) per deputy, fonts cut once for the batch."""
    out_dir.mkdir(parents=True, exist_ok=True)
    chosen = list(chosen)
    layouts = [card(d, deputy_url(base_url, d["code"]), fonts, title, size) for d in chosen]
    pdf_fonts = fonts.subset_for(_characters(layouts))
    written = []
    for deputy, layout in zip(chosen, layouts, strict=True):
        files = CardFiles(
            deputy["code"], out_dir / f"{deputy['code']}.pdf", out_dir / f"{deputy['code']}.png"
        )
        single = PdfWriter(pdf_fonts)
        single.add(layout)
        single.save(files.pdf)
        render_png(layout, fonts).save(files.png, dpi=(POSTER_DPI, POSTER_DPI))
        written.append(files)
        if on_done:
            on_done(files)
    return written


def card_pdf(
    deputy: dict, base_url: str, fonts: PosterFonts, title: str, size: str = "A5"
) -> bytes:
    layout = card(deputy, deputy_url(base_url, deputy["code"]), fonts, title, size)
    book = PdfWriter(fonts.subset_for(_characters([layout])))
    book.add(layout)
    return book.bytes()


def card_png(
    deputy: dict, base_url: str, fonts: PosterFonts, title: str, size: str = "A5"
) -> bytes:
    layout = card(deputy, deputy_url(base_url, deputy["code"]), fonts, title, size)
    out = io.BytesIO()
    render_png(layout, fonts).save(out, "PNG", dpi=(POSTER_DPI, POSTER_DPI))
    return out.getvalue()


def _characters(layouts: Iterable[Layout]) -> str:
    return "".join({ch for layout in layouts for text in layout.texts() for ch in text})
