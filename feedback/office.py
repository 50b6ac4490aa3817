"""Running the office from the browser: staff accounts (admins only) and the list of
departments suggestions are handed to. Every change goes through feedback.users or
feedback.departments, which check it and write the audit log."""

from __future__ import annotations

import json

from flask import Blueprint, abort, g, redirect, render_template, url_for

from feedback import departments, scope, users
from feedback.auth import admin_required, login_required
from feedback.db import get_db
from feedback.staff_forms import DepartmentForm, NewUserForm, PasswordFields, RoleFields

bp = Blueprint("office", __name__, url_prefix="/admin")


def _towns(db) -> list[str]:
    return [row[0] for row in db.execute("select distinct town from stations order by town")]


def _history(db, object_type: str, object_id: int) -> list[dict]:
    rows = list(db.query("select * from audit_log where object_type = ? and object_id = ? "
                         "order by id", [object_type, str(object_id)]))  # fmt: skip
    for row in rows:
        row["detail"] = json.loads(row["detail"] or "{}")
    return rows


def _users_page(form: NewUserForm | None = None, status: int = 200, error: str | None = None):
    db = get_db()
    return render_template(
        "admin/users.html", rows=users.listing(db), towns=_towns(db),
        form=form or NewUserForm(formdata=None), error=error,
    ), status  # fmt: skip


@bp.get("/users")
@admin_required
def user_list():
    return _users_page()


@bp.post("/users")
@admin_required
def user_add():
    form = NewUserForm()
    if not form.validate_on_submit():
        return _users_page(form, 400)
    try:
        user = users.add(get_db(), form.username.data, form.password.data, form.role.data,
                         form.town.data, actor=g.user["username"])  # fmt: skip
    except users.UserError as error:
        return _users_page(form, 400, error.zh)
    return redirect(url_for("office.user_page", user_id=user["id"], added=1), 303)


def _account(user_id: int) -> dict:
    return users.find(get_db(), user_id) or abort(404)


def _user_page(user: dict, status: int = 200, error: str | None = None, **forms):
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
    return _user_page(_account(user_id))


@bp.post("/users/<int:user_id>/role")
@admin_required
def user_role(user_id: int):
    user = _account(user_id)
    form = RoleFields()
    if not form.validate_on_submit():
        return _user_page(user, 400, role=form)
    try:
        users.change_role(get_db(), user, form.role.data, form.town.data, g.user["username"])
    except users.UserError as error:
        return _user_page(user, 400, error.zh, role=form)
    return redirect(url_for("office.user_page", user_id=user_id), 303)


@bp.post("/users/<int:user_id>/password")
@admin_required
def user_password(user_id: int):
    user = _account(user_id)
    form = PasswordFields()
    if not form.validate_on_submit():
        return _user_page(user, 400, password=form)
    try:
        users.set_password(get_db(), user, form.password.data, g.user["username"])
    except users.UserError as error:
        return _user_page(user, 400, error.zh, password=form)
    return redirect(url_for("office.user_page", user_id=user_id), 303)


@bp.post("/users/<int:user_id>/<any(enable, disable):action>")
@admin_required
def user_active(user_id: int, action: str):
    user = _account(user_id)
    if user["id"] == g.user["id"]:
        return _user_page(user, 400, "不能停用自己正在用的账号")
    try:
        users.set_active(get_db(), user, action == "enable", g.user["username"])
    except users.UserError as error:
        return _user_page(user, 400, error.zh)
    return redirect(url_for("office.user_page", user_id=user_id), 303)


def _departments_page(form: DepartmentForm | None = None, status: int = 200,
                      error: str | None = None):  # fmt: skip
    return render_template(
        "admin/departments.html", rows=departments.listing(get_db(), scope.current().town),
        form=form or DepartmentForm(formdata=None), error=error,
    ), status  # fmt: skip


@bp.get("/departments")
@login_required
def department_list():
    """Clerks see the list they pick from; admins keep it."""
    return _departments_page()


@bp.post("/departments")
@admin_required
def department_add():
    form = DepartmentForm()
    if not form.validate_on_submit():
        return _departments_page(form, 400)
    try:
        departments.add(get_db(), form.name.data, g.user["username"])
    except departments.DepartmentError as error:
        return _departments_page(form, 400, str(error))
    return redirect(url_for("office.department_list"), 303)


def _department(department_id: int) -> dict:
    return departments.get(get_db(), department_id) or abort(404)


@bp.post("/departments/<int:department_id>/rename")
@admin_required
def department_rename(department_id: int):
    department = _department(department_id)
    form = DepartmentForm()
    if not form.validate_on_submit():
        return _departments_page(None, 400, "、".join(form.name.errors) or "请重新提交")
    try:
        departments.rename(get_db(), department, form.name.data, g.user["username"])
    except departments.DepartmentError as error:
        return _departments_page(None, 400, str(error))
    return redirect(url_for("office.department_list"), 303)


@bp.post("/departments/<int:department_id>/<any(enable, disable):action>")
@admin_required
def department_active(department_id: int, action: str):
    departments.set_active(get_db(), _department(department_id), action == "enable",
                           g.user["username"])  # fmt: skip
    return redirect(url_for("office.department_list"), 303)
