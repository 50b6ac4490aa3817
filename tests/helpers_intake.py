"""Shared helpers for the intake tests: the station form as a villager's phone fills it in.

Everything here reads what a user sees (status codes, the re-rendered HTML, the JSON) or what
the service stored (rows, files), so the tests built on it can fail for the right reasons.
"""

from __future__ import annotations

import html
import io
import re
import struct
import zlib
from pathlib import Path
from typing import Any

from flask import Flask
from PIL import Image

from feedback import create_app
from feedback.db import connect, migrate

ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
RECEIPT = f"[{ALPHABET}]{{4}}-[{ALPHABET}]{{4}}"
RECEIPT_URL = re.compile(f"^/t/({RECEIPT})$")
CODE = "ll-01"
STATION = {"code": CODE, "name": "六龙村议事亭", "town": "甲镇", "village": "六龙村"}
OPINION = "村口路灯坏了三个月,晚上走路看不见,老人小孩都怕摔跤。"
GPS_IFD = 0x8825
CHINESE = re.compile(r"[\u4e00-\u9fff]")


# --- the app -------------------------------------------------------------------------------


def make_app(**config: Any) -> Flask:
    """An app on the (monkeypatched) instance folder, migrated, like conftest's `app`."""
    app = create_app({"TESTING": True, "SECRET_KEY": "test", **config})
    db = connect(app.config["FEEDBACK_DATABASE"])
    migrate(db)
    db.close()
    return app


def add_station(db, **fields: Any) -> dict:
    """Insert a station through the test's own connection and make sure it is committed."""
    pk = db["stations"].insert({**STATION, **fields}).last_pk
    if db.conn.in_transaction:
        db.conn.commit()
    return db["stations"].get(pk)


# --- reading pages -------------------------------------------------------------------------


def text(response) -> str:
    return response.get_data(as_text=True)


def hidden(page: str, name: str) -> str:
    match = re.search(rf'<input[^>]*name="{name}"[^>]*value="([^"]*)"', page)
    assert match, f"no hidden {name} in the page"
    return html.unescape(match.group(1))


def form_tokens(client, code: str = CODE) -> tuple[str, str]:
    """GET the station form as a phone does; returns (csrf_token, submission_token)."""
    response = client.get(f"/s/{code}")
    assert response.status_code == 200, response.status_code
    page = text(response)
    return hidden(page, "csrf_token"), hidden(page, "submission_token")


def textarea(page: str) -> str:
    match = re.search(r'<textarea id="body"[^>]*>(.*?)</textarea>', page, re.S)
    assert match, "no body textarea in the page"
    return html.unescape(match.group(1))


def input_value(page: str, name: str) -> str:
    match = re.search(rf'<input id="{name}" name="{name}"[^>]*value="([^"]*)"', page)
    assert match, f"no {name} input in the page"
    return html.unescape(match.group(1))


def selected_category(page: str) -> str | None:
    select = re.search(r'<select id="category".*?</select>', page, re.S)
    assert select, "no category select in the page"
    options = re.findall(r"<option\b[^>]*>", select.group(0))
    chosen = [
        re.search(r'value="([^"]*)"', o).group(1) for o in options if re.search(r"\sselected\b", o)
    ]
    assert len(chosen) <= 1, chosen
    return html.unescape(chosen[0]) if chosen else None


def consent_checked(page: str) -> bool:
    match = re.search(r'<input type="checkbox" name="consent"[^>]*>', page)
    assert match
    return "checked" in match.group(0)


def field_error(page: str, field: str) -> str | None:
    """The red message printed right under a field, or None."""
    match = re.search(rf'<p class="err" id="{field}-err">([^<]*)</p>', page)
    return html.unescape(match.group(1)) if match else None


def messages(page: str) -> list[str]:
    """Every alert and red error line on the page, in order."""
    return [html.unescape(m) for m in re.findall(r'class="(?:err|alert)"[^>]*>([^<]*)<', page)]


def alert(page: str) -> str | None:
    match = re.search(r'<p class="alert"[^>]*>(.*?)</p>', page, re.S)
    return html.unescape(re.sub(r"<[^>]+>", "", match.group(1))) if match else None


def receipt_of(response) -> str:
    """The receipt code of a successful submission (303 to /t/<receipt> or JSON)."""
    if response.status_code == 303:
        match = RECEIPT_URL.match(response.headers["Location"])
        assert match, response.headers["Location"]
        return match.group(1)
    assert response.status_code in (200, 201), response.status_code
    return response.get_json()["receipt"]


# --- posting -------------------------------------------------------------------------------


