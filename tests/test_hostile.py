"""A corpus of hostile submissions to /s/<code>: each gets its expected answer, never a 500.

Every case is run twice: on its own (parametrised, for readable reports) and all in a row in
one app (`test_the_whole_corpus_then_the_service_still_serves`), after which the service must
still be healthy, still take a normal submission, and still resolve every receipt it issued.
A case with `bug=` is a known defect: xfail (strict) on its own, reported if it starts passing.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from urllib.parse import quote, urlencode

import pytest
from PIL import Image

from tests.helpers_intake import (
    CHINESE,
    CODE,
    OPINION,
    RECEIPT_URL,
    add_station,
    alert,
    all_files,
    field_error,
    form_tokens,
    image_bytes,
    input_value,
    jpeg_bytes,
    make_app,
    multipart,
    photo_files,
    png_bomb,
    post_opinion,
    receipt_of,
    text,
    textarea,
)

MAX_CONTENT = 4 * 1024 * 1024
MAX_PHOTO = 1024 * 1024
PER_DEVICE = 3
CONFIG = {
    "PROPAGATE_EXCEPTIONS": False,  # an unexpected error is a 500 response, as in production
    "MAX_CONTENT_LENGTH": MAX_CONTENT,
    "FEEDBACK_MAX_PHOTO_BYTES": MAX_PHOTO,
    "FEEDBACK_LIMIT_PER_DEVICE": PER_DEVICE,
    "FEEDBACK_LIMIT_PER_ADDRESS": 10_000,
    "FEEDBACK_LIMIT_NO_COOKIE": 10_000,
}
PHOTO_NAME = re.compile(r"^[0-9a-f]{2}/[0-9a-f]{32}\.jpg$")


class Probe:
    """One case's view of the service: its own phone (cookies, address) and what it stored."""

    def __init__(self, app, db, root: Path, address: str):
        self.app, self.db, self.root = app, db, root
        self.instance = Path(app.instance_path)
        self.client = app.test_client()
        self.client.environ_base["REMOTE_ADDR"] = address
        self.receipts: list[str] = []
        self._tokens: tuple[str, str] | None = None
        self.first_id = db.execute("select coalesce(max(id), 0) from opinions").fetchone()[0]
        self.files = all_files(root)
        self.photos = set(photo_files(self.instance))

    @property
    def tokens(self) -> tuple[str, str]:
        if self._tokens is None:
            self._tokens = form_tokens(self.client)
        return self._tokens

    @property
    def csrf(self) -> str:
        return self.tokens[0]

    def form(self, **fields):
        """The form as a browser sends it, with this phone's tokens unless given."""
        fields.setdefault("tokens", self.tokens)
        return post_opinion(self.client, **fields)

    def raw(self, body: bytes, content_type: str | None, as_json: bool = False):
        self.tokens  # noqa: B018 - the session cookie, as a phone that opened the form has
        headers = {"Accept": "application/json" if as_json else "text/html"}
        if content_type is None:
            return self.client.post(f"/s/{CODE}", data=body, headers=headers)
        return self.client.post(f"/s/{CODE}", data=body, content_type=content_type, headers=headers)

    def urlencoded(self, pairs: list[tuple[str, str]], as_json: bool = False):
        base = [("csrf_token", self.csrf), ("submission_token", self.tokens[1])]
        return self.raw(
            urlencode(base + pairs).encode(), "application/x-www-form-urlencoded", as_json
        )

    def multipart(self, parts: list[tuple], **kwargs):
        base = [("csrf_token", self.csrf), ("submission_token", self.tokens[1])]
        body, content_type = multipart(base + parts)
        return self.raw(body, content_type, **kwargs)

    def new_rows(self) -> list[dict]:
        return list(self.db["opinions"].rows_where("id > ?", [self.first_id], order_by="id"))

    def stored(self) -> dict:
        rows = self.new_rows()
        assert len(rows) == 1, f"expected one new opinion, got {len(rows)}"
        return rows[0]


