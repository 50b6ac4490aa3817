"""Submissions per second through gunicorn, as a phone sends them, beside a bare floor.

Each submission is what WeChat's browser does: GET /s/<code> (cookies kept), read the csrf
and submission tokens, POST the multipart form with `Accept: application/json` and read the
201 {"receipt", "status_url"}. N client threads (default 16) send a fixed number of them
(default 2,000 per server, in 4 alternating rounds) to

- ours: `feedback serve` (gunicorn with feedback/gunicorn_config.py) on a fresh instance
  with the demo stations, rate limits raised (all load comes from 127.0.0.1);
- the floor: bench/floor_app.py, bare Flask + sqlite3 insert, under the very same gunicorn
  settings file (same worker count, worker class and threads), on another loopback port.

Both run at the same time on this machine, driven by the same client code (tests/http_client.py)
in this process, which competes with them for the CPUs. Also reported: the bytes of the form
page (GET /s/<code> headers and body, first visit) and its gzip size when the server sends it
uncompressed. Run from the repository root: `.venv/bin/python bench/intake.py`.
"""

from __future__ import annotations

import argparse
import gzip
import os
import runpy
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.http_client import WECHAT_UA, Phone  # noqa: E402

GUNICORN_CONFIG = ROOT / "feedback" / "gunicorn_config.py"
STATION = "liulong-ting"  # one of `feedback demo`'s stations
HIGH_LIMITS = (
    "\n# bench/intake.py: all load comes from 127.0.0.1\n"
    "FEEDBACK_LIMIT_PER_ADDRESS = 10**9\n"
    "FEEDBACK_LIMIT_PER_DEVICE = 10**9\n"
    "FEEDBACK_LIMIT_NO_COOKIE = 10**9\n"
)
NEW_PHONE_EVERY = 5  # a client thread becomes another villager's phone (fresh cookies)
RUN_SECONDS = 100  # no load run may take longer than this


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """A gunicorn server in its own process group, logging into a file."""

    def __init__(self, name: str, command: list[str], env: dict, log: Path, port: int) -> None:
        self.name, self.command, self.env, self.log = name, command, env, log
        self.url = f"http://127.0.0.1:{port}"
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        with self.log.open("w") as out:
            self.process = subprocess.Popen(
                self.command,
                stdout=out,
                stderr=subprocess.STDOUT,
                env=self.env,
                start_new_session=True,
                cwd=ROOT,
            )
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(self.url + "/healthz", timeout=2) as response:
                    if response.status == 200:
                        return
            except OSError:
                pass
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"{self.name} did not start:\n{self.log.read_text()}")
            time.sleep(0.2)

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)


def start_ours(folder: Path) -> Server:
    instance = folder / "instance"
    env = {k: v for k, v in os.environ.items() if k not in ("FEEDBACK_DATABASE", "SECRET_KEY")}
    env.update(FEEDBACK_INSTANCE=str(instance), FEEDBACK_BASE_URL="https://feedback.example.gov.cn")
    feedback = str(Path(sys.executable).with_name("feedback"))
    subprocess.run([feedback, "init"], env=env, check=True, capture_output=True, timeout=120)
    with (instance / "config.py").open("a", encoding="utf-8") as config:
        config.write(HIGH_LIMITS)
    subprocess.run([feedback, "demo"], env=env, check=True, capture_output=True, timeout=120)
    port = free_port()
    server = Server(
        "ours", [feedback, "serve", "--port", str(port)], env, folder / "ours.log", port
    )
    server.start()
    return server


def start_floor(folder: Path) -> Server:
    sys.path.insert(0, str(ROOT / "bench"))
    import floor_app

    database = folder / "floor.db"
    floor_app.init_db(str(database))
    port = free_port()
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "-c",
        str(GUNICORN_CONFIG),
        "--chdir",
        str(ROOT / "bench"),
        "--bind",
        f"127.0.0.1:{port}",
        "floor_app:app",
    ]
    env = {**os.environ, "FLOOR_DATABASE": str(database)}
    server = Server("floor", command, env, folder / "floor.log", port)
    server.start()
    return server


@dataclass
class Run:
    submissions: int = 0
    seconds: float = 0.0
    latencies: list[float] = field(default_factory=list)  # one submission: GET + POST
    errors: Counter = field(default_factory=Counter)

    def add(self, other: Run) -> None:
        self.submissions += other.submissions
        self.seconds += other.seconds
        self.latencies += other.latencies
        self.errors.update(other.errors)

    @property
    def rate(self) -> float:
        return self.submissions / self.seconds if self.seconds else 0.0

    def percentile(self, p: float) -> float:
        if len(self.latencies) < 2:
            return 0.0
        return statistics.quantiles(self.latencies, n=100)[int(p) - 1] * 1000


def load(url: str, label: str, clients: int, count: int) -> Run:
    """`count` submissions by `clients` phones at once; returns what was acknowledged."""
    run = Run()
    lock = threading.Lock()
    numbers = iter(range(count))
    deadline = time.monotonic() + RUN_SECONDS

    def phone_thread() -> None:
        phone, sent = Phone(url), 0
        try:
            while time.monotonic() < deadline:
                with lock:
                    number = next(numbers, None)
                if number is None:
                    return
                if sent and sent % NEW_PHONE_EVERY == 0:
                    phone.close()
                    phone = Phone(url)
                sent += 1
                started = time.monotonic()
                try:
                    form = phone.open_form(STATION)
                    text = f"基准测试 {label} 第{number}条 村口路灯坏了三个月,晚上走路看不见"
                    result = phone.submit(STATION, form, text)
                    error = None if result.status == 201 and result.receipt else result.status
                except Exception as failure:  # counted and reported, never hidden
                    error = type(failure).__name__
                    phone.close()
                with lock:
                    if error is None:
                        run.submissions += 1
                        run.latencies.append(time.monotonic() - started)
                    else:
                        run.errors[error] += 1
        finally:
            phone.close()

    threads = [threading.Thread(target=phone_thread) for _ in range(clients)]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=RUN_SECONDS + 30)
    run.seconds = time.monotonic() - started
    if any(thread.is_alive() for thread in threads):
        raise RuntimeError(f"{label}: client threads did not finish in time")
    return run


