"""Load and crash tests against the real server: `feedback serve`, gunicorn gthread workers.

Clients behave like phones (tests/http_client.py): GET the form with a cookie jar, read the
csrf and submission tokens, POST multipart. Every submission carries a unique body, so the
database can be matched one-to-one against what the clients were told. All traffic goes to
127.0.0.1; every loop is bounded in count and in time.
"""

from __future__ import annotations

import io
import os
import re
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
import urllib.request
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from PIL import Image

from tests.conftest import feedback_cli
from tests.http_client import Phone

pytestmark = pytest.mark.slow

STATION = "liulong-ting"  # one of `feedback demo`'s stations
# All load comes from 127.0.0.1, far above what one village may send in an hour; the last
# test keeps the default limits and checks they hold under concurrency.
HIGH_LIMITS = (
    "\n# test_load: all load comes from 127.0.0.1\n"
    "FEEDBACK_LIMIT_PER_ADDRESS = 10**9\n"
    "FEEDBACK_LIMIT_PER_DEVICE = 10**9\n"
    "FEEDBACK_LIMIT_NO_COOKIE = 10**9\n"
)
SERVER_ERRORS = re.compile(r'HTTP/1\.[01]" 5\d\d |Traceback|database is locked|SQLITE_BUSY')


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """`feedback serve` on a free loopback port, in a process group of its own."""

    def __init__(self, instance: Path) -> None:
        self.instance = instance
        self.process: subprocess.Popen | None = None
        self.url = ""
        self.starts = 0

    @property
    def log_path(self) -> Path:
        return self.instance / f"server-{self.starts}.log"

    def start(self) -> str:
        self.starts += 1
        port = _free_port()
        script = Path(sys.executable).with_name("feedback")
        with self.log_path.open("w") as log:
            self.process = subprocess.Popen(
                [str(script), "serve", "--port", str(port)],
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self.url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(self.url + "/healthz", timeout=2) as response:
                    if response.status == 200:
                        return self.url
            except OSError:
                pass
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.kill()
                raise RuntimeError(self.log_path.read_text())
            time.sleep(0.2)

    def kill(self) -> None:
        """SIGKILL the whole group: master and every worker, no chance to finish anything."""
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
        if self.process:
            self.process.wait(timeout=30)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.kill()

    def errors_in_logs(self) -> list[str]:
        return [
            line
            for start in range(1, self.starts + 1)
            for line in (self.instance / f"server-{start}.log").read_text().splitlines()
            if SERVER_ERRORS.search(line)
        ]


def _serve(instance: Path, extra_config: str):
    assert feedback_cli("init").returncode == 0
    with (instance / "config.py").open("a", encoding="utf-8") as config:
        config.write(extra_config)
    assert feedback_cli("demo").returncode == 0
    running = Server(instance)
    running.start()
    yield running
    running.stop()


@pytest.fixture
def server(instance: Path):
    """The real server on a fresh instance with the demo stations and raised rate limits."""
    yield from _serve(instance, HIGH_LIMITS)


@pytest.fixture
def default_server(instance: Path):
    """The real server with the demo stations and the default rate limits."""
    yield from _serve(instance, "")


def stored(instance: Path) -> list[tuple[str, str]]:
    """(receipt as displayed, body) of every opinion, read straight from the database."""
    db = sqlite3.connect(f"file:{instance / 'feedback.db'}?mode=ro", uri=True, timeout=30)
    try:
        rows = db.execute("select receipt, body from opinions order by id").fetchall()
    finally:
        db.close()
    return [(f"{receipt[:4]}-{receipt[4:]}", body) for receipt, body in rows]


def resolve_all(url: str, receipts: list[str], clients: int = 16) -> Counter:
    """GET /t/<receipt> for every receipt; a Counter of (status, receipt shown on the page)."""

    def look(chunk: list[str]) -> Counter:
        seen: Counter = Counter()
        with Phone(url) as phone:
            for receipt in chunk:
                response = phone.get(f"/t/{receipt}")
                seen[(response.status, receipt in response.text)] += 1
        return seen

    chunks = [receipts[i::clients] for i in range(clients)]
    with ThreadPoolExecutor(clients) as pool:
        return sum(pool.map(look, chunks), Counter())


# -- 1. many phones at once -------------------------------------------------------------------

TOTAL = 1500
CLIENTS = 32
DOUBLE_EVERY = 30  # every 30th submission is a double tap: the same POST twice, concurrently;
# in every other one of them, the first of the two POSTs is a browser's (303), the other JSON
BROWSER_EVERY = 4  # every 4th follows the 303 like a browser; the others ask for JSON
NEW_PHONE_EVERY = 10  # a thread turns into another villager's phone (fresh cookies)


@dataclass
class Outcome:
    receipts: dict[int, str] = field(default_factory=dict)  # submission number -> receipt
    statuses: Counter = field(default_factory=Counter)
    doubles: list[tuple[list[int], list[str | None]]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    retries: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)


def opinion_text(number: int) -> str:
    return f"负载测试 第{number}条 村口路灯不亮,晚上走路看不见"


def _double_tap(
    phone: Phone, form, text: str, browser_first: bool
) -> tuple[list[int], list[str | None]]:
    """The same token and text POSTed twice at once from one phone on two connections."""
    twin = phone.twin()
    gate = threading.Barrier(2, timeout=10)
    results: list = [None, None]

    def send(slot: int, device: Phone) -> None:
        gate.wait()
        try:
            results[slot] = device.submit(STATION, form, text, as_json=slot or not browser_first)
        except Exception as error:  # reported by the caller
            results[slot] = error

    other = threading.Thread(target=send, args=(1, twin))
    other.start()
    send(0, phone)
    other.join(timeout=60)
    twin.close()
    if any(isinstance(result, BaseException | None) for result in results):
        raise RuntimeError(f"double tap failed: {results}")
    return [r.status for r in results], [r.receipt for r in results]


def _phone_thread(url: str, numbers: list[int], deadline: float, outcome: Outcome) -> None:
    phone = Phone(url)
    try:
        for done, number in enumerate(numbers):
            if time.monotonic() > deadline:
                with outcome.lock:
                    outcome.errors.append(f"#{number}: deadline passed")
                return
            if done and done % NEW_PHONE_EVERY == 0:
                with outcome.lock:
                    outcome.retries += phone.retries
                phone.close()
                phone = Phone(url)
            text = opinion_text(number)
            try:
                form = phone.open_form(STATION)
                if number % DOUBLE_EVERY == 0:
                    statuses, receipts = _double_tap(phone, form, text, number % 60 == 30)
                    with outcome.lock:
                        outcome.doubles.append((statuses, receipts))
                        outcome.statuses.update(statuses)
                        outcome.receipts[number] = receipts[0]
                    continue
                browser = number % BROWSER_EVERY == 1
                sent = phone.submit(STATION, form, text, as_json=not browser)
                problem = None
                if sent.receipt is None:
                    problem = f"{sent.status} {sent.response.text[:300]}"
                elif browser and (
                    sent.followed.status != 200 or sent.receipt not in sent.followed.text
                ):
                    problem = f"303 then {sent.followed.status} without the receipt"
            except Exception as error:  # every failure is collected and asserted
                problem = f"{type(error).__name__}: {error}"
                phone.close()
            with outcome.lock:
                if problem:
                    outcome.errors.append(f"#{number}: {problem}")
                else:
                    outcome.statuses[sent.status] += 1
                    outcome.receipts[number] = sent.receipt
    finally:
        with outcome.lock:
            outcome.retries += phone.retries
        phone.close()


def _watch_health(url: str, done: threading.Event, seen: Counter) -> None:
    """GET /healthz ten times a second while the load runs (at most 1,200 times)."""
    with Phone(url, timeout=10) as probe:
        for _ in range(1200):
            if done.wait(0.1):
                return
            try:
                seen[probe.get("/healthz").status] += 1
            except OSError as error:
                seen[type(error).__name__] += 1
                probe.close()


def test_concurrent_phones_each_get_exactly_one_stored_opinion(server: Server):
    outcome = Outcome()
    deadline = time.monotonic() + 120
    plan = [list(range(TOTAL))[i::CLIENTS] for i in range(CLIENTS)]
    started = time.monotonic()
    threads = [
        threading.Thread(target=_phone_thread, args=(server.url, numbers, deadline, outcome))
        for numbers in plan
    ]
    health: Counter = Counter()
    done = threading.Event()
    watcher = threading.Thread(target=_watch_health, args=(server.url, done, health))
    watcher.start()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=max(1.0, deadline - time.monotonic() + 30))
    seconds = time.monotonic() - started
    done.set()
    watcher.join(timeout=30)
    assert not any(thread.is_alive() for thread in threads)
    print(
        f"\nload: {TOTAL} submissions (GET form + POST) by {CLIENTS} phones in {seconds:.1f} s"
        f" = {TOTAL / seconds:.0f} submissions/s; statuses {dict(outcome.statuses)};"
        f" {len(outcome.doubles)} double taps; {outcome.retries} stale keep-alive retries;"
        f" /healthz meanwhile {dict(health)}"
    )

    assert outcome.errors == []
    assert set(health) == {200}, f"/healthz under load: {dict(health)}"
    assert sorted(outcome.receipts) == list(range(TOTAL))
    receipts = list(outcome.receipts.values())
    assert len(set(receipts)) == TOTAL

    assert len(outcome.doubles) == TOTAL // DOUBLE_EVERY
    for statuses, pair in outcome.doubles:
        assert pair[0] == pair[1], f"a double tap got two receipts: {pair}"
        if 303 not in statuses:  # JSON tells a replay (200) from a creation (201)
            assert sorted(statuses) == [200, 201], f"a double tap was not created once: {statuses}"

    rows = stored(server.instance)
    assert len(rows) == TOTAL
    assert dict((body, receipt) for receipt, body in rows) == {
        opinion_text(number): receipt for number, receipt in outcome.receipts.items()
    }

    started = time.monotonic()
    looked_up = resolve_all(server.url, receipts)
    print(f"status pages: {TOTAL} in {time.monotonic() - started:.1f} s: {dict(looked_up)}")
    assert looked_up == Counter({(200, True): TOTAL})
    assert server.errors_in_logs() == []


