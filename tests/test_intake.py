"""The villager's side over HTTP: every rule of the station form, the receipt and the status page.

Each test acts as a phone would (GET the form, POST it back with its tokens and cookies) and
asserts what the villager sees and what was, or was not, stored.
"""

from __future__ import annotations

import io
import re
from datetime import timedelta

import pytest
from PIL import Image

import feedback.opinions
import feedback.photos
from feedback import clock
from tests.helpers_intake import (
    CHINESE,
    OPINION,
    RECEIPT,
    add_station,
    alert,
    consent_checked,
    field_error,
    form_tokens,
    hidden,
    image_bytes,
    input_value,
    jpeg_bytes,
    make_app,
    opinions,
    photo_files,
    post_opinion,
    receipt_of,
    selected_category,
    text,
    textarea,
)
from tests.photo_samples import has_gps, phone_jpeg

PHOTO_NAME = re.compile(r"^[0-9a-f]{2}/[0-9a-f]{32}\.jpg$")


@pytest.fixture
def station(db):
    return add_station(db)


def later(minutes: int) -> str:
    return clock.stamp(clock.now() + timedelta(minutes=minutes))


def submit(client, **fields) -> str:
    """A valid submission; returns its receipt code as displayed (ABCD-EFGH)."""
    response = post_opinion(client, **fields)
    assert response.status_code == 303, text(response)
    return receipt_of(response)


def assert_preserved(
    page: str,
    body: str,
    name: str = "",
    phone: str = "",
    category: str | None = None,
    consent: bool = False,
) -> None:
    """Everything the villager typed is back in the re-rendered form."""
    assert textarea(page) == body
    assert input_value(page, "name") == name
    assert input_value(page, "phone") == phone
    assert selected_category(page) == category
    assert consent_checked(page) is consent


# --- the form page -------------------------------------------------------------------------


def test_form_page_is_a_small_chinese_form_from_this_host_only(client, station):
    response = client.get("/s/ll-01")
    assert response.status_code == 200
    assert response.mimetype == "text/html"
    page = text(response)
    print(f"\nform page: {len(response.data)} bytes")
    assert len(response.data) < 15 * 1024
    assert 'lang="zh-CN"' in page
    assert "<h2>六龙村议事亭</h2>" in page and "甲镇 · 六龙村" in page
    assert "您的意见建议" in page and "提 交" in page
    assert 'method="post"' in page and 'enctype="multipart/form-data"' in page
    for name in (
        "body",
        "category",
        "photos",
        "name",
        "phone",
        "consent",
        "website",
        "csrf_token",
        "submission_token",
    ):
        assert re.search(rf'<(?:input|textarea|select)\b[^>]*\bname="{name}"', page), name
    assert "http://" not in page and "https://" not in page
    assert not re.search(r"""\b(?:src|href|action)\s*=\s*["']?\s*//""", page)
    assert "url(" not in page and "@import" not in page
    assert re.search(r'<option value="pollution">污染防治</option>', page)


def test_every_form_gets_its_own_submission_token(client, station):
    assert form_tokens(client)[1] != form_tokens(client)[1]


# --- success -------------------------------------------------------------------------------


def test_browser_submission_leads_to_the_receipt(client, db, station):
    response = post_opinion(client, body=f"  \n{OPINION}\n  ", category="rural")
    assert response.status_code == 303
    assert re.fullmatch(f"/t/{RECEIPT}", response.headers["Location"])
    receipt = receipt_of(response)

    page = text(client.get(response.headers["Location"]))
    assert "提交成功" in page
    assert f'<p class="code" id="receipt">{receipt}</p>' in page
    assert "已收到" in page and OPINION in page and "乡村振兴" in page

    [row] = opinions(db)
    assert row["receipt"] == receipt.replace("-", "")
    assert row["body"] == OPINION
    assert row["category"] == "rural"
    assert row["status"] == "new" and row["channel"] == "form"
    assert row["created_at"].endswith("+08:00")
    assert row["station_id"] == station["id"]
    assert row["name"] is None and row["phone"] is None and row["consent"] == 0

    again = text(client.get(response.headers["Location"]))
    assert "提交成功" not in again  # said once, right after submitting
    assert receipt in again


