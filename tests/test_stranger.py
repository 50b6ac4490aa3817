"""The villager-facing pages against a stranger: what a request costs before it is refused,
what a photo's file may carry into storage, how fast receipts can be guessed, how parallel
password guesses are counted, and which caches may keep a villager's pages.
"""

from __future__ import annotations

import io
import threading
from pathlib import Path

import pytest
from PIL import Image, ImageCms, ImageFile, PngImagePlugin

import feedback.ratelimit
from feedback import receipts, users
from feedback.db import connect
from tests.conftest import STAFF_PASSWORD, csrf_of, sign_in
from tests.helpers_intake import (
    CHINESE,
    OPINION,
    add_station,
    alert,
    form_tokens,
    has_gps,
    image_bytes,
    jpeg_bytes,
    make_app,
    opinions,
    photo_files,
    png_bomb,
    post_opinion,
    receipt_of,
    text,
    textarea,
)

FORGED_CSRF = "IjAwMDAwMDAwMDAwMDAwMDAi.Z9Z9Z9.forgedsignature"
SECRET = b"13812345678"
SCRIPT = b"<script>"
JFIF_KEYS = {"jfif", "jfif_version", "jfif_unit", "jfif_density", "dpi", "progressive"}


@pytest.fixture
def station(db):
    return add_station(db)


@pytest.fixture
def decoded(monkeypatch):
    """Every image decode (Pillow's ImageFile.load with tiles left to decode), with the size
    it decodes at."""
    calls: list[tuple[int, int]] = []
    real = ImageFile.ImageFile.load

    def load(self):
        if self.tile:
            calls.append(self.size)
        return real(self)

    monkeypatch.setattr(ImageFile.ImageFile, "load", load)
    return calls


def bombs() -> list[tuple[bytes, str, str]]:
    """Three PNGs of 49 megapixels each (just under the cap), a few kilobytes on the wire."""
    bomb = png_bomb(7000, 7000)
    assert len(bomb) < 100_000
    return [(bomb, f"IMG_000{n}.png", "image/png") for n in range(3)]


# --- 1. nothing is decoded before everything cheap is checked --------------------------------


@pytest.mark.parametrize("as_json", [False, True])
def test_a_forged_token_with_big_photos_is_refused_before_any_photo_is_decoded(
    client, db, station, instance, decoded, as_json
):
    tokens = form_tokens(client)
    response = post_opinion(
        client, as_json=as_json, tokens=(FORGED_CSRF, tokens[1]), photos=bombs(), name="王"
    )
    assert response.status_code == 400
    assert decoded == []
    if as_json:
        body = response.get_json()
        assert set(body) == {"error", "fields"} and CHINESE.search(body["error"])
        assert "页面停留太久" in body["fields"]["csrf_token"]
    else:
        page = text(response)
        assert "页面停留太久" in alert(page)
        assert textarea(page) == OPINION
        assert "如需附照片,请重新选择照片" in page
    assert opinions(db) == [] and photo_files(instance) == []


def test_a_form_with_a_field_error_decodes_no_photo(client, db, station, decoded):
    response = post_opinion(client, photos=bombs(), phone="12345")
    assert response.status_code == 400
    assert "请填写 11 位手机号码" in text(response)
    assert decoded == []


def test_a_retry_of_a_stored_opinion_decodes_its_photos_only_once(client, db, station, decoded):
    tokens = form_tokens(client)
    first = post_opinion(client, tokens=tokens, photos=[jpeg_bytes()])
    assert first.status_code == 303 and len(decoded) == 1
    retry = post_opinion(client, tokens=tokens, photos=[jpeg_bytes()])
    assert retry.headers["Location"] == first.headers["Location"]
    assert len(decoded) == 1
    assert len(opinions(db)) == 1 and db["photos"].count == 1