# -- 2. kill -9 in the middle of it -----------------------------------------------------------

CRASH_CLIENTS = 16
CRASH_AFTER = 3.0  # seconds of load before the whole process group gets SIGKILL
CRASH_MAX_PER_CLIENT = 1000
PHOTO_EVERY = 5
CRASH_CYCLES = 3  # load, kill -9, restart, check; three times on the same database


def small_jpeg() -> bytes:
    out = io.BytesIO()
    Image.effect_noise((120, 90), 40).convert("RGB").save(out, "JPEG", quality=80)
    return out.getvalue()


@dataclass
class Ledger:
    acknowledged: dict[str, str] = field(default_factory=dict)  # body -> receipt (201 in full)
    sent: list[str] = field(default_factory=list)  # every body a POST was started for
    failed_before_kill: list[str] = field(default_factory=list)
    failed_after_kill: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)


def _crash_client(
    url: str, client: str, killed: threading.Event, stop_at: float, ledger: Ledger
) -> None:
    photo = ("IMG_0001.jpg", small_jpeg())
    phone = Phone(url, timeout=10, retry_stale=False)
    try:
        for number in range(CRASH_MAX_PER_CLIENT):
            if killed.is_set() or time.monotonic() > stop_at:
                return
            if number % 5 == 0:
                phone.close()
                phone = Phone(url, timeout=10, retry_stale=False)
            text = f"崩溃测试 {client}号 第{number}条 垃圾没人清运,堆成山了"
            try:
                form = phone.open_form(STATION)
                with ledger.lock:
                    ledger.sent.append(text)
                sent = phone.submit(
                    STATION, form, text, photo=photo if number % PHOTO_EVERY == 0 else None
                )
                ok = sent.status == 201 and sent.receipt
                problem = None if ok else f"{sent.status} {sent.response.text[:200]}"
            except Exception as error:  # sorted into before/after the kill
                problem = f"{type(error).__name__}: {error}"
            with ledger.lock:
                if problem is None:
                    ledger.acknowledged[text] = sent.receipt
                elif killed.is_set():
                    ledger.failed_after_kill += 1
                    return
                else:
                    ledger.failed_before_kill.append(problem)
                    return
    finally:
        phone.close()