def test_json_submission_answers_201_with_receipt_and_status_url(client, db, station):
    response = post_opinion(client, as_json=True)
    assert response.status_code == 201
    assert response.is_json
    payload = response.get_json()
    assert set(payload) == {"receipt", "status_url"}
    assert re.fullmatch(RECEIPT, payload["receipt"])
    assert payload["status_url"] == f"/t/{payload['receipt']}"
    assert client.get(payload["status_url"]).status_code == 200
    assert [row["receipt"] for row in opinions(db)] == [payload["receipt"].replace("-", "")]


def test_json_errors_are_chinese_with_fields(client, db, station):
    response = post_opinion(client, as_json=True, body="路灯", phone="2345", consent="y")
    assert response.status_code == 400
    payload = response.get_json()
    assert set(payload) == {"error", "fields"}
    assert CHINESE.search(payload["error"])
    assert set(payload["fields"]) == {"body", "phone"}
    assert "请至少写 5 个字" in payload["fields"]["body"]
    assert "11 位手机号码" in payload["fields"]["phone"]
    assert opinions(db) == []


# --- validation ----------------------------------------------------------------------------

TYPED = {"category": "rural", "name": "张三", "phone": "13812345678", "consent": "y"}


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("", "请写下您的意见建议"),
        ("  \n\t  ", "请写下您的意见建议"),
        ("路灯坏了", "请至少写 5 个字"),  # 4 characters
        ("   路灯坏了 \n ", "请至少写 5 个字"),  # 4 after trimming
        ("字" * 2001, "最多 2000 字"),
        ("  " + "字" * 2001 + "  ", "最多 2000 字"),
    ],
    ids=["empty", "blank", "4-chars", "4-after-trim", "2001", "2001-after-trim"],
)
def test_body_length_is_checked_after_trimming(client, db, station, body, message):
    response = post_opinion(client, body=body, **TYPED)
    assert response.status_code == 400
    page = text(response)
    assert message in (field_error(page, "body") or "")
    assert "带 ⚠ 的提示修改" in alert(page)
    assert_preserved(page, body.strip(), "张三", "13812345678", "rural", consent=True)
    assert opinions(db) == []


@pytest.mark.parametrize(
    "body",
    ["路灯坏了吗", "  路灯坏了吗\n ", "字" * 2000, "\n" + "字" * 2000 + "  "],
    ids=["5-chars", "5-after-trim", "2000", "2000-after-trim"],
)
def test_body_of_5_to_2000_characters_is_stored_trimmed(client, db, station, body):
    submit(client, body=body)
    assert [row["body"] for row in opinions(db)] == [body.strip()]


def test_unknown_category_is_refused(client, db, station):
    response = post_opinion(
        client, body=OPINION, category="weather", name="张三", phone="13812345678", consent="y"
    )
    assert response.status_code == 400
    page = text(response)
    assert field_error(page, "category") == "请从列表里选择类别"
    assert textarea(page) == OPINION
    assert input_value(page, "name") == "张三"
    assert opinions(db) == []


@pytest.mark.parametrize(
    ("typed", "stored"), [("", "other"), ("pollution", "pollution"), ("labour", "labour")]
)
def test_category_is_stored_and_empty_means_other(client, db, station, typed, stored):
    submit(client, category=typed)
    assert opinions(db)[0]["category"] == stored


def test_leaving_category_out_entirely_means_other(client, db, station):
    submit(client, category=None)
    assert opinions(db)[0]["category"] == "other"


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("13812345678", "13812345678"),
        ("+86 138 1234 5678", "13812345678"),
        ("138-1234-5678", "13812345678"),
        ("8613912345678", "13912345678"),
        (" 199 0000 1111 ", "19900001111"),
    ],
)
def test_mobile_numbers_are_normalised_and_stored_with_consent(client, db, station, typed, stored):
    submit(client, name="  李四 ", phone=typed, consent="y")
    row = opinions(db)[0]
    assert (row["name"], row["phone"], row["consent"]) == ("李四", stored, 1)


@pytest.mark.parametrize(
    "phone",
    [
        "12345678901",
        "2345",
        "1381234567",
        "138123456789",
        "abcdefghijk",
        "+1 415 555 0100",
        "0771-1234567",
    ],
)
def test_a_phone_that_is_not_a_mainland_mobile_is_refused(client, db, station, phone):
    response = post_opinion(
        client, body=OPINION, category="rural", name="张三", phone=phone, consent="y"
    )
    assert response.status_code == 400
    page = text(response)
    assert field_error(page, "phone") == "请填写 11 位手机号码,例如 13812345678"
    expected_phone = re.sub(r"[\s\-()]", "", phone)  # shown as the server read it
    assert_preserved(page, OPINION, "张三", expected_phone, "rural", consent=True)
    assert opinions(db) == []


