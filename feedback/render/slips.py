"""Receipt slips for opinions entered on a villager's behalf: the receipt code large, a QR
code of its status page, one line on how to follow up. A6 for office printers, 80 mm wide
for the receipt printers deputies take to market days (black only: thermal paper)."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from feedback import receipts
from feedback.clock import display
from feedback.render.fonts import PosterFonts
from feedback.render.poster_layout import (
    GREY,
    INK,
    RED,
    WHITE,
    Box,
    Layout,
    QRCode,
    Text,
    fit_text,
    qr_modules,
)
from feedback.render.posters import PdfWriter

SIZES = {"a6": (105.0, 148.0), "80mm": (80.0, 140.0)}


def status_url(base_url: str, receipt: str) -> str:
    return f"{base_url.rstrip('/')}/t/{receipts.display(receipt)}"


def slip(opinion: dict, station: dict, base_url: str, fonts: PosterFonts, size: str) -> Layout:
    width, height = SIZES[size]
    thermal = size == "80mm"
    cx, margin = width / 2, 5.0
    inner = width - 2 * margin
    url = status_url(base_url, opinion["receipt"])
    items: list = []
    if thermal:
        items.append(Text(cx, 4, 16, "码上提 · 意见回执", bold=True, color=INK))
    else:
        items += [
            Box(0, 0, width, 16, RED),
            Text(cx, 3.5, 18, "码上提 · 意见回执", bold=True, color=WHITE),
        ]
    name_size, _ = fit_text(fonts, station["name"], inner, 12, 7, bold=True)
    items += [
        Text(cx, 19, name_size, station["name"], bold=True),
        Text(cx, 25, 8.5, f"登记时间 {display(opinion['created_at'])}", color=GREY),
        Text(cx, 32, 10, "查询码", color=INK if thermal else GREY),
        Text(cx, 37, 30 if not thermal else 26, receipts.display(opinion["receipt"]), bold=True),
        QRCode(cx - 22, 51, 44, qr_modules(url)),
    ]
    url_size, _ = fit_text(fonts, url, inner, 8, 5, bold=False)
    excerpt = opinion["body"].replace("\n", " ")
    excerpt_size, lines = fit_text(fonts, f"您反映的:{excerpt}", inner, 8, 8, bold=False)
    items += [
        Text(cx, 98, url_size, url),
        Text(
            cx,
            104,
            9,
            "微信扫一扫上面的二维码,随时查看办理进度",
            bold=True,
            color=INK if thermal else RED,
        ),
        Text(cx, 109, 8, "也可打开网址后输入查询码;请妥善保管本回执", color=GREY),
    ]
    if len(lines) > 2:
        lines = [lines[0], lines[1][:-1] + "…"]
    for number, line in enumerate(lines):
        items.append(Text(cx, 117 + number * 4.5, excerpt_size, line, color=GREY))
    return Layout(width, height, items)


def slips_pdf(
    rows: Iterable[tuple[dict, dict]], base_url: str, fonts: PosterFonts, size: str = "a6"
) -> PdfWriter:
    """One slip a page for each (opinion, station)."""
    layouts = [slip(opinion, station, base_url, fonts, size) for opinion, station in rows]
    writer = PdfWriter(fonts.subset_for("".join("".join(x.texts()) for x in layouts)))
    for layout in layouts:
        writer.add(layout)
    return writer


def write_slips(
    path: Path,
    rows: Iterable[tuple[dict, dict]],
    base_url: str,
    fonts: PosterFonts,
    size: str = "a6",
) -> None:
    slips_pdf(rows, base_url, fonts, size).save(path)