def post_opinion(
    client,
    code: str = CODE,
    *,
    as_json: bool = False,
    tokens: tuple[str, str] | None = None,
    photos: list | tuple = (),
    headers: dict | None = None,
    environ_base: dict | None = None,
    **fields: Any,
):
    """Fill in the form as a browser sends it (multipart) and submit it.

    Fields default to a valid opinion with fresh tokens; pass field=None to leave one out.
    photos: bytes, or (bytes, filename) or (bytes, filename, content type).
    """
    csrf, submission = tokens or form_tokens(client, code)
    data: dict[str, Any] = {
        "csrf_token": csrf,
        "submission_token": submission,
        "body": OPINION,
        "category": "",
        "name": "",
        "phone": "",
        "website": "",
    }
    data.update(fields)
    data = {key: value for key, value in data.items() if value is not None}
    files = []
    for photo in photos:
        if isinstance(photo, bytes):
            photo = (photo, "IMG_0001.jpg")
        raw, name, *kind = photo
        files.append((io.BytesIO(raw), name, *(kind or ["image/jpeg"])))
    data["photos"] = files or [(io.BytesIO(b""), "", "application/octet-stream")]
    all_headers = (
        {"Accept": "application/json"}
        if as_json
        else {"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"}
    )
    all_headers.update(headers or {})
    return client.post(
        f"/s/{code}",
        data=data,
        content_type="multipart/form-data",
        headers=all_headers,
        environ_base=environ_base or {},
    )


def multipart(parts: list[tuple], boundary: bytes = b"----fb7MA4YWxkTrZu0gW") -> tuple[bytes, str]:
    """Raw multipart bytes, so a test controls every byte (bad UTF-8, NUL in names...).

    parts: (name, value) or (name, value, filename) or (name, value, filename, type); name,
    value and filename may be str or bytes.
    """

    def raw(value: str | bytes) -> bytes:
        return value if isinstance(value, bytes) else value.encode()

    out = b""
    for part in parts:
        name, value, *rest = part
        out += b"--" + boundary + b"\r\n"
        disposition = b'Content-Disposition: form-data; name="' + raw(name) + b'"'
        if rest:
            disposition += b'; filename="' + raw(rest[0]) + b'"'
        out += disposition + b"\r\n"
        if rest:
            out += b"Content-Type: " + raw(rest[1] if len(rest) > 1 else "image/jpeg") + b"\r\n"
        out += b"\r\n" + raw(value) + b"\r\n"
    out += b"--" + boundary + b"--\r\n"
    return out, f"multipart/form-data; boundary={boundary.decode()}"


# --- images --------------------------------------------------------------------------------


def image_bytes(
    fmt: str = "JPEG",
    size: tuple[int, int] = (640, 480),
    mode: str = "RGB",
    color: Any = (200, 80, 40),
    **save: Any,
) -> bytes:
    out = io.BytesIO()
    Image.new(mode, size, color).save(out, fmt, **save)
    return out.getvalue()


def jpeg_bytes(size: tuple[int, int] = (640, 480), gps: bool = False) -> bytes:
    """A small JPEG; with gps=True it carries EXIF with a GPS position, checked here."""
    image = Image.new("RGB", size, (90, 140, 60))
    if not gps:
        return image_bytes("JPEG", size, color=(90, 140, 60))
    exif = Image.Exif()
    exif[0x010F] = "Xiaomi"
    exif.get_ifd(GPS_IFD).update({1: "N", 2: (22.0, 30.0, 0.0), 3: "E", 4: (108.0, 19.0, 0.0)})
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif)
    assert has_gps(out.getvalue())
    return out.getvalue()


def has_gps(data: bytes) -> bool:
    return bool(Image.open(io.BytesIO(data)).getexif().get_ifd(GPS_IFD))


def png_bomb(width: int, height: int, bit_depth: int = 1) -> bytes:
    """A valid greyscale PNG of width x height pixels, all black, that compresses to kilobytes."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    row = b"\0" * (1 + (width * bit_depth + 7) // 8)
    packer = zlib.compressobj(9)
    idat = b"".join(packer.compress(row) for _ in range(height)) + packer.flush()
    header = struct.pack(">IIBBBBB", width, height, bit_depth, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")
    )


# --- what was stored -----------------------------------------------------------------------


def opinions(db) -> list[dict]:
    return list(db["opinions"].rows_where(order_by="id"))


def photo_files(instance: Path) -> list[Path]:
    folder = instance / "photos"
    return sorted(p for p in folder.rglob("*") if p.is_file()) if folder.exists() else []


def all_files(root: Path) -> set[Path]:
    return {p for p in root.rglob("*") if p.is_file()}