def test_a_bot_filling_the_honeypot_gets_a_receipt_but_its_photos_are_not_opened(
    client, db, station, instance, decoded
):
    response = post_opinion(client, photos=bombs(), website="https://cheap-pills.example")
    assert response.status_code == 303
    assert decoded == []
    (row,) = opinions(db)
    assert row["status"] == "spam"
    assert photo_files(instance) == []


@pytest.fixture
def limited(db):
    """The same database, with tiny limits on submission attempts per hour."""
    return make_app(
        FEEDBACK_LIMIT_PER_DEVICE=3, FEEDBACK_LIMIT_PER_ADDRESS=5, FEEDBACK_LIMIT_NO_COOKIE=4
    )


def test_failing_submissions_are_counted_and_a_flood_of_them_gets_429(
    limited, db, station, decoded
):
    phone = limited.test_client()
    tokens = form_tokens(phone)
    broken = (jpeg_bytes()[:1500], "IMG_0001.jpg", "image/jpeg")  # cut off mid-picture
    for _ in range(3):
        response = post_opinion(phone, tokens=tokens, photos=[broken])
        assert response.status_code == 400
        assert "这不是一张能打开的照片" in text(response)
    flood = post_opinion(phone, tokens=tokens, photos=[broken], body="第四次:还是那张坏照片")
    assert flood.status_code == 429
    assert "提交太频繁了" in alert(text(flood))
    assert textarea(text(flood)) == "第四次:还是那张坏照片"
    as_json = post_opinion(phone, tokens=tokens, as_json=True, photos=[broken])
    assert as_json.status_code == 429 and set(as_json.get_json()) == {"error", "fields"}
    assert len(decoded) == 3  # the refused ones were not even opened

    # New cookies from the same address: served up to the address's ceiling, then 429.
    for _ in range(2):
        other = limited.test_client()
        assert post_opinion(other, photos=[broken]).status_code == 400
    assert post_opinion(limited.test_client(), photos=[broken]).status_code == 429
    # Another address is not affected.
    elsewhere = limited.test_client()
    elsewhere.environ_base["REMOTE_ADDR"] = "10.20.30.40"
    assert post_opinion(elsewhere).status_code == 303
    assert len(opinions(db)) == 1


def test_a_villager_whose_photo_failed_once_can_still_send_it(limited, db, station):
    phone = limited.test_client()
    broken = (b"GIF89a nonsense", "IMG_0001.gif", "image/gif")
    assert post_opinion(phone, photos=[broken]).status_code == 400
    assert post_opinion(phone, photos=[jpeg_bytes()]).status_code == 303
    assert len(opinions(db)) == 1 and db["photos"].count == 1


def test_a_photo_over_the_pixel_cap_is_refused_from_its_header(client, db, station, decoded):
    response = post_opinion(client, photos=[(png_bomb(8000, 8000), "big.png", "image/png")])
    assert response.status_code == 400
    assert "照片像素太多" in text(response)
    assert decoded == []


def test_a_big_jpeg_is_decoded_at_reduced_size(client, db, station, instance, decoded):
    response = post_opinion(client, photos=[image_bytes("JPEG", (4000, 3000))])
    assert response.status_code == 303
    assert decoded == [(2000, 1500)]  # the decoder scaled by 1/2, not the full 12 MP
    (stored,) = photo_files(instance)
    assert Image.open(stored).size == (1600, 1200)


# --- 2. a stored photo is pixels only --------------------------------------------------------


def _assert_pixels_only(instance: Path) -> None:
    (stored,) = photo_files(instance)
    data = stored.read_bytes()
    assert SECRET not in data and SCRIPT not in data and b"xmpmeta" not in data
    image = Image.open(io.BytesIO(data))
    assert set(image.info) <= JFIF_KEYS, image.info
    assert not has_gps(data)