@pytest.mark.parametrize(
    "phone", ["138１２３４５６７８", "13٨١٢٣٤٥٦٧٨"], ids=["fullwidth", "arabic-indic"]
)
def test_a_phone_with_non_ascii_digits_is_normalised_or_refused(client, db, station, phone):
    response = post_opinion(client, phone=phone, consent="y")
    if response.status_code == 400:
        assert field_error(text(response), "phone")
        assert opinions(db) == []
    else:
        assert response.status_code == 303
        assert opinions(db)[0]["phone"] == "13812345678"


@pytest.mark.parametrize(
    ("name", "phone"), [("张三", ""), ("", "13812345678"), ("张三", "13812345678")]
)
def test_name_or_phone_without_consent_is_refused(client, db, station, name, phone):
    response = post_opinion(client, body=OPINION, category="pollution", name=name, phone=phone)
    assert response.status_code == 400
    page = text(response)
    assert field_error(page, "consent") == "留了姓名或电话,请勾选同意,我们才能联系您"
    assert_preserved(page, OPINION, name, phone, "pollution", consent=False)
    assert opinions(db) == []


def test_no_name_and_no_phone_need_no_consent(client, db, station):
    submit(client, name="   ", phone=" ")
    row = opinions(db)[0]
    assert (row["name"], row["phone"], row["consent"]) == (None, None, 0)


def test_a_name_over_20_characters_is_refused(client, db, station):
    response = post_opinion(client, name="张" * 21, consent="y")
    assert response.status_code == 400
    page = text(response)
    assert field_error(page, "name") == "姓名最多 20 个字"
    assert input_value(page, "name") == "张" * 21
    assert opinions(db) == []
    submit(client, name="张" * 20, consent="y")
    assert opinions(db)[0]["name"] == "张" * 20


def test_an_error_is_printed_right_under_its_field(client, station):
    page = text(post_opinion(client, body="路灯", phone="2345", consent="y"))
    for field, tag in (("body", '<textarea id="body"'), ("phone", '<input id="phone"')):
        between = page[page.index(tag) : page.index(f'id="{field}-err"')]
        assert "<label" not in between, field


# --- CSRF: the page that stayed open too long ------------------------------------------------


def test_csrf_is_enforced_in_this_app(app):
    assert app.config.get("WTF_CSRF_ENABLED", True) is True


@pytest.mark.parametrize(
    "csrf",
    [None, "", "forged.token.value", "other-session"],
    ids=["missing", "empty", "forged", "other-session"],
)
def test_an_expired_page_keeps_the_text_and_the_fresh_token_works(app, db, station, csrf):
    phone = app.test_client()
    _, submission = form_tokens(phone)
    if csrf == "other-session":
        csrf = form_tokens(app.test_client())[0]
    typed = {
        "body": OPINION,
        "category": "cityscape",
        "name": "王五",
        "phone": "13912345678",
        "consent": "y",
    }
    response = post_opinion(phone, tokens=(csrf, submission), **typed)
    assert response.status_code == 400
    page = text(response)
    assert "页面停留太久" in alert(page)
    assert_preserved(page, OPINION, "王五", "13912345678", "cityscape", consent=True)
    assert hidden(page, "submission_token") == submission
    assert opinions(db) == []

    again = post_opinion(phone, tokens=(hidden(page, "csrf_token"), submission), **typed)
    assert again.status_code == 303
    assert [row["body"] for row in opinions(db)] == [OPINION]


def test_a_lost_session_is_an_expired_page_too(app, db, station):
    csrf, submission = form_tokens(app.test_client())
    stranger = app.test_client()  # WeChat closed: no session cookie any more
    response = post_opinion(stranger, tokens=(csrf, submission))
    assert response.status_code == 400
    page = text(response)
    assert "页面停留太久" in alert(page) and textarea(page) == OPINION
    fresh = (hidden(page, "csrf_token"), submission)
    assert post_opinion(stranger, tokens=fresh).status_code == 303
    assert len(opinions(db)) == 1


# --- double tap and retries ----------------------------------------------------------------


def test_a_double_tap_returns_the_first_receipt(client, db, station):
    tokens = form_tokens(client)
    first = post_opinion(client, tokens=tokens)
    second = post_opinion(client, tokens=tokens)
    assert first.status_code == second.status_code == 303
    assert first.headers["Location"] == second.headers["Location"]
    assert len(opinions(db)) == 1