@dataclass(frozen=True)
class Case:
    id: str
    expect: int
    send: Callable[[Probe], object]
    check: Callable[[Probe, object], None] | None = None
    bug: str | None = None
    as_json: bool = field(default=False)


CASES: list[Case] = []


def case(id: str, expect: int, check=None, bug: str | None = None, as_json: bool = False):
    def register(send):
        CASES.append(Case(id, expect, send, check, bug, as_json))
        return send

    return register


# --- checks shared by several cases --------------------------------------------------------


def stored_body(expected: str):
    def check(probe: Probe, response) -> None:
        assert probe.stored()["body"] == expected, probe.stored()["body"]

    return check


def escaped_on_status_page(raw: str, escaped: str):
    def check(probe: Probe, response) -> None:
        assert probe.stored()["body"] == raw
        page = text(probe.client.get(response.headers["Location"]))
        assert raw not in page, "raw markup on the status page"
        assert escaped in page, f"{escaped!r} not on the status page"

    return check


def photo_stored(count: int = 1):
    def check(probe: Probe, response) -> None:
        opinion = probe.stored()
        rows = list(probe.db["photos"].rows_where("opinion_id = ?", [opinion["id"]]))
        assert len(rows) == count
        for row in rows:
            assert PHOTO_NAME.match(row["filename"]), row["filename"]
            stored = Image.open(probe.instance / "photos" / row["filename"])
            assert stored.format == "JPEG" and not stored.getexif()
        assert not Path("/etc/passwd.jpg").exists() and not Path("/etc/cron.d/evil.jpg").exists()

    return check


def preserved(body: str, message: str | None = None, field_name: str = "body"):
    def check(probe: Probe, response) -> None:
        page = text(response)
        assert textarea(page) == body, "typed text lost"
        if message:
            assert message in (field_error(page, field_name) or alert(page) or ""), message

    return check


def photo_refused(probe: Probe, response) -> None:
    page = text(response)
    assert "请重新选择照片" in page
    assert textarea(page) == OPINION


# --- size ----------------------------------------------------------------------------------


@case("oversize-multipart-photo", 413, check=lambda p, r: "太大" in alert(text(r)))
def _(p):
    return p.form(photos=[(jpeg_bytes() + b"\0" * (MAX_CONTENT + 1000), "big.jpg")])