def _load_then_kill(server: Server, cycle: int, ledger: Ledger) -> int:
    """Run the crash clients, SIGKILL the server group mid-load; acknowledgements before it."""
    killed = threading.Event()
    stop_at = time.monotonic() + 60
    threads = [
        threading.Thread(
            target=_crash_client, args=(server.url, f"{cycle}-{n}", killed, stop_at, ledger)
        )
        for n in range(CRASH_CLIENTS)
    ]
    for thread in threads:
        thread.start()
    time.sleep(CRASH_AFTER)
    with ledger.lock:
        before = len(ledger.acknowledged)
    killed.set()  # set first: a failure from now on is the kill's doing
    server.kill()
    for thread in threads:
        thread.join(timeout=30)
    assert not any(thread.is_alive() for thread in threads)
    return before


def test_sigkill_mid_load_loses_nothing_acknowledged(server: Server):
    ledger = Ledger()
    for cycle in range(CRASH_CYCLES):
        acknowledged = len(ledger.acknowledged)
        before = _load_then_kill(server, cycle, ledger)
        assert ledger.failed_before_kill == []
        assert before - acknowledged > 100, "the load never got going"
        server.start()  # same instance, same database, a new port
        _check_nothing_acknowledged_is_lost(server, ledger)

    with Phone(server.url) as phone:
        after = phone.submit(STATION, phone.open_form(STATION), "重启之后 还能正常提交意见吗")
    assert after.status == 201
    assert server.errors_in_logs() == []


