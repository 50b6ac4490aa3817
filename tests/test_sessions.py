"""Staff sessions end for real: logging out, a new password, a changed role and a retired
account kill the session server-side, so a copied cookie stops working; sessions also run
out when idle and after an absolute lifetime."""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask.sessions import SecureCookieSessionInterface

from feedback import clock, towns, users
from tests.conftest import STAFF_PASSWORD, csrf_of, sign_in


def text(response) -> str:
    return response.get_data(as_text=True)


def post(client, url, page="/admin/", **data):
    return client.post(url, data={"csrf_token": csrf_of(text(client.get(page))), **data})


@pytest.fixture
def office(db, two_town_stations):
    users.add(db, "boss", STAFF_PASSWORD, "admin", None)
    users.add(db, "jia", STAFF_PASSWORD, "clerk", "甲镇")
    return db


def signed_in(app, username: str):
    client = app.test_client()
    assert sign_in(client, username).status_code == 303
    assert client.get("/admin/").status_code == 200
    return client


def copy_of(app, client):
    """Another browser holding a copy of client's session cookie (stolen, or a second tab)."""
    other = app.test_client()
    other.set_cookie("session", client.get_cookie("session").value)
    return other


def is_signed_out(client) -> bool:
    response = client.get("/admin/opinions")
    return response.status_code == 302 and "/admin/login" in response.headers["Location"]


def test_logout_kills_a_copied_cookie(app, office):
    clerk = signed_in(app, "jia")
    thief = copy_of(app, clerk)
    assert thief.get("/admin/opinions").status_code == 200  # the copy works while signed in
    assert post(clerk, "/admin/logout").status_code == 303
    assert is_signed_out(clerk)
    assert is_signed_out(thief)
    ended = office.execute("select ended_at, end_reason from sessions").fetchall()
    assert len(ended) == 1 and ended[0][0] and ended[0][1] == "logout"


def test_the_cookie_token_is_not_stored_in_plain(app, office):
    clerk = signed_in(app, "jia")
    with clerk.session_transaction() as session:
        token = session["sid"]
    assert len(token) >= 32
    assert office.execute("select token_hash from sessions").fetchone()[0] != token
    assert not office.execute(
        "select count(*) from sessions where token_hash like ?", [f"%{token}%"]
    ).fetchone()[0]


def test_disable_then_enable_does_not_revive_old_cookies(app, office):
    clerk = signed_in(app, "jia")
    copy = copy_of(app, clerk)
    admin = signed_in(app, "boss")
    page = "/admin/users/2"
    assert post(admin, page + "/disable", page).status_code == 303
    assert is_signed_out(clerk)
    assert post(admin, page + "/enable", page).status_code == 303
    assert is_signed_out(clerk)
    assert is_signed_out(copy)
    assert signed_in(app, "jia")  # signing in afresh works again


def test_password_reset_kills_every_session_of_that_account(app, office):
    phone, desk = signed_in(app, "jia"), signed_in(app, "jia")
    admin = signed_in(app, "boss")
    page = "/admin/users/2"
    new = "brand new pw"
    assert post(admin, page + "/password", page, password=new, confirm=new).status_code == 303
    assert is_signed_out(phone) and is_signed_out(desk)
    assert admin.get("/admin/opinions").status_code == 200  # other accounts keep theirs
    reasons = office.execute("select end_reason from sessions where user_id = 2").fetchall()
    assert reasons == [("password",), ("password",)]


def test_domain_password_change_ends_sessions_in_the_same_transaction(app, office):
    clerk = signed_in(app, "jia")
    users.set_password(office, users.find(office, 2), "another pw!", "cli")
    assert is_signed_out(clerk)


def test_a_changed_role_signs_the_account_out(app, office):
    clerk = signed_in(app, "jia")
    admin = signed_in(app, "boss")
    page = "/admin/users/2"
    assert post(admin, page + "/role", page, role="clerk", town="乙镇").status_code == 303
    assert is_signed_out(clerk)


def test_a_pre_upgrade_cookie_signs_nobody_in(app, office):
    """The old cookie held the user id and a fingerprint of the password hash; it must not be
    accepted in place of a session row."""
    user = users.find(office, 2)
    serializer = SecureCookieSessionInterface().get_signing_serializer(app)
    forged = serializer.dumps({"user_id": 2, "key": user["password_hash"][-16:]})
    client = app.test_client()
    client.set_cookie("session", forged)
    assert is_signed_out(client)


def test_signing_in_again_ends_the_browsers_earlier_session(app, office):
    clerk = signed_in(app, "jia")
    copy = copy_of(app, clerk)
    assert sign_in(clerk, "jia").status_code == 303
    assert clerk.get("/admin/opinions").status_code == 200
    assert is_signed_out(copy)


class Clock:
    """clock.now, moved by hand."""

    def __init__(self, monkeypatch):
        self.now = clock.now()
        monkeypatch.setattr(clock, "now", lambda: self.now)

    def wait(self, **delta) -> None:
        self.now += timedelta(**delta)


def test_an_idle_session_runs_out(app, office, monkeypatch):
    time = Clock(monkeypatch)
    clerk = signed_in(app, "jia")
    time.wait(hours=11)
    assert clerk.get("/admin/opinions").status_code == 200  # use moves the idle limit on
    time.wait(hours=11)
    assert clerk.get("/admin/opinions").status_code == 200
    time.wait(hours=12, minutes=2)
    assert is_signed_out(clerk)


def test_a_busy_session_still_ends_after_its_lifetime(app, office, monkeypatch):
    time = Clock(monkeypatch)
    clerk = signed_in(app, "jia")
    for _ in range(15):  # every 11 hours for almost 7 days
        time.wait(hours=11)
        assert clerk.get("/admin/opinions").status_code == 200
    time.wait(hours=11)
    assert is_signed_out(clerk)


def test_lifetimes_come_from_the_configuration(instance, monkeypatch):
    from tests.helpers_intake import make_app

    app = make_app(FEEDBACK_SESSION_IDLE_HOURS=1)
    from feedback.db import connect

    db = connect(app.config["FEEDBACK_DATABASE"])
    towns.add(db, "甲镇")
    users.add(db, "jia", STAFF_PASSWORD, "clerk", "甲镇")
    time = Clock(monkeypatch)
    clerk = signed_in(app, "jia")
    time.wait(minutes=62)
    assert is_signed_out(clerk)
    assert app.permanent_session_lifetime == timedelta(days=7)