def test_png_text_chunks_do_not_reach_storage(client, db, station, instance):
    info = PngImagePlugin.PngInfo()
    info.add_text("comment", "请打 13812345678 <script>alert(1)</script>")  # what JPEG keeps
    info.add_text("Author", "13812345678 <script>", zip=True)  # zTXt
    info.add_itxt("Description", "13812345678 <script>alert(2)</script>")
    out = io.BytesIO()
    Image.new("RGB", (640, 480), (30, 90, 200)).save(out, "PNG", pnginfo=info)
    assert SECRET in out.getvalue()
    response = post_opinion(client, photos=[(out.getvalue(), "IMG_0001.png", "image/png")])
    assert response.status_code == 303
    _assert_pixels_only(instance)


def test_jpeg_comment_exif_xmp_and_icc_do_not_reach_storage(client, db, station, instance):
    exif = Image.Exif()
    exif[0x010F] = "Xiaomi"
    exif.get_ifd(0x8825).update({1: "N", 2: (22.0, 30.0, 0.0), 3: "E", 4: (108.0, 19.0, 0.0)})
    icc = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    out = io.BytesIO()
    Image.new("RGB", (640, 480), (200, 90, 30)).save(
        out,
        "JPEG",
        comment=b"13812345678 <script>alert(1)</script>",
        exif=exif,
        xmp=b"<x:xmpmeta>13812345678</x:xmpmeta>",
        icc_profile=icc,
    )
    assert has_gps(out.getvalue()) and SECRET in out.getvalue()
    response = post_opinion(client, photos=[out.getvalue()])
    assert response.status_code == 303
    _assert_pixels_only(instance)


# --- 3. receipts cannot be guessed -----------------------------------------------------------


@pytest.fixture
def receipt(client, db, station) -> str:
    return receipt_of(post_opinion(client))


def wrong_code() -> str:
    return receipts.display(receipts.new_code())


def test_a_guesser_is_blocked_and_others_are_not(app, receipt):
    guesser = app.test_client()
    guesser.environ_base["REMOTE_ADDR"] = "203.0.113.7"
    limit = app.config["FEEDBACK_LOOKUP_MISSES_PER_10_MIN"]
    assert limit < 100
    ways = [
        lambda code: guesser.get(f"/t/{code}"),
        lambda code: guesser.get(f"/t?code={code}"),
        lambda code: guesser.get(f"/t/{code}/photos/1"),
    ]
    for number in range(limit):
        assert ways[number % 3](wrong_code()).status_code == 404
    blocked = guesser.get(f"/t/{wrong_code()}")
    assert blocked.status_code == 429
    assert "查询码输错的次数太多了" in alert(text(blocked))
    # Blocked means blocked: a right guess must not show itself by a 200.
    assert guesser.get(f"/t/{receipt}").status_code == 429
    assert guesser.get(f"/t?code={receipt}").status_code == 429
    assert guesser.get(f"/t/{wrong_code()}/photos/1").status_code == 429

    villager = app.test_client()
    villager.environ_base["REMOTE_ADDR"] = "198.51.100.20"
    assert villager.get(f"/t/{receipt}").status_code == 200
    assert villager.get(f"/t/{wrong_code()}").status_code == 404


def test_a_villager_who_mistypes_a_few_times_is_never_blocked(app, receipt):
    villager = app.test_client()
    for _ in range(3):
        for _ in range(5):
            assert villager.get(f"/t?code={wrong_code()}").status_code == 404
        assert villager.get(f"/t?code={receipt}").status_code == 302
        assert villager.get(f"/t/{receipt}").status_code == 200


