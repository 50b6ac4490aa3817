"""Shared fixtures: each test gets its own instance folder and database."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

import pytest

from feedback import create_app
from feedback.db import connect, migrate

ROOT = Path(__file__).resolve().parent.parent
BASE_URL = "https://feedback.example.gov.cn"


@pytest.fixture
def instance(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh instance folder, used by the app and by `feedback` subprocesses alike."""
    folder = tmp_path / "instance"
    monkeypatch.setenv("FEEDBACK_INSTANCE", str(folder))
    monkeypatch.setenv("FEEDBACK_BASE_URL", BASE_URL)
    monkeypatch.delenv("FEEDBACK_DATABASE", raising=False)
    monkeypatch.delenv("SECRET_KEY", raising=False)
    return folder


@pytest.fixture
def app(instance: Path):
    app = create_app({"TESTING": True, "SECRET_KEY": "test"})
    db = connect(app.config["FEEDBACK_DATABASE"])
    migrate(db)
    db.close()
    return app


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def db(app):
    database = connect(app.config["FEEDBACK_DATABASE"])
    yield database
    database.close()


def feedback_cli(
    *args: str, cwd: Path | None = None, env: dict | None = None, stdin: str | None = None
) -> subprocess.CompletedProcess:
    """Run the installed `feedback` console script as an admin would."""
    script = Path(sys.executable).with_name("feedback")
    return subprocess.run(
        [str(script), *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        input=stdin,
        env={**os.environ, **(env or {})},
        timeout=300,
    )


WECHAT_UA = (
    "Mozilla/5.0 (Linux; Android 10; V2001A Build/QP1A.190711.020; wv) AppleWebKit/537.36 "
    "(KHTML, like Gecko) Version/4.0 Chrome/107.0.5304.141 Mobile Safari/537.36 XWEB/5023 "
    "MMWEBSDK/20230701 MMWEBID/1234 MicroMessenger/8.0.40.2420(0x28002851) WeChat/arm64 "
    "Weixin NetType/4G Language/zh_CN ABI/arm64"
)


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def live_server(instance: Path):
    """The real thing: `feedback serve` (gunicorn workers) on a loopback port."""
    import time
    import urllib.request

    assert feedback_cli("init").returncode == 0
    port = _free_port()
    script = Path(sys.executable).with_name("feedback")
    log = (instance / "server.log").open("w")
    process = subprocess.Popen(
        [str(script), "serve", "--port", str(port)],
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            with urllib.request.urlopen(url + "/healthz", timeout=2) as response:
                if response.status == 200:
                    break
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError((instance / "server.log").read_text()) from None
            time.sleep(0.2)
    yield url
    os.killpg(process.pid, signal.SIGTERM)
    process.wait(timeout=30)
    log.close()


def _descendants(pid: int) -> list[int]:
    """Every live process below pid, read from /proc."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            parent = int(stat.rsplit(")", 1)[1].split()[1])
            children.setdefault(parent, []).append(int(entry.name))
    found, queue = [], [pid]
    while queue:
        below = children.get(queue.pop(), [])
        found += below
        queue += below
    return found


@contextmanager
def killed_if_stuck(seconds: float) -> Iterator[None]:
    """SIGKILL every process this test process started if the block has not ended within
    `seconds`. Playwright's driver and Chromium sometimes fail to exit at the end of a
    session (microsoft/playwright#39753); killing them lets the block end."""
    done = threading.Event()

    def watch() -> None:
        if not done.wait(seconds):
            for pid in _descendants(os.getpid()):
                with suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)

    threading.Thread(target=watch, name="teardown-watch", daemon=True).start()
    try:
        yield
    finally:
        done.set()


@pytest.fixture(scope="session")
def browser():
    """Debian's Chromium, headless, driven by Playwright (its own browser download is not used)."""
    from playwright.sync_api import Error, sync_playwright

    playwright = sync_playwright().start()
    chromium = playwright.chromium.launch(
        executable_path="/usr/bin/chromium",
        args=[
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
        ],
    )
    yield chromium
    with killed_if_stuck(60):
        with suppress(Error):  # the driver was killed: the browser is gone with it
            chromium.close()
        playwright.stop()


@pytest.fixture
def phone(browser):
    """A 360x640 phone page with WeChat's user agent and Chinese locale."""
    context = browser.new_context(
        viewport={"width": 360, "height": 640},
        user_agent=WECHAT_UA,
        locale="zh-CN",
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
    )
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def clerk_page(browser, live_server):
    """A clerk of 甲镇 (jia-clerk) signed in to the demo, in a desktop-sized window."""
    assert feedback_cli("demo").returncode == 0
    added = feedback_cli(
        "user",
        "add",
        "jia-clerk",
        "--role",
        "clerk",
        "--town",
        "甲镇",
        "--password-stdin",
        stdin="correct horse\n",
    )
    assert added.returncode == 0, added.stderr
    context = browser.new_context(viewport={"width": 1200, "height": 900}, locale="zh-CN")
    page = context.new_page()
    sign_in_page(page, live_server, "jia-clerk")
    yield page
    context.close()


def sign_in_page(page, live_server: str, username: str, password: str = "correct horse"):
    """Sign a browser page in at the staff login, as a person types it."""
    page.goto(f"{live_server}/admin/")
    page.fill("#username", username)
    page.fill("#password", password)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server}/admin/**")


STAFF_PASSWORD = "correct horse"


def csrf_of(html: str) -> str:
    """The CSRF token a page's form carries, as a browser would send it back."""
    import re

    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)


def sign_in(client, username: str, password: str = STAFF_PASSWORD):
    """Sign a staff member in through the login form."""
    page = client.get("/admin/login").get_data(as_text=True)
    data = {"username": username, "password": password, "csrf_token": csrf_of(page)}
    return client.post("/admin/login", data=data)


TWO_TOWNS = (
    {"id": 1, "code": "ll-01", "name": "六龙村议事亭", "town": "甲镇", "village": "六龙村"},
    {"id": 2, "code": "dt-01", "name": "大塘村联络站", "town": "甲镇", "village": "大塘村"},
    {"id": 3, "code": "yz-01", "name": "乙镇公告栏", "town": "乙镇", "village": ""},
)


@pytest.fixture
def two_town_stations(db):
    """Two stations of 甲镇 (ids 1, 2) and one of 乙镇 (id 3)."""
    db["stations"].insert_all(TWO_TOWNS)
    return TWO_TOWNS
