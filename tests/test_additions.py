"""补充说明: a villager adds lines and photos to an open opinion from its status page."""

from __future__ import annotations

import io
import re

import pytest

from feedback import users
from tests.conftest import csrf_of, sign_in
from tests.photo_samples import has_gps, phone_jpeg

RECEIPT = "CCCC-CCC3"


def text(response) -> str:
    return response.get_data(as_text=True)


@pytest.fixture
def opinion(db, two_town_stations):
    db["opinions"].insert(
        {
            "receipt": RECEIPT.replace("-", ""),
            "station_id": 1,
            "body": "村口路灯坏了三个月",
            "category": "cityscape",
            "created_at": "2026-03-01T09:00:00+08:00",
        }
    )
    return 1


def add(client, more="灯杆也歪了,靠近小学门口", photos=(), **extra):
    page = text(client.get(f"/t/{RECEIPT}"))
    token = re.search(
        r'id="more-form".*?name="submission_token" type="hidden" value="([^"]*)"', page, re.S
    )
    data = {
        "csrf_token": csrf_of(page),
        "submission_token": token.group(1),
        "more": more,
        "photos": [(io.BytesIO(p), f"p{n}.jpg") for n, p in enumerate(photos)],
        **extra,
    }
    return client.post(f"/t/{RECEIPT}/more", data=data, content_type="multipart/form-data")


def test_an_addition_with_a_photo_reaches_staff(client, db, opinion, instance):
    done = add(client, photos=[phone_jpeg(1200, 900)])
    assert done.status_code == 303
    page = text(client.get(f"/t/{RECEIPT}"))
    assert "灯杆也歪了" in page and "您补充了说明" in page and "补充照片 1" in page
    (filename,) = db.execute("select filename from photos where addition_id is not null").fetchone()
    assert not has_gps((instance / "photos" / filename).read_bytes())
    users.add(db, "jia", "correct horse", "clerk", "甲镇")
    sign_in(client, "jia")
    staff = text(client.get(f"/admin/opinions/{opinion}"))
    assert "村民补充说明" in staff and "灯杆也歪了" in staff and "补充照片 1" in staff


def test_a_double_tap_adds_once(client, db, opinion):
    page = text(client.get(f"/t/{RECEIPT}"))
    token = re.findall(r'name="submission_token" type="hidden" value="([^"]*)"', page)[-1]
    data = {"csrf_token": csrf_of(page), "submission_token": token, "more": "又坏了一盏"}
    assert client.post(f"/t/{RECEIPT}/more", data=data).status_code == 303
    assert client.post(f"/t/{RECEIPT}/more", data=data).status_code == 303
    assert db.execute("select count(*) from opinion_additions").fetchone()[0] == 1


@pytest.mark.parametrize(
    ("fields", "status", "message"),
    [
        ({"more": "长" * 501}, 400, "补充说明最多 500 字"),
        ({"more": "灯杆也歪了", "csrf_token": "stale"}, 400, "页面停留太久已过期"),
        ({"more": ""}, 400, "请写几句补充说明"),
    ],
)
def test_bad_additions_keep_what_was_typed(client, db, opinion, fields, status, message):
    page = add(client, **fields)
    assert page.status_code == status and message in text(page)
    if fields["more"]:
        assert fields["more"] in text(page)
    assert db.execute("select count(*) from opinion_additions").fetchone()[0] == 0


def test_a_12_mb_photo_is_refused_before_it_is_decoded(client, db, opinion):
    page = add(client, more="照片在这里", photos=[b"\xff\xd8\xff" + bytes(12 * 1024 * 1024)])
    assert page.status_code == 400 and "照片太大了" in text(page)
    assert "照片在这里" in text(page) and "请重新选择照片" in text(page)
    assert db.execute("select count(*) from photos").fetchone()[0] == 0


def test_photos_added_stay_within_three(client, db, opinion):
    assert add(client, photos=[phone_jpeg(400, 300)] * 2).status_code == 303
    page = add(client, more="再补两张", photos=[phone_jpeg(400, 300)] * 2)
    assert page.status_code == 400 and "这次最多还能选 1 张" in text(page)
    assert "再补两张" in text(page)


def test_a_closed_opinion_takes_no_addition(client, db, opinion):
    db.execute(
        "update opinions set status = 'answered', answer = '已修好', "
        "answered_at = '2026-03-02T09:00:00+08:00' where id = ?",
        [opinion],
    )
    assert "提交补充" not in text(client.get(f"/t/{RECEIPT}"))
    page = text(client.get(f"/t/{RECEIPT}"))
    data = {"csrf_token": csrf_of(page), "submission_token": "x" * 20, "more": "还没修好"}
    refused = client.post(f"/t/{RECEIPT}/more", data=data)
    assert refused.status_code == 409 and "不能再补充" in text(refused)
