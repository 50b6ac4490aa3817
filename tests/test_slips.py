"""Receipt slips: what a deputy hands a villager whose opinion was entered for them."""

import json
import subprocess

import pytest
import zxingcpp
from PIL import Image

from tests.conftest import BASE_URL

OPINIONS = "内容,时间\n村口路灯坏了三个月,2026-03-01 09:30\n大塘村垃圾没人清运,2026-03-02 10:00\n"


def pages(pdf, folder, dpi=200):
    folder.mkdir()
    subprocess.run(["pdftoppm", "-r", str(dpi), "-png", str(pdf), str(folder / "page")], check=True)
    return [Image.open(p) for p in sorted(folder.glob("page-*.png"))]


def page_size_mm(pdf):
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True).stdout
    line = next(x for x in info.splitlines() if x.startswith("Page size:"))
    width, height = (float(v) * 25.4 / 72 for v in line.split()[2:5:2])
    return round(width), round(height)


@pytest.fixture
def imported(runner, db, tmp_path):
    runner.invoke(args=["station", "add", "ll-01", "六龙村议事亭", "--town", "甲镇"])
    source = tmp_path / "paper.csv"
    source.write_text(OPINIONS, encoding="utf-8")
    return source


@pytest.mark.parametrize(("size", "mm"), [("a6", (105, 148)), ("80mm", (80, 140))])
def test_import_prints_a_slip_per_opinion_whose_qr_opens_its_status_page(
    runner, db, imported, tmp_path, size, mm
):
    slips = tmp_path / "slips.pdf"
    result = runner.invoke(
        args=[
            "opinion",
            "import",
            str(imported),
            "--station",
            "ll-01",
            "--json",
            "--slips",
            str(slips),
            "--slip-size",
            size,
        ]
    )
    assert result.exit_code == 0, result.output
    receipts = [row["receipt"] for row in json.loads(result.stdout)]
    assert page_size_mm(slips) == mm
    images = pages(slips, tmp_path / "pages")
    assert len(images) == 2
    for image, receipt in zip(images, receipts, strict=True):
        (code,) = zxingcpp.read_barcodes(image)
        assert code.text == f"{BASE_URL}/t/{receipt}"


def test_slips_text_shows_the_receipt_and_how_to_follow_up(runner, db, imported, tmp_path):
    result = runner.invoke(args=["opinion", "import", str(imported), "--station", "ll-01"])
    assert result.exit_code == 0, result.output
    slips = tmp_path / "again.pdf"
    assert (
        runner.invoke(args=["opinion", "slips", "--import", "1", "--out", str(slips)]).exit_code
        == 0
    )
    text = subprocess.run(["pdftotext", str(slips), "-"], capture_output=True, text=True).stdout
    receipt = db["opinions"].get(1)["receipt"]
    assert f"{receipt[:4]}-{receipt[4:]}" in text
    assert "微信扫一扫上面的二维码" in text and "六龙村议事亭" in text
    assert "村口路灯坏了三个月" in text


def test_slips_for_unknown_receipts_are_refused(runner, db, tmp_path):
    result = runner.invoke(args=["opinion", "slips", "ABCD-EFGH", "--out", str(tmp_path / "x.pdf")])
    assert result.exit_code != 0
    assert "no opinion with receipt ABCD-EFGH" in result.output
    assert not (tmp_path / "x.pdf").exists()
