"""The clerk's month, timed in actions: a scripted browser journey over 200 opinions of one
town about 80 problems (bench/workbench_month.py), from the inbox to every suggestion
handed over (issue 13).

A real server (`feedback serve`, gunicorn) on 127.0.0.1 and Debian's Chromium driven by
Playwright, headless. The clerk works as one would with the product's own lists: the groups
page (相似分组) first, the largest group at the top; they read a group, know which members
are about the group's problem (the script knows each opinion's problem, as the clerk knows
from reading it), fix the group with what the page offers, and merge it into a new
suggestion or into the one that problem already has. What no group holds is done from the
single opinions that remain. Medical-insurance questions are answered directly. Then every
suggestion is handed over: a department set and 交办.

Counted: clicks (a tick, a button, a link, a choice in a list), typed fields and page
loads (documents the browser loaded); an action is a click or a typed field. The script
uses whatever the version it runs against offers (it looks for the controls), so the same
journey measures the first workbench and the present one:

    .venv/bin/python bench/workbench.py                   # this checkout
    git worktree add /tmp/wb-before 25e7228
    .venv/bin/python bench/workbench.py --source /tmp/wb-before   # the first workbench
    .venv/bin/python bench/workbench.py --phone           # the same journey at 360 px

Goal (issue 13): at most 1.5 actions per opinion, no more than one page load per action.
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import workbench_month as month  # noqa: E402

PASSWORD = "bench-password-123"
WECHAT_UA = (
    "Mozilla/5.0 (Linux; Android 10; wv) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Version/4.0 Chrome/107.0 Mobile Safari/537.36 MicroMessenger/8.0.40 WeChat/arm64"
)


class Clerk:
    """A signed-in page that counts what the clerk does."""

    def __init__(self, page, url: str, truth: dict, db_path: Path):
        self.page, self.url, self.truth, self.db_path = page, url, truth, db_path
        self.counts = Counter()
        page.on("load", lambda _page: self.counts.update(["loads"]))

    def click(self, target) -> None:
        """A click; one that follows a link or submits a form waits for the page it loads."""
        self.counts["clicks"] += 1
        found = (self.page.locator(target) if isinstance(target, str) else target).first
        if found.evaluate("e => e.tagName === 'A' || e.type === 'submit'"):
            with self.page.expect_navigation(wait_until="load"):
                found.click()
        else:
            found.click()

    def choose(self, select, value: str) -> None:
        """A choice in a list; none when it already shows that choice."""
        found = (self.page.locator(select) if isinstance(select, str) else select).first
        if found.input_value() != value:
            self.counts["clicks"] += 1
            found.select_option(value)

    def type(self, target: str, text: str) -> None:
        self.counts["typed"] += 1
        self.page.locator(target).first.fill(text)

    def nav(self, path: str) -> None:
        """The header's link to a staff page (a click), unless the clerk is already there."""
        if self.page.url.split("?")[0] != self.url + path:
            link = self.page.locator(f"header a[href='{path}']")
            if not link.is_visible():  # a phone: the menu opens first
                self.click("header label[for=nav-open]")
            self.click(link)

    def values_in(self, within, selector: str) -> list[int]:
        found = within.locator(selector).evaluate_all("els => els.map(e => e.value)")
        return [int(v) for v in found]

    def values(self, selector: str) -> list[int]:
        found = self.page.eval_on_selector_all(selector, "els => els.map(e => e.value)")
        return [int(v) for v in found]

    def suggestion_of(self, problem) -> int | None:
        """The suggestion already holding an opinion of this problem (what the clerk
        remembers having made this afternoon)."""
        import sqlite3

        ids = [i for i, p in self.truth.items() if p == problem]
        with sqlite3.connect(self.db_path) as conn:
            marks = ",".join("?" * len(ids))
            row = conn.execute(
                f"select suggestion_id from suggestion_opinions where opinion_id in ({marks})",
                ids,
            ).fetchone()
        return row[0] if row else None

    def station_of(self, opinion_id: int) -> int:
        import sqlite3

        with sqlite3.connect(self.db_path) as conn:
            sql = "select station_id from opinions where id = ?"
            return conn.execute(sql, [opinion_id]).fetchone()[0]

    def pending(self) -> set[int]:
        import sqlite3

        with sqlite3.connect(self.db_path) as conn:
            return {r[0] for r in conn.execute("select id from opinions where status = 'new'")}


