"""Posters as the people who use them meet them.

A villager's phone must read the QR code off the printed poster (PNG or PDF, photographed
smaller, blurred, tilted and JPEG-compressed) and land on exactly the station's address; the
clerk gets A4/A3 files of the right size, a vector PDF with its CJK font embedded, text that
stays on the page, and `feedback poster(s)` files for the right stations. Every decoder and
PDF probe used here also has a control showing it can say "no".

Decoding is done by zxing-cpp; PDFs are read back with poppler (pdftoppm, pdfinfo, pdffonts,
pdfimages, pdftotext), as a print shop or a PDF viewer would.
"""

from __future__ import annotations

import io
import re
import subprocess
from pathlib import Path

import pytest
import zxingcpp
from fpdf import FPDF
from PIL import Image, ImageDraw, ImageFilter

from feedback import config
from feedback.render import poster_layout, posters
from feedback.render.fonts import PosterFonts
from feedback.render.poster_layout import PT_TO_MM, QRCode, Text
from feedback.stations import station_url
from tests.conftest import BASE_URL, feedback_cli

TITLE = config.DEFAULTS["FEEDBACK_POSTER_TITLE"]
A4_PX, A3_PX = (2480, 3508), (3508, 4961)  # at 300 dpi
A4_PTS, A3_PTS = (595.28, 841.89), (841.89, 1190.55)
MARGIN_MM = 10
PT_PER_MM = 72 / 25.4
RARE = "𠀀"  # U+20000, CJK Extension B: not in Noto Sans CJK (checked by a test below)

STATION = {
    "code": "liulong-ting",
    "name": "六龙村议事亭",
    "town": "甲镇",
    "village": "六龙村",
    "kind": "议事亭",
    "address": "六龙村村委会旁",
}
OTHER = {
    "code": "datang-lianluozhan",
    "name": "大塘村人大代表联络站",
    "town": "甲镇",
    "village": "大塘村",
    "kind": "联络站",
    "address": "大塘村党群服务中心二楼",
}
LONG_NAME = "青山镇六龙村第二村民小组人大代表联络站暨村民议事协商亭老年活动中心与便民服务点处"
LONG_ADDRESS = (
    "青山镇六龙村第二村民小组村委会办公楼一楼东侧走廊尽头、紧邻村卫生室和农家书屋的公告栏"
    "右侧墙面处，张贴高度离地约一米五左右"
)
LONG = {
    "code": "qingshan-liulong-lianluozhan-02",
    "name": LONG_NAME,
    "town": "青山镇",
    "village": "六龙村",
    "kind": "联络站",
    "address": LONG_ADDRESS,
}
assert len(LONG_NAME) == 40 and len(LONG_ADDRESS) == 60


# --- helpers ------------------------------------------------------------------------------


def url_of(station: dict, base_url: str = BASE_URL) -> str:
    return station_url(base_url, station["code"])


def write_files(
    station: dict, out_dir: Path, fonts: PosterFonts, size: str = "A4"
) -> tuple[posters.PosterFiles, poster_layout.Layout]:
    """One station's files as `feedback station posters` writes them, and the poster layout."""
    (files,) = posters.write_batch([station], BASE_URL, out_dir, fonts, TITLE, size)
    return files, poster_layout.poster(station, url_of(station), fonts, TITLE, size)


def scan(image: Image.Image) -> list[zxingcpp.Barcode]:
    return zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.QRCode)


def decode(image: Image.Image) -> list[str]:
    """The text of every QR code zxing-cpp finds in the image, as a phone's scanner would."""
    return [barcode.text for barcode in scan(image)]


def printed_qr(image: Image.Image, dpi: float) -> tuple[float, str]:
    """(width in mm, error correction level) of the one QR code on a page image."""
    (barcode,) = scan(image)
    corners = barcode.position
    width_px = corners.top_right.x - corners.top_left.x
    return width_px / dpi * 25.4, barcode.ec_level


