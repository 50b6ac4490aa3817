"""Deputies' cards (代表码) as the people who use them meet them: `feedback deputy card`
writes an A5 (or A4) PDF and PNG whose QR code a villager's phone reads, off the PNG, off
the PDF as poppler renders it, and off a photo of the printed card, as exactly
FEEDBACK_BASE_URL/d/CODE. The decoders and probes are those of tests/test_posters.py, each
shown there to be able to say "no"; here too a card of another deputy and a card with its
code painted over are checked."""

from __future__ import annotations

import pytest
from PIL import Image, ImageDraw

from feedback import config, deputies
from feedback.render import cards
from feedback.render.fonts import PosterFonts
from feedback.render.poster_layout import QRCode
from tests.conftest import BASE_URL
from tests.test_posters import (
    A4_PTS,
    PHOTOS,
    covering_the_code,
    decode,
    overflowing,
    pdf_fonts,
    pdf_images,
    pdf_page_sizes,
    pdf_pages,
    printed_qr,
    render_pdf,
    run,
    shrink,
    squash,
)

TITLE = config.DEFAULTS["FEEDBACK_POSTER_TITLE"]
A5_PX, A5_PTS = (1748, 2480), (419.53, 595.28)
URL = f"{BASE_URL}/d/wang-li"


@pytest.fixture
def registry(db):
    db["stations"].insert_all(
        [
            {"id": 1, "code": "ll-01", "name": "六龙村人大代表联络站", "town": "甲镇"},
            {"id": 2, "code": "dt-01", "name": "大塘村议事亭", "town": "甲镇"},
        ]
    )
    db.conn.commit()
    deputies.add(
        db, {"code": "wang-li", "name": "王丽", "town": "甲镇", "level": "县", "stations": "ll-01"}
    )
    deputies.add(db, {"code": "zhang", "name": "张三", "town": "甲镇", "stations": "dt-01"})


@pytest.fixture(scope="module")
def fonts() -> PosterFonts:
    return PosterFonts.from_config(config.DEFAULTS)


@pytest.fixture
def printed(runner, registry, tmp_path):
    """`feedback deputy card wang-li zhang`, A5: the files and wang-li's pages as images."""
    result = runner.invoke(args=["deputy", "card", "wang-li", "zhang", "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert f"wang-li: {tmp_path / 'wang-li.pdf'} {tmp_path / 'wang-li.png'}" in result.output
    png, pdf = tmp_path / "wang-li.png", tmp_path / "wang-li.pdf"
    return {
        "dir": tmp_path,
        "pdf": pdf,
        "png_file": png,
        "png": Image.open(png).convert("RGB"),
        "pdf_image": render_pdf(pdf, 300),
    }


def test_the_a5_card_decodes_to_the_deputys_address_from_png_and_pdf(printed):
    with Image.open(printed["png_file"]) as image:
        assert abs(image.width - A5_PX[0]) <= 1 and abs(image.height - A5_PX[1]) <= 1
        assert abs(image.info["dpi"][0] - 300) < 0.01
    assert decode(printed["png"]) == [URL]
    assert decode(printed["pdf_image"]) == [URL]
    width_mm, ec_level = printed_qr(printed["pdf_image"], 300)
    assert 84 <= width_mm <= 86 and ec_level == "Q"  # README: 85 mm on A5, quartile
    assert pdf_pages(printed["pdf"]) == 1 and pdf_page_sizes(printed["pdf"]) == [A5_PTS]
    assert decode(Image.open(printed["dir"] / "zhang.png")) == [f"{BASE_URL}/d/zhang"]


@pytest.mark.parametrize("photo", ["keystone-10pc", "jpeg-30", "all-at-once"])
@pytest.mark.parametrize("source", ["png", "pdf_image"])
def test_a_phone_photo_of_the_printed_card_still_decodes(printed, source, photo):
    assert decode(PHOTOS[photo](shrink(printed[source]))) == [URL]


def test_the_card_says_who_the_deputy_is_in_embedded_fonts(printed):
    text = squash(run("pdftotext", printed["pdf"], "-"))
    for expected in ("王丽代表", "县人大代表", "所在联络站:六龙村人大代表联络站", URL):
        assert squash(expected) in text, expected
    rows = pdf_fonts(printed["pdf"])
    assert rows and all("NotoSansCJKSC" in r["name"] and r["emb"] == "yes" for r in rows)
    assert pdf_images(printed["pdf"]) == []  # vector throughout


def test_with_the_code_painted_over_nothing_decodes(printed, fonts, db):
    layout = cards.card(deputies.get(db, "wang-li"), URL, fonts, TITLE)
    (qr,) = [item for item in layout.items if isinstance(item, QRCode)]
    image, px = printed["png"].copy(), 300 / 25.4
    ImageDraw.Draw(image).rectangle(
        [(qr.x - 3) * px, (qr.y - 3) * px, (qr.x + qr.size + 3) * px, (qr.y + qr.size + 3) * px],
        fill="white",
    )
    assert decode(image) == []


def test_a4_cards_and_the_cli_refusals(runner, registry, db, tmp_path):
    result = runner.invoke(args=["deputy", "card", "zhang", "--size", "A4", "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert pdf_page_sizes(tmp_path / "zhang.pdf") == [A4_PTS]
    assert decode(shrink(Image.open(tmp_path / "zhang.png").convert("RGB"))) == [
        f"{BASE_URL}/d/zhang"
    ]
    unknown = runner.invoke(args=["deputy", "card", "zhang", "nobody", "--out", str(tmp_path)])
    assert unknown.exit_code == 1 and "no deputy with code nobody" in unknown.output
    deputies.retire(db, "zhang")
    retired = runner.invoke(args=["deputy", "card", "zhang", "--out", str(tmp_path / "r")])
    assert retired.exit_code == 1 and "retired: zhang" in retired.output
    assert not (tmp_path / "r").exists()


@pytest.mark.parametrize("size", ["A5", "A4"])
def test_the_longest_name_and_station_stay_on_the_card_and_off_the_code(fonts, size):
    deputy = {
        "code": "x" * 32,
        "name": "欧阳" * 10,  # 20 characters, the most a name may have
        "town": "青山镇",
        "level": "乡镇",
        "stations": [
            {"name": "青山镇六龙村第二村民小组人大代表联络站暨村民议事协商亭", "active": 1}
        ],
    }
    layout = cards.card(deputy, f"{BASE_URL}/d/{'x' * 32}", fonts, TITLE, size)
    assert overflowing(layout, fonts, margin=5) == []
    assert covering_the_code(layout) == []
    assert all(fonts.missing(text) == [] for text in layout.texts())
