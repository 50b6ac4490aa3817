"""Running the office from the browser: staff accounts (admins only) and the list of
departments suggestions are handed to. Every change goes through feedback.users or
feedback.departments, which check it and write the audit log."""

from __future__ import annotations

import json
from collections.abc import Callable

from flask import Blueprint, abort, g, redirect, render_template, url_for
from flask_wtf import FlaskForm

from feedback import departments, scope, users
from feedback.auth import admin_required, login_required
from feedback.db import get_db
from feedback.staff_forms import DepartmentForm, NewUserForm, PasswordFields, RoleFields

bp = Blueprint("office", __name__, url_prefix="/admin")

REFUSALS = (users.UserError, departments.DepartmentError)


def _submit(form: FlaskForm, change: Callable[[], object], page: Callable,
            done: str | Callable[[object], str]):  # fmt: skip
    """Validate, make the change, and either go on to `done` (a URL, or one made from what the
    change returned) or show the page again with the form as typed and the reason (Chinese)
    the change was refused."""
    if not form.validate_on_submit():
        return page(form, None)
    try:
        result = change()
    except REFUSALS as error:
        return page(form, getattr(error, "zh", str(error)))
    return redirect(done(result) if callable(done) else done, 303)


def _towns(db) -> list[str]:
    return [row[0] for row in db.execute("select distinct town from stations order by town")]


def _history(db, object_type: str, object_id: int) -> list[dict]:
    rows = list(db.query("select * from audit_log where object_type = ? and object_id = ? "
                         "order by id", [object_type, str(object_id)]))  # fmt: skip
    for row in rows:
        row["detail"] = json.loads(row["detail"] or "{}")
    return rows


def _users_page(form: NewUserForm | None = None, error: str | None = None, status: int = 400):
    db = get_db()
    return render_template(
        "admin/users.html", rows=users.listing(db), towns=_towns(db),
        form=form or NewUserForm(formdata=None), error=error,
    ), status  # fmt: skip


@bp.get("/users")
@admin_required
def user_list():
    return _users_page(status=200)


@bp.post("/users")
@admin_required
def user_add():
    form = NewUserForm()
    return _submit(
        form, lambda: users.add(get_db(), form.username.data, form.password.data,
                                form.role.data, form.town.data, actor=g.user["username"]),
        _users_page, lambda user: url_for("office.user_page", user_id=user["id"], added=1),
    )  # fmt: skip


def _account(user_id: int) -> dict:
    return users.find(get_db(), user_id) or abort(404)


def _user_page(user: dict, error: str | None = None, status: int = 400, **forms):
    db = get_db()
    role_form = forms.get("role") or RoleFields(formdata=None, role=user["role"],
                                                town=user["town"])  # fmt: skip
    return render_template(
        "admin/user.html", account=user, towns=_towns(db), role_form=role_form,
        password_form=forms.get("password") or PasswordFields(formdata=None),
        history=_history(db, "user", user["id"]), error=error,
    ), status  # fmt: skip


@bp.get("/users/<int:user_id>")
@admin_required
def user_page(user_id: int):
    return _user_page(_account(user_id), status=200)


@bp.post("/users/<int:user_id>/role")
@admin_required
def user_role(user_id: int):
    user, form = _account(user_id), RoleFields()
    return _submit(
        form, lambda: users.change_role(get_db(), user, form.role.data, form.town.data,
                                        g.user["username"]),
        lambda form, error: _user_page(user, error, role=form),
        url_for("office.user_page", user_id=user_id),
    )  # fmt: skip


@bp.post("/users/<int:user_id>/password")
@admin_required
def user_password(user_id: int):
    user, form = _account(user_id), PasswordFields()
    return _submit(
        form, lambda: users.set_password(get_db(), user, form.password.data, g.user["username"]),
        lambda form, error: _user_page(user, error, password=form),
        url_for("office.user_page", user_id=user_id),
    )  # fmt: skip


@bp.post("/users/<int:user_id>/<any(enable, disable):action>")
@admin_required
def user_active(user_id: int, action: str):
    user = _account(user_id)
    if user["id"] == g.user["id"]:
        return _user_page(user, "不能停用自己正在用的账号")
    return _submit(
        FlaskForm(), lambda: users.set_active(get_db(), user, action == "enable",
                                              g.user["username"]),
        lambda form, error: _user_page(user, error),
        url_for("office.user_page", user_id=user_id),
    )  # fmt: skip


def _departments_page(form: DepartmentForm | None = None, error: str | None = None,
                      status: int = 400):  # fmt: skip
    if form is not None and form.name.errors and not error:
        error = "、".join(form.name.errors)
    return render_template(
        "admin/departments.html", rows=departments.listing(get_db(), scope.current().town),
        form=form or DepartmentForm(formdata=None), error=error,
    ), status  # fmt: skip


@bp.get("/departments")
@login_required
def department_list():
    """Clerks see the list they pick from; admins keep it."""
    return _departments_page(status=200)


@bp.post("/departments")
@admin_required
def department_add():
    form = DepartmentForm()
    return _submit(form, lambda: departments.add(get_db(), form.name.data, g.user["username"]),
                   _departments_page, url_for("office.department_list"))  # fmt: skip


def _department(department_id: int) -> dict:
    return departments.get(get_db(), department_id) or abort(404)


@bp.post("/departments/<int:department_id>/rename")
@admin_required
def department_rename(department_id: int):
    department, form = _department(department_id), DepartmentForm()
    return _submit(
        form, lambda: departments.rename(get_db(), department, form.name.data,
                                         g.user["username"]),
        lambda form, error: _departments_page(None, error or "、".join(form.name.errors)),
        url_for("office.department_list"),
    )  # fmt: skip


@bp.post("/departments/<int:department_id>/<any(enable, disable):action>")
@admin_required
def department_active(department_id: int, action: str):
    department = _department(department_id)
    return _submit(
        FlaskForm(), lambda: departments.set_active(get_db(), department, action == "enable",
                                                    g.user["username"]),
        _departments_page, url_for("office.department_list"),
    )  # fmt: skip
