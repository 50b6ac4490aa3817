"""Drawing poster layouts: 300-dpi PNG with Pillow, vector PDF with fpdf2, and batches.

The PDF is vector throughout (text as embedded, subset CJK glyphs, the QR code as filled
rectangles), so it prints sharp at any size. A batch's combined PDF gets one small vector
page per station, so memory stays flat however many stations there are.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from fpdf import FPDF
from PIL import Image, ImageDraw

from feedback.render import poster_layout
from feedback.render.fonts import PosterFonts
from feedback.render.poster_layout import PT_TO_MM, Box, Layout, QRCode, Text
from feedback.stations import station_url

POSTER_DPI = 300
SHARE_PX = 1080


def render_png(layout: Layout, fonts: PosterFonts, dpi: float = POSTER_DPI) -> Image.Image:
    """Rasterise a layout; QR modules are whole pixels so their edges stay crisp."""
    px = dpi / 25.4
    image = Image.new("RGB", (round(layout.width * px), round(layout.height * px)), "white")
    draw = ImageDraw.Draw(image)
    for item in layout.items:
        if isinstance(item, Box):
            rect = [item.x * px, item.y * px, (item.x + item.w) * px, (item.y + item.h) * px]
            draw.rounded_rectangle(rect, radius=item.radius * px, fill=item.color)
        elif isinstance(item, Text):
            font = fonts.pil(round(item.size * PT_TO_MM * px), item.bold)
            draw.text(
                (item.x * px, item.baseline * px),
                item.text,
                font=font,
                fill=item.color,
                anchor="ms",
            )
        elif isinstance(item, QRCode):
            _draw_qr_png(draw, item, px)
    return image


def _draw_qr_png(draw: ImageDraw.ImageDraw, qr: QRCode, px: float) -> None:
    count = len(qr.modules)
    module = int(qr.size * px) // count
    left = round((qr.x + qr.size / 2) * px) - module * count // 2
    top = round((qr.y + qr.size / 2) * px) - module * count // 2
    for row, col, run in _dark_runs(qr.modules):
        x, y = left + col * module, top + row * module
        draw.rectangle([x, y, x + run * module - 1, y + module - 1], fill="black")


def _dark_runs(modules: tuple[tuple[bool, ...], ...]) -> Iterable[tuple[int, int, int]]:
    """(row, column, length) of each horizontal run of dark modules."""
    for r, row in enumerate(modules):
        c = 0
        while c < len(row):
            if row[c]:
                start = c
                while c < len(row) and row[c]:
                    c += 1
                yield r, start, c - start
            else:
                c += 1


class PdfWriter:
    """A vector PDF, one page per layout, drawn with the poster fonts embedded as subsets."""

    def __init__(self, fonts: PosterFonts):
        self.pdf = FPDF(unit="mm")
        self.pdf.set_auto_page_break(False)
        self.pdf.set_creator("码上提")
        for style, bold in (("", False), ("B", True)):
            self.pdf.add_font(
                "poster", style, str(fonts.path(bold)), collection_font_number=fonts.index
            )

    def add(self, layout: Layout) -> None:
        pdf = self.pdf
        pdf.add_page(format=(layout.width, layout.height))
        for item in layout.items:
            if isinstance(item, Box):
                pdf.set_fill_color(*item.color)
                pdf.rect(
                    item.x,
                    item.y,
                    item.w,
                    item.h,
                    style="F",
                    round_corners=item.radius > 0,
                    corner_radius=item.radius,
                )
            elif isinstance(item, Text):
                pdf.set_font("poster", "B" if item.bold else "", item.size)
                pdf.set_text_color(*item.color)
                pdf.text(item.x - pdf.get_string_width(item.text) / 2, item.baseline, item.text)
            elif isinstance(item, QRCode):
                self._qr(item)

    def _qr(self, qr: QRCode) -> None:
        self.pdf.set_fill_color(0, 0, 0)
        module = qr.size / len(qr.modules)
        # Rows overlap by 2% of a module so on-screen anti-aliasing shows no seams between them.
        height = module * 1.02
        for row, col, run in _dark_runs(qr.modules):
            self.pdf.rect(qr.x + col * module, qr.y + row * module, run * module, height, style="F")

    def save(self, path: Path) -> None:
        self.pdf.output(str(path))

    def bytes(self) -> bytes:
        return bytes(self.pdf.output())


@dataclass(frozen=True)
class PosterFiles:
    code: str
    pdf: Path
    png: Path
    share: Path


def _station_layouts(
    station: dict, base_url: str, fonts: PosterFonts, title: str, size: str
) -> tuple[Layout, Layout]:
    url = station_url(base_url, station["code"])
    return (
        poster_layout.poster(station, url, fonts, title, size),
        poster_layout.share_image(station, url, fonts, title),
    )


def _characters(layouts: Iterable[Layout]) -> str:
    return "".join({ch for layout in layouts for text in layout.texts() for ch in text})


def write_batch(
    stations: Iterable[dict],
    base_url: str,
    out_dir: Path,
    fonts: PosterFonts,
    title: str,
    size: str = "A4",
    combined: Path | None = None,
    on_done: Callable[[PosterFiles], None] | None = None,
) -> list[PosterFiles]:
    """CODE.pdf, CODE.png (300 dpi) and CODE-share.png per station, and one combined
    multi-page PDF when `combined` is given. Layouts are small, so they are made first to
    cut the fonts once for every PDF of the batch."""
    out_dir.mkdir(parents=True, exist_ok=True)
    stations = list(stations)
    layouts = [_station_layouts(s, base_url, fonts, title, size) for s in stations]
    pdf_fonts = fonts.subset_for(_characters(poster for poster, _share in layouts))
    book = PdfWriter(pdf_fonts) if combined else None
    written = []
    for station, (poster, share) in zip(stations, layouts, strict=True):
        code = station["code"]
        files = PosterFiles(
            code, out_dir / f"{code}.pdf", out_dir / f"{code}.png", out_dir / f"{code}-share.png"
        )
        single = PdfWriter(pdf_fonts)
        single.add(poster)
        single.save(files.pdf)
        render_png(poster, fonts).save(files.png, dpi=(POSTER_DPI, POSTER_DPI))
        render_png(share, fonts, dpi=SHARE_PX / share.width * 25.4).save(files.share)
        if book:
            book.add(poster)
        written.append(files)
        if on_done:
            on_done(files)
    if book and combined:
        book.save(combined)
    return written


def poster_pdf(
    stations: Iterable[dict], base_url: str, fonts: PosterFonts, title: str, size: str = "A4"
) -> bytes:
    """One PDF, a poster a page: what the staff pages offer for download."""
    layouts = [_station_layouts(s, base_url, fonts, title, size)[0] for s in stations]
    book = PdfWriter(fonts.subset_for(_characters(layouts)))
    for layout in layouts:
        book.add(layout)
    return book.bytes()


def poster_png(
    station: dict,
    base_url: str,
    fonts: PosterFonts,
    title: str,
    size: str = "A4",
    share: bool = False,
) -> bytes:
    poster, card = _station_layouts(station, base_url, fonts, title, size)
    out = io.BytesIO()
    if share:
        render_png(card, fonts, dpi=SHARE_PX / card.width * 25.4).save(out, "PNG")
    else:
        render_png(poster, fonts).save(out, "PNG", dpi=(POSTER_DPI, POSTER_DPI))
    return out.getvalue()