# --- Opinions -------------------------------------------------------------------------------
def answer(clerk: Clerk, ids: list[int], back: str) -> None:
    """Questions answered one by one on each opinion's page, then back to the list."""
    for opinion_id in ids:
        clerk.click(f"a[href='/admin/opinions/{opinion_id}']")
        clerk.type("#a-answer", month.ANSWER)
        clerk.click("form:has(#a-answer) button[type=submit]")
        clerk.nav(back)


def work_groups(clerk: Clerk) -> None:
    """The groups page, the top group each time, until no group is left."""
    page = clerk.page
    clerk.nav("/admin/groups")
    while True:
        group = page.locator("form.group, form.single").first
        if not group.count():
            if not page.locator("#to-singles").count():
                return
            clerk.click("#to-singles")  # the opinions in no group, each a card of one
            continue
        quick = group.locator(".members input[type=checkbox][name=ids]").count() > 0
        member_sel = ".members input[name=ids]" if quick else "input[name=ids]"
        members = clerk.values_in(group, member_sel)
        ticked = clerk.values_in(group, f"{member_sel}:checked") or members
        problem = Counter(clerk.truth[i] for i in ticked).most_common(1)[0][0]
        mine = [i for i in members if clerk.truth[i] == problem]
        if problem.answered:
            answer(clerk, mine[:1], "/admin/groups")  # the card is drawn anew after each
        elif quick:
            quick_group(clerk, group, members, set(ticked), problem)
        else:
            first_group(clerk, group, members, problem)
            clerk.nav("/admin/groups")


def quick_group(clerk: Clerk, group, members: list[int], ticked: set[int], problem) -> None:
    """The present groups page: untick, tick, pull in, merge into new or existing, in place."""
    for opinion_id in members:
        if (clerk.truth[opinion_id] == problem) != (opinion_id in ticked):
            clerk.click(group.locator(f".members input[value='{opinion_id}']"))
    for opinion_id in clerk.values_in(group, ".candidates input[name=ids]"):
        if clerk.truth[opinion_id] == problem:
            clerk.click(group.locator(f".candidates input[value='{opinion_id}']"))
    existing = clerk.suggestion_of(problem)
    if existing is None:
        clerk.click(group.locator("button[value=new]"))
        return
    offered = group.locator(f"button[name=into][value='{existing}']")
    if offered.count():
        clerk.click(offered)
    else:
        clerk.choose(group.locator("select[name=suggestion]"), str(existing))
        clerk.click(group.locator("button[value=into]"))


def first_group(clerk: Clerk, group, members: list[int], problem) -> None:
    """The first workbench: a group merges whole (wrong members taken out afterwards on the
    suggestion page), or the clerk ticks the right ones in the inbox, filtered by station."""
    wrong = [i for i in members if clerk.truth[i] != problem]
    existing = clerk.suggestion_of(problem)
    if existing is None and len(wrong) <= 3:
        clerk.click(group.locator("button[type=submit]"))
        clerk.click("#create")
        for opinion_id in wrong:
            clerk.click(f"form[action$='/remove/{opinion_id}'] button")
        return
    inbox_merge(clerk, [i for i in members if clerk.truth[i] == problem], problem, existing)