def test_the_hourly_limit_holds_across_short_windows(app, receipt, monkeypatch):
    start = 1_800_000_000 - 1_800_000_000 % 3600  # the start of an hour
    now = [start]

    class Clock:
        @staticmethod
        def time() -> float:
            return now[0]

    monkeypatch.setattr(feedback.ratelimit, "time", Clock)
    guesser = app.test_client()
    short = app.config["FEEDBACK_LOOKUP_MISSES_PER_10_MIN"]
    hourly = app.config["FEEDBACK_LOOKUP_MISSES_PER_HOUR"]
    answered = 0
    for minute in range(0, 60, 10):
        now[0] = start + minute * 60
        for _ in range(short + 5):
            answered += guesser.get(f"/t/{wrong_code()}").status_code == 404
    assert answered == hourly <= 50  # twice this in any 60 minutes stays under 100
    assert guesser.get(f"/t/{receipt}").status_code == 429
    now[0] = start + 3600
    assert guesser.get(f"/t/{receipt}").status_code == 200
    assert guesser.get(f"/t/{wrong_code()}").status_code == 404


# --- 4. parallel login guesses are counted one by one ----------------------------------------


def test_twenty_parallel_takes_let_exactly_five_through(app):
    path = app.config["FEEDBACK_DATABASE"]
    barrier = threading.Barrier(20, timeout=30)
    results: list[bool] = []

    def attempt() -> None:
        db = connect(path)
        try:
            barrier.wait()
            results.append(feedback.ratelimit.take(db, [("login-user:li", 5)], 900))
        finally:
            db.close()

    threads = [threading.Thread(target=attempt) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(results) == [False] * 15 + [True] * 5


@pytest.fixture
def staff(db, station):
    return users.add(db, "jia", STAFF_PASSWORD, "clerk", "甲镇")


def test_twenty_parallel_wrong_passwords_get_at_most_five_checks(app, staff):
    barrier = threading.Barrier(20, timeout=30)
    statuses: list[int] = []

    def guess(number: int) -> None:
        client = app.test_client()
        client.environ_base["REMOTE_ADDR"] = f"10.0.0.{number + 1}"
        token = csrf_of(text(client.get("/admin/login")))
        barrier.wait()
        data = {"username": "jia", "password": f"guess {number}", "csrf_token": token}
        statuses.append(client.post("/admin/login", data=data).status_code)

    threads = [threading.Thread(target=guess, args=(n,)) for n in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(statuses) == [401] * 5 + [429] * 15


def test_after_five_wrong_passwords_the_right_one_is_refused(client, staff):
    for number in range(5):
        response = sign_in(client, "jia", f"wrong {number}")
        assert response.status_code == 401
        assert "用户名或密码不对" in text(response)
    refused = sign_in(client, "jia")
    assert refused.status_code == 429
    assert "尝试次数太多,请 15 分钟后再试" in text(refused)


def test_right_passwords_use_up_no_attempts(app, staff):
    for _ in range(8):
        assert sign_in(app.test_client(), "jia").status_code == 303
    client = app.test_client()
    for number in range(4):
        assert sign_in(client, "jia", f"wrong {number}").status_code == 401
    assert sign_in(client, "jia").status_code == 303


# --- 5. caches -------------------------------------------------------------------------------


def _directives(response) -> set[str]:
    value = response.headers.get("Cache-Control", "")
    return {part.strip().split("=")[0] for part in value.split(",") if part.strip()}


def test_a_villagers_pages_and_photos_are_kept_by_no_shared_cache(client, db, station, staff):
    receipt = receipt_of(post_opinion(client, photos=[jpeg_bytes()]))
    (photo,) = db["photos"].rows
    page = client.get(f"/t/{receipt}")
    assert page.status_code == 200
    assert {"private", "no-store"} <= _directives(page) and "public" not in _directives(page)
    picture = client.get(f"/t/{receipt}/photos/{photo['id']}")
    assert picture.status_code == 200
    assert "private" in _directives(picture) and "public" not in _directives(picture)

    clerk = client.application.test_client()
    assert sign_in(clerk, "jia").status_code == 303
    staff_picture = clerk.get(f"/admin/opinions/{photo['opinion_id']}/photos/{photo['id']}")
    assert staff_picture.status_code == 200
    assert "private" in _directives(staff_picture)
    assert "public" not in _directives(staff_picture)