@dataclass
class Page:
    header_bytes: int
    body_bytes: int
    encoding: str
    gzip_bytes: int | None  # gzip -6 of the body, when the server sent it uncompressed


def measure_page(url: str) -> Page:
    """The form page as a first-time phone receives it, byte for byte off the socket."""
    host, port = url.removeprefix("http://").split(":")
    request = (
        f"GET /s/{STATION} HTTP/1.1\r\nHost: {host}:{port}\r\nUser-Agent: {WECHAT_UA}\r\n"
        "Accept: text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8\r\n"
        "Accept-Encoding: gzip, deflate\r\nAccept-Language: zh-CN,zh;q=0.9\r\n"
        "Connection: close\r\n\r\n"
    )
    chunks = []
    with socket.create_connection((host, int(port)), timeout=10) as conn:
        conn.sendall(request.encode())
        for _ in range(1000):  # at most 64 MB; the page is a few KB
            chunk = conn.recv(65536)
            if not chunk:
                break
            chunks.append(chunk)
    raw = b"".join(chunks)
    head, _, body = raw.partition(b"\r\n\r\n")
    headers = {
        line.split(b":", 1)[0].strip().lower(): line.split(b":", 1)[1].strip()
        for line in head.split(b"\r\n")[1:]
    }
    if not head.startswith(b"HTTP/1.1 200"):
        raise RuntimeError(f"form page: {head[:100]!r}")
    encoding = headers.get(b"content-encoding", b"").decode() or "identity"
    if b"chunked" in headers.get(b"transfer-encoding", b""):
        raise RuntimeError("chunked form page: measure it another way")
    zipped = len(gzip.compress(body, 6)) if encoding == "identity" else None
    return Page(len(head) + 4, len(body), encoding, zipped)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=16, help="concurrent client threads")
    parser.add_argument("--count", type=int, default=2000, help="submissions per server")
    parser.add_argument("--rounds", type=int, default=4, help="alternating rounds per server")
    parser.add_argument("--warmup", type=int, default=64, help="unmeasured submissions first")
    args = parser.parse_args(argv)
    settings = runpy.run_path(str(GUNICORN_CONFIG))

    with tempfile.TemporaryDirectory(prefix="bench-intake-") as tmp:
        folder = Path(tmp)
        servers: list[Server] = []
        try:
            servers.append(start_ours(folder))
            servers.append(start_floor(folder))
            ours, floor = servers
            page = measure_page(ours.url)
            floor_page = measure_page(floor.url)
            for server in servers:
                load(server.url, f"{server.name}-warmup", args.clients, args.warmup)
            runs = {server.name: Run() for server in servers}
            per_round = max(1, args.count // args.rounds)
            for round_number in range(args.rounds):
                for server in servers if round_number % 2 == 0 else servers[::-1]:
                    label = f"{server.name}-{round_number}"
                    runs[server.name].add(load(server.url, label, args.clients, per_round))
        finally:
            for server in servers:
                server.stop()

    ours_run, floor_run = runs["ours"], runs["floor"]
    ratio = ours_run.rate / floor_run.rate if floor_run.rate else 0.0
    print(
        f"\nintake: {args.clients} client threads, {per_round * args.rounds} submissions per "
        f"server in {args.rounds} alternating rounds; each = GET /s/<code> + POST (JSON 201)\n"
        f"gunicorn for both: {settings['workers']} {settings['worker_class']} workers x "
        f"{settings['threads']} threads, {os.cpu_count()} CPUs shared with the client threads\n"
    )
    print(f"{'':18}{'submissions/s':>14}{'requests/s':>12}{'p50 ms':>9}{'p95 ms':>9}{'errors':>8}")
    for name, run in (("ours", ours_run), ("floor (bare)", floor_run)):
        print(
            f"{name:18}{run.rate:14.1f}{2 * run.rate:12.1f}{run.percentile(50):9.1f}"
            f"{run.percentile(95):9.1f}{sum(run.errors.values()):8d}"
        )
    verdict = "meets" if ratio >= 0.6 else "BELOW"
    print(f"{'ratio ours/floor':18}{ratio:14.0%}   ({verdict} the goal of >= 60%)\n")
    for name, measured in (("ours", page), ("floor", floor_page)):
        gz = (
            f"; not gzipped by the server, gzip -6 body {measured.gzip_bytes} B "
            f"(headers + gzip body {measured.header_bytes + measured.gzip_bytes} B)"
            if measured.gzip_bytes is not None
            else f"; sent as {measured.encoding}"
        )
        print(
            f"form page {name:5} GET /s/{STATION}: headers {measured.header_bytes} B + body "
            f"{measured.body_bytes} B = {measured.header_bytes + measured.body_bytes} B{gz}"
        )
    for name, run in (("ours", ours_run), ("floor", floor_run)):
        if run.errors:
            print(f"errors ({name}): {dict(run.errors)}")
    return 1 if ours_run.errors or floor_run.errors else 0


if __name__ == "__main__":
    sys.exit(main())
