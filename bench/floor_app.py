"""The floor for bench/intake.py: the least a Flask + SQLite intake can do.

GET /s/<code> returns a tiny form carrying the same two hidden tokens as the real one (so the
same client code drives both); POST /s/<code> reads the multipart form, inserts one row with
the standard sqlite3 module (WAL, synchronous=FULL so a commit is on disk before the reply, a
connection per request like the app) and answers 201 {"receipt", "status_url"}. No CSRF, no
sessions, no templates, no rate limits, no idempotency. GET /board/<town> is the public
board's floor (bench/board.py): a page (?page=N) of 20 of a town's suggestions as bare HTML.

bench/intake.py creates the database with `init_db` and then serves this module with the
app's own gunicorn settings:

    gunicorn -c feedback/gunicorn_config.py --chdir bench --bind 127.0.0.1:PORT floor_app:app

GET /rows is the floor of a page that reads (bench/dashboard.py): 50 rows of a trivial query
(the newest opinions, id, text and date) on one kept connection, as JSON. It runs on this
floor's table and on the real schema alike.
"""

from __future__ import annotations

import os
import secrets
import sqlite3
from datetime import UTC, datetime

from flask import Flask, jsonify, request

FORM = (
    '<!doctype html><meta charset="utf-8"><title>floor</title>'
    '<form method="post" enctype="multipart/form-data">'
    '<input type="hidden" name="csrf_token" value="{csrf}">'
    '<input type="hidden" name="submission_token" value="{token}">'
    '<textarea name="body"></textarea><button type="submit">提交</button></form>'
)


def init_db(path: str) -> None:
    """Create the table and switch to WAL once, before the workers start."""
    conn = sqlite3.connect(path)
    try:
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute(
            "create table if not exists opinions (id integer primary key, receipt text not null"
            " unique, station text not null, body text not null, category text not null,"
            " submission_token text, created_at text not null)"
        )
        conn.commit()
    finally:
        conn.close()


def _connect(path: str) -> sqlite3.Connection:
    conn = sqlite3.connect(path, timeout=30)
    conn.execute("PRAGMA synchronous=FULL")
    return conn


def create_app(database: str | None = None) -> Flask:
    app = Flask(__name__)
    path = database or os.environ.get("FLOOR_DATABASE", "floor.db")

    @app.get("/healthz")
    def healthz():
        return jsonify(status="ok")

    reader: list[sqlite3.Connection] = []

    @app.get("/rows")
    def rows():
        if not reader:
            reader.append(sqlite3.connect(path, check_same_thread=False))
        found = (
            reader[0]
            .execute("select id, body, created_at from opinions order by id desc limit 50")
            .fetchall()
        )
        return jsonify(found)

    @app.get("/s/<code>")
    def form(code: str):
        return FORM.format(csrf=secrets.token_urlsafe(32), token=secrets.token_urlsafe(18))

    @app.post("/s/<code>")
    def submit(code: str):
        body = request.form.get("body", "").strip()
        if not 5 <= len(body) <= 2000:
            return jsonify(error="请至少写 5 个字", fields={"body": "too short"}), 400
        receipt = secrets.token_hex(4).upper()
        conn = _connect(path)
        try:
            with conn:
                conn.execute(
                    "insert into opinions (receipt, station, body, category, submission_token,"
                    " created_at) values (?, ?, ?, ?, ?, ?)",
                    [
                        receipt,
                        code,
                        body,
                        request.form.get("category") or "other",
                        request.form.get("submission_token"),
                        datetime.now(UTC).isoformat(timespec="seconds"),
                    ],
                )
        finally:
            conn.close()
        shown = f"{receipt[:4]}-{receipt[4:]}"
        return jsonify(receipt=shown, status_url=f"/t/{shown}"), 201

    @app.get("/board/<town>")
    def board(town: str):
        """bench/board.py's floor: 20 of a town's suggestions, newest first, as bare HTML."""
        page = request.args.get("page", "1")
        offset = (int(page) - 1) * 20 if page.isdecimal() else 0
        conn = _connect(path)
        try:
            rows = conn.execute(
                "select number, status, created_at from suggestions where town = ? "
                "order by id desc limit 20 offset ?",
                [town, offset],
            ).fetchall()
        finally:
            conn.close()
        return "".join(f"<p>{n} {s} {c[:10]}</p>" for n, s, c in rows)

    @app.get("/deputy/<int:deputy_id>")
    def deputy_inbox(deputy_id: int):
        """bench/deputies.py's floor: the first 50 opinions addressed to a deputy or of their
        stations, newest first, as bare HTML."""
        conn = _connect(path)
        try:
            rows = conn.execute(
                "select id, substr(body, 1, 40), created_at from opinions where deputy_id = ? "
                "union select id, substr(body, 1, 40), created_at from opinions where "
                "station_id in (select station_id from deputy_stations where deputy_id = ?) "
                "order by 1 desc limit 50",
                [deputy_id, deputy_id],
            ).fetchall()
        finally:
            conn.close()
        return "".join(f"<p>{i} {b} {c[:10]}</p>" for i, b, c in rows)

    @app.get("/record/<int:year>")
    def record(year: int):
        """bench/deputies.py's floor: each deputy's activities and people met in a year."""
        conn = _connect(path)
        try:
            rows = conn.execute(
                "select deputy_id, count(*), sum(people) from deputy_activities "
                "where held_on >= ? and held_on < ? group by 1",
                [f"{year}-01-01", f"{year + 1}-01-01"],
            ).fetchall()
        finally:
            conn.close()
        return "".join(f"<p>{d} {n} {p}</p>" for d, n, p in rows)

    return app


app = create_app()