def inbox_merge(clerk: Clerk, ids: list[int], problem, existing: int | None) -> None:
    """Tick these (and every other pending one of the problem the list shows) in the inbox,
    then merge into a new or the existing suggestion."""
    show_in_inbox(clerk, ids[0])
    for opinion_id in clerk.values("#opinions input[name=ids]"):
        if clerk.truth[opinion_id] == problem:
            clerk.click(f"#opinions input[value='{opinion_id}']")
    if existing is None:
        clerk.click("#merge-new")
        clerk.click("#create")
    else:
        clerk.choose("select[name=suggestion]", str(existing))
        clerk.click("#merge-into")


def show_in_inbox(clerk: Clerk, opinion_id: int) -> None:
    """The inbox of pending opinions, filtered by the opinion's station unless it shows."""
    clerk.nav("/admin/opinions")
    if clerk.page.locator(f"#opinions a[href='/admin/opinions/{opinion_id}']").count():
        return
    clerk.choose("select[name=station]", str(clerk.station_of(opinion_id)))
    clerk.click("#filters button[type=submit]")


def work_singles(clerk: Clerk) -> None:
    """What no group held: each remaining pending opinion, with the others of its problem."""
    while pending := sorted(clerk.pending()):
        problem = clerk.truth[pending[0]]
        mine = [i for i in pending if clerk.truth[i] == problem]
        if problem.answered:
            for opinion_id in mine:
                show_in_inbox(clerk, opinion_id)
                answer(clerk, [opinion_id], "/admin/opinions")
        else:
            inbox_merge(clerk, mine, problem, clerk.suggestion_of(problem))


# --- Suggestions ----------------------------------------------------------------------------
def hand_over(clerk: Clerk) -> None:
    """Every suggestion to its department, 交办."""
    clerk.nav("/admin/suggestions/")
    if clerk.page.locator("#bulk").count():
        return bulk_hand_over(clerk)
    while True:
        rows = clerk.page.locator("#suggestions tr:has-text('待交办') a")
        if not rows.count():
            return
        clerk.click(rows.first)
        category = clerk.page.locator("#e-category").input_value()
        clerk.type("#department", month.DEPARTMENTS[category])
        clerk.click("#handling button[type=submit]")
        clerk.click("#advance button[type=submit]")
        clerk.nav("/admin/suggestions/")


def bulk_hand_over(clerk: Clerk) -> None:
    """The present list: filtered to one category's 待交办, all ticked, one department."""
    page = clerk.page
    for category, department in month.DEPARTMENTS.items():
        clerk.choose("#filters select[name=status]", "待交办")
        clerk.choose("#filters select[name=category]", category)
        clerk.click("#filters button[type=submit]")
        if not page.locator("#bulk input[name=ids]").count():
            continue
        clerk.click("#all")
        clerk.type("#bulk input[name=department]", department)
        clerk.click("#bulk button[value=assign]")