def _check_nothing_acknowledged_is_lost(server: Server, ledger: Ledger) -> None:
    rows = stored(server.instance)
    in_db = {body: receipt for receipt, body in rows}
    unacknowledged = set(ledger.sent) - set(ledger.acknowledged)
    db = sqlite3.connect(f"file:{server.instance / 'feedback.db'}?mode=ro", uri=True)
    try:
        assert db.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        assert db.execute("PRAGMA foreign_key_check").fetchall() == []
        files = {row[0] for row in db.execute("select filename from photos")}
    finally:
        db.close()
    on_disk = {
        path.relative_to(server.instance / "photos").as_posix()
        for path in (server.instance / "photos").glob("*/*.jpg")
    }
    print(
        f"\ncrash {server.starts - 1}: {len(ledger.acknowledged)} acknowledged so far, "
        f"{ledger.failed_after_kill} requests cut off by SIGKILL; of {len(unacknowledged)} "
        f"unacknowledged, {len(unacknowledged & in_db.keys())} were stored anyway; "
        f"{len(files)} photos, {len(on_disk - files)} orphan photo files"
    )
    assert len(in_db) == len(rows), "an opinion was stored twice"
    assert set(in_db) <= set(ledger.sent)
    lost = {
        body: receipt for body, receipt in ledger.acknowledged.items() if in_db.get(body) != receipt
    }
    assert lost == {}, f"{len(lost)} acknowledged opinions lost"
    assert files <= on_disk, "a stored photo has no file"

    looked_up = resolve_all(server.url, list(ledger.acknowledged.values()))
    assert looked_up == Counter({(200, True): len(ledger.acknowledged)})


# -- 3. the flood limits hold when the flood is concurrent ------------------------------------

LIMIT_PHONES = 40
LIMIT_TRIES = 12  # per phone: above the per-device limit (10), and 480 in all above 300


def test_rate_limits_hold_under_concurrency(default_server: Server):
    """Concurrent phones behind one address never get more than the hourly limits allow."""
    from feedback.config import DEFAULTS

    per_address, per_device = (
        DEFAULTS["FEEDBACK_LIMIT_PER_ADDRESS"],
        DEFAULTS["FEEDBACK_LIMIT_PER_DEVICE"],
    )
    assert LIMIT_PHONES * min(LIMIT_TRIES, per_device) > per_address

    def villager(number: int) -> Counter:
        seen: Counter = Counter()
        with Phone(default_server.url) as phone:
            for attempt in range(LIMIT_TRIES):
                form = phone.open_form(STATION)
                text = f"限流测试 {number}号 第{attempt}次 路灯不亮"
                sent = phone.submit(STATION, form, text)
                chinese = sent.status == 429 and "频繁" in sent.response.json()["error"]
                seen[(sent.status, chinese)] += 1
        return seen

    with ThreadPoolExecutor(32) as pool:
        per_phone = list(pool.map(villager, range(LIMIT_PHONES)))
    total = sum(per_phone, Counter())
    print(f"\nlimits: {LIMIT_PHONES} phones x {LIMIT_TRIES} tries from one address: {dict(total)}")
    assert total == Counter(
        {(201, False): per_address, (429, True): LIMIT_PHONES * LIMIT_TRIES - per_address}
    )
    assert all(seen[(201, False)] <= per_device for seen in per_phone)
    assert len(stored(default_server.instance)) == per_address
    assert default_server.errors_in_logs() == []
