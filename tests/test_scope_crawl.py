"""A clerk of 甲镇 crawls every staff page; a clerk of 乙镇 then tries each URL.

Pages about one object must be 404 for the other town; list pages must not show a word of
甲镇's data. New staff pages are covered as soon as a link leads to them.
"""

import re
from collections import deque
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import pytest
from PIL import Image

from feedback import suggestions, users
from tests.conftest import sign_in

SECRETS = ("六龙村议事亭", "甲镇独有的路灯问题", "13812345678", "138****5678")


def crawl(client, start="/admin/") -> list[str]:
    seen, queue = {start}, deque([start])
    while queue and len(seen) < 300:
        url = queue.popleft()
        response = client.get(url)
        assert response.status_code == 200, url
        if response.mimetype != "text/html":
            continue
        for href in re.findall(r'(?:href|src)="([^"]+)"', response.get_data(as_text=True)):
            target = urljoin(url, href.replace("&amp;", "&"))
            if urlsplit(target).path.startswith("/admin/") and target not in seen:
                seen.add(target)
                queue.append(target)
    return sorted(seen)


@pytest.fixture
def two_towns(app, db, runner, tmp_path):
    db["stations"].insert_all([
        {"id": 1, "code": "ll-01", "name": "六龙村议事亭", "town": "甲镇", "village": "六龙村"},
        {"id": 2, "code": "yz-01", "name": "乙镇公告栏", "town": "乙镇", "village": ""},
    ])  # fmt: skip
    for username, town in (("jia", "甲镇"), ("yi", "乙镇")):
        users.add(db, username, "correct horse", "clerk", town)
    paper = tmp_path / "paper.csv"
    paper.write_text("内容,电话\n甲镇独有的路灯问题,13812345678\n", encoding="utf-8")
    assert (
        runner.invoke(args=["opinion", "import", str(paper), "--station", "ll-01"]).exit_code == 0
    )
    fields = {"title": "甲镇独有的路灯问题", "body": "甲镇独有的路灯问题", "category": "other",
              "tier": "一般"}  # fmt: skip
    suggestions.create(db, "甲镇", [1], fields, app.config["FEEDBACK_TIER_DAYS"], "jia")
    photo = Path(app.instance_path) / "photos" / "ab" / "x.jpg"
    photo.parent.mkdir(parents=True)
    Image.new("RGB", (4, 4)).save(photo, "JPEG")
    db["photos"].insert({"opinion_id": 1, "filename": "ab/x.jpg", "width": 4, "height": 4,
                         "bytes": 1, "created_at": "2026-03-01T00:00:00+08:00"})  # fmt: skip


def test_another_towns_clerk_sees_nothing_of_this_town(app, two_towns):
    jia, yi = app.test_client(), app.test_client()
    sign_in(jia, "jia")
    urls = crawl(jia)
    assert any("/admin/opinions/1" in u for u in urls) and any(
        "/admin/stations/1" in u for u in urls
    )
    sign_in(yi, "yi")
    for url in urls:
        response = yi.get(url)
        if re.search(r"/\d+(/|$|\.)", urlsplit(url).path):
            assert response.status_code == 404, url
        else:
            page = response.get_data(as_text=True)
            assert response.status_code in (200, 404), url
            assert not [s for s in SECRETS if s in page], url
