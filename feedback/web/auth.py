"""Staff sign-in: login and logout, the signed-in user on `g.user`, and `login_required`.

Failed logins are throttled per account and per address, counted in SQLite so every
gunicorn worker sees them. Each attempt is counted before its password is checked, in the
same transaction as the check of the limit, and given back when the password was right.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from datetime import timedelta
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    current_app,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired

from feedback import audit, ratelimit, sessions, users
from feedback.context import get_db
from feedback.db import write_transaction

bp = Blueprint("auth", __name__, url_prefix="/admin")

LOGIN_WINDOW = 15 * 60
FAILURES_PER_ACCOUNT = 5
FAILURES_PER_ADDRESS = 30


class LoginForm(FlaskForm):
    username = StringField("用户名", validators=[DataRequired("请输入用户名")])
    password = PasswordField("密码", validators=[DataRequired("请输入密码")])


def session_key() -> str | None:
    """The token of this browser's staff session (see feedback.sessions), if any."""
    token = session.get("sid")
    return token if isinstance(token, str) else None


@bp.before_app_request
def load_user() -> None:
    """g.user is the account of a live session row, never just a well-signed cookie: the row
    is what logging out, a new password or a retired account end."""
    token = session_key()
    config = current_app.config
    g.user = (
        sessions.user_of(
            get_db(),
            token,
            idle=timedelta(hours=config["FEEDBACK_SESSION_IDLE_HOURS"]),
            lifetime=timedelta(days=config["FEEDBACK_SESSION_DAYS"]),
        )
        if token
        else None
    )


def admin_required(view: Callable) -> Callable:
    """Pages that act on every town (accounts, the list of departments): admins only."""

    @functools.wraps(view)
    @login_required
    def wrapped(**kwargs):
        if g.user["role"] != "admin":
            return render_template("admin/message.html", message="只有管理员可以使用这个页面"), 403
        return view(**kwargs)

    return wrapped


def login_required(view: Callable) -> Callable:
    @functools.wraps(view)
    def wrapped(**kwargs):
        if g.user is None:
            return redirect(url_for("auth.login", next=request.full_path))
        return view(**kwargs)

    return wrapped


def _failure_buckets(username: str) -> list[ratelimit.Bucket]:
    """Per account and per address; both checked and counted in one step by ratelimit.take."""
    return [
        (f"login-user:{username.strip().lower()}", FAILURES_PER_ACCOUNT),
        (f"login-address:{request.remote_addr}", FAILURES_PER_ADDRESS),
    ]


@bp.route("/login", methods=["GET", "POST"])
def login():
    form = LoginForm()
    error, status = None, 200
    if form.validate_on_submit():
        db = get_db()
        buckets = _failure_buckets(form.username.data)
        # Counted before the password is checked: parallel guesses cannot all pass a check
        # made before any of them was counted.
        if not ratelimit.take(db, buckets, LOGIN_WINDOW):
            error, status = "尝试次数太多,请 15 分钟后再试", 429
        else:
            user = users.authenticate(db, form.username.data, form.password.data)
            if user:
                ratelimit.give_back(db, buckets, LOGIN_WINDOW)  # only failures count
                with write_transaction(db):
                    earlier = session_key()
                    if earlier:  # signing in again replaces this browser's old session
                        sessions.end_in_transaction(db, earlier, "login")
                    token = sessions.open_session(db, user["id"])
                    audit.record(db, user["username"], "user.login", "user", user["id"])
                session.clear()
                session["sid"] = token
                return redirect(_safe_next(request.args.get("next")), 303)
            error, status = "用户名或密码不对", 401
    elif request.method == "POST":
        error, status = "请填写用户名和密码后再登录", 400
        if "csrf_token" in form.errors:
            error = "页面停留太久已过期,请重新登录"
    return render_template("admin/login.html", form=form, error=error), status


def _safe_next(target: str | None) -> str:
    """Only a path on this site: never an open redirect to another host."""
    if target and target.startswith("/") and not target.startswith("//"):
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc:
            return target
    return url_for("home.index")


@bp.post("/logout")
def logout():
    """Ends the session row too: a copy of this cookie is of no use to anyone afterwards."""
    sessions.end(get_db(), session_key())
    session.clear()
    return redirect(url_for("auth.login"), 303)