def test_a_json_retry_answers_200_with_the_same_receipt(client, db, station):
    tokens = form_tokens(client)
    first = post_opinion(client, tokens=tokens, as_json=True)
    retry = post_opinion(client, tokens=tokens, as_json=True)
    assert (first.status_code, retry.status_code) == (201, 200)
    assert first.get_json() == retry.get_json()
    assert len(opinions(db)) == 1


def test_same_token_with_another_text_is_a_second_opinion(client, db, station):
    tokens = form_tokens(client)
    first = receipt_of(post_opinion(client, tokens=tokens, body="第一件事:村口路灯坏了"))
    second = receipt_of(post_opinion(client, tokens=tokens, body="第二件事:桥面开裂了"))
    assert first != second
    assert [row["body"] for row in opinions(db)] == ["第一件事:村口路灯坏了", "第二件事:桥面开裂了"]


def test_a_double_tap_on_the_second_text_of_a_token_is_not_a_duplicate(client, db, station):
    tokens = form_tokens(client)
    post_opinion(client, tokens=tokens, body="第一件事:村口路灯坏了")
    second = post_opinion(client, tokens=tokens, body="第二件事:桥面开裂了")
    tap = post_opinion(client, tokens=tokens, body="第二件事:桥面开裂了")
    assert second.headers["Location"] == tap.headers["Location"]
    assert len(opinions(db)) == 2


# --- rate limits ---------------------------------------------------------------------------


@pytest.fixture
def limited(db):
    """The same instance and database as `db`, with tiny limits per hour."""
    return make_app(
        FEEDBACK_LIMIT_PER_DEVICE=2, FEEDBACK_LIMIT_PER_ADDRESS=5, FEEDBACK_LIMIT_NO_COOKIE=3
    )


def test_one_device_is_limited_before_its_neighbours(limited, db, station):
    phone = limited.test_client()
    submit(phone, body="第一件事:村口路灯坏了")
    assert phone.get_cookie("fb_device") is not None
    submit(phone, body="第二件事:桥面开裂了")
    flood = post_opinion(phone, body="第三件事:垃圾没人清运", category="cityscape")
    assert flood.status_code == 429
    page = text(flood)
    assert "提交太频繁了" in alert(page)
    assert_preserved(page, "第三件事:垃圾没人清运", category="cityscape")
    as_json = post_opinion(phone, as_json=True)
    assert as_json.status_code == 429
    assert set(as_json.get_json()) == {"error", "fields"}
    assert CHINESE.search(as_json.get_json()["error"])
    assert len(opinions(db)) == 2

    # The same carrier-NAT address, other phones: served until the per-address ceiling.
    neighbour, third = limited.test_client(), limited.test_client()
    submit(neighbour)
    submit(neighbour, body="邻居的第二件事:噪音扰民")
    submit(third)
    assert len(opinions(db)) == 5
    assert post_opinion(third, body="第三台手机的第二件事").status_code == 429
    assert len(opinions(db)) == 5
    # Another address is not affected.
    elsewhere = limited.test_client()
    submit(elsewhere, environ_base={"REMOTE_ADDR": "10.20.30.40"})
    assert len(opinions(db)) == 6


def test_clients_without_a_device_cookie_share_a_smaller_budget(limited, db, station):
    def cookieless():
        client = limited.test_client()
        tokens = form_tokens(client)
        assert client.get_cookie("fb_device") is not None
        client.delete_cookie("fb_device")
        assert client.get_cookie("fb_device") is None
        return client, tokens

    for number in range(3):
        client, tokens = cookieless()
        submit(client, tokens=tokens, body=f"没有 cookie 的第 {number} 条意见")
    client, tokens = cookieless()
    response = post_opinion(client, tokens=tokens, body="第四条:没有 cookie")
    assert response.status_code == 429
    assert textarea(text(response)) == "第四条:没有 cookie"
    assert len(opinions(db)) == 3
    submit(limited.test_client())  # a phone with its cookie is still served
    assert len(opinions(db)) == 4


def test_a_retry_is_answered_even_when_the_limit_is_reached(limited, db, station):
    phone = limited.test_client()
    submit(phone)
    tokens = form_tokens(phone)
    second = post_opinion(phone, tokens=tokens, body="第二件事:桥面开裂了")
    retry = post_opinion(phone, tokens=tokens, body="第二件事:桥面开裂了")
    assert second.status_code == retry.status_code == 303
    assert second.headers["Location"] == retry.headers["Location"]
    assert post_opinion(phone, body="第三件事:垃圾没人清运").status_code == 429
    assert len(opinions(db)) == 2


