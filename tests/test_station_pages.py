"""The stations page offers each station's poster as the CLI draws it, within the town."""

import io
import re
import subprocess

import pytest
import zxingcpp
from PIL import Image

from feedback import users
from tests.conftest import BASE_URL, sign_in


@pytest.fixture
def clerk(client, db, two_town_stations):
    users.add(db, "jia", "correct horse", "clerk", "甲镇")
    sign_in(client, "jia")


def test_stations_page_lists_own_town_with_poster_links(client, clerk):
    page = client.get("/admin/stations/").get_data(as_text=True)
    assert "六龙村议事亭" in page and "乙镇公告栏" not in page
    assert f"{BASE_URL}/s/ll-01" in page


def test_poster_png_decodes_to_the_station_url(client, clerk):
    response = client.get("/admin/stations/1/poster.png")
    assert response.status_code == 200 and response.mimetype == "image/png"
    image = Image.open(io.BytesIO(response.data))
    assert image.size == (2480, 3508)
    assert [r.text for r in zxingcpp.read_barcodes(image)] == [f"{BASE_URL}/s/ll-01"]
    share = Image.open(io.BytesIO(client.get("/admin/stations/1/poster.png?share=1").data))
    assert share.size == (1080, 1080)


def test_town_book_has_a_page_per_station_and_other_towns_get_404(client, clerk, tmp_path):
    book = client.get("/admin/stations/book.pdf?town=甲镇")
    assert book.status_code == 200
    (tmp_path / "book.pdf").write_bytes(book.data)
    info = subprocess.run(["pdfinfo", str(tmp_path / "book.pdf")], capture_output=True, text=True)
    assert re.search(r"^Pages:\s+2$", info.stdout, re.M)
    assert client.get("/admin/stations/book.pdf?town=乙镇").status_code == 404
    assert client.get("/admin/stations/3/poster.pdf").status_code == 404
    assert client.get("/admin/stations/1/poster.pdf?size=A5").status_code == 404