def run(*command: str | Path) -> str:
    result = subprocess.run([str(c) for c in command], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    return result.stdout


def render_pdf(pdf: Path, dpi: int, page: int = 1) -> Image.Image:
    """One page of a PDF rendered by poppler, as a viewer or a print shop's RIP would."""
    png = subprocess.run(
        [
            "pdftoppm",
            "-r",
            str(dpi),
            "-png",
            "-singlefile",
            "-f",
            str(page),
            "-l",
            str(page),
            str(pdf),
        ],
        capture_output=True,
        check=True,
        timeout=60,
    ).stdout
    return Image.open(io.BytesIO(png)).convert("RGB")


def pdf_pages(pdf: Path) -> int:
    return int(re.search(r"^Pages:\s+(\d+)$", run("pdfinfo", pdf), re.M).group(1))


def pdf_page_sizes(pdf: Path) -> list[tuple[float, float]]:
    """(width, height) in points of every page."""
    info = run("pdfinfo", "-f", "1", "-l", str(pdf_pages(pdf)), pdf)
    return [(float(w), float(h)) for w, h in re.findall(r"size:\s+([\d.]+) x ([\d.]+) pts", info)]


def pdf_fonts(pdf: Path) -> list[dict]:
    """pdffonts rows: name, and the emb/sub/uni yes-no columns."""
    lines = run("pdffonts", pdf).splitlines()
    assert lines[1].startswith("---"), lines
    rows = []
    for line in lines[2:]:
        name, *_, emb, sub, uni, _obj, _gen = line.split()
        rows.append({"name": name, "emb": emb, "sub": sub, "uni": uni})
    return rows


def pdf_images(pdf: Path) -> list[str]:
    lines = run("pdfimages", "-list", pdf).splitlines()
    assert lines[1].startswith("---"), lines
    return lines[2:]


def pdf_words(pdf: Path) -> list[tuple[float, float, str]]:
    """(xMin, xMax, text) of each word pdftotext sees, in points; off-page parts are clipped."""
    html = run("pdftotext", "-bbox", pdf, "-")
    return [
        (float(a), float(b), text)
        for a, b, text in re.findall(
            r'<word xMin="([-\d.]+)" yMin="[-\d.]+" xMax="([-\d.]+)" yMax="[-\d.]+">([^<]*)</word>',
            html,
        )
    ]


def squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


# --- a phone photographing the poster ------------------------------------------------------
# The poster image (300 dpi, 2480x3508 for A4) is first shrunk to half its width and half its
# height, so a quarter of its area (1240x1754, i.e. 150 dpi): about what a phone sees of an A4
# sheet filling its frame. Each distortion then applies at that scale.


def shrink(image: Image.Image) -> Image.Image:
    return image.resize(
        (image.width // 2, image.height // 2), Image.Resampling.BILINEAR, reducing_gap=2.0
    )


def blur(image: Image.Image, radius: float = 2) -> Image.Image:
    return image.filter(ImageFilter.GaussianBlur(radius))


def rotate(image: Image.Image, degrees: float) -> Image.Image:
    return image.rotate(degrees, Image.Resampling.BICUBIC, expand=True, fillcolor="white")


def _solve(a: list[list[float]], b: list[float]) -> list[float]:
    """Gauss-Jordan elimination with partial pivoting (8x8, no numpy needed)."""
    m = [row[:] + [b[i]] for i, row in enumerate(a)]
    n = len(b)
    for c in range(n):
        p = max(range(c, n), key=lambda r: abs(m[r][c]))
        m[c], m[p] = m[p], m[c]
        for r in range(n):
            if r != c:
                f = m[r][c] / m[c][c]
                m[r] = [x - f * y for x, y in zip(m[r], m[c], strict=True)]
    return [m[i][n] / m[i][i] for i in range(n)]


def keystone(image: Image.Image, inset: float = 0.10) -> Image.Image:
    """A true perspective view from below: the top edge `inset` of the width narrower per side."""
    w, h = image.size
    d = w * inset
    seen = [(d, 0), (w - d, 0), (w, h), (0, h)]  # where the poster's corners land in the photo
    corners = [(0, 0), (w, 0), (w, h), (0, h)]
    a, b = [], []
    for (x, y), (u, v) in zip(seen, corners, strict=True):
        a += [[x, y, 1, 0, 0, 0, -u * x, -u * y], [0, 0, 0, x, y, 1, -v * x, -v * y]]
        b += [u, v]
    return image.transform(
        image.size,
        Image.Transform.PERSPECTIVE,
        _solve(a, b),
        Image.Resampling.BICUBIC,
        fillcolor="white",
    )


def jpeg(image: Image.Image, quality: int = 30) -> Image.Image:
    buffer = io.BytesIO()
    image.convert("RGB").save(buffer, "JPEG", quality=quality)
    return Image.open(io.BytesIO(buffer.getvalue())).convert("RGB")


PHOTOS = {
    "shrunk": lambda im: im,
    "blur-2": blur,
    "rotate-4": lambda im: rotate(im, 4),
    "rotate-minus-6": lambda im: rotate(im, -6),
    "keystone-10pc": keystone,
    "jpeg-30": jpeg,
    "all-at-once": lambda im: jpeg(blur(rotate(keystone(im), -6), 2), 30),
}


# --- fixtures ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def fonts() -> PosterFonts:
    return PosterFonts.from_config(config.DEFAULTS)


@pytest.fixture(scope="module")
def written(tmp_path_factory: pytest.TempPathFactory, fonts: PosterFonts):
    """STATION's A4 poster files, written once for the module."""
    return write_files(STATION, tmp_path_factory.mktemp("posters"), fonts)


@pytest.fixture(scope="module")
def poster_images(written) -> dict[str, Image.Image]:
    """The poster at 300 dpi twice: the PNG file, and the PDF file rendered by poppler."""
    files, _ = written
    return {"png": Image.open(files.png).convert("RGB"), "pdf": render_pdf(files.pdf, 300)}


# --- 1. the PNG poster ---------------------------------------------------------------------


def test_png_poster_is_a4_at_300_dpi_and_decodes_to_the_station_url(written):
    files, _ = written
    with Image.open(files.png) as image:
        assert abs(image.width - A4_PX[0]) <= 1 and abs(image.height - A4_PX[1]) <= 1, image.size
        dpi = image.info["dpi"]
        assert abs(dpi[0] - 300) < 0.01 and abs(dpi[1] - 300) < 0.01, dpi
        assert decode(image) == ["https://feedback.example.gov.cn/s/liulong-ting"]
        width_mm, ec_level = printed_qr(image, 300)
    # README: 128 mm, quartile correction. The PNG draws modules as whole pixels, which takes
    # off less than one module (128 mm / 33 = 3.9 mm): 125.7 mm.
    assert 128 - 3.9 <= width_mm <= 129 and ec_level == "Q"
    assert url_of(STATION) == "https://feedback.example.gov.cn/s/liulong-ting"


def test_a3_png_is_3508_by_4961_and_decodes(fonts, tmp_path):
    files, _ = write_files(STATION, tmp_path, fonts, "A3")
    with Image.open(files.png) as image:
        assert abs(image.width - A3_PX[0]) <= 1 and abs(image.height - A3_PX[1]) <= 1, image.size
        assert abs(image.info["dpi"][0] - 300) < 0.01
        assert decode(shrink(image)) == [url_of(STATION)]
        width_mm, _ = printed_qr(shrink(image), 150)
    assert 181 - 5.5 <= width_mm <= 182  # A3 is A4 scaled by 297/210: 181 mm, less a module
    assert pdf_page_sizes(files.pdf) == [A3_PTS]


def test_share_image_is_1080_square_and_decodes(written):
    files, _ = written
    with Image.open(files.share) as image:
        assert image.size == (1080, 1080)
        assert decode(image) == [url_of(STATION)]


# --- 2. the PDF poster ---------------------------------------------------------------------


def test_pdf_poster_is_one_a4_page_and_decodes_to_the_station_url(written):
    files, _ = written
    assert pdf_pages(files.pdf) == 1
    assert pdf_page_sizes(files.pdf) == [A4_PTS]
    image = render_pdf(files.pdf, 150)
    assert image.size == (1241, 1754)
    assert decode(image) == [url_of(STATION)]
    width_mm, ec_level = printed_qr(image, 150)
    assert 127 <= width_mm <= 129 and ec_level == "Q"


def test_pdf_embeds_the_noto_sans_cjk_sc_fonts_and_has_no_raster_image(written):
    files, _ = written
    rows = pdf_fonts(files.pdf)
    assert len(rows) == 2, rows  # regular and bold
    for row in rows:
        assert "NotoSansCJKSC" in row["name"], row
        assert row["emb"] == "yes", row  # embedded: prints the same on any machine
        assert row["uni"] == "yes", row  # ToUnicode: text can be searched and copied
    assert any(row["name"].endswith("Bold") for row in rows)
    assert pdf_images(files.pdf) == []  # the QR code is drawn as rectangles, not a bitmap


def test_pdf_text_reads_back_in_chinese(written):
    files, _ = written
    text = run("pdftotext", files.pdf, "-")
    for expected in (
        TITLE,
        STATION["name"],
        "甲镇 · 六龙村 · 议事亭",
        STATION["address"],
        url_of(STATION),
        "事事有回应 · 件件有落实",
        "写下您的意见建议",
    ):
        assert expected in text, (expected, text)


def test_pdf_probes_can_see_a_raster_image_and_an_unembedded_font(tmp_path):
    """Control: the pdffonts/pdfimages parsing above is able to report the opposite."""
    pdf = FPDF(unit="mm")
    pdf.add_page()
    pdf.set_font("helvetica", size=12)  # a core font: referenced, never embedded
    pdf.text(20, 20, "bitmap QR")
    pdf.image(Image.new("RGB", (40, 40), "black"), x=20, y=30, w=20)
    path = tmp_path / "raster.pdf"
    pdf.output(str(path))
    assert len(pdf_images(path)) == 1
    assert [row["emb"] for row in pdf_fonts(path)] == ["no"]


# --- 3. a phone photographing the poster ---------------------------------------------------


@pytest.mark.parametrize("photo", PHOTOS)
@pytest.mark.parametrize("source", ["png", "pdf"])
def test_phone_photo_of_the_poster_still_decodes(poster_images, source, photo):
    image = PHOTOS[photo](shrink(poster_images[source]))
    assert decode(image) == [url_of(STATION)]


# --- 4. the decoder check can fail ---------------------------------------------------------


def test_another_stations_poster_does_not_decode_to_this_url(fonts):
    layout = poster_layout.poster(OTHER, url_of(OTHER), fonts, TITLE)
    found = decode(posters.render_png(layout, fonts, dpi=150))
    assert found == ["https://feedback.example.gov.cn/s/datang-lianluozhan"]
    assert url_of(STATION) not in found


def test_poster_with_the_qr_area_painted_white_yields_no_barcode(written, poster_images):
    _, layout = written
    (qr,) = [item for item in layout.items if isinstance(item, QRCode)]
    image = poster_images["png"].copy()
    px = posters.POSTER_DPI / 25.4
    pad = 3  # mm
    box = [
        (qr.x - pad) * px,
        (qr.y - pad) * px,
        (qr.x + qr.size + pad) * px,
        (qr.y + qr.size + pad) * px,
    ]
    before = image.crop(tuple(round(v) for v in box)).convert("L").getextrema()
    assert before == (0, 255)  # the box really held the black-and-white code
    ImageDraw.Draw(image).rectangle(box, fill="white")
    assert decode(image) == []
    assert decode(shrink(image)) == []


def test_a_heavy_blur_defeats_the_decoder(poster_images):
    """Control for the phone photos: the distortions are not too mild to matter."""
    assert decode(blur(shrink(poster_images["png"]), 14)) == []


# --- 5. glyphs ------------------------------------------------------------------------------


@pytest.mark.parametrize("station", [STATION, OTHER, LONG], ids=["short", "other", "long"])
def test_every_poster_character_is_in_the_font(fonts, station):
    url = url_of(station)
    for layout in (
        poster_layout.poster(station, url, fonts, TITLE),
        poster_layout.poster(station, url, fonts, TITLE, "A3"),
        poster_layout.share_image(station, url, fonts, TITLE),
    ):
        texts = layout.texts()
        assert station["name"][:5] in "".join(texts)
        for text in texts:
            assert fonts.missing(text) == [], text


def test_a_character_the_font_lacks_is_reported(fonts):
    assert fonts.missing(RARE) == [RARE]
    assert fonts.missing(f"六龙{RARE}村 ") == [RARE]
    layout = poster_layout.poster(
        dict(STATION, name=f"六龙{RARE}村议事亭"), url_of(STATION), fonts, TITLE
    )
    assert {ch for text in layout.texts() for ch in fonts.missing(text)} == {RARE}


# --- 6. long names -------------------------------------------------------------------------


def overflowing(layout: poster_layout.Layout, fonts: PosterFonts, margin: float) -> list:
    """(width in mm, text) of each Text item wider than the page less a margin each side."""
    room = layout.width - 2 * margin
    widths = [
        (fonts.text_width(item.text, item.size, item.bold) * PT_TO_MM, item.text)
        for item in layout.items
        if isinstance(item, Text)
    ]
    return [(round(w, 1), text) for w, text in widths if w > room]


def covering_the_code(layout: poster_layout.Layout) -> list[str]:
    """Text lines whose line box reaches into the QR symbol or one module around it."""
    (qr,) = [item for item in layout.items if isinstance(item, QRCode)]
    module = qr.size / len(qr.modules)
    top, bottom = qr.y - module, qr.y + qr.size + module
    return [
        item.text
        for item in layout.items
        if isinstance(item, Text) and item.y < bottom and item.y + item.size * PT_TO_MM > top
    ]


def test_a_40_character_name_and_a_long_address_stay_on_the_page(fonts, tmp_path):
    files, layout = write_files(LONG, tmp_path, fonts)
    assert overflowing(layout, fonts, MARGIN_MM) == []
    assert covering_the_code(layout) == []
    # What a reader of the PDF sees: every word inside the margins, nothing cut off.
    margin = MARGIN_MM * PT_PER_MM
    words = pdf_words(files.pdf)
    outside = [w for w in words if w[0] < margin - 0.5 or w[1] > A4_PTS[0] - margin + 0.5]
    assert outside == []
    text = squash(run("pdftotext", files.pdf, "-"))
    assert LONG_NAME in text  # both lines of the name, nothing dropped
    assert LONG_ADDRESS in text
    assert "…" not in text
    with Image.open(files.png) as image:
        assert decode(shrink(image)) == [url_of(LONG)]
    with Image.open(files.share) as image:
        assert decode(image) == [url_of(LONG)]


LONGEST = {
    "code": "a" * 32,
    "name": "龙" * 40,
    "town": "镇" * 20,
    "village": "村" * 20,
    "kind": "联络站",
    "address": "址" * 100,
}


@pytest.mark.parametrize(
    "fields",
    [
        {"address": "址" * 100},
        {"town": "镇" * 20},
        {"town": "镇" * 20, "village": "村" * 20},
        {"name": "W" * 40},
        LONGEST,
    ],
    ids=["address-100", "town-20", "town-20-village-20", "name-40-wide-latin", "all-longest"],
)
def test_fields_at_their_longest_allowed_length_stay_on_the_page_whole(fonts, fields):
    """StationForm allows a name of 40, town and village of 20, an address of 100 characters:
    at those lengths every line still fits, nothing is cut off, and no text covers the code."""
    station = dict(LONG, **fields)
    url = url_of(station)
    layout = poster_layout.poster(station, url, fonts, TITLE)
    assert overflowing(layout, fonts, MARGIN_MM) == []
    assert covering_the_code(layout) == []
    shown = squash("".join(layout.texts()))
    for key in ("name", "town", "village", "address"):
        assert squash(station[key]) in shown, key
    assert "…" not in shown
    assert decode(posters.render_png(layout, fonts, dpi=150)) == [url]

    share = poster_layout.share_image(station, url, fonts, TITLE)
    assert overflowing(share, fonts, 2) == []  # the square card keeps 2 mm each side
    assert covering_the_code(share) == []
    assert squash(station["name"]) in squash("".join(share.texts()))


def test_a_line_too_long_to_fit_is_cut_with_an_ellipsis_not_off_the_page(fonts):
    """Beyond what the form allows (a 300-character address), the layout still keeps to the
    page: the address is cut to its lines and ends with '…'."""
    station = dict(LONG, address="址" * 300)
    layout = poster_layout.poster(station, url_of(station), fonts, TITLE)
    assert overflowing(layout, fonts, MARGIN_MM) == []
    assert covering_the_code(layout) == []
    address = [text for text in layout.texts() if "址" in text]
    assert address[-1].endswith("…") and len("".join(address)) < 300
    assert [fonts.missing(text) for text in address] == [[]] * len(address)  # "…" has a glyph


def test_all_longest_fields_in_the_printed_files(fonts, tmp_path):
    files, _ = write_files(LONGEST, tmp_path, fonts)
    margin = MARGIN_MM * PT_PER_MM
    words = pdf_words(files.pdf)
    assert [w for w in words if w[0] < margin - 0.5 or w[1] > A4_PTS[0] - margin + 0.5] == []
    text = squash(run("pdftotext", files.pdf, "-"))
    for key in ("name", "town", "village", "address"):
        assert LONGEST[key] in text, key
    assert decode(render_pdf(files.pdf, 150)) == [url_of(LONGEST)]
    with Image.open(files.share) as image:
        assert decode(image) == [url_of(LONGEST)]


# --- 7. the command line -------------------------------------------------------------------


def add_stations() -> None:
    """Three stations in two towns; codes are added out of order to check the page order."""
    assert feedback_cli("init").returncode == 0
    for code, name, town in (
        ("jz-liulong", "六龙村议事亭", "甲镇"),
        ("yz-shanxia", f"山下{RARE}村公告栏", "乙镇"),
        ("jz-datang", "大塘村人大代表联络站", "甲镇"),
    ):
        result = feedback_cli("station", "add", code, name, "--town", town, "--kind", "议事亭")
        assert result.returncode == 0, result.stderr


def test_cli_posters_for_a_town(instance, tmp_path):
    add_stations()
    out = tmp_path / "out"
    result = feedback_cli("posters", "--town", "甲镇", "--out", str(out))
    assert result.returncode == 0, result.stderr
    assert "loopback" not in result.stderr
    codes = ["jz-datang", "jz-liulong"]  # the town's stations, by code
    expected = {f"{c}{suffix}" for c in codes for suffix in (".pdf", ".png", "-share.png")}
    assert {p.name for p in out.iterdir()} == expected | {"甲镇-posters.pdf"}
    combined = out / "甲镇-posters.pdf"
    assert pdf_pages(combined) == len(codes)
    assert pdf_page_sizes(combined) == [A4_PTS] * len(codes)
    for page, code in enumerate(codes, start=1):
        assert decode(render_pdf(combined, 150, page)) == [f"{BASE_URL}/s/{code}"]
    for code in codes:
        assert decode(render_pdf(out / f"{code}.pdf", 150)) == [f"{BASE_URL}/s/{code}"]
        with Image.open(out / f"{code}-share.png") as share:
            assert decode(share) == [f"{BASE_URL}/s/{code}"]


def test_cli_posters_skip_disabled_stations_and_warn_about_missing_glyphs(instance, tmp_path):
    add_stations()
    assert feedback_cli("station", "disable", "jz-liulong").returncode == 0
    out = tmp_path / "out"
    result = feedback_cli("posters", "--out", str(out))
    assert result.returncode == 0, result.stderr
    assert f"yz-shanxia: the font lacks {RARE}" in result.stderr
    assert not list(out.glob("jz-liulong*"))
    assert {p.name for p in out.glob("*.pdf")} == {
        "jz-datang.pdf",
        "yz-shanxia.pdf",
        "all-posters.pdf",
    }
    combined = out / "all-posters.pdf"
    assert pdf_pages(combined) == 2
    found = [decode(render_pdf(combined, 150, page)) for page in (1, 2)]
    # Pages go by town, then code; towns compare by code point, so 乙镇 (U+4E59) before 甲镇.
    assert found == [[f"{BASE_URL}/s/yz-shanxia"], [f"{BASE_URL}/s/jz-datang"]]


def test_cli_poster_a3_unknown_code_and_loopback_warning(instance, tmp_path):
    add_stations()
    out = tmp_path / "a3"
    result = feedback_cli("poster", "jz-datang", "--size", "A3", "--out", str(out))
    assert result.returncode == 0, result.stderr
    assert "loopback" not in result.stderr
    assert pdf_page_sizes(out / "jz-datang.pdf") == [A3_PTS]
    with Image.open(out / "jz-datang.png") as image:
        assert abs(image.width - A3_PX[0]) <= 1 and abs(image.height - A3_PX[1]) <= 1

    missing = feedback_cli("poster", "nosuch", "--out", str(tmp_path / "none"))
    assert missing.returncode != 0
    assert "nosuch" in missing.stderr
    assert not (tmp_path / "none").exists()

    local = tmp_path / "local"
    loopback = feedback_cli(
        "poster",
        "jz-datang",
        "--out",
        str(local),
        env={"FEEDBACK_BASE_URL": "http://127.0.0.1:8000"},
    )
    assert loopback.returncode == 0, loopback.stderr
    assert "loopback" in loopback.stderr
    with Image.open(local / "jz-datang.png") as image:
        assert decode(shrink(image)) == ["http://127.0.0.1:8000/s/jz-datang"]


def test_a_town_name_with_a_slash_stays_inside_the_out_folder(runner, db, tmp_path):
    assert (
        runner.invoke(
            args=["station", "add", "aa-01", "某站", "--town", "../甲镇/乙街道"]
        ).exit_code
        == 0
    )
    out = tmp_path / "out"
    result = runner.invoke(args=["posters", "--town", "../甲镇/乙街道", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert (out / "_甲镇_乙街道-posters.pdf").exists()
    assert sorted(p.parent for p in tmp_path.rglob("*.pdf")) == [out, out]