@case("oversize-urlencoded-text", 413)
def _(p):
    return p.urlencoded([("body", "字" * (MAX_CONTENT // 3 + 1000))])


@case("oversize-json-accept", 413, as_json=True)
def _(p):
    return p.form(photos=[(b"\xff" * (MAX_CONTENT + 10), "big.jpg")], as_json=True)


@case("text-field-over-form-memory", 413)
def _(p):
    return p.form(body="长" * 400_000)  # 1.2 MB in one multipart field


@case("text-100kb", 400, check=preserved("意" * 100_000, "最多 2000 字"))
def _(p):
    return p.form(body="意" * 100_000)


@case("photo-over-cap", 400, check=photo_refused)
def _(p):
    return p.form(photos=[(jpeg_bytes() + b"\0" * MAX_PHOTO, "padded.jpg")])


# --- encodings and control characters ------------------------------------------------------


@case(
    "invalid-utf8-in-multipart", 303, check=lambda p, r: "村口路灯坏了三个月" in p.stored()["body"]
)
def _(p):
    return p.multipart(
        [("body", b"\xff\xfe\xc3\x28" + "村口路灯坏了三个月".encode() + b"\xe6\x9d")]
    )


@case("invalid-utf8-raw-urlencoded", 400)
def _(p):
    body = urlencode({"csrf_token": p.csrf}).encode() + b"&body=" + b"\xff\xfe\xfd abcdefgh"
    return p.raw(body, "application/x-www-form-urlencoded")


@case("invalid-utf8-percent-encoded", 303, check=lambda p, r: "村口路灯" in p.stored()["body"])
def _(p):
    body = f"csrf_token={quote(p.csrf)}&body=%FF%FE%C3%28{quote('村口路灯坏了三个月')}"
    return p.raw(body.encode(), "application/x-www-form-urlencoded")


@case("nul-bytes-in-body", 303, check=stored_body("村口路灯坏了三个月"))
def _(p):
    return p.form(body="村口\x00路灯坏了\x00三个月\x00")


@case("nul-padding-leaves-4-chars", 400, check=preserved("路灯坏了", "请至少写 5 个字"))
def _(p):
    return p.form(body="\x00\x00路灯\x00坏了\x00\x00")


@case("terminal-escapes", 303, check=stored_body("[31m路灯坏了很久"))
def _(p):
    return p.form(body="\x1b[31m路灯坏了很久\x07\x08\x7f")


# --- markup and SQL ------------------------------------------------------------------------


@case(
    "xss-script-tag",
    303,
    check=escaped_on_status_page(
        "<script>alert(1)</script>村口路灯坏了", "&lt;script&gt;alert(1)&lt;/script&gt;"
    ),
)
def _(p):
    return p.form(body="<script>alert(1)</script>村口路灯坏了")


@case(
    "xss-img-onerror",
    303,
    check=escaped_on_status_page(
        '"><img src=x onerror=alert(1)>路灯坏了', "&lt;img src=x onerror=alert(1)&gt;"
    ),
)
def _(p):
    return p.form(body='"><img src=x onerror=alert(1)>路灯坏了')


def _no_javascript_link(p, r):
    assert p.stored()["body"] == "javascript:alert(document.cookie)//路灯坏了"
    page = text(p.client.get(r.headers["Location"]))
    assert not re.search(r"""(?:href|src)\s*=\s*["']?\s*javascript:""", page, re.I)


@case("xss-javascript-url", 303, check=_no_javascript_link)
def _(p):
    return p.form(body="javascript:alert(document.cookie)//路灯坏了")


def _textarea_not_broken(p, r):
    page = text(r)
    assert "</textarea><script>" not in page and "<script>alert(2)" not in page
    assert textarea(page) == "</textarea><script>alert(2)</script>路灯坏了"


@case("xss-textarea-breakout-on-rerender", 400, check=_textarea_not_broken)
def _(p):
    return p.form(body="</textarea><script>alert(2)</script>路灯坏了", phone="2345", consent="y")


def _attribute_not_broken(p, r):
    page = text(r)
    assert '"><script>' not in page
    assert input_value(page, "name") == '"><script>alert(3)</script>'
    assert field_error(page, "name") == "姓名最多 20 个字"


@case("xss-name-attribute-on-rerender", 400, check=_attribute_not_broken)
def _(p):
    return p.form(name='"><script>alert(3)</script>', consent="y")


@case("xss-name-stored", 303, check=lambda p, r: p.stored()["name"] == '"><svg onload=1>')
def _(p):
    return p.form(name='"><svg onload=1>', consent="y")


def _drop_table(p, r):
    assert p.stored()["body"] == "'); DROP TABLE opinions;--"
    assert p.db["opinions"].exists()


@case("sql-drop-table", 303, check=_drop_table)
def _(p):
    return p.form(body="'); DROP TABLE opinions;--")


@case("sql-or-true", 303, check=stored_body("' OR '1'='1"))
def _(p):
    return p.form(body="' OR '1'='1")


@case(
    "sql-in-submission-token",
    303,
    check=lambda p, r: p.stored()["submission_token"] == "x' OR 1=1; --",
)
def _(p):
    return p.form(tokens=(p.csrf, "x' OR 1=1; --"))


# --- photos --------------------------------------------------------------------------------


@case("text-file-named-jpg", 400, check=photo_refused)
def _(p):
    return p.form(photos=[(b"#!/bin/sh\nrm -rf /\n", "photo.jpg")])


@case("truncated-jpeg", 400, check=photo_refused)
def _(p):
    data = image_bytes("JPEG", (800, 600))
    return p.form(photos=[(data[: len(data) // 3], "cut.jpg")])


@case("gif", 400, check=photo_refused)
def _(p):
    return p.form(photos=[(image_bytes("GIF", (50, 50), "P", 1), "anim.gif", "image/gif")])


@case("svg-with-script", 400, check=photo_refused)
def _(p):
    svg = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
    return p.form(photos=[(svg, "x.svg", "image/svg+xml")])


@case("html-named-png", 400, check=photo_refused)
def _(p):
    return p.form(photos=[(b"<html><script>alert(1)</script></html>", "x.png", "image/png")])


@case("empty-photo-file", 400, check=photo_refused)
def _(p):
    return p.form(photos=[(b"", "empty.jpg")])


@cache
def _bomb() -> bytes:
    return png_bomb(20_000, 20_000)  # 400 megapixels in about 50 KB


@case("decompression-bomb-400mp", 400, check=photo_refused)
def _(p):
    assert len(_bomb()) < 100_000
    return p.form(photos=[(_bomb(), "bomb.png", "image/png")])


@cache
def _over_cap() -> bytes:
    return png_bomb(8_000, 7_000, bit_depth=8)  # 56 Mpx: over the app's 50 Mpx cap only


@case("over-the-pixel-cap-56mp", 400, check=photo_refused)
def _(p):
    return p.form(photos=[(_over_cap(), "wide.png", "image/png")])


@case("four-photos", 400, check=photo_refused)
def _(p):
    return p.form(photos=[jpeg_bytes((64, 64))] * 4)


@case("path-traversal-unix", 303, check=photo_stored())
def _(p):
    return p.form(photos=[(jpeg_bytes(), "../../etc/passwd.jpg")])


@case("path-traversal-windows", 303, check=photo_stored())
def _(p):
    return p.form(photos=[(jpeg_bytes(), "..\\..\\x.jpg")])


@case("absolute-filename", 303, check=photo_stored())
def _(p):
    return p.form(photos=[(jpeg_bytes(), "/etc/cron.d/evil.jpg")])


@case("nul-in-filename", 303, check=photo_stored())
def _(p):
    return p.multipart([("body", OPINION), ("photos", jpeg_bytes(), b"a.jpg\x00.php")])


@case("executable-content-type", 303, check=photo_stored())
def _(p):
    return p.form(photos=[(jpeg_bytes(), "shell.php", "application/x-httpd-php")])


def _polyglot(p, r):
    photo_stored()(p, r)
    for path in photo_files(p.instance):
        assert b"<?php" not in path.read_bytes()


@case("jpeg-php-polyglot", 303, check=_polyglot)
def _(p):
    return p.form(photos=[(jpeg_bytes() + b"<?php system($_GET['c']); ?>", "a.jpg")])


@case("png-16-bit-and-cmyk-jpeg", 303, check=photo_stored(2))
def _(p):
    return p.form(
        photos=[
            image_bytes("PNG", (64, 48), "I;16", 40000),
            image_bytes("JPEG", (64, 48), "CMYK", (0, 50, 100, 0)),
        ]
    )


# --- malformed multipart and wrong content types -------------------------------------------


@case("part-with-bogus-charset", 303, check=stored_body(OPINION))
def _(p):
    body, content_type = multipart([("csrf_token", p.csrf), ("body", OPINION)])
    body = body.replace(
        b'name="body"\r\n', b'name="body"\r\nContent-Type: text/plain; charset=x\r\n'
    )
    return p.raw(body, content_type)


@case("multipart-wrong-boundary", 400)
def _(p):
    body, _type = multipart([("csrf_token", p.csrf), ("body", OPINION)], b"BBBBBB")
    return p.raw(body, "multipart/form-data; boundary=AAAAAA")


@case("multipart-truncated", 400)
def _(p):
    body, content_type = multipart([("csrf_token", p.csrf), ("body", OPINION)])
    return p.raw(body[: len(body) - 40], content_type)


@case("multipart-missing-boundary", 400)
def _(p):
    body, _type = multipart([("csrf_token", p.csrf), ("body", OPINION)])
    return p.raw(body, "multipart/form-data")


@case("multipart-garbage", 400)
def _(p):
    return p.raw(bytes(range(256)) * 40, "multipart/form-data; boundary=xyz")


@case("text-plain", 400)
def _(p):
    return p.raw(f"csrf_token={p.csrf}&body={OPINION}".encode(), "text/plain")


@case("octet-stream", 400)
def _(p):
    return p.raw(b"\x00\x01\x02" * 1000, "application/octet-stream")


@case("xml", 400)
def _(p):
    return p.raw(
        b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>'
        b"<body>&e;</body>",
        "application/xml",
    )


@case("no-content-type", 400)
def _(p):
    return p.raw(f"csrf_token={p.csrf}&body={OPINION}".encode(), None)


@case("json-array", 400, as_json=True)
def _(p):
    return p.raw(b"[1, 2, 3]", "application/json", as_json=True)


@case("json-string", 400, as_json=True)
def _(p):
    return p.raw(b'"just a string"', "application/json", as_json=True)


@case("json-number-body", 400, as_json=True)
def _(p):
    return p.raw(
        f'{{"csrf_token": "{p.csrf}", "body": 1234567}}'.encode(), "application/json", as_json=True
    )


@case("json-number-phone", 400, as_json=True)
def _(p):
    body = f'{{"csrf_token": "{p.csrf}", "body": "{OPINION}", "phone": 13812345678}}'
    return p.raw(body.encode(), "application/json", as_json=True)


@case("json-lone-surrogate", 400, as_json=True)
def _(p):
    body = f'{{"csrf_token": "{p.csrf}", "body": "\\ud800{OPINION}"}}'
    return p.raw(body.encode(), "application/json", as_json=True)


@case("json-object-as-body", 400, as_json=True)
def _(p):
    body = f'{{"csrf_token": "{p.csrf}", "body": {{"a": 1, "b": 2, "c": 3, "d": 4, "e": 5}}}}'
    return p.raw(body.encode(), "application/json", as_json=True)


@case("json-broken", 400, as_json=True)
def _(p):
    return p.raw(b'{"body": "unterminated', "application/json", as_json=True)


# --- fields --------------------------------------------------------------------------------


@case("1500-fields-multipart", 413)
def _(p):
    return p.multipart([("body", OPINION)] + [(f"f{n}", "x") for n in range(1500)])


@case("1500-fields-urlencoded", 303, check=stored_body(OPINION))
def _(p):
    return p.urlencoded([("body", OPINION)] + [(f"f{n}", "x") for n in range(1500)])


@case("field-name-of-64kb", 303, check=stored_body(OPINION))
def _(p):
    return p.multipart([("body", OPINION), ("n" * 65_536, "x")])


@case("repeated-body", 303, check=stored_body("第一个正文:路灯坏了"))
def _(p):
    return p.urlencoded([("body", "第一个正文:路灯坏了"), ("body", "第二个正文:偷偷替换")])


@case("repeated-category", 303, check=lambda p, r: p.stored()["category"] == "pollution")
def _(p):
    return p.urlencoded([("body", OPINION), ("category", "pollution"), ("category", "evil")])


# --- unicode -------------------------------------------------------------------------------

UNICODE = {
    "rtl-override": "村口\u202e路灯坏了\u202c三个月",
    "zero-width-joiners": "👨\u200d👩\u200d👧\u200d👦 家门口的路灯坏了 🙏🏽",
    "emoji-only": "🙏🙏🙏🙏🙏",
    "combining-marks": "z\u0338\u0322\u031ba\u0336l\u0337g\u0335o\u0334 路灯坏了",
    "astral-cjk": "𠮷野家门口的路灯坏了",
}
for _name, _typed in UNICODE.items():
    case(f"unicode-{_name}", 303, check=stored_body(_typed))(
        lambda p, typed=_typed: p.form(body=typed)
    )


@case("zero-width-spaces-dropped", 303, check=stored_body("村口路灯坏了三个月"))
def _(p):
    return p.form(body="\ufeff村口\u200b路灯坏了\u2060三个月")


@case("only-zero-width-spaces", 400, check=preserved("", "请写下您的意见建议", "body"))
def _(p):
    return p.form(body="\u200b" * 5)


@case("ideographic-spaces-trimmed", 303, check=stored_body("路灯坏了很久"))
def _(p):
    return p.form(body="\u3000\u3000路灯坏了很久\u3000\n")


# --- phone, name, consent, category --------------------------------------------------------

BAD_PHONES = [
    "12345678901",
    "1381234567x",
    "13٨١٢٣٤٥٦٧٨",
    "138 1234 5678 转 2",
    "+86-138-1234-5678-9",
    "9" * 20,
    "-1",
    "13812345678\n13900000000",
    "<script>1</script>",
    "0086 13812345678",
]
for _number, _phone in enumerate(BAD_PHONES):
    case(f"bad-phone-{_number}", 400, check=preserved(OPINION, "11 位手机号码", "phone"))(
        lambda p, phone=_phone: p.form(phone=phone, consent="y")
    )


@case("phone-without-consent", 400, check=preserved(OPINION, "请勾选同意", "consent"))
def _(p):
    return p.form(phone="13812345678")


@case("name-of-21-characters", 400, check=preserved(OPINION, "姓名最多 20 个字", "name"))
def _(p):
    return p.form(name="欧阳" * 10 + "娜", consent="y")


CATEGORIES = ["other' OR '1'='1", "../../etc/passwd", "other\x00", "__proto__", "x" * 5000]
for _number, _category in enumerate(CATEGORIES):
    case(
        f"category-injection-{_number}",
        400,
        check=preserved(OPINION, "请从列表里选择类别", "category"),
    )(lambda p, category=_category: p.form(category=category))


@case("station-code-sql", 404)
def _(p):
    return p.client.post("/s/' OR '1'='1", data={"csrf_token": p.csrf, "body": OPINION})


@case("station-code-markup", 404)
def _(p):
    return p.client.post("/s/<script>alert(1)<%2Fscript>", data={"body": OPINION})


# --- tokens, honeypot, flood ---------------------------------------------------------------


@case("missing-csrf", 400, check=preserved(OPINION, "页面停留太久"))
def _(p):
    return p.form(csrf_token=None)


@case("forged-csrf", 400, check=preserved(OPINION, "页面停留太久"))
def _(p):
    return p.form(tokens=("IjAwMDAwMDAwMDAwMDAwMDAi.Z9Z9Z9.forgedsignature", p.tokens[1]))


@case("csrf-of-another-session", 400, check=preserved(OPINION, "页面停留太久"))
def _(p):
    return p.form(tokens=(form_tokens(p.app.test_client())[0], p.tokens[1]))


@case("honeypot-filled", 303, check=lambda p, r: p.stored()["status"] == "spam")
def _(p):
    return p.form(website="https://buy-followers.example")


def _flood_check(p, r):
    assert len(p.new_rows()) == PER_DEVICE
    assert textarea(text(r)) == "第四条:刷屏"


@case("flood-from-one-device", 429, check=_flood_check)
def _(p):
    for number in range(PER_DEVICE):
        response = p.form(body=f"第 {number} 条:刷屏刷屏", tokens=form_tokens(p.client))
        assert response.status_code == 303, response.status_code
        p.receipts.append(receipt_of(response))
    return p.form(body="第四条:刷屏", tokens=form_tokens(p.client))


# --- running a case ------------------------------------------------------------------------


def shown_message(page: str) -> str:
    """The alert of a re-rendered form, or the title of an error page."""
    title = re.search(r"<h2>(.*?)</h2>", page)
    return alert(page) or (title.group(1) if title else "")


def run(case: Case, app, db, root: Path, address: str, receipts: list[str]) -> None:
    """Send one case and check everything a villager and the operator would care about."""
    probe = Probe(app, db, root, address)
    response = case.send(probe)
    receipts.extend(probe.receipts)
    status = response.status_code
    body = response.get_data(as_text=True)
    assert status != 500, f"500 Internal Server Error: {body[:200]!r}"
    assert status == case.expect, f"status {status}, expected {case.expect}: {body[:300]!r}"
    if status in (201, 303):
        receipt = receipt_of(response)
        receipts.append(receipt)
        assert probe.client.get(f"/t/{receipt}").status_code == 200
        assert len(probe.new_rows()) == 1 + len(probe.receipts)
    else:
        if case.as_json:
            assert response.is_json and set(response.get_json()) == {"error", "fields"}
            assert CHINESE.search(response.get_json()["error"])
        else:
            assert response.mimetype == "text/html"
            assert CHINESE.search(shown_message(body)), "no Chinese message on the page"
        assert len(probe.new_rows()) == len(probe.receipts), "a refused request stored a row"
        assert set(photo_files(probe.instance)) <= probe.photos, "a refused request left a file"
    for path in all_files(root) - probe.files:
        allowed = path.is_relative_to(probe.instance / "photos") or (
            path.parent == probe.instance and path.name.startswith("feedback.db")
        )
        assert allowed, f"a file was written outside instance/photos: {path}"
    if case.check:
        case.check(probe, response)


@pytest.fixture
def hostile_app(db):
    add_station(db)
    return make_app(**CONFIG)


def _param(case: Case):
    marks = [pytest.mark.xfail(strict=True, reason=case.bug)] if case.bug else []
    return pytest.param(case, id=case.id, marks=marks)


def test_the_corpus_is_large_and_named_uniquely():
    ids = [case.id for case in CASES]
    assert len(ids) >= 40 and len(set(ids)) == len(ids)


@pytest.mark.parametrize("case", [_param(case) for case in CASES])
def test_hostile_input(case: Case, hostile_app, db, tmp_path):
    run(case, hostile_app, db, tmp_path, "10.0.0.1", [])


def test_the_whole_corpus_then_the_service_still_serves(hostile_app, db, tmp_path):
    receipts: list[str] = []
    failures, fixed = [], []
    for number, case in enumerate(CASES):
        try:
            run(case, hostile_app, db, tmp_path, f"10.1.{number // 250}.{number % 250}", receipts)
        except Exception as error:  # every failing case is reported, not only the first
            if not case.bug:
                first_line = (str(error).splitlines() or [""])[0]
                failures.append(f"{case.id}: {type(error).__name__}: {first_line}")
        else:
            if case.bug:
                fixed.append(case.id)
    assert not failures, f"{len(failures)} hostile case(s) failed:\n" + "\n".join(failures)
    assert not fixed, f"known bugs no longer happen, drop their bug= mark: {fixed}"

    client = hostile_app.test_client()
    assert client.get("/healthz").status_code == 200
    normal = post_opinion(client, body="事后一切正常:村口路灯还是坏的")
    assert normal.status_code == 303
    receipts.append(receipt_of(normal))
    assert len(receipts) >= 25
    lost = [r for r in receipts if client.get(f"/t/{r}").status_code != 200]
    assert not lost, f"receipts that no longer resolve: {lost}"
    assert all(RECEIPT_URL.match(f"/t/{r}") for r in receipts)
    folder = Path(hostile_app.instance_path) / "photos"
    names = [path.relative_to(folder).as_posix() for path in photo_files(folder.parent)]
    assert names and all(PHOTO_NAME.match(name) for name in names), names
    stored = {row["filename"] for row in db["photos"].rows}
    assert set(names) == stored, "photo files and photo rows disagree"