# --- honeypot ------------------------------------------------------------------------------


@pytest.mark.parametrize("as_json", [False, True], ids=["browser", "json"])
def test_a_filled_honeypot_looks_like_success_but_is_spam(client, db, station, as_json):
    response = post_opinion(client, as_json=as_json, website="http://cheap-pills.example")
    assert response.status_code == (201 if as_json else 303)
    receipt = receipt_of(response)
    status = client.get(f"/t/{receipt}")
    assert status.status_code == 200 and receipt in text(status)
    assert [row["status"] for row in opinions(db)] == ["spam"]


# --- photos --------------------------------------------------------------------------------


def test_a_gps_photo_is_stored_small_and_without_any_metadata(client, db, station, instance):
    raw = phone_jpeg(4000, 3000)
    assert has_gps(raw) and Image.open(io.BytesIO(raw)).size == (4000, 3000)
    receipt = submit(client, photos=[(raw, "IMG_20261123_093000.jpg")])

    [row] = list(db["photos"].rows)
    assert PHOTO_NAME.match(row["filename"]) and "IMG" not in row["filename"]
    path = instance / "photos" / row["filename"]
    assert photo_files(instance) == [path]
    stored = Image.open(path)
    assert stored.format == "JPEG" and stored.size == (1600, 1200)
    assert (row["width"], row["height"], row["bytes"]) == (1600, 1200, path.stat().st_size)
    assert not stored.getexif() and "exif" not in stored.info
    data = path.read_bytes()
    assert b"Exif" not in data and b"Xiaomi" not in data

    url = f"/t/{receipt}/photos/{row['id']}"
    assert f'src="{url}"' in text(client.get(f"/t/{receipt}"))
    served = client.get(url)
    assert served.status_code == 200 and served.mimetype == "image/jpeg"
    assert served.data == data


@pytest.mark.parametrize(
    ("raw", "name"),
    [
        (image_bytes("PNG", (300, 200), "RGBA", (255, 0, 0, 0)), "透明.png"),
        (image_bytes("PNG", (300, 200), "P", 3), "palette.png"),
        (image_bytes("WEBP", (300, 200)), "photo.webp"),
        (jpeg_bytes((300, 200), gps=True), "small.jpeg"),
    ],
    ids=["png-transparent", "png-palette", "webp", "small-jpeg-with-gps"],
)
def test_png_and_webp_are_accepted_and_stored_as_jpeg(client, db, station, instance, raw, name):
    submit(client, photos=[(raw, name, "image/*")])
    [row] = list(db["photos"].rows)
    stored = Image.open(instance / "photos" / row["filename"])
    assert stored.format == "JPEG" and stored.mode == "RGB" and stored.size == (300, 200)
    assert not stored.getexif()
    if name == "透明.png":
        assert min(stored.getpixel((150, 100))) > 240  # transparent became white


def test_three_photos_are_accepted(client, db, station, instance):
    submit(client, photos=[jpeg_bytes(), image_bytes("PNG"), image_bytes("WEBP")])
    assert len(list(db["photos"].rows)) == 3 and len(photo_files(instance)) == 3


def test_a_photo_is_only_served_under_its_own_receipt(client, db, station):
    mine = submit(client, photos=[jpeg_bytes()])
    other = submit(client, body="另一件事:桥上有大裂缝")
    photo_id = next(db["photos"].rows)["id"]
    assert client.get(f"/t/{mine}/photos/{photo_id}").status_code == 200
    assert client.get(f"/t/{mine.lower()}/photos/{photo_id}").status_code == 200
    response = client.get(f"/t/{other}/photos/{photo_id}")
    assert response.status_code == 404 and "没有找到" in text(response)
    assert client.get(f"/t/{mine}/photos/{photo_id + 1}").status_code == 404
    assert client.get(f"/t/ZZZZ-ZZZZ/photos/{photo_id}").status_code == 404


@pytest.fixture
def small_photos(db):
    return make_app(FEEDBACK_MAX_PHOTO_BYTES=200_000)


def big_jpeg() -> bytes:
    raw = phone_jpeg(1200, 900)
    assert len(raw) > 200_000
    return raw


