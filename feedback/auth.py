"""Staff sign-in: login and logout, the signed-in user on `g.user`, and `login_required`.

Failed logins are throttled per account and per address, counted in SQLite so every
gunicorn worker sees them.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from urllib.parse import urlsplit

from flask import Blueprint, g, redirect, render_template, request, session, url_for
from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired

from feedback import audit, ratelimit, users
from feedback.db import get_db, write_transaction

bp = Blueprint("auth", __name__, url_prefix="/admin")

LOGIN_WINDOW = 15 * 60
FAILURES_PER_ACCOUNT = 5
FAILURES_PER_ADDRESS = 30


class LoginForm(FlaskForm):
    username = StringField("用户名", validators=[DataRequired("请输入用户名")])
    password = PasswordField("密码", validators=[DataRequired("请输入密码")])


def session_key(user: dict) -> str:
    """A fingerprint of the password hash kept in the session: a new password or a retired
    account ends every session opened before, on every worker."""
    return user["password_hash"][-16:]


@bp.before_app_request
def load_user() -> None:
    user_id = session.get("user_id")
    user = users.get(get_db(), user_id) if user_id else None
    g.user = user if user and session.get("key") == session_key(user) else None


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
        if not ratelimit.allowed(db, buckets, LOGIN_WINDOW):
            error, status = "尝试次数太多,请 15 分钟后再试", 429
        else:
            user = users.authenticate(db, form.username.data, form.password.data)
            if user:
                session.clear()
                session["user_id"] = user["id"]
                session["key"] = session_key(user)
                with write_transaction(db):
                    audit.record(db, user["username"], "user.login", "user", user["id"])
                return redirect(_safe_next(request.args.get("next")), 303)
            with write_transaction(db):
                ratelimit.count(db, buckets, LOGIN_WINDOW)
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
    return url_for("admin.home")


@bp.post("/logout")
def logout():
    session.clear()
    return redirect(url_for("auth.login"), 303)
