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


@pytest.mark.parametrize(
    "base", ["http://127.0.0.1:8000", "http://localhost:8080", "http://0.0.0.0:8000"]
)
def test_stations_page_warns_when_posters_point_at_this_machine(client, clerk, app, base):
    app.config["FEEDBACK_BASE_URL"] = base
    page = client.get("/admin/stations/").get_data(as_text=True)
    assert 'id="base-url-warning"' in page and f"现在是 {base},只在这台电脑上能打开" in page


def test_stations_page_has_no_warning_for_a_public_address(client, clerk):
    assert "base-url-warning" not in client.get("/admin/stations/").get_data(as_text=True)


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


def _post(client, url, **data):
    from tests.conftest import csrf_of

    token = csrf_of(client.get("/admin/stations/").get_data(as_text=True))
    return client.post(url, data={"csrf_token": token, **data})


NEW_STATION = {
    "code": "xs-01",
    "name": "新寨村议事亭",
    "town": "甲镇",
    "village": "新寨村",
    "kind": "议事亭",
    "address": "新寨村口",
}


@pytest.fixture
def admin(client, db, two_town_stations):
    users.add(db, "boss", "correct horse", "admin", None)
    sign_in(client, "boss")


def test_admin_adds_a_station_whose_poster_decodes_at_once(client, admin, db):
    response = _post(client, "/admin/stations/", **NEW_STATION)
    assert response.status_code == 303
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "站点 xs-01 已添加" in page and "新寨村议事亭" in page
    station = db["stations"].get(4)
    image = Image.open(io.BytesIO(client.get("/admin/stations/4/poster.png").data))
    assert [r.text for r in zxingcpp.read_barcodes(image)] == [f"{BASE_URL}/s/xs-01"]
    assert station["town"] == "甲镇" and station["kind"] == "议事亭"
    assert client.get("/s/xs-01").status_code == 200


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"code": "XS 01!"}, "编码为 2-32 位小写字母、数字或 -"),
        ({"code": "ll-01"}, "编码 ll-01 已被其他站点使用"),
        ({"name": ""}, "请填写站点名称"),
        ({"town": "镇" * 21}, "所属镇街最多 20 个字"),
        ({"kind": "祠堂"}, "类型只能是"),
    ],
)
def test_bad_station_keeps_what_was_typed(client, admin, db, change, message):
    response = _post(client, "/admin/stations/", **{**NEW_STATION, **change})
    page = response.get_data(as_text=True)
    assert response.status_code == 400 and message in page
    assert 'value="新寨村口"' in page  # nothing typed is lost
    assert db["stations"].count == 3


def test_disabling_a_station_closes_its_form_but_keeps_its_page(client, admin, db):
    assert _post(client, "/admin/stations/1/disable").status_code == 303
    assert client.get("/s/ll-01").status_code == 404
    assert "(已停用)" in client.get("/admin/stations/").get_data(as_text=True)
    assert _post(client, "/admin/stations/1/enable").status_code == 303
    assert client.get("/s/ll-01").status_code == 200


def test_clerks_cannot_add_or_disable_stations(client, clerk, db):
    assert _post(client, "/admin/stations/", **NEW_STATION).status_code == 403
    assert _post(client, "/admin/stations/1/disable").status_code == 403
    assert db["stations"].count == 3 and db["stations"].get(1)["active"] == 1
    assert "添加站点" not in client.get("/admin/stations/").get_data(as_text=True)