def test_a_photo_over_the_size_cap_loses_nothing_typed(small_photos, db, station, instance):
    client = small_photos.test_client()
    response = post_opinion(client, photos=[jpeg_bytes(), big_jpeg()], **TYPED)
    assert response.status_code == 400
    page = text(response)
    assert "请重新选择照片" in page
    assert_preserved(page, OPINION, "张三", "13812345678", "rural", consent=True)
    assert opinions(db) == [] and list(db["photos"].rows) == []
    assert photo_files(instance) == []


def test_four_photos_are_refused_and_nothing_is_stored(client, db, station, instance):
    response = post_opinion(client, photos=[jpeg_bytes()] * 4, **TYPED)
    assert response.status_code == 400
    page = text(response)
    assert "请重新选择照片" in page
    assert_preserved(page, OPINION, "张三", "13812345678", "rural", consent=True)
    assert opinions(db) == [] and photo_files(instance) == []


PHOTO_PROBLEMS = [
    pytest.param([jpeg_bytes()] * 4, "最多只能上传 3 张", id="four-photos"),
    pytest.param([b"just text, no photo"], "这不是一张能打开的照片", id="not-an-image"),
    pytest.param([image_bytes("GIF")], "只能上传 JPG、PNG 或 WebP", id="gif"),
]


@pytest.mark.parametrize(("photos", "message"), PHOTO_PROBLEMS)
def test_the_page_says_what_is_wrong_with_the_photos(client, db, station, photos, message):
    response = post_opinion(client, photos=photos)
    assert response.status_code == 400
    assert message in text(response)


@pytest.mark.parametrize(("photos", "message"), PHOTO_PROBLEMS)
def test_json_errors_name_the_photos_field(client, db, station, photos, message):
    response = post_opinion(client, photos=photos, as_json=True)
    assert response.status_code == 400
    assert message in response.get_json()["fields"].get("photos", "")


def test_the_page_says_the_photo_is_too_big(small_photos, db, station):
    response = post_opinion(small_photos.test_client(), photos=[big_jpeg()])
    assert response.status_code == 400
    assert "照片太大了" in text(response)


@pytest.fixture
def failing_app(db):
    """Unexpected errors become the Chinese 500 page, as in production."""
    return make_app(PROPAGATE_EXCEPTIONS=False)


def test_a_failure_while_storing_leaves_no_row_and_no_file(
    failing_app, db, station, instance, monkeypatch
):
    def broken(*args, **kwargs):
        raise RuntimeError("disk trouble")

    client = failing_app.test_client()
    monkeypatch.setattr(feedback.opinions, "insert", broken)
    response = post_opinion(client, photos=[jpeg_bytes(), image_bytes("PNG")])
    assert response.status_code == 500
    assert "出了点问题" in text(response)
    assert opinions(db) == [] and list(db["photos"].rows) == []
    assert photo_files(instance) == []
    monkeypatch.undo()
    submit(client, photos=[jpeg_bytes(), image_bytes("PNG")])
    assert len(photo_files(instance)) == 2


def test_a_failure_writing_the_second_photo_leaves_no_file(
    failing_app, db, station, instance, monkeypatch
):
    real_write = feedback.photos.write
    calls = []

    def disk_full_on_second(folder, name, photo):
        calls.append(name)
        if len(calls) == 2:
            raise OSError(28, "No space left on device")
        return real_write(folder, name, photo)

    monkeypatch.setattr(feedback.photos, "write", disk_full_on_second)
    response = post_opinion(failing_app.test_client(), photos=[jpeg_bytes(), jpeg_bytes()])
    assert len(calls) == 2
    assert response.status_code >= 500
    assert opinions(db) == []
    assert photo_files(instance) == []


# --- oversize requests ---------------------------------------------------------------------


def test_a_request_over_max_content_length_is_413_in_chinese(db, station, instance):
    app = make_app(MAX_CONTENT_LENGTH=100_000)
    client = app.test_client()
    oversize = [image_bytes("PNG", (400, 400), "RGB", 0) + b"\0" * 150_000]
    response = post_opinion(client, photos=oversize)
    assert response.status_code == 413
    page = text(response)
    assert "提交的内容太大了" in alert(page)
    assert "请重新选择照片" in page and '<textarea id="body"' in page
    as_json = post_opinion(client, photos=oversize, as_json=True)
    assert as_json.status_code == 413
    assert set(as_json.get_json()) == {"error", "fields"}
    assert "太大" in as_json.get_json()["error"]
    assert opinions(db) == [] and photo_files(instance) == []
    submit(client, photos=[jpeg_bytes()])  # and the service keeps serving


# --- the status page -----------------------------------------------------------------------


