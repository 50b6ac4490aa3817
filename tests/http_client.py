"""A phone-like HTTP client for load tests and benchmarks, standard library only.

`Phone` does what WeChat's browser does with the station form: GET /s/<code> (keeping the
session and fb_device cookies in an `http.cookiejar.CookieJar`), read the hidden
csrf_token and submission_token, POST multipart/form-data like a browser (an empty photos
part when no photo is chosen), either with `Accept: application/json` or browser-style
following the 303. One keep-alive connection per phone; it only ever talks to a loopback
address, and every request has a socket timeout.
"""

from __future__ import annotations

import http.client
import http.cookiejar
import json
import secrets
import time
import urllib.request
from dataclasses import dataclass
from html.parser import HTMLParser
from urllib.parse import urlsplit

LOOPBACK = ("127.0.0.1", "::1", "localhost")
WECHAT_UA = (
    "Mozilla/5.0 (Linux; Android 10; V2001A Build/QP1A.190711.020; wv) AppleWebKit/537.36 "
    "(KHTML, like Gecko) Version/4.0 Chrome/107.0.5304.141 Mobile Safari/537.36 XWEB/5023 "
    "MMWEBSDK/20230701 MicroMessenger/8.0.40.2420(0x28002851) WeChat/arm64 Weixin NetType/4G"
)
HTML_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
# The connection broke before any byte of a response came back: on a reused keep-alive
# connection that usually means the server had closed it while idle, and browsers retry.
STALE = (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError)


class _LoopbackPolicy(http.cookiejar.DefaultCookiePolicy):
    """Send Secure cookies to a loopback server over plain HTTP, as browsers do for 127.0.0.1."""

    def return_ok_secure(self, cookie, request) -> bool:
        if urlsplit(request.get_full_url()).hostname in LOOPBACK:
            return True
        return super().return_ok_secure(cookie, request)


def new_jar() -> http.cookiejar.CookieJar:
    return http.cookiejar.CookieJar(policy=_LoopbackPolicy())


@dataclass
class Response:
    status: int
    headers: http.client.HTTPMessage
    body: bytes
    header_bytes: int  # status line and headers as sent (reconstructed), with the blank line
    seconds: float

    def json(self):
        return json.loads(self.body)

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")


@dataclass(frozen=True)
class Form:
    csrf_token: str
    submission_token: str
    response: Response


@dataclass
class Submission:
    status: int
    receipt: str | None  # as shown to the villager (ABCD-EFGH); None when not acknowledged
    response: Response
    followed: Response | None = None  # the status page after a browser-style 303


class _Inputs(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.values: dict[str, str] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "input":
            found = dict(attrs)
            if found.get("name"):
                self.values.setdefault(found["name"], found.get("value") or "")


def form_inputs(html: str) -> dict[str, str]:
    parser = _Inputs()
    parser.feed(html)
    return parser.values


def multipart(
    fields: list[tuple[str, str]], files: list[tuple[str, str, str, bytes]] = ()
) -> tuple[bytes, str]:
    """A multipart/form-data body as a browser builds it; files are (field, name, type, data)."""
    boundary = "----WebKitFormBoundary" + secrets.token_hex(8)
    parts = []
    for name, value in fields:
        parts.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'.encode()
            + value.encode("utf-8")
            + b"\r\n"
        )
    for name, filename, content_type, data in files:
        parts.append(
            (
                f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; '
                f'filename="{filename}"\r\nContent-Type: {content_type}\r\n\r\n'
            ).encode()
            + data
            + b"\r\n"
        )
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


class Phone:
    """One villager's phone: a cookie jar and one keep-alive connection to a loopback server."""

    def __init__(
        self,
        base_url: str,
        *,
        timeout: float = 15.0,
        jar: http.cookiejar.CookieJar | None = None,
        retry_stale: bool = True,
    ) -> None:
        parts = urlsplit(base_url)
        if parts.scheme != "http" or parts.hostname not in LOOPBACK:
            raise ValueError(f"only plain HTTP to a loopback address, not {base_url}")
        self.base_url = base_url.rstrip("/")
        self.host, self.port = parts.hostname, parts.port or 80
        self.timeout = timeout
        self.jar = jar if jar is not None else new_jar()
        self.retry_stale = retry_stale
        self.retries = 0
        self._conn: http.client.HTTPConnection | None = None

    def twin(self) -> Phone:
        """The same phone (same cookies) on a second connection, as a double tap may use."""
        return Phone(
            self.base_url, timeout=self.timeout, jar=self.jar, retry_stale=self.retry_stale
        )

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def __enter__(self) -> Phone:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def request(
        self, method: str, path: str, body: bytes | None = None, headers: dict | None = None
    ) -> Response:
        request = urllib.request.Request(self.base_url + path, method=method)
        self.jar.add_cookie_header(request)
        sent = {
            "User-Agent": WECHAT_UA,
            "Accept": HTML_ACCEPT,
            "Accept-Language": "zh-CN,zh;q=0.9",
            **(headers or {}),
            **dict(request.header_items()),
        }
        for attempt in range(2):
            reused = self._conn is not None
            if self._conn is None:
                self._conn = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
            started = time.monotonic()
            try:
                self._conn.request(method, path, body=body, headers=sent)
                response = self._conn.getresponse()
                data = response.read()
            except STALE:
                self.close()
                if reused and attempt == 0 and self.retry_stale:
                    self.retries += 1
                    continue
                raise
            except BaseException:
                self.close()
                raise
            seconds = time.monotonic() - started
            if response.will_close:
                self.close()
            self.jar.extract_cookies(response, request)
            header_bytes = len(f"HTTP/1.1 {response.status} {response.reason}\r\n\r\n") + sum(
                len(f"{name}: {value}\r\n".encode()) for name, value in response.headers.items()
            )
            return Response(response.status, response.headers, data, header_bytes, seconds)
        raise AssertionError("unreachable")

    def get(self, path: str, headers: dict | None = None) -> Response:
        return self.request("GET", path, headers=headers)

    def open_form(self, code: str) -> Form:
        response = self.get(f"/s/{code}")
        if response.status != 200:
            raise RuntimeError(f"GET /s/{code}: {response.status} {response.text[:200]}")
        inputs = form_inputs(response.text)
        return Form(inputs["csrf_token"], inputs["submission_token"], response)

    def submit(
        self,
        code: str,
        form: Form,
        body: str,
        *,
        as_json: bool = True,
        follow: bool = True,
        category: str = "",
        photo: tuple[str, bytes] | None = None,
    ) -> Submission:
        """POST the form; a receipt only when the server acknowledged it in full."""
        fields = [
            ("csrf_token", form.csrf_token),
            ("submission_token", form.submission_token),
            ("body", body),
            ("category", category),
        ]
        filename, data = photo or ("", b"")
        files = [("photos", filename, "image/jpeg" if photo else "application/octet-stream", data)]
        fields += [("name", ""), ("phone", ""), ("website", "")]
        payload, content_type = multipart(fields, files)
        headers = {
            "Content-Type": content_type,
            "Origin": self.base_url,
            "Referer": f"{self.base_url}/s/{code}",
        }
        if as_json:
            headers["Accept"] = "application/json"
        response = self.request("POST", f"/s/{code}", payload, headers)
        if as_json:
            receipt = response.json().get("receipt") if response.status in (200, 201) else None
            return Submission(response.status, receipt, response)
        if response.status != 303:
            return Submission(response.status, None, response)
        location = urlsplit(response.headers["Location"]).path
        receipt = location.rsplit("/", 1)[-1]
        followed = self.get(location) if follow else None
        return Submission(response.status, receipt, response, followed)