# --- The run --------------------------------------------------------------------------------
def serve(instance: Path, source: Path | None) -> tuple[subprocess.Popen, str]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    script = Path(sys.executable).with_name("feedback")
    log = (instance / "server.log").open("w")
    process = subprocess.Popen(
        [str(script), "serve", "--port", str(port)],
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
        env=env(instance, source),
        cwd=source or ROOT,  # gunicorn puts its working directory first on sys.path
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            with urllib.request.urlopen(url + "/healthz", timeout=2):
                return process, url
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError((instance / "server.log").read_text()) from None
            time.sleep(0.2)


def env(instance: Path, source: Path | None) -> dict:
    extra = {"FEEDBACK_INSTANCE": str(instance), "FEEDBACK_BASE_URL": "http://bench.invalid"}
    if source:
        extra["PYTHONPATH"] = str(source)
    return {**os.environ, **extra}


def cli(instance: Path, source: Path | None, *args: str, stdin: str | None = None) -> None:
    script = Path(sys.executable).with_name("feedback")
    done = subprocess.run(
        [str(script), *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=env(instance, source),
        cwd=source or ROOT,
    )
    if done.returncode:
        raise RuntimeError(f"feedback {' '.join(args)}: {done.stderr}")


def prepare(instance: Path, source: Path | None) -> dict:
    """The database of the month: stations, opinions, their vectors, a clerk, departments."""
    from feedback import clock
    from feedback.db import connect

    cli(instance, source, "init")
    db = connect(instance / "feedback.db")
    truth = month.load(db, month.month(), clock.now())
    for department in month.DEPARTMENTS.values():
        db["departments"].insert({"name": department})
    db.close()
    cli(instance, source, "embed")
    cli(instance, source, "user", "add", "clerk", "--role", "clerk", "--town", month.TOWN,
        "--password-stdin", stdin=PASSWORD + "\n")  # fmt: skip
    return truth


def journey(browser, url: str, truth: dict, db_path: Path, phone: bool) -> dict:
    size = {"width": 360, "height": 640} if phone else {"width": 1280, "height": 900}
    extra = {"user_agent": WECHAT_UA, "is_mobile": True, "has_touch": True} if phone else {}
    context = browser.new_context(viewport=size, locale="zh-CN", **extra)
    page = context.new_page()
    page.goto(f"{url}/admin/login")
    page.fill("#username", "clerk")
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{url}/admin/")
    clerk = Clerk(page, url, truth, db_path)
    phases = {}
    for name, phase in (
        ("groups", work_groups),
        ("singles", work_singles),
        ("hand over", hand_over),
    ):
        before, started = Counter(clerk.counts), time.monotonic()
        phase(clerk)
        phases[name] = (clerk.counts - before, time.monotonic() - started)
    context.close()
    return phases


def outcome(db_path: Path) -> dict:
    import sqlite3

    with sqlite3.connect(db_path) as conn:

        def one(sql: str) -> int:
            return conn.execute(sql).fetchone()[0]

        return {
            "pending": one("select count(*) from opinions where status = 'new'"),
            "merged": one("select count(*) from opinions where status = 'merged'"),
            "answered": one("select count(*) from opinions where status = 'answered'"),
            "suggestions": one("select count(*) from suggestions"),
            "handed over": one("select count(*) from suggestions where status = '已交办'"),
        }


def report(phases: dict, done: dict, opinions: int) -> None:
    print(f"opinions {opinions}: " + ", ".join(f"{k} {v}" for k, v in done.items()))
    print("|  | clicks | typed | actions | page loads | actions per opinion | loads per opinion |"
          " loads per action | seconds |")  # fmt: skip
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    total = (sum((c for c, _ in phases.values()), Counter()), sum(s for _, s in phases.values()))
    for name, (counts, seconds) in [*phases.items(), ("**total**", total)]:
        actions = counts["clicks"] + counts["typed"]
        print(
            f"| {name} | {counts['clicks']} | {counts['typed']} | {actions} | {counts['loads']} | "
            f"{actions / opinions:.2f} | {counts['loads'] / opinions:.2f} | "
            f"{counts['loads'] / max(actions, 1):.2f} | {seconds:.0f} |"
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", type=Path, help="serve this checkout (e.g. a git worktree)")
    parser.add_argument("--phone", action="store_true", help="a 360-px WeChat phone")
    args = parser.parse_args(argv)
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory(prefix="workbench-") as tmp:
        instance = Path(tmp) / "instance"
        truth = prepare(instance, args.source)
        process, url = serve(instance, args.source)
        try:
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(
                    executable_path="/usr/bin/chromium", args=["--no-sandbox", "--disable-gpu"]
                )
                phases = journey(browser, url, truth, instance / "feedback.db", args.phone)
                browser.close()
        finally:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=30)
        done = outcome(instance / "feedback.db")
    report(phases, done, len(truth))
    return 0 if done["pending"] == 0 and done["handed over"] == done["suggestions"] else 1


if __name__ == "__main__":
    sys.exit(main())