@pytest.fixture
def receipt(client, station):
    return submit(client)


@pytest.mark.parametrize("typed", ["lower", "spaced", "undashed", "lower-undashed"])
def test_a_receipt_typed_any_way_redirects_to_its_canonical_page(client, receipt, typed):
    path = {
        "lower": receipt.lower(),
        "spaced": f"{receipt[:4]}%20{receipt[5:]}",
        "undashed": receipt.replace("-", ""),
        "lower-undashed": receipt.replace("-", "").lower(),
    }[typed]
    response = client.get(f"/t/{path}")
    assert response.status_code == 301
    assert response.headers["Location"] == f"/t/{receipt}"
    assert client.get(response.headers["Location"]).status_code == 200


@pytest.mark.parametrize("code", ["ZZZZ-ZZZZ", "hello", "0OIL-1111"])
def test_an_unknown_receipt_is_a_chinese_404_with_the_lookup_form(client, receipt, code):
    response = client.get(f"/t/{code}")
    assert response.status_code == 404
    page = text(response)
    assert "没有找到这个查询码" in page
    assert 'action="/t"' in page and 'name="code"' in page
    assert f'value="{code}"' in page


def test_the_lookup_form_leads_to_the_status_page(client, receipt):
    assert "请输入查询码" in text(client.get("/t"))
    response = client.get("/t", query_string={"code": f" {receipt.lower().replace('-', ' ')} "})
    assert response.status_code in (301, 302, 303)
    assert response.headers["Location"] == f"/t/{receipt}"
    missing = client.get("/t", query_string={"code": "ABCD-EFGH"})
    assert missing.status_code == 404 and "没有找到这个查询码" in text(missing)


def test_a_typed_code_is_echoed_escaped(client, receipt):
    response = client.get("/t", query_string={"code": '"><script>alert(1)</script>'})
    assert response.status_code == 404
    page = text(response)
    assert "<script>alert(1)" not in page and "&lt;script&gt;alert(1)" in page


def test_the_timeline_starts_with_received(client, db, receipt):
    page = text(client.get(f"/t/{receipt}"))
    created = opinions(db)[0]["created_at"]
    assert re.search(
        r"<li><b>已收到</b><span class=\"muted\">" + re.escape(clock.display(created)), page
    )
    assert "答复" not in page.split("您反映的内容")[0].replace("办理进度", "")
    assert 'name="rating"' not in page


def answer(db, answer_text: str = "路灯已于本周修好,感谢您的反映。") -> dict:
    row = opinions(db)[0]
    db["opinions"].update(
        row["id"], {"status": "answered", "answer": answer_text, "answered_at": later(60)}
    )
    return db["opinions"].get(row["id"])


def rating_csrf(client, receipt: str) -> str:
    """The CSRF token of this session, from the status page's rating form or the station form."""
    page = text(client.get(f"/t/{receipt}"))
    return hidden(page, "csrf_token") if "csrf_token" in page else form_tokens(client)[0]


def test_an_answer_can_be_rated_once(client, db, receipt):
    answer(db)
    page = text(client.get(f"/t/{receipt}"))
    assert "<b>已答复</b>" in page and "路灯已于本周修好,感谢您的反映。" in page
    for choice in ("满意", "基本满意", "不满意"):
        assert re.search(rf'<input[^>]*name="rating"[^>]*value="{choice}"', page), choice

    csrf = hidden(page, "csrf_token")
    response = client.post(f"/t/{receipt}", data={"csrf_token": csrf, "rating": "基本满意"})
    assert response.status_code == 303
    assert response.headers["Location"] == f"/t/{receipt}"
    row = opinions(db)[0]
    assert row["rating"] == "基本满意" and row["rated_at"].endswith("+08:00")
    page = text(client.get(f"/t/{receipt}"))
    assert "您的评价:<b>基本满意</b>" in page and 'name="rating"' not in page

    again = client.post(f"/t/{receipt}", data={"csrf_token": csrf, "rating": "不满意"})
    assert again.status_code == 409 and "这件事已经处理过了" in text(again)
    assert opinions(db)[0]["rating"] == "基本满意"


def test_an_unanswered_opinion_cannot_be_rated(client, db, receipt):
    csrf = rating_csrf(client, receipt)
    response = client.post(f"/t/{receipt}", data={"csrf_token": csrf, "rating": "满意"})
    assert response.status_code == 409 and CHINESE.search(text(response))
    assert opinions(db)[0]["rating"] is None


def test_a_rating_must_be_chosen(client, db, receipt):
    answer(db)
    response = client.post(f"/t/{receipt}", data={"csrf_token": rating_csrf(client, receipt)})
    assert response.status_code == 400
    assert "请选择:满意、基本满意或不满意" in text(response) and 'name="rating"' in text(response)
    assert opinions(db)[0]["rating"] is None


def test_an_unknown_rating_value_gets_a_chinese_message(client, db, receipt):
    answer(db)
    csrf = rating_csrf(client, receipt)
    response = client.post(f"/t/{receipt}", data={"csrf_token": csrf, "rating": "非常好"})
    assert response.status_code == 400
    assert opinions(db)[0]["rating"] is None
    errors = re.findall(r'<p class="err">([^<]*)</p>', text(response))
    assert errors and all(CHINESE.search(error) for error in errors), errors


def test_an_unknown_rating_value_is_refused(client, db, receipt):
    answer(db)
    csrf = rating_csrf(client, receipt)
    response = client.post(f"/t/{receipt}", data={"csrf_token": csrf, "rating": "非常好"})
    assert response.status_code == 400
    assert opinions(db)[0]["rating"] is None


def test_an_expired_rating_page_says_so(client, db, receipt):
    answer(db)
    response = client.post(f"/t/{receipt}", data={"csrf_token": "expired", "rating": "满意"})
    assert response.status_code == 400
    assert opinions(db)[0]["rating"] is None
    assert "页面停留太久" in text(response)


def test_a_rating_without_csrf_is_refused(client, db, receipt):
    answer(db)
    response = client.post(f"/t/{receipt}", data={"rating": "满意"})
    assert response.status_code == 400
    assert opinions(db)[0]["rating"] is None


def test_a_rejected_opinion_shows_why(client, db, receipt):
    row = opinions(db)[0]
    reason = "内容与本镇无关,已转交县信访局"
    db["opinions"].update(
        row["id"], {"status": "rejected", "answered_at": later(30), "reject_reason": reason}
    )
    page = text(client.get(f"/t/{receipt}"))
    assert "<b>未予受理</b>" in page and reason in page
    assert page.index("已收到") < page.index("未予受理")
    assert 'name="rating"' not in page


def test_a_merged_opinion_follows_its_suggestion(client, db, receipt):
    opinion = opinions(db)[0]
    department = db["departments"].insert({"name": "镇交通办"}).last_pk
    suggestion = (
        db["suggestions"]
        .insert(
            {
                "town": "甲镇",
                "year": 2026,
                "seq": 7,
                "number": "甲镇〔2026〕7号",
                "title": "修复六龙村村口路灯",
                "body": "合并三条意见",
                "category": "rural",
                "status": "已交办",
                "department_id": department,
                "assigned_at": later(20),
                "created_at": later(10),
            }
        )
        .last_pk
    )
    db["suggestion_opinions"].insert(
        {"opinion_id": opinion["id"], "suggestion_id": suggestion, "added_at": later(10)}
    )
    db["opinions"].update(opinion["id"], {"status": "merged"})
    page = text(client.get(f"/t/{receipt}"))
    assert "<b>已并入代表建议</b>" in page and "甲镇〔2026〕7号 修复六龙村村口路灯" in page
    assert "<b>已交办</b>" in page and "承办单位:镇交通办" in page
    assert page.index("已收到") < page.index("已并入代表建议") < page.index("<b>已交办</b>")
    assert 'name="rating"' not in page

    db["suggestions"].update(
        suggestion,
        {"status": "已办结", "closed_at": later(40), "answer": "路灯已全部更换为太阳能灯。"},
    )
    page = text(client.get(f"/t/{receipt}"))
    assert "<b>已办结</b>" in page and "路灯已全部更换为太阳能灯。" in page
    assert 'name="rating"' in page


# --- disabled stations ---------------------------------------------------------------------


def test_a_disabled_station_is_a_404_for_get_and_post(client, db, station):
    add_station(db, code="old-01", name="旧公告栏", active=0)
    response = client.get("/s/old-01")
    assert response.status_code == 404 and "没有找到这个页面" in text(response)
    tokens = form_tokens(client)
    posted = post_opinion(client, code="old-01", tokens=tokens)
    assert posted.status_code == 404 and "没有找到这个页面" in text(posted)
    as_json = post_opinion(client, code="old-01", tokens=tokens, as_json=True)
    assert as_json.status_code == 404 and set(as_json.get_json()) == {"error", "fields"}
    assert opinions(db) == []
